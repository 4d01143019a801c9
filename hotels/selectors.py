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

from .models import Amenity, Hotel, HotelPhoto, NightInventory, RatePlan, RatePlanNight, RoomType
from .policy import cancellation_policy_snapshot, policy_line
from .pricing import (
    ChildBand,
    Occupancy,
    Quote,
    RateClosed,
    plan_closed_reason,
    plan_nightly_prices,
    stay_quote,
)
from .stay import Stay


class BoolOr(Aggregate):
    function = "BOOL_OR"
    output_field = BooleanField()


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
# type that fits the party, for each of its active rate plans, aggregate the stay's nights with an index scan of
# the covering unique index on (room_type_id, date), priced as the plan prices them, and keep the cheapest (room
# type, rate plan). LATERAL joins say exactly that, so PostgreSQL aggregates each plan right above its index scan
# and never sorts or groups the city's room-nights as a whole; the hotel row is read once and filtered, counted
# (window) and sorted as a whole. The accommodation total is computed exactly as ``hotels.pricing.stay_quote``
# computes ``room_total`` (same per-night rounding of derived plans, same supplements), which a test holds equal.
# History of the query's shape and its timings: docs/performance.md.
SEARCH_SQL = """
SELECT h.*, best.best_total, best.best_room_type_id, best.best_rate_plan_id, best.best_room_type_name,
       best.best_plan_name, best.best_meal_plan, best.best_free_days, best.best_penalty, best.best_penalty_percent,
       priced.grand_total, COUNT(*) OVER () AS result_count
FROM hotels_hotel AS h
CROSS JOIN LATERAL (
    -- The children's charge per night by the hotel's bands, and how many are older than every band (they pay as
    -- extra adults, at each room type's supplement). No bands: children are not charged.
    SELECT COALESCE(SUM(charge.price), 0) AS band_price, COUNT(*) FILTER (WHERE charge.over) AS over_bands
    FROM unnest(%(ages)s::int[]) AS age
    CROSS JOIN LATERAL (
        SELECT CASE WHEN COUNT(*) = 0 THEN 0
                    WHEN age IS NULL THEN MAX(b.price)
                    ELSE COALESCE(MAX(b.price) FILTER (WHERE age BETWEEN b.min_age AND b.max_age), 0)
               END AS price,
               COUNT(*) > 0 AND age IS NOT NULL
                   AND COUNT(*) FILTER (WHERE age BETWEEN b.min_age AND b.max_age) = 0 AS over
        FROM hotels_childageband AS b WHERE b.hotel_id = h.id
    ) AS charge
) AS children
CROSS JOIN LATERAL (
    SELECT plan_nights.amount
           + CASE p.derivation
                WHEN 'percent' THEN ROUND(plan_nights.amount * p.derivation_value / 100, 2)
                WHEN 'amount' THEN GREATEST(p.derivation_value * %(nights)s * %(rooms)s, -plan_nights.amount)
                ELSE 0
             END
           + %(nights)s * ((GREATEST(%(adults)s - rt.base_occupancy * %(rooms)s, 0) + children.over_bands)
                           * rt.extra_adult_price + children.band_price) AS best_total,
           rt.id AS best_room_type_id, p.id AS best_rate_plan_id, rt.name AS best_room_type_name,
           p.name AS best_plan_name, p.meal_plan AS best_meal_plan, p.free_cancellation_days AS best_free_days,
           p.cancellation_penalty AS best_penalty, p.cancellation_penalty_percent AS best_penalty_percent
    FROM hotels_roomtype AS rt
    CROSS JOIN LATERAL (
        SELECT SUM(n.price) AS amount
        FROM hotels_nightinventory AS n
        WHERE n.room_type_id = rt.id AND n.date >= %(check_in)s AND n.date < %(check_out)s
        HAVING COUNT(*) = %(nights)s AND NOT BOOL_OR(n.stop_sell)
           AND MIN(n.rooms_for_sale - n.rooms_sold) >= %(rooms)s AND MAX(n.min_stay) <= %(nights)s
    ) AS stay_nights
    JOIN hotels_rateplan AS p ON p.room_type_id = rt.id AND p.is_active
    CROSS JOIN LATERAL (
        SELECT CASE
        -- A plan whose own nights (or its parent's) miss the stay prices the room type's nights; most do.
        WHEN p.nights_to IS NULL OR p.nights_to < %(check_in)s OR p.nights_from > %(check_out)s THEN
            CASE WHEN p.min_stay <= %(nights)s AND COALESCE(p.max_stay, 32767) >= %(nights)s
                 THEN stay_nights.amount * %(rooms)s END
        -- Otherwise its nights change prices or rules (a function of migration hotels 0005, planned only then).
        ELSE hotels_plan_nights_amount(p.id, COALESCE(p.parent_id, p.id), rt.id, p.min_stay, p.max_stay,
                                       %(check_in)s, %(check_out)s, %(rooms)s)
        END AS amount
    ) AS plan_nights
    WHERE rt.hotel_id = h.id AND rt.is_active
      AND rt.max_adults * %(rooms)s >= %(adults)s AND rt.max_children * %(rooms)s >= %(children)s
      AND rt.max_occupancy * %(rooms)s >= %(people)s
    ORDER BY 1 NULLS LAST, rt.name, rt.id, p.position, p.id
    LIMIT 1
) AS best
CROSS JOIN LATERAL (
    -- What the guest pays: the added taxes and fees on top (hotels.pricing.tax_lines), for sorting and filtering
    -- by the total the page shows.
    SELECT best.best_total + COALESCE(SUM(CASE t.kind
        WHEN 'percent' THEN ROUND(best.best_total * t.amount / 100, 2)
        WHEN 'per_person_night' THEN t.amount * %(people)s * %(nights)s
        ELSE t.amount * %(rooms)s
    END), 0) AS grand_total
    FROM hotels_hoteltax AS t
    WHERE t.hotel_id = h.id AND NOT t.included_in_price
) AS priced
WHERE h.city = %(city)s AND h.is_active AND best.best_total IS NOT NULL
  AND (%(stars)s::int[] IS NULL OR h.stars = ANY(%(stars)s::int[]))
  AND (%(hotel_ids)s::bigint[] IS NULL OR h.id = ANY(%(hotel_ids)s::bigint[]))
  AND (%(amenities)s::text[] IS NULL OR h.id IN (
        SELECT ha.hotel_id FROM hotels_hotel_amenities AS ha JOIN hotels_amenity AS a ON a.id = ha.amenity_id
        WHERE a.code = ANY(%(amenities)s::text[]) GROUP BY ha.hotel_id
        HAVING COUNT(DISTINCT a.code) = cardinality(%(amenities)s::text[])))
  AND (%(min_total)s::numeric IS NULL OR priced.grand_total >= %(min_total)s::numeric)
  AND (%(max_total)s::numeric IS NULL OR priced.grand_total <= %(max_total)s::numeric)
ORDER BY {order}
LIMIT %(limit)s OFFSET %(offset)s
"""

