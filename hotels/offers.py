"""Offers: the ways to book a stay at a hotel (a room type under one of its rate plans), each priced by the one
pricing function ``hotels.pricing.stay_quote``. The hotel page and the booking flow read them here; the partner API reads the
same offers as plain rows (``hotels.offer_rows``).

A room type can host a stay when it has a row for every night of the stay, none stop-sold, at least ``rooms``
unsold on every night, and the longest minimum stay among those nights fits the stay ("min stay through").
A party fits ``rooms`` rooms of a type when each room has an adult and the type's limits times ``rooms`` cover it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connections, router
from django.db.models import Prefetch, prefetch_related_objects
from modeltranslation.utils import build_localized_fieldname
from modeltranslation.utils import get_language as mt_language

from .models import Hotel, HotelTax, RatePlan, RatePlanNight, RoomType
from .payment_terms import GUEST_BOOKABLE, payment_terms_line, payment_terms_snapshot
from .policy import cancellation_policy_snapshot, policy_line
from .pricing import (
    ChildBand,
    Occupancy,
    Quote,
    RateClosed,
    night_lines,
    plan_closed_reason,
    plan_nightly_prices,
    stay_quote,
)
from .stay import Stay

# The room types of some hotels that can host a stay, each with its scarcest night and its nights' prices in date
# order (the unique index on (room_type_id, date) and the count make them exactly the stay's nights): one index-only
# range scan per room type, as in the search SQL (hotels/search.py), with the same rules (module docstring).
BOOKABLE_ROOM_TYPES_SQL = """
SELECT rt.*, stay_nights.rooms_available, stay_nights.prices
FROM hotels_roomtype AS rt
CROSS JOIN LATERAL (
    SELECT MIN(n.rooms_for_sale - n.rooms_sold) AS rooms_available, ARRAY_AGG(n.price ORDER BY n.date) AS prices
    FROM hotels_nightinventory AS n
    WHERE n.room_type_id = rt.id AND n.date >= %(check_in)s AND n.date < %(check_out)s
    HAVING COUNT(*) = %(nights)s AND NOT BOOL_OR(n.stop_sell)
       AND MIN(n.rooms_for_sale - n.rooms_sold) >= %(rooms)s AND MAX(n.min_stay) <= %(nights)s
) AS stay_nights
WHERE rt.hotel_id = ANY(%(hotel_ids)s::bigint[]) AND rt.is_active
  AND rt.max_adults * %(rooms)s >= %(adults)s AND rt.max_children * %(rooms)s >= %(children)s
  AND rt.max_occupancy * %(rooms)s >= %(people)s
ORDER BY rt.id
"""


# What pricing reads of a hotel, as lists (a caller that has the hotel may prefetch them so, and they aren't read again).
HOTEL_PRICING_PREFETCH = (Prefetch("taxes", to_attr="tax_list"), Prefetch("child_bands", to_attr="band_list"))


def bookable_params(*, hotel_ids: list[int], stay: Stay) -> dict:
    """The parameters of BOOKABLE_ROOM_TYPES_SQL (and of the queries built on it) for ``stay``."""
    return {
        "hotel_ids": list(hotel_ids),
        "check_in": stay.check_in,
        "check_out": stay.check_out,
        "nights": stay.nights,
        "rooms": stay.rooms,
        "adults": stay.adults,
        "children": stay.children,
        "people": stay.people,
    }


def bookable_room_types(*, hotel_ids: list[int], stay: Stay) -> list[RoomType]:
    """The active room types of ``hotel_ids`` that can host ``stay``, each with ``rooms_available`` (the scarcest
    night) and ``base_prices`` ([(night, price per room)] in date order). One query, no ORM compilation."""
    room_types = list(RoomType.objects.raw(BOOKABLE_ROOM_TYPES_SQL, bookable_params(hotel_ids=hotel_ids, stay=stay)))
    for room_type in room_types:
        room_type.base_prices = [(stay.check_in + timedelta(days=i), price) for i, price in enumerate(room_type.prices)]
    return room_types


def occupancy_of(room_type: RoomType, child_bands: tuple[ChildBand, ...] | None = None) -> Occupancy:
    """The room type's occupancy pricing; ``room_type.hotel.child_bands`` should be prefetched for many, or given
    once per hotel as ``child_bands``."""
    if child_bands is None:
        child_bands = tuple(ChildBand(b.min_age, b.max_age, b.price) for b in room_type.hotel.child_bands.all())
    return Occupancy(
        base_adults=room_type.base_occupancy, extra_adult_price=room_type.extra_adult_price, child_bands=child_bands
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

    @property
    def payment_terms(self) -> dict:
        """What is due now and later, and when (``hotels.payment_terms``), if booked now."""
        return payment_terms_snapshot(
            rate_plan=self.rate_plan,
            hotel=self.room_type.hotel,
            check_in=self.quote.nights[0].date,
            total=self.quote.total,
            first_night=self.quote.first_night,
        )

    @property
    def payment_terms_line(self) -> str:
        return payment_terms_line(self.payment_terms)


def _overrides_by_plan(plan_ids, *, check_in: date, check_out: date) -> dict[int, dict]:
    """The plans' ``RatePlanNight`` rows from arrival to departure day included, by plan and date."""
    by_plan: dict[int, dict] = {pk: {} for pk in plan_ids}
    for night in RatePlanNight.objects.filter(rate_plan_id__in=plan_ids, date__gte=check_in, date__lte=check_out):
        by_plan[night.rate_plan_id][night.date] = night
    return by_plan


