"""Reads for the catalogue and search. Availability and prices are aggregated in PostgreSQL, never in Python loops.

A room type can host a stay when it has a row for every night of the stay, none stop-sold, at least ``rooms``
unsold on every night, and the longest minimum stay among those nights fits the stay ("min stay through").
A party fits ``rooms`` rooms of a type when each room has an adult and the type's limits times ``rooms`` cover it.
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    Prefetch,
    QuerySet,
    Sum,
    prefetch_related_objects,
)
from django.db.models.aggregates import Aggregate

from .models import Amenity, Hotel, HotelPhoto, NightInventory, RoomType


class BoolOr(Aggregate):
    function = "BOOL_OR"
    output_field = BooleanField()


@dataclass(frozen=True)
class Stay:
    check_in: date
    check_out: date
    adults: int
    children: int = 0
    rooms: int = 1

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days


SORTS = ("price", "stars", "name")


def room_type_offers(*, stay: Stay, hotel=None) -> QuerySet:
    """One row per bookable room type for ``stay``: ``room_type_id``, ``hotel_id``, ``total`` (all rooms, all
    nights, before added taxes), ``rooms_available`` (the scarcest night)."""
    nights = NightInventory.objects.filter(date__gte=stay.check_in, date__lt=stay.check_out)
    if hotel is not None:  # a Hotel, an id, or OuterRef("pk") inside a hotel query
        nights = nights.filter(room_type__hotel=hotel)
    return (
        nights.filter(room_type__is_active=True)
        .alias(
            cap_adults=F("room_type__max_adults") * stay.rooms,
            cap_children=F("room_type__max_children") * stay.rooms,
            cap_people=F("room_type__max_occupancy") * stay.rooms,
        )
        .filter(
            cap_adults__gte=stay.adults, cap_children__gte=stay.children, cap_people__gte=stay.adults + stay.children
        )
        .values("room_type_id")
        .annotate(
            hotel_id=F("room_type__hotel_id"),
            total=Sum("price") * stay.rooms,
            night_count=Count("*"),
            rooms_available=Min(F("rooms_for_sale") - F("rooms_sold"), output_field=IntegerField()),
            any_stop_sell=BoolOr("stop_sell"),
            longest_min_stay=Max("min_stay"),
        )
        .filter(
            night_count=stay.nights,
            rooms_available__gte=stay.rooms,
            any_stop_sell=False,
            longest_min_stay__lte=stay.nights,
        )
    )


# The results page's query, in SQL because the ORM can't express its shape. Every hotel of the city must be priced
# to sort by price, so the work is: for each of the city's hotels (~200 in the benchmark catalogue), for each room
# type that fits the party, aggregate the stay's nights with an index-only scan of the covering unique index on
# (room_type_id, date), and keep the cheapest. LATERAL joins say exactly that, so PostgreSQL aggregates each room
# type right above its index scan and never sorts or groups the city's room-nights as a whole; the hotel row is
# read once and filtered, counted (window) and sorted as a whole. The same 100 searches on the benchmark catalogue
# (best of 3 each, median): this query 3.7 ms; the previous grouped CTE (sort and GROUP BY all the city's
# room-nights by room type, then by hotel) 5.7 ms; the ORM's correlated subquery (annotate the cheapest offer,
# filter with Exists, Window count) 10.7 ms, as PostgreSQL runs one SubPlan per hotel for the annotation and another
# for the filter, each sorting and grouping its nights. Details in docs/performance.md.
SEARCH_SQL = """
SELECT h.*, best.best_total, COUNT(*) OVER () AS result_count
FROM hotels_hotel AS h
CROSS JOIN LATERAL (
    SELECT MIN(stay_price.room_total) * %(rooms)s AS best_total
    FROM hotels_roomtype AS rt
    CROSS JOIN LATERAL (
        SELECT SUM(n.price) AS room_total
        FROM hotels_nightinventory AS n
        WHERE n.room_type_id = rt.id AND n.date >= %(check_in)s AND n.date < %(check_out)s
        HAVING COUNT(*) = %(nights)s AND NOT BOOL_OR(n.stop_sell)
           AND MIN(n.rooms_for_sale - n.rooms_sold) >= %(rooms)s AND MAX(n.min_stay) <= %(nights)s
    ) AS stay_price
    WHERE rt.hotel_id = h.id AND rt.is_active
      AND rt.max_adults * %(rooms)s >= %(adults)s AND rt.max_children * %(rooms)s >= %(children)s
      AND rt.max_occupancy * %(rooms)s >= %(people)s
) AS best
WHERE h.city = %(city)s AND h.is_active AND best.best_total IS NOT NULL
  AND (%(stars)s::int[] IS NULL OR h.stars = ANY(%(stars)s::int[]))
  AND (%(hotel_ids)s::bigint[] IS NULL OR h.id = ANY(%(hotel_ids)s::bigint[]))
  AND (%(amenities)s::text[] IS NULL OR h.id IN (
        SELECT ha.hotel_id FROM hotels_hotel_amenities AS ha JOIN hotels_amenity AS a ON a.id = ha.amenity_id
        WHERE a.code = ANY(%(amenities)s::text[]) GROUP BY ha.hotel_id
        HAVING COUNT(DISTINCT a.code) = cardinality(%(amenities)s::text[])))
  AND (%(min_total)s::numeric IS NULL OR best.best_total >= %(min_total)s::numeric)
  AND (%(max_total)s::numeric IS NULL OR best.best_total <= %(max_total)s::numeric)
