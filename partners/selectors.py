"""Reads of the partner API: which hotels a partner sells, its bookings, and offers priced by the one pricing
function (``hotels.pricing.stay_quote``)."""

from dataclasses import dataclass
from datetime import date

from django.db import connections, router
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from bookings.models import Booking, RoomLine
from hotels.models import Hotel, RatePlan, RoomType
from hotels.offer_rows import OfferRow, hotels_offer_rows
from hotels.offers import RoomOffer, default_rate_plan, hotels_offers
from hotels.policy import policy_summary
from hotels.search import hotel_search, known_cities
from hotels.stay import Stay

from .models import Partner


def partner_hotels(partner: Partner) -> QuerySet:
    """The hotels a partner may sell: its list, or every active hotel when the list is empty."""
    hotels = Hotel.objects.filter(is_active=True)
    if partner.hotels.exists():
        hotels = hotels.filter(partners=partner)
    return hotels


def partner_hotel_ids(partner: Partner) -> list[int] | None:
    """The ids of a limited partner's active hotels, or None when it sells every hotel (for ``hotel_search``).
    One plain query (the partner API asks on every availability question)."""
    with connections[router.db_for_read(Hotel)].cursor() as cursor:  # where main's Hotel queries read
        cursor.execute(PARTNER_HOTELS_SQL, {"partner_id": partner.pk})
        listed = cursor.fetchall()
    if not listed:
        return None
    return [hotel_id for hotel_id, is_active in listed if is_active]


PARTNER_HOTELS_SQL = """
SELECT h.id, h.is_active FROM partners_partner_hotels AS ph JOIN hotels_hotel AS h ON h.id = ph.hotel_id
WHERE ph.partner_id = %(partner_id)s
"""

# The hotels' amenity codes in the order of ``Hotel.amenities`` (Amenity's ordering: its name column).
AMENITY_CODES_SQL = """
SELECT ha.hotel_id, a.code FROM hotels_hotel_amenities AS ha JOIN hotels_amenity AS a ON a.id = ha.amenity_id
WHERE ha.hotel_id = ANY(%(hotel_ids)s::bigint[])
ORDER BY a.name, ha.amenity_id
"""


def partner_room_type(partner: Partner, room_type_id: int) -> RoomType | None:
    """An active room type of a hotel the partner sells, or None (the API answers 404 either way). One query: the
    partner's list (:func:`partner_hotels`: its hotels, or every active hotel when the list is empty) is asked
    inside it."""
    listed = Partner.hotels.through.objects.filter(partner=partner)
    return (
        RoomType.objects.select_related("hotel")
        .filter(pk=room_type_id, is_active=True, hotel__is_active=True)
        .filter(Exists(listed.filter(hotel=OuterRef("hotel_id"))) | ~Exists(listed))
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
    bookings = (
        Booking.objects.filter(partner=partner)
        .select_related("hotel", "room_type", "saved_card")
        .prefetch_related(Prefetch("lines", queryset=RoomLine.objects.select_related("room_type")), "scheduled_charges")
    )
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


def rate_plan_offer(rate_plan: RatePlan, *, stay: Stay) -> RoomOffer | None:
    """Today's offer for one rate plan and ``stay``, priced as ``booking_hold`` would price it, or None when it
    can't host the stay (sold out, closed)."""
    offers = hotels_offers(hotel_ids=[rate_plan.room_type.hotel_id], stay=stay)[rate_plan.room_type.hotel_id]
    return next((o for o in offers if o.rate_plan.pk == rate_plan.pk), None)


def partner_rate_plan(partner: Partner, room_type: RoomType, rate_plan_id: int | None) -> RatePlan | None:
    """The active plan ``rate_plan_id`` of ``room_type``, or its default plan when no id is given (requests from
    before rate plans); None when there is no such plan."""
    if rate_plan_id is None:
        return default_rate_plan(room_type)
    return room_type.rate_plans.filter(pk=rate_plan_id, is_active=True).select_related("room_type__hotel").first()


def policy_data(policy: dict) -> dict:
    """A stored cancellation policy with its one-line summary."""
    return {**policy, "summary": policy_summary(policy)}


@dataclass
class HotelAvailability:
    hotel: Hotel
    offers: list[OfferRow]  # cheapest first, one per (room type, rate plan)


def partner_availability(
    partner: Partner, *, stay: Stay, city: str = "", hotel_id: int | None = None, page: int = 1, page_size: int = 20
) -> tuple[list[HotelAvailability], int]:
    """One page of the hotels ``partner`` sells that can host ``stay`` (in ``city``, or the one hotel
    ``hotel_id``), each with its offers priced as ``stay_quote`` prices them (``hotels_offer_rows``) and
    ``amenity_codes``; and the number of such hotels over all pages.

    A handful of plain queries whatever the page holds: the partner's list, the search page, its amenities, then
    the offers; nothing per hotel.
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
    codes: dict[int, list[str]] = {hotel.pk: [] for hotel in hotels}
    if codes:
        with connections[router.db_for_read(Hotel)].cursor() as cursor:  # a replica where the view reads one
            cursor.execute(AMENITY_CODES_SQL, {"hotel_ids": list(codes)})
            for hotel_id, code in cursor.fetchall():
                codes[hotel_id].append(code)
    for hotel in hotels:
        hotel.amenity_codes = codes[hotel.pk]  # in the order of Hotel.amenities (Amenity's ordering: name)
    offers = hotels_offer_rows(hotels=hotels, stay=stay)
    page_of_hotels = [HotelAvailability(hotel=hotel, offers=offers[hotel.pk]) for hotel in hotels if offers[hotel.pk]]
    count = hotels[0].result_count if hotels and not hotel_id else len(page_of_hotels)
    return page_of_hotels, count
