"""Offers priced in bulk as plain rows, for pages of many hotels (the partner API's availability): the same offers
as :func:`hotels.offers.hotels_offers`, with the same rules and the same prices, without a model instance or a
:class:`~hotels.pricing.Quote` per offer.

A room type's plans without nights of their own share its night lines, and with them everything
:func:`hotels.pricing.stay_quote` computes before the plan: the night lines' sum and the party's supplement lines
(a :class:`~hotels.pricing.StayBasis`, made once per room type); each plan then adds only its adjustment and tax
lines (:func:`~hotels.pricing.plan_price`, the second half of ``stay_quote``). ``stay_quote`` is made of the same
two functions, so a price here is ``stay_quote``'s by construction; ``tests/hotels/test_pricing_properties.py``
holds every offer equal to its plan priced alone by the booking path.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connections, router
from django.utils import timezone

from .models import Hotel, RoomType
from .offers import (
    BOOKABLE_ROOM_TYPES_SQL,
    _overrides_by_plan,
    _pricing_rows,
    _spans,
    bookable_params,
    translated_sql,
)
from .payment_terms import GUEST_BOOKABLE, payment_terms_snapshot
from .policy import cancellation_policy_snapshot
from .pricing import (
    Occupancy,
    PlanPrice,
    StayBasis,
    night_lines,
    plan_closed_reason,
    plan_nightly_prices,
    plan_price,
    stay_basis,
)
from .stay import Stay


class RoomTypeRow(NamedTuple):
    """What an offer shows of its room type (``RoomTypeSerializer``'s fields, in the reader's language) and what
    pricing reads of it."""

    pk: int
    hotel_id: int
    name: str
    description: str
    max_adults: int
    max_children: int
    max_occupancy: int
    beds: str
    size_m2: int | None
    total_rooms: int
    base_occupancy: int
    extra_adult_price: Decimal


class PlanRow(NamedTuple):
    """What pricing, the policy and the payment terms read of a ``RatePlan``, and what an offer shows of it."""

    pk: int
    room_type_id: int
    name: str
    meal_plan: str
    position: int
    parent_id: int | None
    derivation: str
    derivation_value: Decimal
    adjustment_component: str
    min_stay: int
    max_stay: int | None
    nights_from: object
    nights_to: object
    free_cancellation_days: int | None
    cancellation_penalty: str
    cancellation_penalty_percent: Decimal
    payment_terms: str
    deposit: str
    deposit_percent: Decimal
    balance_days_before: int


ROOM_TYPE_COLUMNS = (
    "rt.id, rt.hotel_id, {name}, {description}, rt.max_adults, rt.max_children, rt.max_occupancy, {beds}, "
    "rt.size_m2, rt.total_rooms, rt.base_occupancy, rt.extra_adult_price"
)
PLAN_COLUMNS = (
    "p.id, p.room_type_id, {plan_name}, p.meal_plan, p.position, p.parent_id, p.derivation, p.derivation_value, "
    "p.adjustment_component, p.min_stay, p.max_stay, p.nights_from, p.nights_to, p.free_cancellation_days, "
    "p.cancellation_penalty, p.cancellation_penalty_percent, p.payment_terms, p.deposit, p.deposit_percent, "
    "p.balance_days_before"
)


def _edit(sql: str, *changes: tuple[str, str]) -> str:
    """``sql`` with each (old, new) made, each old text found exactly once (so an edit of the query it is built on
    fails at import rather than silently)."""
    for old, new in changes:
        if sql.count(old) != 1:
            raise ValueError(f"{old!r} is not in the query exactly once")
        sql = sql.replace(old, new)
    return sql


# The bookable room types of BOOKABLE_ROOM_TYPES_SQL (the same rules, the same nights), each with its active plans
# that guests book themselves, one row per (room type, plan): one query for both.
ROOM_TYPE_PLANS_SQL = _edit(
    BOOKABLE_ROOM_TYPES_SQL,
    (
        "SELECT rt.*, stay_nights.rooms_available, stay_nights.prices",
        f"SELECT {ROOM_TYPE_COLUMNS}, stay_nights.rooms_available, stay_nights.prices, {PLAN_COLUMNS}",
    ),
    (
        ") AS stay_nights\n",
        ") AS stay_nights\nJOIN hotels_rateplan AS p ON p.room_type_id = rt.id AND p.is_active"
        " AND p.payment_terms = ANY(%(payment_terms)s::text[])\n",
    ),
    ("ORDER BY rt.id", "ORDER BY rt.id, p.id"),
)
_ROOM_TYPE_WIDTH = len(RoomTypeRow._fields)


class OfferRow(NamedTuple):
    """One offer (a room type under one of its plans) priced for the stay: its plan's lines on the room type's
    ``basis`` (shared by the plans priced on the same nights), the cancellation policy snapshot (shared by the
    offers of the same terms at the hotel, never to be changed) and the payment terms."""

    room_type: RoomTypeRow
    rate_plan: PlanRow
    rooms_available: int
    currency: str
    basis: StayBasis
    price: PlanPrice
    policy: dict
    payment_terms: dict


@dataclass
class _RoomType:
    row: RoomTypeRow
    rooms_available: int
    base_prices: list
    plans: list


def _room_types_with_plans(*, hotel_ids: list[int], stay: Stay) -> list[_RoomType]:
    params = {**bookable_params(hotel_ids=hotel_ids, stay=stay), "payment_terms": list(GUEST_BOOKABLE)}
    sql = ROOM_TYPE_PLANS_SQL.format(
        name=translated_sql("rt", "name"),
        description=translated_sql("rt", "description"),
        beds=translated_sql("rt", "beds"),
        plan_name=translated_sql("p", "name"),
    )
    room_types: list[_RoomType] = []
    days = [stay.check_in + timedelta(days=i) for i in range(stay.nights)]
    with connections[router.db_for_read(RoomType)].cursor() as cursor:  # a replica where the view reads one
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            if not room_types or room_types[-1].row.pk != row[0]:
                prices = row[_ROOM_TYPE_WIDTH + 1]
                room_types.append(
                    _RoomType(
                        row=RoomTypeRow(*row[:_ROOM_TYPE_WIDTH]),
                        rooms_available=row[_ROOM_TYPE_WIDTH],
                        base_prices=list(zip(days, prices, strict=True)),
                        plans=[],
                    )
                )
            room_types[-1].plans.append(PlanRow(*row[_ROOM_TYPE_WIDTH + 2 :]))
    return room_types


def hotels_offer_rows(*, hotels: list[Hotel], stay: Stay, now: datetime | None = None) -> dict[int, list[OfferRow]]:
    """The offers of :func:`hotels.offers.hotels_offers` for ``hotels`` (already loaded), as :class:`OfferRow`\\ s,
    cheapest first per hotel (the same order); payment terms as agreed ``now``. Two queries whatever the number of
    hotels (the room types with their plans and nights; the hotels' taxes and child bands), a third when a plan has
    nights of its own in the stay."""
    result: dict[int, list[OfferRow]] = {hotel.pk: [] for hotel in hotels}
    room_types = _room_types_with_plans(hotel_ids=list(result), stay=stay)
    if not room_types:
        return result
    now = now or timezone.now()
    by_id = {hotel.pk: hotel for hotel in hotels}
    taxes, bands = _pricing_rows(list(by_id))
    spanning = [plan for rt in room_types for plan in rt.plans if _spans(plan, stay)]
    plan_ids = {plan.pk for plan in spanning} | {plan.parent_id for plan in spanning if plan.parent_id}
    overrides = _overrides_by_plan(plan_ids, check_in=stay.check_in, check_out=stay.check_out) if plan_ids else {}
    policies: dict[tuple, dict] = {}
    party = {"rooms": stay.rooms, "adults": stay.adults, "children_ages": stay.ages}
    for room_type in room_types:
        row = room_type.row
        hotel = by_id[row.hotel_id]
        occupancy = Occupancy(
            base_adults=row.base_occupancy, extra_adult_price=row.extra_adult_price, child_bands=bands[row.hotel_id]
        )
        shared = None  # the basis of the plans without nights of their own, made when the first one needs it
        offers = result[row.hotel_id]
        for plan in room_type.plans:
            own, parent_own = overrides.get(plan.pk, {}), overrides.get(plan.parent_id, {})
            if plan_closed_reason(plan, check_in=stay.check_in, check_out=stay.check_out, own=own):
                continue
            if own or parent_own:
                nightly = plan_nightly_prices(plan, room_type.base_prices, own, parent_own)
                basis = stay_basis(nights=night_lines(nightly, stay.rooms), occupancy=occupancy, **party)
            else:
                if shared is None:
                    shared = stay_basis(
                        nights=night_lines(room_type.base_prices, stay.rooms), occupancy=occupancy, **party
                    )
                basis = shared
            price = plan_price(basis, plan=plan, taxes=taxes[row.hotel_id])
            terms = (plan.free_cancellation_days, plan.cancellation_penalty, plan.cancellation_penalty_percent)
            policy = policies.get((row.hotel_id, terms))
            if policy is None:
                policy = policies[(row.hotel_id, terms)] = cancellation_policy_snapshot(plan, hotel, stay.check_in)
            offers.append(
                OfferRow(
                    room_type=row,
                    rate_plan=plan,
                    rooms_available=room_type.rooms_available,
                    currency=hotel.currency,
                    basis=basis,
                    price=price,
                    policy=policy,
                    payment_terms=payment_terms_snapshot(
                        rate_plan=plan,
                        hotel=hotel,
                        check_in=stay.check_in,
                        total=price.total,
                        first_night=basis.first_night(price),
                        now=now,
                    ),
                )
            )
    for offers in result.values():
        offers.sort(key=lambda o: (o.price.total, o.room_type.name, o.rate_plan.position, o.rate_plan.pk))
    return result
