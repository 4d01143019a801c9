"""The bank sends the guest's browser back to ``/payments/return/<reference>/``. Anyone may type such an address,
so the page answers only the booking's owner (logged in) or a browser holding the signed token we put in the
return URL we gave the bank; anybody else gets the same 404 as for a reference that doesn't exist, and no call
to the bank."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "payments.return"
MAX_AGE_SECONDS = 7 * 24 * 60 * 60  # the bank's page may be left open a while; the token only shows our answer


def payment_return_url(reference: str) -> str:
    """The absolute return URL for the bank, on the configured ``SITE_URL`` (never the request's Host header)."""
    token = signing.TimestampSigner(salt=SALT).sign(reference).split(":", 1)[1]
    return f"{settings.SITE_URL}{reverse('payments:return', kwargs={'reference': reference})}?t={token}"


def payment_return_token_valid(reference: str, token: str) -> bool:
    if not token or len(token) > 100:
        return False
    try:
        signing.TimestampSigner(salt=SALT).unsign(f"{reference}:{token}", max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return False
    return True


LINK_SALT = "payments.link"
LINK_MAX_AGE_SECONDS = 30 * 24 * 60 * 60  # a declined balance is tried again over days; the link lasts longer


def payment_link_url(reference: str) -> str:
    """The address we e-mail a guest whose saved card was declined: our page that opens the bank's payment link
    for what the booking still owes (signed, so the guest needs no login)."""
    token = signing.TimestampSigner(salt=LINK_SALT).sign(reference).split(":", 1)[1]
    return f"{settings.SITE_URL}{reverse('payments:link', kwargs={'reference': reference})}?t={token}"


def payment_link_token_valid(reference: str, token: str) -> bool:
    if not token or len(token) > 100:
        return False
    try:
        signing.TimestampSigner(salt=LINK_SALT).unsign(f"{reference}:{token}", max_age=LINK_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return False
    return True
