"""The results page's search: one page of a city's hotels that can host a stay, each priced by its cheapest offer,
in one SQL query (the same rules as ``hotels.offers``, the same arithmetic as ``hotels.pricing.stay_quote``); the
result cache in front of it; the cities and amenities the search form offers."""

import hashlib
from decimal import Decimal
from functools import cache as memoized
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation
from modeltranslation.utils import build_localized_fieldname
from modeltranslation.utils import get_language as mt_language

from .cards import hotel_cards
from .cities import city_labels
from .models import Amenity, Hotel, RatePlan
from .stay import RoomParty, Stay

SORTS = ("price", "stars", "name")


# Which of a city's hotels a search may show (the filters both searches below share): the stars and amenities
# the guest asked for, and a partner's own list of hotels.
HOTEL_FILTERS_SQL = """
  AND (%(stars)s::int[] IS NULL OR h.stars = ANY(%(stars)s::int[]))
  AND (%(hotel_ids)s::bigint[] IS NULL OR h.id = ANY(%(hotel_ids)s::bigint[]))
  AND (%(amenities)s::text[] IS NULL OR h.id IN (
        SELECT ha.hotel_id FROM hotels_hotel_amenities AS ha JOIN hotels_amenity AS a ON a.id = ha.amenity_id
        WHERE a.code = ANY(%(amenities)s::text[]) GROUP BY ha.hotel_id
        HAVING COUNT(DISTINCT a.code) = cardinality(%(amenities)s::text[])))
"""


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
           rt.id AS best_room_type_id, p.id AS best_rate_plan_id, {room_type_name} AS best_room_type_name,
           {plan_name} AS best_plan_name, p.meal_plan AS best_meal_plan, p.free_cancellation_days AS best_free_days,
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
  -- hotel filters
  AND (%(min_total)s::numeric IS NULL OR priced.grand_total >= %(min_total)s::numeric)
  AND (%(max_total)s::numeric IS NULL OR priced.grand_total <= %(max_total)s::numeric)
ORDER BY {order}
LIMIT %(limit)s OFFSET %(offset)s
"""

SEARCH_SQL = SEARCH_SQL.replace("  -- hotel filters\n", HOTEL_FILTERS_SQL.lstrip("\n"))

ORDERS = {
    "price": "priced.grand_total, h.name, h.id",
    "stars": "h.stars DESC, priced.grand_total, h.id",
    "name": "h.name, h.id",
}


# A room configuration (``Stay.party``, several rooms each with its own party): for each of the city's hotels, each
# active room type with every night of the stay for sale (one index-only range scan, as above) and each distinct
# room party it can host in one room, the cheapest of its plans for that party in one room — the same arithmetic as
# SEARCH_SQL with one room, so each line's total is ``stay_quote``'s for that room — with the line's added taxes.
# Which rooms go in which room types (no more rooms of a type than it has left) is decided by
# :func:`_cheapest_combination`.
PARTY_SEARCH_SQL = """
WITH party AS (
    SELECT k::int AS k, adults, COALESCE(string_to_array(NULLIF(ages, ''), ',')::int[], '{{}}'::int[]) AS ages
    FROM unnest(%(party_adults)s::int[], %(party_ages)s::text[]) WITH ORDINALITY AS party(adults, ages, k)
)
SELECT h.id, h.name, h.stars, party.k, rt.id AS room_type_id, {room_type_name} AS room_type_name,
       stay_nights.rooms_available, best.line_total, priced.line_grand, best.rate_plan_id, best.plan_name,
       best.meal_plan, best.free_days, best.penalty, best.penalty_percent
FROM hotels_hotel AS h
JOIN hotels_roomtype AS rt ON rt.hotel_id = h.id AND rt.is_active
CROSS JOIN LATERAL (
    SELECT SUM(n.price) AS amount, MIN(n.rooms_for_sale - n.rooms_sold) AS rooms_available
    FROM hotels_nightinventory AS n
    WHERE n.room_type_id = rt.id AND n.date >= %(check_in)s AND n.date < %(check_out)s
    HAVING COUNT(*) = %(nights)s AND NOT BOOL_OR(n.stop_sell)
       AND MIN(n.rooms_for_sale - n.rooms_sold) >= 1 AND MAX(n.min_stay) <= %(nights)s
) AS stay_nights
JOIN party ON rt.max_adults >= party.adults AND rt.max_children >= cardinality(party.ages)
          AND rt.max_occupancy >= party.adults + cardinality(party.ages)
CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(charge.price), 0) AS band_price, COUNT(*) FILTER (WHERE charge.over) AS over_bands
    FROM unnest(party.ages) AS age
    CROSS JOIN LATERAL (
        SELECT CASE WHEN COUNT(*) = 0 THEN 0
                    ELSE COALESCE(MAX(b.price) FILTER (WHERE age BETWEEN b.min_age AND b.max_age), 0)
               END AS price,
               COUNT(*) > 0 AND COUNT(*) FILTER (WHERE age BETWEEN b.min_age AND b.max_age) = 0 AS over
        FROM hotels_childageband AS b WHERE b.hotel_id = h.id
    ) AS charge
) AS children
CROSS JOIN LATERAL (
    SELECT plan_nights.amount
           + CASE p.derivation
                WHEN 'percent' THEN ROUND(plan_nights.amount * p.derivation_value / 100, 2)
                WHEN 'amount' THEN GREATEST(p.derivation_value * %(nights)s, -plan_nights.amount)
                ELSE 0
             END
           + %(nights)s * ((GREATEST(party.adults - rt.base_occupancy, 0) + children.over_bands)
                           * rt.extra_adult_price + children.band_price) AS line_total,
           p.id AS rate_plan_id, {plan_name} AS plan_name, p.meal_plan, p.free_cancellation_days AS free_days,
           p.cancellation_penalty AS penalty, p.cancellation_penalty_percent AS penalty_percent
    FROM hotels_rateplan AS p
    CROSS JOIN LATERAL (
        SELECT CASE
        WHEN p.nights_to IS NULL OR p.nights_to < %(check_in)s OR p.nights_from > %(check_out)s THEN
            CASE WHEN p.min_stay <= %(nights)s AND COALESCE(p.max_stay, 32767) >= %(nights)s
                 THEN stay_nights.amount END
        ELSE hotels_plan_nights_amount(p.id, COALESCE(p.parent_id, p.id), rt.id, p.min_stay, p.max_stay,
                                       %(check_in)s, %(check_out)s, 1)
        END AS amount
    ) AS plan_nights
    WHERE p.room_type_id = rt.id AND p.is_active
    ORDER BY 1 NULLS LAST, p.position, p.id
    LIMIT 1
) AS best
CROSS JOIN LATERAL (
    SELECT best.line_total + COALESCE(SUM(CASE t.kind
        WHEN 'percent' THEN ROUND(best.line_total * t.amount / 100, 2)
        WHEN 'per_person_night' THEN t.amount * (party.adults + cardinality(party.ages)) * %(nights)s
        ELSE t.amount
    END), 0) AS line_grand
    FROM hotels_hoteltax AS t
    WHERE t.hotel_id = h.id AND NOT t.included_in_price
) AS priced
WHERE h.city = %(city)s AND h.is_active AND best.line_total IS NOT NULL
  -- hotel filters
