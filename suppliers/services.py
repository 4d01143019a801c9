"""Booking a supplier's hotel: the guest pays on our site, then the booking is placed at the supplier.

- :func:`supplier_booking_hold` checks the offer again at the supplier, mirrors its hotel, room type and rate
  locally (inactive, never in our own search) and creates our Booking (``source="supplier"``, no nights held here:
  the supplier holds its own inventory) waiting for payment, with the supplier's price lines and policy.
- :func:`supplier_booking_place` (run by the booking outbox once the payment confirms ours) places it at the
  supplier with an Idempotency-Key derived from our booking. A refusal (sold out, price changed) is recorded and
  ``bookings.workflow`` then cancels ours with a full refund and tells the guest plainly; an unreachable supplier is
  retried with the same key.
- :func:`supplier_booking_cancel_forward` passes a cancellation on.

Nothing is held at the supplier while our guest pays: the offer is checked again when the guest books, and placed
once paid; a supplier that sold the room meanwhile refuses, and the guest is refunded in full.
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from bookings.exceptions import PriceChanged, SoldOut, StayInvalid
from bookings.models import Booking
from bookings.services import Actor, GuestDetails, booking_pending_create
from display.money import format_money
from hotels.models import Hotel, RatePlan, RoomType

from .client import SupplierClient, SupplierError, SupplierOffer, SupplierRefused
from .models import Supplier, SupplierBooking, SupplierHotel

logger = logging.getLogger("staybook.suppliers")


def supplier_offer_find(
    *, supplier: Supplier, remote_hotel_id: int, remote_room_type_id: int, remote_rate_plan_id, stay
):
    """(hotel, offer) as the supplier sells it now, or raise SoldOut / SupplierError."""
    hotels = SupplierClient(supplier, read_timeout=settings.SUPPLIER_BOOKING_TIMEOUT).availability(
        stay=stay, hotel_id=remote_hotel_id
    )
    for hotel in hotels:
        if hotel.remote_id != remote_hotel_id:
            continue
        for offer in hotel.offers:
            if offer.remote_room_type_id == remote_room_type_id and offer.remote_rate_plan_id == remote_rate_plan_id:
                return hotel, offer
    raise SoldOut(_("This room is no longer available at our partner for these dates."))


def _mirror(supplier: Supplier, hotel, offer: SupplierOffer) -> tuple[RoomType, RatePlan]:
    """The supplier's hotel, room type and rate as inactive local rows (created once, names kept up to date)."""
    link = SupplierHotel.objects.select_related("hotel").filter(supplier=supplier, remote_id=hotel.remote_id).first()
    h = hotel.hotel
    if link is None:
        local = Hotel.objects.create(
            name=h["name"],
            slug=slugify(f"supplier-{supplier.pk}-{hotel.remote_id}-{h['name']}")[:180],
            city=h["city"],
            country=h["country"] or "—",
            address=h["address"] or "—",
            stars=h["stars"],
            timezone=h["timezone"] if h["timezone"] else "UTC",
            currency=h["currency"],
            reservations_email=settings.SUPPLIER_RESERVATIONS_EMAIL,
            check_in_time=h["check_in_time"],
            check_out_time=h["check_out_time"],
            is_active=False,  # never in our own search or hotel pages
        )
        link = SupplierHotel.objects.create(hotel=local, supplier=supplier, remote_id=hotel.remote_id)
    room = offer.room_type
    room_type, _created = RoomType.objects.get_or_create(
        hotel=link.hotel,
        name=room["name"],
        defaults={
            "beds": room["beds"] or "—",
            "max_adults": max(room["max_adults"], 1),
            "max_children": room["max_children"],
            "max_occupancy": max(room["max_occupancy"], room["max_adults"], 1),
            "total_rooms": 1,
            "is_active": False,
        },
    )
    plan, _created = RatePlan.objects.get_or_create(
        room_type=room_type, name=offer.rate_plan_name, defaults={"meal_plan": offer.meal_plan, "is_active": False}
    )
    return room_type, plan