ORDERS = {
    "price": "priced.grand_total, h.name, h.id",
    "stars": "h.stars DESC, priced.grand_total, h.id",
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
    """One page of the hotels in ``city`` that can host ``stay``, sorted and filtered by what the guest pays, each
    with ``best_total`` (the cheapest room type and rate plan: nights, plan adjustment and supplements, before added
    taxes), ``grand_total`` (with the added taxes and fees), the ``best_*`` columns of that offer, and
    ``result_count`` (matches over all pages). One query for the page; with ``prefetch``, the hotels' cards
    (:func:`hotel_cards`, cached) and ``best_plan``."""
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
        _search_page_prefetch(hotels)
    return hotels


BEST_FIELDS = (
    "best_total",
    "best_room_type_id",
    "best_rate_plan_id",
    "best_room_type_name",
    "best_plan_name",
    "best_meal_plan",
    "best_free_days",
    "best_penalty",
    "best_penalty_percent",
    "grand_total",
    "result_count",
)
CARD_SECONDS = 300


def _search_page_prefetch(hotels: list[Hotel]) -> None:
    """What a results page shows of each hotel: its card (photos, amenities, taxes: :func:`hotel_cards`) and its
    cheapest offer's rate plan as ``best_plan`` (an unsaved ``RatePlan`` with its room type, from the search's own
    columns: no query)."""
    cards = hotel_cards([h.pk for h in hotels])
    for hotel in hotels:
        hotel.card_photos, hotel.card_amenities, hotel.card_taxes = cards[hotel.pk]
        hotel.best_plan = RatePlan(
            pk=hotel.best_rate_plan_id,
            name=hotel.best_plan_name,
            meal_plan=hotel.best_meal_plan,
            free_cancellation_days=hotel.best_free_days,
            cancellation_penalty=hotel.best_penalty,
            cancellation_penalty_percent=hotel.best_penalty_percent,
            room_type=RoomType(pk=hotel.best_room_type_id, name=hotel.best_room_type_name, hotel=hotel),
        )


def card_key(hotel_id: int) -> str:
    return f"hotel-card:{hotel_id}"


def hotel_cards(hotel_ids: list[int]) -> dict[int, tuple[list, list, list]]:
    """(photos, amenities, taxes) of each hotel for the results page, through Django's cache (Redis in production)
    for ``CARD_SECONDS``; the misses in three queries. ``hotels.signals`` drops a hotel's card when its photos,
    amenities or taxes change, so a price on the results page never uses an old tax."""
    cached = cache.get_many([card_key(pk) for pk in hotel_ids])
    cards = {pk: cached[card_key(pk)] for pk in hotel_ids if card_key(pk) in cached}
    missing = [pk for pk in hotel_ids if pk not in cards]
    if missing:
        hotels = list(Hotel.objects.filter(pk__in=missing).only("pk"))
        prefetch_related_objects(
            hotels, Prefetch("photos", queryset=HotelPhoto.objects.order_by("position", "id")), "amenities", "taxes"
        )
        fresh = {h.pk: (list(h.photos.all()), list(h.amenities.all()), list(h.taxes.all())) for h in hotels}
        cache.set_many({card_key(pk): card for pk, card in fresh.items()}, CARD_SECONDS)
        cards.update(fresh)
    return {pk: cards.get(pk, ([], [], [])) for pk in hotel_ids}


def hotel_search_cached(**kwargs) -> list[Hotel]:
    """:func:`hotel_search` through Django's cache for ``SEARCH_CACHE_SECONDS`` (shared Redis in production).

    Only the results page uses it: a price shown there may be that many seconds old, which is why the booking
    flow prices and checks availability again, under lock, before anything is held or charged.
    """
    seconds = settings.SEARCH_CACHE_SECONDS
    if not seconds:
        return hotel_search(**kwargs)
    key = "search4:" + hashlib.sha256(repr(sorted(kwargs.items())).encode()).hexdigest()
    page = cache.get(key)
    if page is None:
        hotels = hotel_search(**kwargs)
        cache.set(key, [(h.pk, [getattr(h, f) for f in BEST_FIELDS]) for h in hotels], seconds)
        return hotels
    by_id = Hotel.objects.in_bulk([pk for pk, _ in page])
    hotels = []
    for pk, values in page:
        if pk in by_id:
            hotel = by_id[pk]
            for name, value in zip(BEST_FIELDS, values, strict=True):
                setattr(hotel, name, value)
            hotels.append(hotel)
    _search_page_prefetch(hotels)
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
        "ages": list(stay.ages),
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


def occupancy_of(room_type: RoomType) -> Occupancy:
    """The room type's occupancy pricing; ``room_type.hotel.child_bands`` should be prefetched for many."""
    return Occupancy(
        base_adults=room_type.base_occupancy,
        extra_adult_price=room_type.extra_adult_price,
        child_bands=tuple(ChildBand(b.min_age, b.max_age, b.price) for b in room_type.hotel.child_bands.all()),
    )


@dataclass
class RoomOffer:
    """One way to book a stay: a room type under one of its rate plans, priced by ``stay_quote``."""

    room_type: RoomType
    rate_plan: RatePlan
    quote: Quote
    rooms_available: int
    policy: dict  # the cancellation policy snapshot this offer would be booked under

    @property
    def total(self) -> Decimal:
        return self.quote.total

    @property
    def policy_line(self) -> str:
        return policy_line(self.policy)


def _overrides_by_plan(plan_ids, *, check_in: date, check_out: date) -> dict[int, dict]:
    """The plans' ``RatePlanNight`` rows from arrival to departure day included, by plan and date."""
    by_plan: dict[int, dict] = {pk: {} for pk in plan_ids}
    for night in RatePlanNight.objects.filter(rate_plan_id__in=plan_ids, date__gte=check_in, date__lte=check_out):
        by_plan[night.rate_plan_id][night.date] = night
    return by_plan


def plan_quote(
    *, rate_plan: RatePlan, room_type: RoomType, stay: Stay, base_prices: list, overrides: dict[int, dict]
) -> Quote:
    """Price ``stay`` under ``rate_plan`` from the room type's night prices; raises :class:`RateClosed` when the
    plan's rules refuse the stay. ``overrides`` holds the plan's and its parent's ``RatePlanNight`` rows."""
    own = overrides.get(rate_plan.pk, {})
    reason = plan_closed_reason(rate_plan, check_in=stay.check_in, check_out=stay.check_out, own=own)
    if reason:
        raise RateClosed(reason)
    hotel = room_type.hotel
    return stay_quote(
        currency=hotel.currency,
        nightly_prices=plan_nightly_prices(rate_plan, base_prices, own, overrides.get(rate_plan.parent_id, {})),
        rooms=stay.rooms,
        adults=stay.adults,
        children_ages=stay.ages,
        occupancy=occupancy_of(room_type),
        taxes=hotel.taxes.all(),
        plan=rate_plan,
    )


def rate_plan_quote(*, rate_plan: RatePlan, stay: Stay, base_prices: list) -> Quote:
    """:func:`plan_quote` for one plan, reading its rules (the booking services' path)."""
    plan_ids = [rate_plan.pk] + ([rate_plan.parent_id] if rate_plan.parent_id else [])
    overrides = _overrides_by_plan(plan_ids, check_in=stay.check_in, check_out=stay.check_out)
    return plan_quote(
        rate_plan=rate_plan, room_type=rate_plan.room_type, stay=stay, base_prices=base_prices, overrides=overrides
    )


def default_rate_plan(room_type: RoomType) -> RatePlan | None:
    """The plan an order that names no plan is sold under (older partner API clients): the first active plan
    with prices of its own."""
    plans = room_type.rate_plans.filter(is_active=True)
    return plans.filter(parent__isnull=True).first() or plans.first()


def hotels_offers(*, hotel_ids: list[int], stay: Stay) -> dict[int, list[RoomOffer]]:
    """Bookable (room type, rate plan) offers of several hotels for ``stay``, cheapest first per hotel.
    Eight queries whatever the number of hotels (availability, room types, their amenities and plans, the hotels'
    taxes and child bands, nights, the plans' own nights); every price from ``stay_quote``."""
    rows = {r["room_type_id"]: r for r in room_type_offers(stay=stay).filter(room_type__hotel_id__in=hotel_ids)}
    result: dict[int, list[RoomOffer]] = {hotel_id: [] for hotel_id in hotel_ids}
    if not rows:
        return result
    room_types = list(
        RoomType.objects.filter(id__in=rows)
        .select_related("hotel")
        .prefetch_related(
            "amenities",
            Prefetch("rate_plans", queryset=RatePlan.objects.filter(is_active=True), to_attr="active_plans"),
        )
    )
    prefetch_related_objects([rt.hotel for rt in room_types], "taxes", "child_bands")
    nights: dict[int, list] = {rt_id: [] for rt_id in rows}
    for night in NightInventory.objects.filter(
        room_type_id__in=rows, date__gte=stay.check_in, date__lt=stay.check_out
    ).order_by("date"):
        nights[night.room_type_id].append((night.date, night.price))
    plan_ids = [plan.pk for rt in room_types for plan in rt.active_plans]
    overrides = _overrides_by_plan(plan_ids, check_in=stay.check_in, check_out=stay.check_out)
    for room_type in room_types:
        for plan in room_type.active_plans:
            try:
                quote = plan_quote(
                    rate_plan=plan,
                    room_type=room_type,
                    stay=stay,
                    base_prices=nights[room_type.pk],
                    overrides=overrides,
                )
            except RateClosed:
                continue
            result[room_type.hotel_id].append(
                RoomOffer(
                    room_type=room_type,
                    rate_plan=plan,
                    quote=quote,
                    rooms_available=rows[room_type.pk]["rooms_available"],
                    policy=cancellation_policy_snapshot(plan, room_type.hotel, stay.check_in),
                )
            )
    for offers in result.values():
        offers.sort(key=lambda o: (o.quote.total, o.room_type.name, o.rate_plan.position, o.rate_plan.pk))
    return result


def hotel_offers(*, hotel: Hotel, stay: Stay) -> list[RoomOffer]:
    """Bookable (room type, rate plan) offers of ``hotel`` for ``stay``, cheapest first."""
    return hotels_offers(hotel_ids=[hotel.pk], stay=stay)[hotel.pk]
