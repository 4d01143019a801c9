"""A partner books exactly what the availability answer showed (now written from plain rows priced in bulk): every
offer, booked with the shown total as ``expected_total``, is made at that total and charged that total in the
ledger; a shown price gone stale is refused with ``price_changed``, never charged differently."""

import uuid
from decimal import Decimal

import pytest
from django.core.cache import cache

from bookings.models import Booking
from hotels.models import NightInventory, RoomType
from payments.ledger import booking_balance_of
from tests.api.conftest import client_for
from tests.factories import ChildBandFactory, RatePlanFactory, TaxFactory, future, plan_night, standard_plan

GUEST = {"first_name": "Mallory", "last_name": "Partner", "email": "m@example.com", "phone": "+1 555 0199"}
PARTY = {"adults": 5, "children": 2, "children_ages": [5, 14], "rooms": 2}


@pytest.fixture
def catalogue(room):
    """``room`` (Paris, 100.00 a night, a city tax per person-night) with extra adults, a child band, a VAT on
    meals, a fee per stay and plans derived from its standard plan (percent off, meals added at an amount, a plan
    with a dearer first night of its own)."""
    RoomType.objects.filter(pk=room.pk).update(extra_adult_price=Decimal("30.00"), max_adults=3, max_occupancy=4)
    NightInventory.objects.filter(room_type=room).update(rooms_for_sale=6)
    hotel = room.hotel
    ChildBandFactory(hotel=hotel, min_age=0, max_age=11, price=Decimal("12.50"))
    TaxFactory(hotel=hotel, name="Meals VAT", kind="percent", amount=Decimal("5.5"), component="meals")
    TaxFactory(hotel=hotel, name="Cleaning", kind="per_stay", amount=Decimal("15.00"), included_in_price=False)
    flexible = standard_plan(room)
    plan_night(flexible, future(11), price=Decimal("133.33"))
    RatePlanFactory(
        room_type=room,
        name="Non-refundable",
        parent=flexible,
        derivation="percent",
        derivation_value=Decimal("-12.5"),
        free_cancellation_days=None,
    )
    RatePlanFactory(
        room_type=room,
        name="Breakfast",
        parent=flexible,
        derivation="amount",
        derivation_value=Decimal("24.10"),
        adjustment_component="meals",
        payment_terms="deposit",
        deposit="first_night",
    )
    return room


def availability(api) -> list[dict]:
    query = {"city": "Paris", "check_in": future(10), "check_out": future(12), **PARTY}
    query["children_ages"] = ",".join(str(age) for age in PARTY["children_ages"])
    answer = api.get("/api/v1/availability/", query)
    assert answer.status_code == 200, answer.content
    [hotel] = answer.json()["results"]
    return hotel["offers"]


def book_offer(api, offer, total):
    return api.post(
        "/api/v1/bookings/",
        {
            "room_type": offer["room_type"]["id"],
            "rate_plan": offer["rate_plan"]["id"],
            "check_in": future(10).isoformat(),
            "check_out": future(12).isoformat(),
            **PARTY,
            "expected_total": total,
            "guest": GUEST,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


def test_every_offer_shown_is_booked_and_charged_at_the_total_shown(partner, catalogue):
    api = client_for(partner)
    offers = availability(api)
    assert {o["rate_plan"]["name"] for o in offers} == {"Standard rate", "Non-refundable", "Breakfast"}, offers
    for offer in offers:
        answer = book_offer(api, offer, offer["total"])
        assert answer.status_code == 201, (offer["rate_plan"]["name"], answer.json())
        made = answer.json()
        booking = Booking.objects.get(reference=made["reference"])
        assert str(booking.total) == offer["total"] == made["total"], offer["rate_plan"]["name"]
        assert booking_balance_of(booking).charged == Decimal(offer["total"]), offer["rate_plan"]["name"]
        assert made["payment_terms"]["total"] == offer["payment_terms"]["total"], (made, offer)
        assert made["cancellation_policy"] == offer["cancellation_policy"], offer["rate_plan"]["name"]


def test_a_stale_availability_price_is_refused_never_charged_differently(partner, catalogue, settings):
    api = client_for(partner)
    [offer, *_] = availability(api)
    NightInventory.objects.filter(room_type=catalogue, date=future(10)).update(price=Decimal("140.00"))
    again = availability(api)  # the availability answer may be cached: the shown price is now stale either way
    answer = book_offer(api, offer, offer["total"])
    fresh = next(o for o in again if o["rate_plan"]["id"] == offer["rate_plan"]["id"])
    if fresh["total"] == offer["total"]:  # answered from the cache: the booking must still refuse the old price
        cache.clear()
    assert answer.status_code == 409, answer.json()
    assert answer.json()["error"]["code"] == "price_changed"
    assert not Booking.objects.exists()
