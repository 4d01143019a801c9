"""Writes of the partner API. Partner bookings are paid on the partner's account (no card), so they are held and
confirmed in one transaction."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from bookings import workflow
from bookings.lines import RoomRequest
from bookings.models import Booking, BookingStatusChange
from bookings.services import GuestDetails, booking_hold
from hotels.models import RatePlan, RoomType
from hotels.stay import Stay

from .models import IdempotencyRecord, Partner, PartnerAPIKey

IDEMPOTENCY_KEEP = timedelta(hours=48)  # the contract says at least 24 hours


def partner_booking_create(
    *,
    partner: Partner,
    stay: Stay,
    guest: GuestDetails,
    room_type: RoomType | None = None,
    rate_plan: RatePlan | None = None,
    rooms: list[RoomRequest] | None = None,
    expected_total: Decimal | None = None,
    partner_reference: str = "",
    idempotency_key: str = "",
) -> Booking:
    """Hold and confirm in one transaction, either ``rooms`` (each priced on its own) or the older ``room_type``
    for ``stay.rooms`` rooms; raises the booking errors (SoldOut, PriceChanged, StayInvalid).

    With ``idempotency_key``, the partner's :class:`IdempotencyRecord` for that key (created beforehand by the API,
    in its own transaction) is locked for the transaction and pointed at the booking when it commits: a key never
    makes two bookings, and calling again with a key that already made one returns that booking.
    """
    with transaction.atomic():
        record_id = None
        if idempotency_key:
            record_id, booking_id = (
                IdempotencyRecord.objects.select_for_update()
                .filter(partner=partner, key=idempotency_key)
                .values_list("pk", "booking_id")
                .get()
            )
            if booking_id is not None:
                return Booking.objects.get(pk=booking_id)
        booking = booking_hold(
            room_type=room_type,
            rate_plan=rate_plan,
            rooms=rooms,
            stay=stay,
            guest=guest,
            source=Booking.Source.PARTNER,
            expected_total=expected_total,
            actor_kind=BookingStatusChange.Actor.PARTNER,
            partner=partner,
            partner_reference=partner_reference,
        )
        booking = workflow.booking_confirm(
            booking=booking, actor_kind=BookingStatusChange.Actor.PARTNER, note=f"partner {partner.name}"
        )
        if record_id is not None:
            IdempotencyRecord.objects.filter(pk=record_id).update(booking=booking)
        return booking


def partner_booking_cancel(*, partner: Partner, booking: Booking) -> Booking:
    """Cancel under the booking's own policy (the penalty is kept); cancelling twice returns it unchanged."""
    return workflow.booking_cancel(
        booking=booking, actor_kind=BookingStatusChange.Actor.PARTNER, note=f"cancelled by partner {partner.name}"
    )


def partner_booking_quote(*, booking: Booking, check_in=None, check_out=None, rooms=()):
    """What a change would cost (``ChangeQuote``), changing nothing."""
    return workflow.booking_change_quote(booking=booking, check_in=check_in, check_out=check_out, changes=rooms)


def partner_booking_modify(
    *, partner: Partner, booking: Booking, check_in=None, check_out=None, rooms=(), expected_total=None
):
    """Change the partner's booking (settled on the partner's account); raises the booking errors."""
    return workflow.booking_modify(
        booking=booking,
        check_in=check_in,
        check_out=check_out,
        rooms=rooms,
        expected_total=expected_total,
        actor_kind=BookingStatusChange.Actor.PARTNER,
        channel=Booking.Source.PARTNER,
    )


def partner_room_cancel(*, partner: Partner, booking: Booking, line_id: int):
    """Cancel one room under its own policy (the last room cancels the booking); twice changes nothing."""
    return workflow.room_cancel(
        booking=booking, line_id=line_id, actor_kind=BookingStatusChange.Actor.PARTNER, channel=Booking.Source.PARTNER
    )


def partner_key_issue(*, partner: Partner, name: str = "") -> str:
    """Issue a new API key and return it: the only time it is ever visible (only its hash is stored)."""
    _, key = PartnerAPIKey.objects.create_key(partner=partner, name=(name or f"{partner.name} key")[:50])
    return key


def idempotency_records_purge(*, now=None) -> int:
    """Forget stored responses older than :data:`IDEMPOTENCY_KEEP`; returns how many were deleted."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_KEEP
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
