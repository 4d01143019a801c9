"""Findings 16 and 17: the booking page gives the hold's end in the guest's terms (minutes left, and the time at
the hotel with its zone), and a non-refundable policy reads as a caution on every booking page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import Booking
from tests.bookings.test_flow import to_review
from tests.factories import HotelFactory, RoomTypeFactory, TaxFactory, future, open_nights

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_york_room(db):
    rt = RoomTypeFactory(
        hotel=HotelFactory(city="New York", timezone="America/New_York", currency="USD"),
        plan__free_cancellation_days=None,  # non-refundable
    )
    TaxFactory(hotel=rt.hotel, amount="2.00")
    open_nights(rt, future(10), 3, price="120.00")
    return rt


def policy_box(html: str) -> str:
    return re.search(r'<section class="(policy[^"]*)"', html).group(1)


def test_the_hold_is_shown_in_minutes_left_and_hotel_time(client, bank, new_york_room):
    client.post(to_review(client, new_york_room), {"expected_total": "248.00"})
    booking = Booking.objects.get()
    expires = timezone.now().replace(microsecond=0) + timedelta(minutes=12, seconds=30)
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=expires)
    page = client.get(booking.get_absolute_url()).content.decode()
    local = expires.astimezone(new_york_room.hotel.tzinfo)
    assert "held for 13 more minutes" in page
    assert f"until {local:%H:%M} New York time ({local:%Z})" in page
    assert " UTC" not in page


def test_a_non_refundable_booking_reads_as_a_caution(client, bank, new_york_room):
    review_url = to_review(client, new_york_room)
    assert policy_box(client.get(review_url).content.decode()) == "policy policy--strict"
    client.post(review_url, {"expected_total": "248.00"})
    booking = Booking.objects.get()
    assert policy_box(client.get(booking.get_absolute_url()).content.decode()) == "policy policy--strict"
    assert policy_box(client.get(f"/bookings/{booking.reference}/cancel/").content.decode()) == "policy policy--strict"


def test_a_free_cancellation_policy_keeps_the_calm_box(client, bank, new_york_room):
    plan = new_york_room.rate_plans.get()
    plan.free_cancellation_days = 2
    plan.save()
    client.post(to_review(client, new_york_room), {"expected_total": "248.00"})
    booking = Booking.objects.get()
    assert policy_box(client.get(booking.get_absolute_url()).content.decode()) == "policy"
