"""How many unpaid holds one account and one client may keep at once (inventory squatting).

A hold takes rooms off sale for ``BOOKING_HOLD_MINUTES``; without a cap, one account (or a script creating
accounts) could keep renewing holds until a hotel showed sold out to everyone. Holds count while they are waiting
for payment and not yet lapsed. Per account they are counted in the database; per client IP (config.client_ip),
the bookings held from an address are remembered in the shared cache for as long as a hold lasts.

Called by every page that makes a hold for a visitor (our hotels' review step, a partner hotel's booking page);
partner API bookings are confirmed at once and hold nothing unpaid."""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from config.client_ip import client_ip

from .exceptions import BookingError
from .models import Booking


class TooManyHolds(BookingError):
    code = "too_many_holds"


def _ip_key(request) -> str:
    return f"holds-by-ip:{client_ip(request)}"


def _open(bookings):
    return bookings.filter(status=Booking.Status.PENDING_PAYMENT, hold_expires_at__gt=timezone.now())


def hold_allowed_check(request) -> None:
    """Raise :class:`TooManyHolds` when the visitor's account or address already keeps as many unpaid holds as
    the settings allow (``BOOKING_MAX_OPEN_HOLDS_PER_ACCOUNT``, ``BOOKING_MAX_OPEN_HOLDS_PER_IP``)."""
    message = (
        "You already have {n} bookings waiting for payment. Pay for one, or let it lapse, before holding more rooms."
    )
    if request.user.is_authenticated:
        cap = settings.BOOKING_MAX_OPEN_HOLDS_PER_ACCOUNT
        if _open(Booking.objects.filter(customer=request.user)).count() >= cap:
            raise TooManyHolds(message.format(n=cap))
    cap = settings.BOOKING_MAX_OPEN_HOLDS_PER_IP
    held_from_here = cache.get(_ip_key(request)) or []
    if held_from_here and _open(Booking.objects.filter(pk__in=held_from_here)).count() >= cap:
        raise TooManyHolds(message.format(n=cap))


def hold_made(request, booking: Booking) -> None:
    """Count ``booking`` against the visitor's address until its hold lapses."""
    key = _ip_key(request)
    held_from_here = [*(cache.get(key) or []), booking.pk][-100:]
    cache.set(key, held_from_here, settings.BOOKING_HOLD_MINUTES * 60 + 60)
