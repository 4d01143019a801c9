"""A stay whose total is beyond what a booking's money columns hold (``max_digits=12``: 9,999,999,999.99).

A manager's price override of 5,000,000,000.00 on each of two rooms, or a night price typed with a few zeros too
many and sold for two nights, made ``booking_hold`` insert a total PostgreSQL refuses ("numeric field overflow"):
a 500 on the staff desk and on the guest's review page. Now the hold is refused before anything is written, with
a message; the columns' precision stays what holds the invariant."""

from decimal import Decimal

import pytest

from bookings.exceptions import StayInvalid
from bookings.models import Booking
from bookings.services import GuestDetails, booking_hold
from hotels.stay import Stay
from tests.factories import RoomTypeFactory, future, open_nights
from tests.staff.conftest import manager_a, two_hotels  # noqa: F401
from tests.staff.test_staff_booking import NEW, form, line, rooms_a  # noqa: F401

pytestmark = [pytest.mark.django_db]


def test_a_price_override_beyond_the_books_is_a_message_on_the_desk(client, two_hotels, rooms_a, manager_a):  # noqa: F811
    client.raise_request_exception = False
    alpha = two_hotels[0]
    double, family = rooms_a
    client.force_login(manager_a)
    rooms = [
        line(double, price="5000000000.00", price_reason="vip"),
        line(family, adults=1, price="5000000000.00", price_reason="vip"),
    ]
    answer = client.post(NEW, form(alpha, rooms))
    assert answer.status_code == 200, answer.status_code
    assert "costs more than one booking can hold" in answer.content.decode()
    assert not Booking.objects.filter(guest_email="paula@example.com").exists()


def test_a_night_price_with_zeros_too_many_is_refused_when_held():
    room_type = RoomTypeFactory()
    open_nights(room_type, future(10), 2, price="9999999999.00")
    with pytest.raises(StayInvalid, match="costs more than one booking can hold"):
        booking_hold(
            room_type=room_type,
            stay=Stay(check_in=future(10), check_out=future(12), adults=2),
            guest=GuestDetails(first_name="Ada", last_name="Lovelace", email="ada@example.com"),
        )
    assert not Booking.objects.exists()
    assert room_type.nights.filter(rooms_sold__gt=0).count() == 0


def test_the_largest_total_the_books_hold_is_still_sold():
    room_type = RoomTypeFactory()
    open_nights(room_type, future(10), 1, price="9999999999.99")
    booking = booking_hold(
        room_type=room_type,
        stay=Stay(check_in=future(10), check_out=future(11), adults=1),
        guest=GuestDetails(first_name="Ada", last_name="Lovelace", email="ada@example.com"),
    )
    assert booking.total == Decimal("9999999999.99")
