"""Property-based tests of the one pricing function and of everything that must agree with it.

Pure properties run hundreds of examples; the ones that go through PostgreSQL (search SQL, offers, booking) run
fewer, each inside a savepoint rolled back at the end so examples don't see each other's rows.
"""

import itertools
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.services import GuestDetails, booking_hold
from hotels.models import ChildAgeBand, Hotel, HotelTax, NightInventory, RatePlan
from hotels.offer_rows import hotels_offer_rows
from hotels.offers import hotel_offers, hotels_offers, rate_plan_quote
from hotels.payment_terms import payment_terms_snapshot
from hotels.policy import cancellation_penalty, cancellation_policy_snapshot
from hotels.pricing import (
    ChildBand,
    Occupancy,
    adjustments_data,
    extras_data,
    money,
    plan_adjustment,
    quote_nights_data,
    stay_quote,
    taxes_data,
)
from hotels.results import results_page
from hotels.search import hotel_search
from hotels.stay import RoomParty, Stay
from tests.factories import HotelFactory, RatePlanFactory, RoomTypeFactory, future, plan_night

D = datetime(2027, 3, 1).date()

prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2)
ages = st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=17)), max_size=4)
percent = st.decimals(min_value=Decimal("-100"), max_value=Decimal("200"), places=2)
amount = st.decimals(min_value=Decimal("-200"), max_value=Decimal("200"), places=2)


@st.composite
def bands(draw):
    """Non-overlapping age bands, as ChildAgeBand.clean allows."""
    cuts = sorted(draw(st.sets(st.integers(min_value=0, max_value=17), max_size=4)))
    result, start = [], 0
    for cut in cuts:
        if cut >= start:
            result.append(ChildBand(start, cut, draw(prices)))
            start = cut + 1
    return tuple(result)


taxes = st.lists(
    st.builds(
        SimpleNamespace,
        name=st.sampled_from(["VAT", "City tax", "Cleaning"]),
        kind=st.sampled_from(["percent", "per_person_night", "per_stay"]),
        amount=st.decimals(min_value=Decimal("0"), max_value=Decimal("30"), places=2),
        included_in_price=st.booleans(),
    ),
    max_size=3,
)


@st.composite
def quotes(draw):
    nights = draw(st.integers(min_value=1, max_value=14))
    rooms = draw(st.integers(min_value=1, max_value=4))
    return stay_quote(
        currency="EUR",
        nightly_prices=[(D + timedelta(days=i), draw(prices)) for i in range(nights)],
        rooms=rooms,
        adults=draw(st.integers(min_value=rooms, max_value=rooms * 3)),
        children_ages=draw(ages),
        occupancy=Occupancy(
            base_adults=draw(st.integers(min_value=1, max_value=3)),
            extra_adult_price=draw(prices),
            child_bands=draw(bands()),
        ),
        taxes=draw(taxes),
    )


@given(quotes())
@settings(max_examples=300)
def test_total_is_the_sum_of_the_lines(quote):
    lines = [n.amount for n in quote.nights] + [e.amount for e in quote.extras]
    added = [t.amount for t in quote.taxes if not t.included]
    assert quote.total == sum(lines, Decimal(0)) + sum(added, Decimal(0))
    snapshot = quote.as_snapshot()
    read_back = [Decimal(n["amount"]) for n in snapshot["nights"]] + [Decimal(e["amount"]) for e in snapshot["extras"]]
    read_back += [Decimal(t["amount"]) for t in snapshot["taxes"] if not t["included"]]
    assert Decimal(snapshot["total"]) == sum(read_back, Decimal(0)) == quote.total
    # Every line is whole cents: rounded once, where it was computed.
    assert all(amount == money(amount) for amount in lines + added)


@st.composite
def derived_plans(draw):
    kind = draw(st.sampled_from(["percent", "amount"]))
    value = draw(percent if kind == "percent" else amount)
    return SimpleNamespace(name="Derived", derivation=kind, derivation_value=value, parent_id=1)


