"""Bookings made without an account: the signed "manage my booking" link, the access it gives, new links on
request, and attaching the bookings to an account once that account has verified the same address.

A guest booking is made by a visitor who proved the address by a code (``bookings.guest_email``). The browser that
made it may open it for the session; anywhere else, the e-mailed link opens it. The link is a ``TimestampSigner``
token over the reference and a keyed digest of the guest's address: altered, it is refused; older than
``GUEST_LINK_MAX_AGE_DAYS``, it is refused as expired; once the booking's address changes (anonymisation), old
links stop working. Opening a link grants the session access to that one booking (``SESSION_KEY``)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "accounts.guest-link"
SESSION_KEY = "guest_bookings"
MAX_SESSION_BOOKINGS = 20
# Bookings made on this site (ours or resold): partner bookings belong to the partner's guest relationship.
GUEST_SOURCES = ("website", "supplier")


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def _address_digest(email: str) -> str:
    return salted_hmac(SALT, email.strip().lower()).hexdigest()[:20]


def guest_link_url(booking) -> str:
    """A fresh absolute link to ``booking``'s page for its guest (on ``SITE_URL``)."""
    token = signing.TimestampSigner(salt=SALT).sign_object(
        {"r": booking.reference, "a": _address_digest(booking.guest_email)}
    )
    return settings.SITE_URL + reverse("bookings:guest_link", kwargs={"token": token})


def guest_link_booking(token: str):
    """The booking a link opens; raises :class:`LinkExpired` or :class:`LinkInvalid` (altered, unknown, the
    address changed, or the booking belongs to an account now: its owner logs in)."""
    from bookings.models import Booking

    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(
            token[:500], max_age=settings.GUEST_LINK_MAX_AGE_DAYS * 86400
        )
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except (signing.BadSignature, ValueError) as exc:
        raise LinkInvalid from exc
    if not isinstance(data, dict):
        raise LinkInvalid
    booking = Booking.objects.filter(reference=str(data.get("r", ""))[:12], customer__isnull=True).first()
    if booking is None or not constant_time_compare(_address_digest(booking.guest_email), str(data.get("a", ""))):
        raise LinkInvalid
    return booking


def guest_access_grant(request, booking) -> None:
    """This browser may open ``booking`` (it made it, or opened its link) for the rest of the session."""
    granted = request.session.get(SESSION_KEY, {})
    granted.pop(booking.reference, None)
    granted[booking.reference] = _address_digest(booking.guest_email)
    while len(granted) > MAX_SESSION_BOOKINGS:
        granted.pop(next(iter(granted)))
    request.session[SESSION_KEY] = granted


def guest_access_granted(request, booking) -> bool:
    """May this browser open ``booking`` without logging in? Only a booking without an account, granted to the
    session for the address it still has."""
    if booking.customer_id is not None:
        return False
    digest = request.session.get(SESSION_KEY, {}).get(booking.reference)
    return bool(digest) and constant_time_compare(digest, _address_digest(booking.guest_email))


def guest_link_send(booking, *, again: bool = False):
    """Queue the e-mail with the booking's link (at booking time; ``again`` for a new link asked from the site)."""
    from notifications.models import OutboundEmail
    from notifications.services import email_queue

    key = f"guest_link:{booking.reference}"
    if again:
        key += f":{OutboundEmail.objects.filter(booking=booking, kind=OutboundEmail.Kind.GUEST_LINK).count()}"
    return email_queue(
        kind=OutboundEmail.Kind.GUEST_LINK, recipient=booking.guest_email, booking=booking, dedupe_key=key
    )


def guest_link_request(*, reference: str, email: str) -> bool:
    """Someone asks for a new link by reference and address: send it when the pair names a guest booking. The
    caller answers the same either way; the return value is for tests and logs only."""
    from bookings.models import Booking

    booking = Booking.objects.filter(
        reference=reference.strip().upper()[:12],
        guest_email__iexact=email.strip(),
        customer__isnull=True,
        source__in=GUEST_SOURCES,
        anonymisation__isnull=True,
    ).first()
    if booking is None:
        return False
    guest_link_send(booking, again=True)
    return True


def guest_bookings_claim(user) -> int:
    """Attach the guest bookings made under ``user``'s address to the account. Call only for a verified address:
    an unverified one could be anybody's, and so would their bookings be."""
    from bookings.models import Booking

    if not user.email_verified:
        return 0
    return Booking.objects.filter(
        customer__isnull=True,
        guest_email__iexact=user.email,
        source__in=GUEST_SOURCES,
        anonymisation__isnull=True,
    ).update(customer=user)