"""
PARTY_SEARCH_SQL = PARTY_SEARCH_SQL.replace("  -- hotel filters\n", HOTEL_FILTERS_SQL.lstrip("\n"))


def _in_language(alias: str, field: str) -> str:
    """SQL for the translated ``field`` of the row ``alias`` as the models read it (django-modeltranslation,
    hotels/translation.py): the active language's column, else the default language's, else the original column.
    Column names come from settings.LANGUAGES (modeltranslation's own list), never from the request."""
    codes = dict.fromkeys([mt_language(), settings.MODELTRANSLATION_DEFAULT_LANGUAGE])
    columns = [f"NULLIF({alias}.{build_localized_fieldname(field, code)}, '')" for code in codes]
    return f"COALESCE({', '.join(columns)}, {alias}.{field})"


def _names_in_language() -> dict[str, str]:
    """The search queries' room type and rate plan name columns, in the reader's language."""
    return {"room_type_name": _in_language("rt", "name"), "plan_name": _in_language("p", "name")}


class PartyLine(NamedTuple):
    """One room of a configuration as the search placed it: the room type and its cheapest plan for that room's
    party, ``line_total`` the accommodation (``stay_quote``'s ``room_total`` for one room) and ``line_grand`` with
    the added taxes."""

    party: RoomParty
    room_type_id: int
    room_type_name: str
    rate_plan_id: int
    plan_name: str
    meal_plan: str
    free_days: int | None
    penalty: str
    penalty_percent: Decimal | None
    line_total: Decimal
    line_grand: Decimal


def _cheapest_combination(rooms: tuple[RoomParty, ...], options: dict) -> tuple[PartyLine, ...] | None:
    """The cheapest way (by what the guest pays, then room type and plan ids) to give each room of ``rooms`` a room
    type that can host its party, using no more rooms of a type than it has left; None when there is none.
    ``options`` maps (room party, room type id) to (rooms left, line). At most 8 rooms and a hotel's few room
    types: an exact search over the counts used of each type, remembered by state."""
    type_ids = sorted({type_id for _, type_id in options})
    left = {type_id: rooms_left for (_, type_id), (rooms_left, _) in options.items()}

    @memoized
    def best(index: int, used: tuple[int, ...]):
        if index == len(rooms):
            return (Decimal(0), ()), ()
        found = None
        for position, type_id in enumerate(type_ids):
            option = options.get((rooms[index], type_id))
            if option is None or used[position] >= left[type_id]:
                continue
            rest = best(index + 1, used[:position] + (used[position] + 1,) + used[position + 1 :])
            if rest is None:
                continue
            line = option[1]
            (cost, ids), lines = rest
            candidate = ((cost + line.line_grand, ((type_id, line.rate_plan_id), *ids)), (line, *lines))
            if found is None or candidate[0] < found[0]:
                found = candidate
        return found

    found = best(0, (0,) * len(type_ids))
    return None if found is None else found[1]


def _party_search(*, city, stay, sort, min_total, max_total, stars, amenities, hotel_ids, limit, offset):
    """:func:`hotel_search` for a room configuration: the lines per (room type, room party) in one query, then each
    hotel's cheapest combination, filtered, sorted and paged here (every hotel of the city must be priced to sort
    by price, as in SEARCH_SQL)."""
    parties = sorted(set(stay.party))
    params = {
        "city": city,
        "check_in": stay.check_in,
        "check_out": stay.check_out,
        "nights": stay.nights,
        "party_adults": [room.adults for room in parties],
        "party_ages": [",".join(str(age) for age in room.ages) for room in parties],
        "stars": list(stars) if stars else None,
        "amenities": list(amenities) if amenities else None,
        "hotel_ids": list(hotel_ids) if hotel_ids is not None else None,
    }
    by_hotel: dict[int, tuple] = {}
    with connection.cursor() as cursor:
        cursor.execute(PARTY_SEARCH_SQL.format(**_names_in_language()), params)
        for hotel_id, name, star_count, k, type_id, type_name, rooms_left, line_total, line_grand, *plan in cursor:
            _, _, options = by_hotel.setdefault(hotel_id, (name, star_count, {}))
            party = parties[k - 1]
            options[(party, type_id)] = (
                rooms_left,
                PartyLine(party, type_id, type_name, *plan, line_total, line_grand),
            )
    found = []
    for hotel_id, (name, star_count, options) in by_hotel.items():
        lines = _cheapest_combination(stay.party, options)
        if lines is None:
            continue
        grand = sum((line.line_grand for line in lines), Decimal(0))
        if (min_total is not None and grand < min_total) or (max_total is not None and grand > max_total):
            continue
        found.append((hotel_id, name, star_count, grand, lines))
    keys = {
        "price": lambda f: (f[3], f[1], f[0]),
        "stars": lambda f: (-f[2], f[3], f[0]),
        "name": lambda f: (f[1], f[0]),
    }
    found.sort(key=keys.get(sort, keys["price"]))
    page = found[offset : None if limit is None else offset + limit]
    by_id = Hotel.objects.in_bulk([f[0] for f in page])
    hotels = []
    for hotel_id, _, _, grand, lines in page:
        hotel = by_id[hotel_id]
        first = lines[0]
        hotel.lines = lines
        hotel.best_total = sum((line.line_total for line in lines), Decimal(0))
        hotel.grand_total = grand
        hotel.result_count = len(found)
        hotel.best_room_type_id, hotel.best_room_type_name = first.room_type_id, first.room_type_name
        hotel.best_rate_plan_id, hotel.best_plan_name, hotel.best_meal_plan = (
            first.rate_plan_id,
            first.plan_name,
            first.meal_plan,
        )
        hotel.best_free_days, hotel.best_penalty, hotel.best_penalty_percent = (
            first.free_days,
            first.penalty,
            first.penalty_percent,
        )
        hotels.append(hotel)
    return hotels


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
    (:func:`hotel_cards`, cached) and ``best_plan``.

    For a room configuration (``stay.room_parties``) each hotel also has ``lines`` (a :class:`PartyLine` per room,
    in the configuration's order: the cheapest combination), the ``best_*`` columns are its first room's and the
    totals are the lines' sums; other hotels have ``lines`` None."""
    if stay.room_parties:
        hotels = _party_search(
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
        if prefetch:
            _search_page_prefetch(hotels)
        return hotels
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
    for hotel in hotels:
        hotel.lines = None
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
    "lines",
)


class BestRoomType(NamedTuple):
    pk: int
    name: str


class BestPlan(NamedTuple):
    """The rate plan of a hotel's cheapest offer as its results card shows it and prices its policy (what
    ``cancellation_policy_snapshot`` reads of a ``RatePlan``), from the search's own columns: plain values, because a
    page made twenty unsaved model instances and each cost as much as a card's rendering."""

    pk: int
    name: str
    meal_plan: str
    free_cancellation_days: int | None
    cancellation_penalty: str
    cancellation_penalty_percent: Decimal | None
    room_type: BestRoomType

    def get_meal_plan_display(self) -> str:
        return str(dict(RatePlan.MealPlan.choices).get(self.meal_plan, self.meal_plan))


def _search_page_prefetch(hotels: list[Hotel]) -> None:
    """What a results page shows of each hotel: its card (photos, amenities, taxes: :func:`hotel_cards`) and its
    cheapest offer's rate plan as ``best_plan`` (a :class:`BestPlan`, from the search's own columns: no query)."""
    cards = hotel_cards([h.pk for h in hotels])
    for hotel in hotels:
        hotel.card = cards[hotel.pk]
        hotel.best_plan = BestPlan(
            pk=hotel.best_rate_plan_id,
            name=hotel.best_plan_name,
            meal_plan=hotel.best_meal_plan,
            free_cancellation_days=hotel.best_free_days,
            cancellation_penalty=hotel.best_penalty,
            cancellation_penalty_percent=hotel.best_penalty_percent,
            room_type=BestRoomType(pk=hotel.best_room_type_id, name=hotel.best_room_type_name),
        )


def hotel_search_cached(**kwargs) -> list[Hotel]:
    """:func:`hotel_search` through Django's cache for ``SEARCH_CACHE_SECONDS`` (shared Redis in production).

    Only the results page uses it: a price shown there may be that many seconds old, which is why the booking
    flow prices and checks availability again, under lock, before anything is held or charged.
    """
    seconds = settings.SEARCH_CACHE_SECONDS
    if not seconds:
        return hotel_search(**kwargs)
    # The names of room types and plans are the reader's language's: one cached page per language.
    key = f"search6:{translation.get_language()}:" + hashlib.sha256(repr(sorted(kwargs.items())).encode()).hexdigest()
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
    return SEARCH_SQL.format(order=ORDERS.get(sort, ORDERS["price"]), **_names_in_language()), params


def known_cities() -> list[str]:
    """Every city with an active hotel, cached briefly (the suggestions list and the form's validation)."""
    cities = cache.get("hotels:cities")
    if cities is None:
        cities = list(Hotel.objects.filter(is_active=True).values_list("city", flat=True).distinct().order_by("city"))
        cache.set("hotels:cities", cities, 300)
    return cities


def city_suggestions(prefix: str, limit: int = 10) -> list[str]:
    """Cities starting with ``prefix`` in their own name or in the active language's ("Mün", "Mun"), named in the
    active language."""
    prefix = prefix.strip().casefold()
    pairs = city_labels(known_cities())
    return [
        label for city, label in pairs if city.casefold().startswith(prefix) or label.casefold().startswith(prefix)
    ][:limit]


def search_amenities() -> list[tuple[str, str]]:
    """(code, name) of the amenities hotels offer, for the filters; cached briefly (a DISTINCT over the join)."""
    key = f"hotels:amenities:{translation.get_language()}"  # names per language (hotels/translation.py)
    choices = cache.get(key)
    if choices is None:
        choices = list(
            Amenity.objects.filter(hotels__isnull=False).distinct().order_by("name").values_list("code", "name")
        )
        cache.set(key, choices, 300)
    return choices