def supplier_booking_hold(
    *,
    supplier: Supplier,
    remote_hotel_id: int,
    remote_room_type_id: int,
    remote_rate_plan_id: int | None,
    stay,
    guest: GuestDetails,
    customer,
    expected_total: Decimal | None = None,
) -> Booking:
    """Our booking of a supplier's offer, waiting for payment (nothing is placed at the supplier before the guest
    pays). Raises SoldOut, PriceChanged, StayInvalid (guest-facing messages) or SupplierError."""
    if not supplier.enabled:
        raise StayInvalid(_("This partner hotel can't be booked at the moment."))
    hotel, offer = supplier_offer_find(
        supplier=supplier,
        remote_hotel_id=remote_hotel_id,
        remote_room_type_id=remote_room_type_id,
        remote_rate_plan_id=remote_rate_plan_id,
        stay=stay,
    )
    if expected_total is not None and Decimal(expected_total) != offer.total:
        raise PriceChanged(
            _("The price for this stay is now %(amount)s.") % {"amount": format_money(offer.total, offer.currency)},
            total=offer.total,
            currency=offer.currency,
        )
    with transaction.atomic():
        room_type, plan = _mirror(supplier, hotel, offer)
        booking = booking_pending_create(
            room_type=room_type,
            rate_plan=plan,
            stay=stay,
            guest=guest,
            customer=customer,
            source=Booking.Source.SUPPLIER,
            snapshot={**offer.snapshot, "supplier": supplier.name},
            policy=offer.policy,
            nights_held=False,  # the supplier holds its own rooms
            actor_kind=Actor.CUSTOMER,
            note=f"partner hotel via {supplier.name}",
        )
        SupplierBooking.objects.create(
            booking=booking,
            supplier=supplier,
            remote_room_type_id=remote_room_type_id,
            remote_rate_plan_id=remote_rate_plan_id,
        )
    return booking


def supplier_booking_place(*, booking: Booking, resolve: bool = False) -> SupplierBooking:
    """Place a paid booking at its supplier (idempotent: a placed booking is returned as is). A clear refusal is
    recorded (status ``refused``: the caller cancels ours and refunds); SupplierError (no answer) is raised for the
    caller to retry with the same key.

    A booking no longer confirmed here is not placed, unless ``resolve``: an earlier attempt may have booked the
    room without its answer reaching us, and asking again with the same Idempotency-Key is how we learn it (the
    supplier answers with the booking it made, which the caller then cancels there)."""
    link = SupplierBooking.objects.select_related("supplier", "booking").get(booking=booking)
    if link.status != SupplierBooking.Status.PENDING:
        return link
    if booking.status != Booking.Status.CONFIRMED and not resolve:
        return link
    body = {
        "room_type": link.remote_room_type_id,
        "check_in": booking.check_in.isoformat(),
        "check_out": booking.check_out.isoformat(),
        "adults": booking.adults,
        "children": booking.children,
        "rooms": booking.rooms,
        "guest": {
            "first_name": booking.guest_first_name,
            "last_name": booking.guest_last_name,
            "email": booking.guest_email,
            "phone": booking.guest_phone,
        },
        "expected_total": str(booking.total),
        "partner_reference": booking.reference,
        "special_requests": booking.special_requests,
    }
    if link.remote_rate_plan_id:
        body["rate_plan"] = link.remote_rate_plan_id
    ages = [a for a in booking.children_ages if a is not None]
    if ages and len(ages) == booking.children:
        body["children_ages"] = ages
    client = SupplierClient(link.supplier, read_timeout=settings.SUPPLIER_BOOKING_TIMEOUT)
    try:
        answer = client.booking_create(body=body, idempotency_key=link.idempotency_key)
    except SupplierRefused as exc:
        link.status, link.last_error = SupplierBooking.Status.REFUSED, f"{exc.code}: {exc.message}"[:255]
        link.save(update_fields=["status", "last_error", "updated_at"])
        logger.warning("supplier %s refused %s: %s", link.supplier.name, booking.reference, exc.message)
        return link
    except SupplierError as exc:
        SupplierBooking.objects.filter(pk=link.pk).update(last_error=str(exc)[:255])
        raise
    link.status, link.remote_reference, link.last_error = SupplierBooking.Status.PLACED, answer["reference"][:40], ""
    link.save(update_fields=["status", "remote_reference", "last_error", "updated_at"])
    return link


def supplier_booking_cancel_forward(*, booking: Booking) -> SupplierBooking:
    """Cancel at the supplier a booking cancelled here (idempotent; SupplierError for the caller to retry)."""
    link = SupplierBooking.objects.select_related("supplier").get(booking=booking)
    if link.status != SupplierBooking.Status.PLACED:
        return link
    SupplierClient(link.supplier, read_timeout=settings.SUPPLIER_BOOKING_TIMEOUT).booking_cancel(
        reference=link.remote_reference
    )
    link.status = SupplierBooking.Status.CANCELLED
    link.save(update_fields=["status", "updated_at"])
    return link
