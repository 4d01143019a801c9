"""The staff console's admin site: two-factor authentication (django-otp) when ADMIN_REQUIRE_2FA is on — the
default in production. A staff member gets a TOTP device with ``manage.py staff_2fa_setup --email …``."""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_ratelimit.core import is_ratelimited


class StaybookAdminSite(AdminSite):
    site_header = gettext_lazy("Staybook back office")
    site_title = gettext_lazy("Staybook back office")
    index_title = gettext_lazy("Your hotels")

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

    def get_urls(self):
        """Django's "view on site" shortcut (``r/<content type>/<pk>/``) redirects any staff member to any object's
        public URL, so walking the ids of bookings listed every reference of every hotel. Here it answers only for
        objects in the user's scope, as the object's own admin page would."""
        urls = super().get_urls()
        for index, pattern in enumerate(urls):
            if getattr(pattern, "name", None) == "view_on_site":
                urls[index] = path(
                    "r/<path:content_type_id>/<path:object_id>/",
                    self.admin_view(self.view_on_site),
                    name="view_on_site",
                )
        return urls

    def view_on_site(self, request, content_type_id, object_id):
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ValueError, ContentType.DoesNotExist):
            raise Http404(_("No such object.")) from None
        model_admin = self._registry.get(model)
        if model_admin is None or model_admin.view_on_site is False:
            raise Http404(_("No such object."))
        try:
            obj = model_admin.get_queryset(request).filter(pk=object_id).first()
        except (ValueError, ValidationError):
            obj = None
        if obj is None or not model_admin.has_view_permission(request, obj):
            raise Http404(_("No such object."))
        return contenttype_views.shortcut(request, content_type_id, object_id)
