"""Reads of the partner API: which hotels a partner sells, its bookings, and offers priced by the one pricing
function (``hotels.pricing.stay_quote``)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet, prefetch_related_objects

from bookings.models import Booking
from bookings.policy import cancellation_policy_snapshot, policy_summary
from hotels.models import Hotel, RoomType
from hotels.pricing import Quote, stay_quote
from hotels.selectors import RoomOffer, Stay, hotel_search, hotels_offers, known_cities

from .models import Partner


def partner_hotels(partner: Partner) -> QuerySet:
    """The hotels a partner may sell: its list, or every active hotel when the list is empty."""
    hotels = Hotel.objects.filter(is_active=True)
    if partner.hotels.exists():
        hotels = hotels.filter(partners=partner)
    return hotels


def partner_hotel_ids(partner: Partner) -> list[int] | None:
    """The ids of a limited partner's hotels, or None when it sells every hotel (for ``hotel_search``)."""
    if not partner.hotels.exists():
        return None
    return list(partner.hotels.filter(is_active=True).values_list("pk", flat=True))


def partner_room_type(partner: Partner, room_type_id: int) -> RoomType | None:
    """An active room type of a hotel the partner sells, or None (the API answers 404 either way)."""
    return (
        RoomType.objects.select_related("hotel")
        .filter(pk=room_type_id, is_active=True, hotel__in=partner_hotels(partner))
        .first()
    )


def partner_bookings(
    partner: Partner,
    *,
    status: str = "",
    check_in_from: date | None = None,
    check_in_to: date | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
) -> QuerySet:
    """A partner's own bookings, newest first; every date bound is inclusive (created dates in UTC)."""
    bookings = Booking.objects.filter(partner=partner).select_related("hotel", "room_type")
    if status:
        bookings = bookings.filter(status=status)
    if check_in_from:
        bookings = bookings.filter(check_in__gte=check_in_from)
    if check_in_to:
        bookings = bookings.filter(check_in__lte=check_in_to)
    if created_from:
        bookings = bookings.filter(created_at__date__gte=created_from)
    if created_to:
        bookings = bookings.filter(created_at__date__lte=created_to)
    return bookings.order_by("-created_at", "-id")


def offer_quote(offer: RoomOffer, *, stay: Stay, hotel: Hotel) -> Quote:
    """The price of ``offer`` for ``stay``, exactly as ``booking_hold`` would compute it now.
    ``hotel.taxes`` should be prefetched when quoting many offers."""
    return stay_quote(
        currency=hotel.currency,
        nightly_prices=[(n.date, n.price) for n in offer.nights],
        rooms=stay.rooms,
        adults=stay.adults,
        children=stay.children,
        taxes=hotel.taxes.all(),
    )


def room_type_quote(room_type: RoomType, *, stay: Stay) -> Quote | None:
    """Today's price of one room type for ``stay``, or None when it can't host the stay (sold out, closed)."""
    offers = hotels_offers(hotel_ids=[room_type.hotel_id], stay=stay)[room_type.hotel_id]
    offer = next((o for o in offers if o.room_type.pk == room_type.pk), None)
    return None if offer is None else offer_quote(offer, stay=stay, hotel=room_type.hotel)


def policy_data(policy: dict) -> dict:
    """A stored cancellation policy with its one-line summary."""
    return {**policy, "summary": policy_summary(policy)}


def offer_policy(hotel: Hotel, stay: Stay) -> dict:
    return policy_data(cancellation_policy_snapshot(hotel, stay.check_in))


@dataclass
class HotelAvailability:
    hotel: Hotel
    offers: list[tuple[RoomOffer, Quote]]  # cheapest first
    cancellation_policy: dict  # with its summary


def partner_availability(
    partner: Partner, *, stay: Stay, city: str = "", hotel_id: int | None = None, page: int = 1, page_size: int = 20
) -> tuple[list[HotelAvailability], int]:
    """One page of the hotels ``partner`` sells that can host ``stay`` (in ``city``, or the one hotel
    ``hotel_id``), each with its offers priced by ``stay_quote``; and the number of such hotels over all pages.

    A handful of queries whatever the page holds: the search page, its amenities and taxes, then the offers
    (``hotels_offers``: availability, room types, nights); nothing per hotel.
    """
    if hotel_id:
        hotels = list(partner_hotels(partner).filter(pk=hotel_id))
    else:
        known = next((c for c in known_cities() if c.casefold() == city.strip().casefold()), None)
        hotels = []
        if known:
            hotels = hotel_search(
                city=known,
                stay=stay,
                hotel_ids=partner_hotel_ids(partner),
                limit=page_size,
                offset=(page - 1) * page_size,
                prefetch=False,  # the API shows no photos
            )
    prefetch_related_objects(hotels, "amenities", "taxes")
    offers = hotels_offers(hotel_ids=[h.pk for h in hotels], stay=stay)
    page_of_hotels = [
        HotelAvailability(
            hotel=hotel,
            offers=[(offer, offer_quote(offer, stay=stay, hotel=hotel)) for offer in offers[hotel.pk]],
            cancellation_policy=offer_policy(hotel, stay),
        )
        for hotel in hotels
        if offers[hotel.pk]
    ]
    count = hotels[0].result_count if hotels and not hotel_id else len(page_of_hotels)
    return page_of_hotels, count