@given(
    st.lists(prices, min_size=1, max_size=14),
    st.integers(min_value=1, max_value=3),
    derived_plans(),
    st.lists(prices, min_size=14, max_size=14),
)
@settings(max_examples=300)
def test_a_derived_plan_follows_its_parent(night_prices, rooms, plan, raises):
    """Same nights as the parent, plus one adjustment line that depends only on the parent's nights; a dearer
    parent never makes the derived plan cheaper; a plan is never negative."""

    def quote(prices, plan=None):
        nights = [(D + timedelta(days=i), p) for i, p in enumerate(prices)]
        return stay_quote(currency="EUR", nightly_prices=nights, rooms=rooms, adults=1, plan=plan)

    parent, derived = quote(night_prices), quote(night_prices, plan)
    assert derived.nights == parent.nights
    [adjustment] = derived.adjustments
    expected = plan_adjustment(
        nights_amount=parent.room_total,
        derivation=plan.derivation,
        value=plan.derivation_value,
        night_count=len(night_prices),
        rooms=rooms,
    )
    assert adjustment.amount == expected and derived.room_total == parent.room_total + expected
    assert derived.room_total >= 0
    if plan.derivation == "percent":
        assert expected == money(parent.room_total * plan.derivation_value / 100)
    dearer = quote([p + r for p, r in zip(night_prices, raises, strict=False)], plan)
    assert dearer.room_total >= derived.room_total


@given(quotes(), st.sampled_from(["first_night", "percent", "full_stay"]), st.integers(0, 100), st.integers(-5, 5))
@settings(max_examples=300)
def test_a_cancellation_penalty_never_exceeds_what_was_paid(quote, penalty, percent_kept, days_late):
    snapshot = quote.as_snapshot()
    deadline = datetime(2027, 3, 1, 15, tzinfo=UTC)
    policy = {"free_until": deadline.isoformat(), "penalty": penalty, "penalty_percent": str(percent_kept)}
    charged = cancellation_penalty(policy=policy, snapshot=snapshot, at=deadline + timedelta(days=days_late))
    assert Decimal(0) <= charged <= Decimal(snapshot["total"])
    if days_late <= 0:
        assert charged == 0
    non_refundable = {**policy, "free_until": None, "penalty": "full_stay"}
    assert cancellation_penalty(policy=non_refundable, snapshot=snapshot, at=deadline) == Decimal(snapshot["total"])


# --- through PostgreSQL: search, offers and booking agree -------------------------------------------------------


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@st.composite
def catalogues(draw):
    nights = draw(st.integers(min_value=1, max_value=5))
    return {
        "nights": nights,
        "night_prices": [
            draw(st.lists(prices.filter(lambda p: p > 0), min_size=nights, max_size=nights)) for _ in range(2)
        ],
        "plans": draw(
            st.lists(
                st.tuples(st.sampled_from(["", "percent", "amount"]), st.one_of(percent, amount), st.booleans()),
                min_size=1,
                max_size=3,
            )
        ),
        "own_price": draw(st.one_of(st.none(), prices)),
        "extra_adult": draw(prices),
        "bands": draw(bands()),
        "rooms": (rooms := draw(st.integers(min_value=1, max_value=2))),
        "adults": draw(st.integers(min_value=rooms, max_value=3 * rooms)),
        "ages": draw(st.lists(st.one_of(st.none(), st.integers(0, 17)), max_size=2)),
        "city_tax": draw(st.one_of(st.none(), st.decimals(min_value=Decimal("0"), max_value=Decimal("9"), places=2))),
    }


def build(c) -> tuple:
    hotel = HotelFactory()
    if c["city_tax"] is not None:
        HotelTax.objects.create(hotel=hotel, name="City tax", kind="per_person_night", amount=c["city_tax"])
    HotelTax.objects.create(hotel=hotel, name="VAT", kind="percent", amount=Decimal("10"), included_in_price=True)
    for band in c["bands"]:
        ChildAgeBand.objects.create(hotel=hotel, min_age=band.min_age, max_age=band.max_age, price=band.price)
    for n, night_prices in enumerate(c["night_prices"]):
        rt = RoomTypeFactory(
            hotel=hotel,
            name=f"Room {n}",
            max_adults=3,
            max_children=2,
            max_occupancy=5,
            base_occupancy=2,
            extra_adult_price=c["extra_adult"],
            plan=False,
        )
        NightInventory.objects.bulk_create(
            NightInventory(room_type=rt, date=future(10 + i), rooms_for_sale=3, price=p)
            for i, p in enumerate(night_prices)
        )
        parent = RatePlanFactory(room_type=rt, name="Flexible")
        if c["own_price"] is not None:
            plan_night(parent, future(10), price=c["own_price"])
        for i, (kind, value, refundable) in enumerate(c["plans"]):
            if kind == "percent":
                value = max(value, Decimal("-100"))
            RatePlanFactory(
                room_type=rt,
                name=f"Plan {i}",
                parent=parent if kind else None,
                derivation=kind,
                derivation_value=value if kind else 0,
                free_cancellation_days=3 if refundable else None,
            )
    stay = Stay(
        check_in=future(10),
        check_out=future(10 + c["nights"]),
        adults=c["adults"],
        rooms=c["rooms"],
        children=len(c["ages"]),
        children_ages=tuple(a for a in c["ages"] if a is not None)
        if None not in c["ages"]
        else tuple(c["ages"][: c["ages"].index(None)]),
    )
    return hotel, stay


SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.django_db
@SLOW
@given(catalogues())
def test_search_sql_prices_the_cheapest_offer_exactly_as_the_pricing_function(db, c):
    with rolled_back():
        hotel, stay = build(c)
        offers = hotel_offers(hotel=hotel, stay=stay)
        found = hotel_search(city=hotel.city, stay=stay, hotel_ids=[hotel.pk])
        assert len(found) == (1 if offers else 0)
        if offers:
            cheapest = min(o.quote.room_total for o in offers)
            assert found[0].best_total == cheapest
            # The total the results page sorts and filters by is the one the guest pays for that offer.
            assert found[0].grand_total == min(o.quote.total for o in offers)
            best = RatePlan.objects.get(pk=found[0].best_rate_plan_id)
            assert min(o.quote.room_total for o in offers if o.rate_plan.pk == best.pk) == cheapest


@pytest.mark.django_db
@SLOW
@given(catalogues(), st.data())
def test_a_booking_stores_exactly_what_search_showed(db, c, data):
    with rolled_back():
        hotel, stay = build(c)
        offers = hotel_offers(hotel=hotel, stay=stay)
        if not offers:
            return
        offer = data.draw(st.sampled_from(offers))
        booking = booking_hold(
            room_type=offer.room_type,
            rate_plan=offer.rate_plan,
            stay=stay,
            guest=GuestDetails(first_name="Ada", last_name="L", email="ada@example.com"),
            expected_total=offer.quote.total,
        )
        snapshot = {
            k: v for k, v in booking.price_snapshot.items() if k not in ("rate_plan", "children_ages", "payment_terms")
        }
        assert snapshot == offer.quote.as_snapshot()
        assert booking.price_snapshot["payment_terms"] == offer.payment_terms
        assert booking.total == offer.quote.total and booking.cancellation_policy == offer.policy


@pytest.mark.django_db
@SLOW
@given(catalogues())
def test_the_results_page_shows_what_the_cheapest_offer_costs(db, settings, c):
    """The card's total (the search's accommodation total and the cached card's added taxes) is the total of the
    cheapest offer as ``stay_quote`` prices it."""
    settings.SEARCH_CACHE_SECONDS = 0
    settings.SEARCH_OFFER_SOURCES = []
    with rolled_back():
        hotel, stay = build(c)
        offers = hotel_offers(hotel=hotel, stay=stay)
        page = results_page(city=hotel.city, stay=stay)
        assert [h.pk for h in page.hotels] == ([hotel.pk] if offers else [])
        if offers:
            assert page.hotels[0].stay_total == min(o.quote.total for o in offers)


@pytest.mark.django_db
@SLOW
@given(catalogues())
def test_offers_priced_in_bulk_equal_each_offer_priced_alone(db, c):
    """``hotels_offers`` (the hotel page's and the booking flow's path: taxes, child bands and nights read once for
    many offers) prices every offer exactly as the booking services price one plan alone."""
    with rolled_back():
        hotel, stay = build(c)
        other = HotelFactory()  # a second hotel on the same page, so nothing leaks between hotels
        other_room = RoomTypeFactory(hotel=other, max_adults=3, max_children=2, max_occupancy=5)
        NightInventory.objects.bulk_create(
            NightInventory(room_type=other_room, date=future(10 + i), rooms_for_sale=3, price=Decimal("80"))
            for i in range(c["nights"])
        )
        offers = hotels_offers(hotel_ids=[hotel.pk, other.pk], stay=stay, with_amenities=False)
        for offer in offers[hotel.pk] + offers[other.pk]:
            plan = RatePlan.objects.select_related("room_type__hotel").get(pk=offer.rate_plan.pk)
            base_prices = list(
                NightInventory.objects.filter(
                    room_type=plan.room_type, date__gte=stay.check_in, date__lt=stay.check_out
                )
                .order_by("date")
                .values_list("date", "price")
            )
            alone = rate_plan_quote(rate_plan=plan, stay=stay, base_prices=base_prices)
            assert offer.quote.as_snapshot() == alone.as_snapshot()


