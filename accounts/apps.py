from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Customers and staff")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(shorten_staff_sessions, dispatch_uid="accounts.shorten_staff_sessions")
        user_logged_in.connect(claim_guest_bookings, dispatch_uid="accounts.claim_guest_bookings")

        from .privacy import register_defaults

        register_defaults()


def claim_guest_bookings(sender, request, user, **kwargs):
    """A verified account finds the bookings made under its address without logging in (accounts.guest_links)."""
    from .guest_links import guest_bookings_claim

    if not user.is_staff:
        guest_bookings_claim(user)


def shorten_staff_sessions(sender, request, user, **kwargs):
    """Staff sessions (they open the back office) end after STAFF_SESSION_SECONDS; customers keep the default."""
    from django.conf import settings

    if user.is_staff and request is not None and hasattr(request, "session"):
        request.session.set_expiry(settings.STAFF_SESSION_SECONDS)
