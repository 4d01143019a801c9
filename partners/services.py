"""Writes of the partner API: partner bookings are paid on the partner's account, so they are held and
confirmed in one transaction."""

from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet

from bookings.models import Booking, BookingStatusChange
from bookings.services import GuestDetails, booking_cancel, booking_confirm, booking_hold
from hotels.models import Hotel, RoomType
from hotels.selectors import Stay

from .models import Partner, PartnerAPIKey


def partner_hotels(partner: Partner) -> QuerySet:
    """The hotels a partner may sell: its list, or every active hotel when the list is empty."""
    hotels = Hotel.objects.filter(is_active=True)
    if partner.hotels.exists():
        hotels = hotels.filter(partners=partner)
    return hotels


def partner_booking_create(
    *,
    partner: Partner,
    room_type: RoomType,
    stay: Stay,
    guest: GuestDetails,
    expected_total: Decimal | None = None,
    partner_reference: str = "",
) -> Booking:
    """Hold and confirm in one transaction; raises the booking errors (SoldOut, PriceChanged, StayInvalid)."""
    with transaction.atomic():
        booking = booking_hold(
            room_type=room_type,
            stay=stay,
            guest=guest,
            source=Booking.Source.PARTNER,
            expected_total=expected_total,
            actor_kind=BookingStatusChange.Actor.PARTNER,
            partner=partner,
            partner_reference=partner_reference,
        )
        return booking_confirm(
            booking=booking, actor_kind=BookingStatusChange.Actor.PARTNER, note=f"partner {partner.name}"
        )


def partner_booking_cancel(*, partner: Partner, booking: Booking) -> Booking:
    return booking_cancel(
        booking=booking, actor_kind=BookingStatusChange.Actor.PARTNER, note=f"cancelled by partner {partner.name}"
    )


def partner_key_issue(*, partner: Partner, name: str = "") -> str:
    """Issue a new API key and return it (the only time it is ever visible)."""
    _, key = PartnerAPIKey.objects.create_key(partner=partner, name=name or f"{partner.name} key")
    return key
