"""A price agreed by a manager for one room of a staff booking, before it is paid.

The room keeps its quote as sold (its nights, taxes and policy); the difference is one adjustment line named with
the reason, so its snapshot still adds up to its total, the booking's total is still the sum of its rooms and
receipts and e-mails show the agreed price and why. The change is in the booking's history with who made it."""

from decimal import Decimal

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from .exceptions import InvalidTransition, StayInvalid
from .lines import snapshot_combine
from .models import Booking, BookingStatusChange, RoomLine
from .services import LARGEST_TOTAL, total_too_large_message


def _price_agreed(reason: str, language: str) -> str:
    """The adjustment line's name, in the booking's language like the e-mails and receipt that show it."""
    with translation.override(language):
        return _("Price agreed by the hotel: %(reason)s") % {"reason": reason}


def room_line_price_override(*, line: RoomLine, price: Decimal, reason: str, actor) -> Booking:
    """Sell ``line`` at ``price`` (its total, taxes included) instead of its quote; returns the booking.

    Only while the booking waits for payment (the amount to pay is not fixed yet) and only with a ``reason``:
    raises :class:`StayInvalid` / :class:`InvalidTransition` otherwise. Who may do it is the caller's check
    (``bookings.override_booking_price`` at the line's hotel)."""
    reason = (reason or "").strip()
    if not reason:
        raise StayInvalid(_("Say why this room is sold at another price."))
    price = Decimal(price).quantize(Decimal("0.01"))
    if price < 0:
        raise StayInvalid(_("A price can't be negative."))
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=line.booking_id)
        if booking.status != Booking.Status.PENDING_PAYMENT:
            raise InvalidTransition(_("A room's price can only be changed before the booking is paid."))
        line = RoomLine.objects.select_for_update().get(pk=line.pk)
        difference = price - line.total
        if not difference:
            return booking
        snapshot = dict(line.price_snapshot)
        snapshot["adjustments"] = [
            *snapshot.get("adjustments", []),
            {"name": _price_agreed(reason, booking.language)[:200], "amount": str(difference)},
        ]
        snapshot["room_total"] = str(Decimal(snapshot.get("room_total", "0")) + difference)
        snapshot["total"] = str(price)
        snapshot["first_night"] = str(min(Decimal(snapshot.get("first_night", "0")), price))
        snapshot["price_override"] = {"was": str(line.total), "reason": reason, "by": actor.email}
        line.price_snapshot, line.total = snapshot, price
        line.save(update_fields=["price_snapshot", "total", "updated_at"])
        lines = list(booking.lines.order_by("position"))
        booking.price_snapshot = snapshot_combine([x.price_snapshot for x in lines if x.is_active])
        booking.total = sum((x.charge for x in lines), Decimal("0.00"))
        if booking.total > LARGEST_TOTAL:  # rolled back: nothing changed
            raise StayInvalid(total_too_large_message())
        booking.save(update_fields=["price_snapshot", "total", "updated_at"])
        BookingStatusChange.objects.create(
            booking=booking,
            from_status=booking.status,
            to_status=booking.status,
            actor_kind=BookingStatusChange.Actor.STAFF,
            actor=actor,
            note=f"room {line.position} price {snapshot['price_override']['was']} → {price}: {reason}"[:255],
        )
    return booking