def priced_alone(plan_id: int, stay: Stay):
    """One plan's quote as the booking services price it: its room type's nights read alone, ``rate_plan_quote``."""
    plan = RatePlan.objects.select_related("room_type__hotel").get(pk=plan_id)
    base_prices = list(
        NightInventory.objects.filter(room_type=plan.room_type, date__gte=stay.check_in, date__lt=stay.check_out)
        .order_by("date")
        .values_list("date", "price")
    )
    return plan, rate_plan_quote(rate_plan=plan, stay=stay, base_prices=base_prices)


@pytest.mark.django_db
@SLOW
@given(catalogues(), st.data())
def test_offer_rows_priced_in_bulk_equal_each_offer_priced_alone(db, c, data):
    """``hotels_offer_rows`` (the partner API's availability: a room type's plans priced on one basis, no quote per
    offer) gives the offers of ``hotels_offers`` in the same order, each with the lines, totals, first night,
    policy and payment terms of its plan priced alone by the booking path; across derived plans (percent, amount,
    an adjustment for meals), plans with nights of their own, closed plans, child bands, extra adults, several
    rooms and taxes of every kind (a VAT on the meals, a fee per stay), staff-only plans left out."""
    with rolled_back():
        hotel, stay = build(c)
        if data.draw(st.booleans()):
            HotelTax.objects.create(
                hotel=hotel,
                name="Meals VAT",
                kind="percent",
                amount=data.draw(st.decimals(min_value=Decimal("0"), max_value=Decimal("20"), places=2)),
                component="meals",
                included_in_price=data.draw(st.booleans()),
            )
        if data.draw(st.booleans()):
            HotelTax.objects.create(
                hotel=hotel, name="Cleaning", kind="per_stay", amount=Decimal("15"), included_in_price=False
            )
        for plan in RatePlan.objects.filter(room_type__hotel=hotel).order_by("pk"):
            terms = data.draw(st.sampled_from(["prepay", "deposit", "guarantee", "at_hotel"]))
            plan.payment_terms = terms
            plan.deposit = data.draw(st.sampled_from(["percent", "first_night"]))
            plan.deposit_percent = Decimal("30")
            plan.balance_days_before = data.draw(st.sampled_from([1, 30]))
            if plan.parent_id and data.draw(st.booleans()):
                plan.adjustment_component = "meals"
            plan.save()
            if data.draw(st.integers(0, 5)) == 0:  # closed to arrival, or dearer on the first night
                plan_night(plan, stay.check_in, closed_to_arrival=True)
            elif data.draw(st.integers(0, 5)) == 0 and not plan.parent_id:
                plan_night(plan, stay.check_in, price=data.draw(prices))
        other = HotelFactory()
        other_room = RoomTypeFactory(hotel=other, max_adults=3, max_children=2, max_occupancy=5)
        NightInventory.objects.bulk_create(
            NightInventory(room_type=other_room, date=future(10 + i), rooms_for_sale=3, price=Decimal("80"))
            for i in range(c["nights"])
        )
        now = timezone.now()
        hotels = list(Hotel.objects.filter(pk__in=[hotel.pk, other.pk]))
        rows = hotels_offer_rows(hotels=hotels, stay=stay, now=now)
        offers = hotels_offers(hotel_ids=[hotel.pk, other.pk], stay=stay, with_amenities=False)
        for pk in (hotel.pk, other.pk):
            assert [(r.room_type.pk, r.rate_plan.pk) for r in rows[pk]] == [
                (o.room_type.pk, o.rate_plan.pk) for o in offers[pk] if o.rate_plan.payment_terms != "at_hotel"
            ]
        for row in rows[hotel.pk] + rows[other.pk]:
            plan, alone = priced_alone(row.rate_plan.pk, stay)
            snapshot = alone.as_snapshot()
            assert {
                "nights": quote_nights_data(row.basis.nights),
                "adjustments": adjustments_data(row.price.adjustments),
                "extras": extras_data(row.basis.extras),
                "taxes": taxes_data(row.price.taxes),
                "room_total": str(row.price.room_total),
                "total": str(row.price.total),
                "first_night": str(row.basis.first_night(row.price)),
            } == {
                key: snapshot[key]
                for key in ("nights", "adjustments", "extras", "taxes", "room_total", "total", "first_night")
            }
            hotel_of = plan.room_type.hotel
            assert row.policy == cancellation_policy_snapshot(plan, hotel_of, stay.check_in)
            assert row.payment_terms == payment_terms_snapshot(
                rate_plan=plan,
                hotel=hotel_of,
                check_in=stay.check_in,
                total=alone.total,
                first_night=alone.first_night,
                now=now,
            )
            assert row.rate_plan.name == plan.name and row.room_type.name == plan.room_type.name


