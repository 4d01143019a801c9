"""The staff console's admin site: two-factor authentication (django-otp) when ADMIN_REQUIRE_2FA is on — the
default in production. A staff member gets a TOTP device with ``manage.py staff_2fa_setup --email …``."""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.shortcuts import render
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_ratelimit.core import is_ratelimited


class StaybookAdminSite(AdminSite):
    site_header = "Staybook back office"
    site_title = "Staybook back office"
    index_title = "Your hotels"

    def has_permission(self, request):
        allowed = super().has_permission(request)
        if allowed and settings.ADMIN_REQUIRE_2FA:
            return request.user.is_verified()
        return allowed

    def login(self, request, extra_context=None):
        """Limited per client IP like the customer login (django-axes also locks each account)."""
        from accounts.views import LOGIN_IP_RATE

        if is_ratelimited(request, group="admin-login", key="ip", rate=LOGIN_IP_RATE, method="POST", increment=True):
            return render(request, "429.html", status=429)
        self.login_form = OTPAdminAuthenticationForm if settings.ADMIN_REQUIRE_2FA else AdminAuthenticationForm
        self.login_template = OTPAdminSite.login_template if settings.ADMIN_REQUIRE_2FA else None
        return super().login(request, extra_context)
