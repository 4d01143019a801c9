"""Rate plans, occupancy and child pricing through the public surfaces: the search and hotel pages, the booking
flow with the sandbox bank, cancellation, receipts, and the partner API (new fields and older requests)."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from hotels.models import ChildAgeBand, RatePlan
from hotels.offers import hotel_offers
from hotels.search import hotel_search
from hotels.stay import Stay
from tests.api.conftest import book, client_for
from tests.bookings.test_flow import APPROVE, GUEST, come_back, pay_at_bank
from tests.factories import (
    HotelFactory,
    RatePlanFactory,
    RoomTypeFactory,
    TaxFactory,
    future,
    open_nights,
    plan_night,
    standard_plan,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]  # the books add up after every flow


@pytest.fixture
def hotel_with_plans(db):
    """A Paris hotel: a double at 100.00 a night (2 adults included, extra adult 30.00), sold as Flexible (free
    until 2 days before), Non-refundable (−15%) and Breakfast included (+24.00); children 0–2 free, 3–11 at
    20.00; a city tax of 2.00 per person per night."""
    hotel = HotelFactory(name="Hôtel des Tarifs", city="Paris")
    rt = RoomTypeFactory(
        hotel=hotel, name="Double", max_adults=3, max_children=2, max_occupancy=4, extra_adult_price="30.00"
    )
    flexible = standard_plan(rt)
    flexible.name = "Flexible"
    flexible.save()
    RatePlanFactory(
        room_type=rt,
        name="Non-refundable",
        parent=flexible,
        derivation="percent",
        derivation_value=Decimal("-15"),
        free_cancellation_days=None,
        position=1,
    )
    RatePlanFactory(
        room_type=rt,
        name="Breakfast included",
        meal_plan="breakfast",
        parent=flexible,
        derivation="amount",
        derivation_value=Decimal("24.00"),
        position=2,
    )
    ChildAgeBand.objects.create(hotel=hotel, min_age=0, max_age=2, price=0)
    ChildAgeBand.objects.create(hotel=hotel, min_age=3, max_age=11, price=Decimal("20.00"))
    TaxFactory(hotel=hotel, amount=Decimal("2.00"))
    open_nights(rt, future(10), 5, price="100.00", rooms=3)
    return rt


def plans(rt):
    return {p.name: p for p in rt.rate_plans.all()}


def stay(nights=2, **kw):
    return Stay(check_in=future(10), check_out=future(10 + nights), **{"adults": 2, **kw})


def query(nights=2, **kw):
    params = {
        "check_in": future(10).isoformat(),
        "check_out": future(10 + nights).isoformat(),
        "adults": 2,
        "children": 0,
        "rooms": 1,
    }
    params.update(kw)
    return params


# --- offers ------------------------------------------------------------------------------------------------------


def test_the_hotel_page_lists_each_rate_cheapest_first_with_its_policy(client, hotel_with_plans):
    hotel = hotel_with_plans.hotel
    page = client.get(hotel.get_absolute_url(), query()).content.decode()
    # Two nights for two adults: 170.00 / 200.00 / 248.00, plus 8.00 city tax.
    positions = [page.index(name) for name in ("Non-refundable", "Flexible", "Breakfast included")]
    assert positions == sorted(positions)
    for total in ("€178.00", "€208.00", "€256.00"):
        assert total in page
    deadline = datetime.combine(future(8), hotel.check_in_time)
    assert f"Free cancellation until {deadline:%-d %B, %H:%M}" in page
    assert "Non-refundable" in page and "Breakfast included" in page


def test_the_results_page_shows_the_cheapest_rate_and_its_policy(client, hotel_with_plans):
    response = client.get(reverse("hotels:search"), {"destination": "Paris", **query()})
    page = response.content.decode()
    assert "€178.00" in page and "Double · Non-refundable · Room only" in page


def test_occupancy_and_children_ages_change_the_price(client, hotel_with_plans):
    flexible = plans(hotel_with_plans)["Flexible"]
    offers = {o.rate_plan.pk: o for o in hotel_offers(hotel=hotel_with_plans.hotel, stay=stay(adults=3))}
    quote = offers[flexible.pk].quote
    assert [(e.name, e.amount) for e in quote.extras] == [("Extra adult", Decimal("60.00"))]
    assert quote.total == Decimal("200.00") + Decimal("60.00") + Decimal("12.00")

    kids = stay(adults=2, children=2, children_ages=(1, 7))
    quote = next(o for o in hotel_offers(hotel=hotel_with_plans.hotel, stay=kids) if o.rate_plan == flexible).quote
    assert [(e.name, e.quantity, e.amount) for e in quote.extras] == [
        ("Child 0–2", 1, Decimal("0.00")),
        ("Child 3–11", 1, Decimal("40.00")),
    ]
    # An older child pays as an extra adult; a child whose age isn't given, the dearest band.
    teen = stay(adults=2, children=1, children_ages=(14,))
    quote = next(o for o in hotel_offers(hotel=hotel_with_plans.hotel, stay=teen) if o.rate_plan == flexible).quote
    assert [(e.name, e.amount) for e in quote.extras] == [("Child aged 14 (adult rate)", Decimal("60.00"))]
    unknown = stay(adults=2, children=1)
    quote = next(o for o in hotel_offers(hotel=hotel_with_plans.hotel, stay=unknown) if o.rate_plan == flexible).quote
    assert [(e.name, e.amount) for e in quote.extras] == [("Child (age not given)", Decimal("40.00"))]


def test_the_search_form_asks_each_childs_age(client, hotel_with_plans):
    response = client.get(reverse("hotels:search"), {"destination": "Paris", **query(children=2)})
    assert "Give each child&#x27;s age" in response.content.decode()
    response = client.get(reverse("hotels:search"), {"destination": "Paris", **query(children=2, children_ages="4")})
    assert "Give one age for each of the 2 children" in response.content.decode()
    response = client.get(reverse("hotels:search"), {"destination": "Paris", **query(children_ages="4, 19")})
    assert "whole numbers from 0 to 17" in response.content.decode()
    response = client.get(reverse("hotels:search"), {"destination": "Paris", **query(children_ages="4,9")})
    assert response.status_code == 200 and "2 children" in response.content.decode()


def test_a_derived_plan_follows_its_parents_own_price_for_a_night(hotel_with_plans):
    p = plans(hotel_with_plans)
    plan_night(p["Flexible"], future(11), price=Decimal("140.00"))
    offers = {o.rate_plan.name: o.quote for o in hotel_offers(hotel=hotel_with_plans.hotel, stay=stay())}
    assert [n.unit_price for n in offers["Flexible"].nights] == [Decimal("100.00"), Decimal("140.00")]
    # A derived plan's nights are its parent's, and its change is a line of its own.
    for name in ("Non-refundable", "Breakfast included"):
        assert [n.unit_price for n in offers[name].nights] == [Decimal("100.00"), Decimal("140.00")]
    assert [(a.name, a.amount) for a in offers["Non-refundable"].adjustments] == [
        ("Non-refundable (-15%)", Decimal("-36.00"))
    ]
    assert [(a.name, a.amount) for a in offers["Breakfast included"].adjustments] == [
        ("Breakfast included (+24.00 per room per night)", Decimal("48.00"))
    ]
    assert offers["Non-refundable"].total == Decimal("212.00")  # 240 − 36 + city tax 2.00 × 2 × 2


@pytest.mark.parametrize(
    "rule, nights, closed",
    [
        ({"closed_to_arrival": True}, 2, True),
        ({"min_stay": 3}, 2, True),
        ({"min_stay": 3}, 3, False),
        ({"max_stay": 2}, 3, True),
        ({"max_stay": 2}, 2, False),
    ],
)
def test_arrival_rules_close_only_their_plan(hotel_with_plans, rule, nights, closed):
    p = plans(hotel_with_plans)
    plan_night(p["Non-refundable"], future(10), **rule)
    names = {o.rate_plan.name for o in hotel_offers(hotel=hotel_with_plans.hotel, stay=stay(nights=nights))}
    assert ("Non-refundable" not in names) == closed
    assert {"Flexible", "Breakfast included"} <= names
    found = hotel_search(city="Paris", stay=stay(nights=nights))
    cheapest = RatePlan.objects.get(pk=found[0].best_rate_plan_id)
    assert (cheapest.name == "Flexible") == closed


def test_closed_to_departure_and_stop_sell_close_only_their_plan(hotel_with_plans):
    p = plans(hotel_with_plans)
    plan_night(p["Non-refundable"], future(12), closed_to_departure=True)
    plan_night(p["Breakfast included"], future(11), stop_sell=True)
    assert {o.rate_plan.name for o in hotel_offers(hotel=hotel_with_plans.hotel, stay=stay())} == {"Flexible"}
    # Departing a day later is fine for the non-refundable plan; breakfast stays closed over the 11th.
    later = {o.rate_plan.name for o in hotel_offers(hotel=hotel_with_plans.hotel, stay=stay(nights=3))}
    assert later == {"Flexible", "Non-refundable"}


def test_plan_level_min_stay_and_inactive_plans(hotel_with_plans):
    p = plans(hotel_with_plans)
    RatePlan.objects.filter(pk=p["Non-refundable"].pk).update(min_stay=3)
    RatePlan.objects.filter(pk=p["Breakfast included"].pk).update(is_active=False)
    assert {o.rate_plan.name for o in hotel_offers(hotel=hotel_with_plans.hotel, stay=stay())} == {"Flexible"}
    assert hotel_search(city="Paris", stay=stay())[0].best_total == Decimal("200.00")


# --- booking on the website --------------------------------------------------------------------------------------


def test_booking_a_non_refundable_rate_with_children_end_to_end(client, bank, hotel_with_plans):
    plan = plans(hotel_with_plans)["Non-refundable"]
    hotel_page = client.get(
        hotel_with_plans.hotel.get_absolute_url(), query(children=2, children_ages="1,7")
    ).content.decode()
    # 2 × 85.00 + child 3–11 2 × 20.00 + city tax 2.00 × 4 people × 2 nights = 226.00
    assert "€226.00" in hotel_page
    start = client.post(reverse("bookings:start"), {"rate_plan": plan.pk, **query(children=2, children_ages="1,7")})
    assert start.status_code == 302, start.content
    guest = client.post(start["Location"], {**GUEST, "password1": "un-guessable 42!", "password2": "un-guessable 42!"})
    review_url = guest["Location"]
    review = client.get(review_url).content.decode()
    assert "€226.00" in review and "Non-refundable" in review and "Child 3–11" in review
    pay = client.post(review_url, {"expected_total": "226.00"})
    come_back(client, pay_at_bank(pay["Location"], APPROVE))
    booking = Booking.objects.get()
    assert booking.status == "confirmed" and booking.rate_plan == plan and booking.total == Decimal("226.00")
    assert booking.children_ages == [1, 7] and booking.price_snapshot["rate_plan"]["name"] == "Non-refundable"
    assert booking.cancellation_policy["free_until"] is None
    detail = client.get(booking.get_absolute_url()).content.decode()
    assert "Non-refundable · Room only" in detail and "(aged 1, 7)" in detail
    cancel = client.get(reverse("bookings:cancel", kwargs={"reference": booking.reference})).content.decode()
    assert "226.00" in cancel  # the whole stay is kept
    client.post(reverse("bookings:cancel", kwargs={"reference": booking.reference}))
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancellation_penalty == booking.total
    assert booking.refunded_amount == 0


def test_a_flexible_rate_cancelled_in_time_is_refunded_in_full(
    client, bank, hotel_with_plans, django_capture_on_commit_callbacks
):
    plan = plans(hotel_with_plans)["Breakfast included"]
    start = client.post(reverse("bookings:start"), {"rate_plan": plan.pk, **query()})
    guest = client.post(start["Location"], {**GUEST, "password1": "un-guessable 42!", "password2": "un-guessable 42!"})
    pay = client.post(guest["Location"], {"expected_total": "256.00"})
    come_back(client, pay_at_bank(pay["Location"], APPROVE))
    booking = Booking.objects.get()
    assert booking.total == Decimal("256.00") and booking.price_snapshot["rate_plan"]["meal_plan"] == "breakfast"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("bookings:cancel", kwargs={"reference": booking.reference}))
    booking.refresh_from_db()
    assert booking.cancellation_penalty == 0 and booking.refunded_amount == Decimal("256.00")


def test_a_rate_closed_after_it_was_chosen_is_refused_plainly(client, hotel_with_plans):
    plan = plans(hotel_with_plans)["Non-refundable"]
    start = client.post(reverse("bookings:start"), {"rate_plan": plan.pk, **query()})
    guest = client.post(start["Location"], {**GUEST, "password1": "un-guessable 42!", "password2": "un-guessable 42!"})
    plan_night(plan, future(10), closed_to_arrival=True)
    response = client.post(guest["Location"], {"expected_total": "178.00"}, follow=True)
    assert "Non-refundable is no longer available" in response.content.decode()
    assert not Booking.objects.exists()


def test_a_rate_plan_of_another_room_type_or_a_junk_value_is_refused(client, hotel_with_plans):
    other = RoomTypeFactory(hotel=hotel_with_plans.hotel, name="Suite")
    plan = plans(hotel_with_plans)["Flexible"]
    response = client.post(reverse("bookings:start"), {"rate_plan": plan.pk, "room_type": other.pk, **query()})
    assert response.status_code == 302 and not Booking.objects.exists()
    for junk in ("x", "-1", "999999999", ""):
        response = client.post(reverse("bookings:start"), {"rate_plan": junk, **query()})
        assert response.status_code == 302


# --- partner API ------------------------------------------------------------------------------------------------


@pytest.fixture
def api(db):
    from partners.models import Partner

    return client_for(Partner.objects.create(name="Agency"))


def test_api_availability_lists_each_rate_with_policy_and_supplements(api, hotel_with_plans):
    response = api.get("/api/v1/availability/", {"city": "Paris", **query(adults=3, children=1, children_ages="7")})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["children_ages"] == [7]
    offers = data["results"][0]["offers"]
    assert [o["rate_plan"]["name"] for o in offers] == ["Non-refundable", "Flexible", "Breakfast included"]
    flexible = offers[1]
    assert flexible["extras"] == [
        {"name": "Extra adult", "unit_price": "30.00", "quantity": 1, "nights": 2, "amount": "60.00"},
        {"name": "Child 3–11", "unit_price": "20.00", "quantity": 1, "nights": 2, "amount": "40.00"},
    ]
    assert flexible["total"] == "316.00"  # 200 + 60 + 40 + 2.00 × 4 × 2
    assert offers[0]["cancellation_policy"]["summary"].startswith("Non-refundable")
    assert offers[1]["cancellation_policy"]["free_until"]


def test_api_booking_takes_rate_plan_and_children_ages(api, hotel_with_plans):
    plan = plans(hotel_with_plans)["Non-refundable"]
    response = book(api, hotel_with_plans, rate_plan=plan.pk, children=1, children_ages=[7], expected_total="220.00")
    # 170.00 + child 2 × 20.00 + city tax 2.00 × 3 × 2 = 222.00: the expected total was wrong → 409, nothing booked
    assert response.status_code == 409 and response.json()["error"]["total"] == "222.00"
    response = book(api, hotel_with_plans, rate_plan=plan.pk, children=1, children_ages=[7], expected_total="222.00")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["rate_plan"] == {"id": plan.pk, "name": "Non-refundable", "meal_plan": "room_only"}
    assert data["children_ages"] == [7] and data["cancellation_policy"]["free_until"] is None


def test_older_api_requests_without_plan_or_ages_still_work(api, hotel_with_plans):
    response = book(api, hotel_with_plans, children=1)
    assert response.status_code == 201, response.json()
    booking = Booking.objects.get()
    assert booking.rate_plan.name == "Flexible"  # the room type's plan with its own prices
    assert booking.children_ages == [None]
    # 200.00 + a child of unknown age at the dearest band 2 × 20.00 + city tax 2.00 × 3 × 2
    assert booking.total == Decimal("252.00")


def test_api_refuses_bad_plans_and_ages_with_the_error_shape(api, hotel_with_plans):
    other = RoomTypeFactory(hotel=hotel_with_plans.hotel, name="Suite")
    response = book(api, hotel_with_plans, rate_plan=standard_plan(other).pk)
    assert response.status_code == 404 and response.json()["error"]["code"] == "rate_plan_not_found"
    for ages in ([18], [-1], ["x"], "many", [True], [1, 2, 3] * 4, {"a": 1}):
        response = book(api, hotel_with_plans, children=1, children_ages=ages)
        assert response.status_code == 400, (ages, response.json())
        assert response.json()["error"]["code"]
    response = book(api, hotel_with_plans, children=2, children_ages=[4])
    assert response.status_code == 400 and "children_ages" in str(response.json())
    response = api.get("/api/v1/availability/", {"city": "Paris", **query(children_ages="4,x")})
    assert response.status_code == 400


def test_a_plan_closed_for_the_stay_is_a_clear_422(api, hotel_with_plans):
    plan = plans(hotel_with_plans)["Non-refundable"]
    plan_night(plan, future(10), closed_to_arrival=True)
    response = book(api, hotel_with_plans, rate_plan=plan.pk)
    assert response.status_code == 422 and "arrivals are closed" in response.json()["error"]["message"]


def test_free_cancellation_deadline_is_in_hotel_time(hotel_with_plans):
    hotel = hotel_with_plans.hotel
    hotel.timezone = "Asia/Tokyo"
    hotel.save()
    offer = next(o for o in hotel_offers(hotel=hotel, stay=stay()) if o.rate_plan.name == "Flexible")
    deadline = datetime.fromisoformat(offer.policy["free_until"])
    assert deadline.utcoffset() == timedelta(hours=9) and deadline.date() == future(8)
    assert offer.policy_line == f"Free cancellation until {deadline:%-d %B, %H:%M}"
    assert timezone.is_aware(deadline)