ORDER BY {order}
LIMIT %(limit)s OFFSET %(offset)s
"""

ORDERS = {
    "price": "best.best_total, h.name, h.id",
    "stars": "h.stars DESC, best.best_total, h.id",
    "name": "h.name, h.id",
}


def hotel_search(
    *,
    city: str,
    stay: Stay,
    sort: str = "price",
    min_total: Decimal | None = None,
    max_total: Decimal | None = None,
    stars: list[int] | None = None,
    amenities: list[str] | None = None,
    hotel_ids: list[int] | None = None,
    limit: int | None = None,
    offset: int = 0,
    prefetch: bool = True,
) -> list[Hotel]:
    """One page of the hotels in ``city`` that can host ``stay``, each with ``best_total`` (cheapest room type,
    all nights and rooms, before added taxes) and ``result_count`` (matches over all pages). One query for the
    page, plus three small ones for its photos, amenities and taxes when ``prefetch``."""
    sql, params = hotel_search_sql(
        city=city,
        stay=stay,
        sort=sort,
        min_total=min_total,
        max_total=max_total,
        stars=stars,
        amenities=amenities,
        hotel_ids=hotel_ids,
        limit=limit,
        offset=offset,
    )
    hotels = list(Hotel.objects.raw(sql, params))
    if prefetch:
        prefetch_related_objects(
            hotels, Prefetch("photos", queryset=HotelPhoto.objects.order_by("position", "id")), "amenities", "taxes"
        )
    return hotels


def hotel_search_cached(**kwargs) -> list[Hotel]:
    """:func:`hotel_search` through Django's cache for ``SEARCH_CACHE_SECONDS`` (shared Redis in production).

    Only the results page uses it: a price shown there may be that many seconds old, which is why the booking
    flow prices and checks availability again, under lock, before anything is held or charged.
    """
    seconds = settings.SEARCH_CACHE_SECONDS
    if not seconds:
        return hotel_search(**kwargs)
    key = "search:" + hashlib.sha256(repr(sorted(kwargs.items())).encode()).hexdigest()
    page = cache.get(key)
    if page is None:
        hotels = hotel_search(**kwargs)
        cache.set(key, [(h.pk, h.best_total, h.result_count) for h in hotels], seconds)
        return hotels
    by_id = Hotel.objects.in_bulk([pk for pk, _, _ in page])
    hotels = []
    for pk, best_total, result_count in page:
        if pk in by_id:
            hotel = by_id[pk]
            hotel.best_total, hotel.result_count = best_total, result_count
            hotels.append(hotel)
    prefetch_related_objects(
        hotels, Prefetch("photos", queryset=HotelPhoto.objects.order_by("position", "id")), "amenities", "taxes"
    )
    return hotels


def hotel_search_sql(
    *,
    city,
    stay,
    sort="price",
    min_total=None,
    max_total=None,
    stars=None,
    amenities=None,
    hotel_ids=None,
    limit=None,
    offset=0,
) -> tuple[str, dict]:
    params = {
        "city": city,
        "check_in": stay.check_in,
        "check_out": stay.check_out,
        "nights": stay.nights,
        "adults": stay.adults,
        "children": stay.children,
        "people": stay.adults + stay.children,
        "rooms": stay.rooms,
        "stars": list(stars) if stars else None,
        "amenities": list(amenities) if amenities else None,
        "hotel_ids": list(hotel_ids) if hotel_ids is not None else None,
        "min_total": min_total,
        "max_total": max_total,
        "limit": limit,
        "offset": offset,
    }
    return SEARCH_SQL.format(order=ORDERS.get(sort, ORDERS["price"])), params


def known_cities() -> list[str]:
    """Every city with an active hotel, cached briefly (the suggestions list and the form's validation)."""
    cities = cache.get("hotels:cities")
    if cities is None:
        cities = list(Hotel.objects.filter(is_active=True).values_list("city", flat=True).distinct().order_by("city"))
        cache.set("hotels:cities", cities, 300)
    return cities


def city_suggestions(prefix: str, limit: int = 10) -> list[str]:
    prefix = prefix.strip().casefold()
    return [c for c in known_cities() if c.casefold().startswith(prefix)][:limit] if prefix else known_cities()[:limit]


def search_amenities() -> list[tuple[str, str]]:
    """(code, name) of the amenities hotels offer, for the filters; cached briefly (a DISTINCT over the join)."""
    choices = cache.get("hotels:amenities")
    if choices is None:
        choices = list(
            Amenity.objects.filter(hotels__isnull=False).distinct().order_by("name").values_list("code", "name")
        )
        cache.set("hotels:amenities", choices, 300)
    return choices


@dataclass
class RoomOffer:
    room_type: RoomType
    total: Decimal
    rooms_available: int
    nights: list  # NightInventory rows of the stay, by date


def hotels_offers(*, hotel_ids: list[int], stay: Stay) -> dict[int, list[RoomOffer]]:
    """Bookable room types of several hotels for ``stay``, cheapest first per hotel, each with its nightly rows.
    Three queries whatever the number of hotels (availability, room types, nights)."""
    rows = {r["room_type_id"]: r for r in room_type_offers(stay=stay).filter(room_type__hotel_id__in=hotel_ids)}
    result: dict[int, list[RoomOffer]] = {hotel_id: [] for hotel_id in hotel_ids}
    if not rows:
        return result
    room_types = {
        rt.id: rt
        for rt in RoomType.objects.filter(id__in=rows).select_related("hotel").prefetch_related("amenities", "photos")
    }
    nights: dict[int, list] = {rt_id: [] for rt_id in rows}
    for night in NightInventory.objects.filter(
        room_type_id__in=rows, date__gte=stay.check_in, date__lt=stay.check_out
    ).order_by("date"):
        nights[night.room_type_id].append(night)
    for rt_id, r in rows.items():
        result[r["hotel_id"]].append(
            RoomOffer(
                room_type=room_types[rt_id],
                total=r["total"],
                rooms_available=r["rooms_available"],
                nights=nights[rt_id],
            )
        )
    for offers in result.values():
        offers.sort(key=lambda o: (o.total, o.room_type.name))
    return result


def hotel_offers(*, hotel: Hotel, stay: Stay) -> list[RoomOffer]:
    """Bookable room types of ``hotel`` for ``stay``, cheapest first, each with its nightly rows."""
    return hotels_offers(hotel_ids=[hotel.pk], stay=stay)[hotel.pk]