# --- room configurations (several rooms, each with its own party) -----------------------------------------------

room_parties = st.lists(
    st.builds(RoomParty, st.integers(min_value=1, max_value=3), st.lists(st.integers(0, 17), max_size=2).map(tuple)),
    min_size=2,
    max_size=4,
)


@st.composite
def party_catalogues(draw):
    c = draw(catalogues())
    c["sold"] = draw(st.lists(st.integers(min_value=0, max_value=3), min_size=2, max_size=2))  # of 3 per night
    c["small_second_room"] = draw(st.booleans())
    c["added_percent"] = draw(
        st.one_of(st.none(), st.decimals(min_value=Decimal("0"), max_value=Decimal("15"), places=2))
    )
    c["party"] = draw(room_parties)
    return c


def build_party(c):
    hotel, stay = build(c)
    room_types = list(hotel.room_types.order_by("name"))
    for room_type, sold in zip(room_types, c["sold"], strict=True):
        NightInventory.objects.filter(room_type=room_type, date=stay.check_in).update(rooms_sold=sold)
    if c["small_second_room"]:
        room_types[1].__class__.objects.filter(pk=room_types[1].pk).update(
            max_adults=2, max_children=0, max_occupancy=2
        )
    if c["added_percent"] is not None:
        HotelTax.objects.create(hotel=hotel, name="Service", kind="percent", amount=c["added_percent"])
    return hotel, Stay.of_rooms(check_in=stay.check_in, check_out=stay.check_out, party=c["party"])


def cheapest_combination_by_brute_force(hotel, stay):
    """Every way to put each room of the configuration in a room type that can host its party alone, each room
    priced by ``stay_quote`` as a one-room stay (the offers of the booking path), no more rooms of a type than it
    has left: the cheapest total, or None."""
    per_room = []
    for room in stay.party:
        one = Stay(
            check_in=stay.check_in,
            check_out=stay.check_out,
            adults=room.adults,
            children=room.children,
            children_ages=room.ages,
        )
        cheapest = {}
        for offer in hotel_offers(hotel=hotel, stay=one):
            known = cheapest.get(offer.room_type.pk)
            if known is None or offer.quote.total < known[0]:
                cheapest[offer.room_type.pk] = (offer.quote.total, offer.rooms_available)
        per_room.append(cheapest)
    best = None
    for choice in itertools.product(*(sorted(options) for options in per_room)):
        counts = Counter(choice)
        if any(counts[t] > per_room[i][t][1] for i, t in enumerate(choice)):
            continue
        total = sum(per_room[i][t][0] for i, t in enumerate(choice))
        best = total if best is None else min(best, total)
    return best


@pytest.mark.django_db
@SLOW
@given(party_catalogues())
def test_a_room_configuration_is_priced_as_its_cheapest_combination_of_rooms_each_by_the_pricing_function(
    db, settings, c
):
    settings.SEARCH_CACHE_SECONDS = 0
    settings.SEARCH_OFFER_SOURCES = []
    with rolled_back():
        hotel, stay = build_party(c)
        expected = cheapest_combination_by_brute_force(hotel, stay)
        found = hotel_search(city=hotel.city, stay=stay, hotel_ids=[hotel.pk])
        page = results_page(city=hotel.city, stay=stay)
        if expected is None:
            assert found == [] and page.hotels == []
            return
        assert [h.pk for h in page.hotels] == [hotel.pk]
        assert page.hotels[0].stay_total == found[0].grand_total == expected
        assert [line.party for line in found[0].lines] == list(stay.party)
