"""Reads for the catalogue and search. Availability and prices are aggregated in PostgreSQL, never in Python loops.

A room type can host a stay when it has a row for every night of the stay, none stop-sold, at least ``rooms``
unsold on every night, and the longest minimum stay among those nights fits the stay ("min stay through").
A party fits ``rooms`` rooms of a type when each room has an adult and the type's limits times ``rooms`` cover it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Window,
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


SORTS = {
    "price": ("best_total", "name", "id"),
    "stars": ("-stars", "best_total", "id"),
    "name": ("name", "id"),
}


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


def hotel_search(
    *,
    city: str,
    stay: Stay,
    sort: str = "price",
    min_total: Decimal | None = None,
    max_total: Decimal | None = None,
    stars: list[int] | None = None,
    amenities: list[str] | None = None,
) -> QuerySet:
    """Hotels in ``city`` that can host ``stay``, each annotated with ``best_total`` (cheapest room type, all
    nights and rooms, before added taxes) and ``result_count`` (matches in all pages, a window count, so a page
    is one query)."""
    best = room_type_offers(stay=stay, hotel=OuterRef("pk")).order_by("total").values("total")[:1]
    hotels = Hotel.objects.filter(city=city, is_active=True)
    if stars:
        hotels = hotels.filter(stars__in=stars)
    for code in amenities or ():
        hotels = hotels.filter(
            Exists(Hotel.amenities.through.objects.filter(hotel_id=OuterRef("pk"), amenity__code=code))
        )
    hotels = hotels.annotate(best_total=Subquery(best)).filter(best_total__isnull=False)
    if min_total is not None:
        hotels = hotels.filter(best_total__gte=min_total)
    if max_total is not None:
        hotels = hotels.filter(best_total__lte=max_total)
    return (
        hotels.annotate(result_count=Window(Count("*")))
        .order_by(*SORTS.get(sort, SORTS["price"]))
        .prefetch_related(
            Prefetch("photos", queryset=HotelPhoto.objects.order_by("position", "id")),
            "amenities",
            "taxes",
        )
    )


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


def search_amenities() -> QuerySet:
    return Amenity.objects.filter(hotels__isnull=False).distinct().order_by("name")


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
            RoomOffer(room_type=room_types[rt_id], total=r["total"], rooms_available=r["rooms_available"],
                      nights=nights[rt_id])
        )
    for offers in result.values():
        offers.sort(key=lambda o: (o.total, o.room_type.name))
    return result


def hotel_offers(*, hotel: Hotel, stay: Stay) -> list[RoomOffer]:
    """Bookable room types of ``hotel`` for ``stay``, cheapest first, each with its nightly rows."""
    return hotels_offers(hotel_ids=[hotel.pk], stay=stay)[hotel.pk]
