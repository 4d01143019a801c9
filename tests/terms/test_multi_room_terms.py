"""A booking of several rooms pays each room under its own rate plan's terms: the amount due now and later is the
sum over the lines, frozen per line in the snapshot, and the review page's button says what is paid now."""

import re
from decimal import Decimal

import pytest
import requests
from django.urls import reverse

from bookings.models import Booking
from payments.models import ScheduledCharge
from tests.bookings.test_flow import GUEST, come_back, pay_at_bank
from tests.factories import RoomTypeFactory, future, open_nights, standard_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]
PASSWORD = {"password1": "un-guessable 42!", "password2": "un-guessable 42!"}


@pytest.fixture
def three_plans(db):
    """A deposit room (the first night now), a guaranteed room (all at the hotel) and a prepaid room."""
    double = RoomTypeFactory(name="Garden Double", max_adults=2, max_children=0, max_occupancy=2)
    family = RoomTypeFactory(hotel=double.hotel, name="Family Suite", max_adults=2, max_occupancy=4)
    single = RoomTypeFactory(hotel=double.hotel, name="Single", max_adults=1, max_occupancy=1)
    for rt, price, terms in (
        (double, "100.00", {"payment_terms": "deposit", "deposit": "first_night", "balance_days_before": 3}),
        (family, "150.00", {"payment_terms": "guarantee"}),
        (single, "80.00", {"payment_terms": "prepay"}),
    ):
        open_nights(rt, future(10), 3, price=price, rooms=2)
        plan = standard_plan(rt)
        for field, value in terms.items():
            setattr(plan, field, value)
        plan.save()
    return double, family, single


def test_each_room_pays_under_its_own_plan_and_the_button_says_what_is_paid_now(client, bank, three_plans):
    double, family, single = three_plans
    rooms = [f"{standard_plan(double).pk}:2:", f"{standard_plan(family).pk}:2:", f"{standard_plan(single).pk}:1:"]
    start = client.post(
        reverse("bookings:start"),
        {"check_in": future(10).isoformat(), "check_out": future(12).isoformat(), "room": rooms},
    )
    assert start.status_code == 302
    details = client.post(start["Location"], {**GUEST, **PASSWORD, "room_0": "", "room_1": "", "room_2": ""})
    assert details.status_code == 302
    review = re.sub(r"\s+", " ", client.get(details["Location"]).content.decode())
    # 100.00 deposit (the double's first night) + 0.00 (guaranteed family) + 160.00 (prepaid single) = 260.00
    assert "Pay €260.00 now, securely" in review and "Pay €660.00 securely" not in review
    assert "€100.00" in review and "300.00 EUR at the hotel" in review

    to_bank = client.post(details["Location"], {"expected_total": "660.00"})
    assert to_bank.status_code == 302 and to_bank["Location"].startswith(bank.url)
    assert "260.00" in requests.get(to_bank["Location"], timeout=5).text
    come_back(client, pay_at_bank(to_bank["Location"], "4242424242424242"))

    booking = Booking.objects.get()
    terms = booking.price_snapshot["payment_terms"]
    assert (terms["kind"], terms["total"], terms["due_now"], terms["due_later"]) == (
        "mixed",
        "660.00",
        "260.00",
        "400.00",
    )
    assert (terms["due_later_card"], terms["due_at_hotel"]) == ("100.00", "300.00")
    assert [(t["position"], t["kind"], t["due_now"]) for t in terms["lines"]] == [
        (1, "deposit", "100.00"),
        (2, "guarantee", "0.00"),
        (3, "prepay", "160.00"),
    ]
    lines = booking.lines.order_by("position")
    assert [line.price_snapshot["payment_terms"]["kind"] for line in lines] == ["deposit", "guarantee", "prepay"]
    payment = booking.payments.get()
    assert (payment.kind, payment.amount, payment.status) == ("deposit", Decimal("260.00"), "paid")
    balance = ScheduledCharge.objects.get(booking=booking)
    assert (balance.purpose, balance.amount) == ("balance", Decimal("100.00"))
    assert booking.status == "confirmed" and hasattr(booking, "saved_card")