def _spans(plan: RatePlan, stay: Stay) -> bool:
    """Whether ``plan`` or its parent has ``RatePlanNight`` rows from arrival to departure day included."""
    return plan.nights_to is not None and plan.nights_to >= stay.check_in and plan.nights_from <= stay.check_out


def plan_quote(
    *,
    rate_plan: RatePlan,
    room_type: RoomType,
    stay: Stay,
    base_prices: list,
    overrides: dict[int, dict],
    occupancy: Occupancy | None = None,
    taxes=None,
    base_lines=None,
) -> Quote:
    """Price ``stay`` under ``rate_plan`` from the room type's night prices; raises :class:`RateClosed` when the
    plan's rules refuse the stay. ``overrides`` holds the plan's and its parent's ``RatePlanNight`` rows;
    ``occupancy`` and ``taxes`` (the room type's, the hotel's) are read from the room type unless given, as
    :func:`hotels_offers` gives them once for all of a room type's or a hotel's plans, with ``base_lines`` (the
    room type's nights as ``stay_quote``'s lines), used when the plan prices the room type's nights."""
    own = overrides.get(rate_plan.pk, {})
    reason = plan_closed_reason(rate_plan, check_in=stay.check_in, check_out=stay.check_out, own=own)
    if reason:
        raise RateClosed(reason)
    hotel = room_type.hotel
    parent_own = overrides.get(rate_plan.parent_id, {})
    return stay_quote(
        currency=hotel.currency,
        nightly_prices=plan_nightly_prices(rate_plan, base_prices, own, parent_own),
        rooms=stay.rooms,
        adults=stay.adults,
        children_ages=stay.ages,
        occupancy=occupancy_of(room_type) if occupancy is None else occupancy,
        taxes=hotel.taxes.all() if taxes is None else taxes,
        plan=rate_plan,
        night_lines=base_lines if not own and not parent_own else None,
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


def hotels_offers(
    *, hotel_ids: list[int], stay: Stay, with_amenities: bool = True, hotels: tuple[Hotel, ...] = ()
) -> dict[int, list[RoomOffer]]:
    """Bookable (room type, rate plan) offers of several hotels for ``stay``, cheapest first per hotel; each room
    type has ``active_plans`` and, ``with_amenities``, ``amenity_list``. ``hotels`` already loaded (the search's,
    the hotel page's) are used instead of being read again, with their ``HOTEL_PRICING_PREFETCH`` if they have it.
    At most seven queries whatever the number of hotels (room types with their availability and nights, their
    plans and amenities, the hotels not given with their taxes and child bands, the plans' own nights when any
    plan has some in the stay); every price from ``stay_quote``, with what is the same for all of a hotel's offers
    (taxes, child bands) and a room type's (its nights, occupancy) read once."""
    result: dict[int, list[RoomOffer]] = {hotel_id: [] for hotel_id in hotel_ids}
    room_types = bookable_room_types(hotel_ids=hotel_ids, stay=stay)
    if not room_types:
        return result
    # Plain queries grouped here rather than Django's prefetch (which clones a queryset per object and relation,
    # and cost more than the queries for a page of partner offers); taxes and child bands as tuples.
    plans_of: dict[int, list[RatePlan]] = {rt.pk: [] for rt in room_types}
    by_room_type = {rt.pk: rt for rt in room_types}
    for plan in RatePlan.objects.filter(room_type_id__in=list(plans_of), is_active=True):
        plan.room_type = by_room_type[plan.room_type_id]
        plans_of[plan.room_type_id].append(plan)
    for room_type in room_types:
        room_type.active_plans = plans_of[room_type.pk]
    if with_amenities:
        prefetch_related_objects(room_types, Prefetch("amenities", to_attr="amenity_list"))
    by_id = {hotel.pk: hotel for hotel in hotels}
    by_id.update(Hotel.objects.in_bulk({rt.hotel_id for rt in room_types} - by_id.keys()))
    taxes, bands = _pricing_rows([pk for pk, hotel in by_id.items() if not hasattr(hotel, "tax_list")])
    for pk, hotel in by_id.items():
        if hasattr(hotel, "tax_list"):
            taxes[pk] = hotel.tax_list
            bands[pk] = tuple(ChildBand(b.min_age, b.max_age, b.price) for b in hotel.band_list)
    for room_type in room_types:
        room_type.hotel = by_id[room_type.hotel_id]  # one instance per hotel
    # Only plans with nights of their own (or their parent's) in the stay need those rows: a plan's span of such
    # nights, kept by triggers (migration 0005), says which, as it does for the search SQL. Most have none.
    spanning = [plan for rt in room_types for plan in rt.active_plans if _spans(plan, stay)]
    plan_ids = {plan.pk for plan in spanning} | {plan.parent_id for plan in spanning if plan.parent_id}
    overrides = _overrides_by_plan(plan_ids, check_in=stay.check_in, check_out=stay.check_out) if plan_ids else {}
    policies: dict[tuple, dict] = {}  # the same terms at the same hotel give the same snapshot
    for room_type in room_types:
        hotel = room_type.hotel
        occupancy = occupancy_of(room_type, bands[room_type.hotel_id])
        base_lines = night_lines(room_type.base_prices, stay.rooms)  # shared by the plans without nights of their own
        for plan in room_type.active_plans:
            if plan.payment_terms not in GUEST_BOOKABLE:  # sold by the hotel's staff only
                continue
            try:
                quote = plan_quote(
                    rate_plan=plan,
                    room_type=room_type,
                    stay=stay,
                    base_prices=room_type.base_prices,
                    overrides=overrides,
                    occupancy=occupancy,
                    taxes=taxes[room_type.hotel_id],
                    base_lines=base_lines,
                )
            except RateClosed:
                continue
            terms = (
                hotel.pk,
                plan.free_cancellation_days,
                plan.cancellation_penalty,
                plan.cancellation_penalty_percent,
            )
            policy = policies.get(terms)
            if policy is None:
                policy = policies[terms] = cancellation_policy_snapshot(plan, hotel, stay.check_in)
            result[room_type.hotel_id].append(
                RoomOffer(
                    room_type=room_type,
                    rate_plan=plan,
                    quote=quote,
                    rooms_available=room_type.rooms_available,
                    policy=dict(policy),
                )
            )
    names = {room_type.pk: room_type.name for room_type in room_types}  # a translated field: read once each
    for offers in result.values():
        offers.sort(key=lambda o: (o.quote.total, names[o.room_type.pk], o.rate_plan.position, o.rate_plan.pk))
    return result


class PricingTax(NamedTuple):
    """What ``hotels.pricing.tax_lines`` reads of a ``HotelTax``, with the component a percentage is levied on (a
    results card's ``CardTax`` has none: the results page prices meals as room, see ``stay_total``)."""

    name: str
    kind: str
    amount: Decimal
    included_in_price: bool
    component: str


def translated_sql(alias: str, field: str) -> str:
    """SQL for the translated ``field`` of the row ``alias`` exactly as django-modeltranslation reads it on a model
    (hotels/translation.py): the active language's column, else the fallback language's, else the field's default
    (""). Column names come from settings.LANGUAGES, never from the request."""
    codes = dict.fromkeys([mt_language(), *settings.MODELTRANSLATION_FALLBACK_LANGUAGES])
    columns = [f"NULLIF({alias}.{build_localized_fieldname(field, code)}, '')" for code in codes]
    return f"COALESCE({', '.join(columns)}, '')"


# The hotels' taxes (in HotelTax's order) and child bands (in ChildAgeBand's), in one query without the ORM's
# compilation: a page of partner offers reads them for twenty hotels.
PRICING_ROWS_SQL = """
SELECT t.hotel_id, TRUE AS is_tax, {tax_name}, t.kind, t.amount, t.included_in_price, t.component, t.id AS sort, 0, 0
FROM hotels_hoteltax AS t WHERE t.hotel_id = ANY(%(hotel_ids)s::bigint[])
UNION ALL
SELECT b.hotel_id, FALSE, '', '', b.price, FALSE, '', b.min_age, b.min_age, b.max_age
FROM hotels_childageband AS b WHERE b.hotel_id = ANY(%(hotel_ids)s::bigint[])
ORDER BY 1, 2, 8
"""


def _pricing_rows(hotel_ids: list[int]) -> tuple[dict[int, list], dict[int, tuple[ChildBand, ...]]]:
    """The hotels' taxes (as ``hotels.pricing.tax_lines`` reads them) and child bands, as tuples, one query."""
    taxes: dict[int, list] = {pk: [] for pk in hotel_ids}
    bands: dict[int, list] = {pk: [] for pk in hotel_ids}
    if hotel_ids:
        with connections[router.db_for_read(HotelTax)].cursor() as cursor:  # a replica where the view reads one
            cursor.execute(PRICING_ROWS_SQL.format(tax_name=translated_sql("t", "name")), {"hotel_ids": hotel_ids})
            for hotel_id, is_tax, name, kind, amount, included, component, _, min_age, max_age in cursor.fetchall():
                if is_tax:
                    taxes[hotel_id].append(PricingTax(name, kind, amount, included, component))
                else:
                    bands[hotel_id].append(ChildBand(min_age, max_age, amount))
    return taxes, {pk: tuple(found) for pk, found in bands.items()}


def hotel_offers(*, hotel: Hotel, stay: Stay) -> list[RoomOffer]:
    """Bookable (room type, rate plan) offers of ``hotel`` for ``stay``, cheapest first."""
    return hotels_offers(hotel_ids=[hotel.pk], stay=stay, hotels=(hotel,))[hotel.pk]
