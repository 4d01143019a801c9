"""Two hotels, Alpha and Beta, each with a confirmed booking; staff of Alpha in each role."""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from bookings.services import GuestDetails, booking_hold
from bookings.workflow import booking_confirm, payment_sync
from hotels.models import HotelStaff
from hotels.services import staff_member_add
from hotels.stay import Stay
from payments.services import payment_start
from tests.factories import HotelFactory, RoomTypeFactory, TaxFactory, UserFactory, open_nights


def hotel_today(hotel):
    return timezone.now().astimezone(hotel.tzinfo).date()


def messages_of(response) -> str:
    """The admin messages shown on ``response`` (a followed redirect), as one plain string."""
    return " | ".join(str(m) for m in response.context["messages"])


def booking_at(
    hotel, *, email="guest@example.com", first_name="Guest", last_name=None, check_in=10, nights=2, confirm=True
):
    """A booking at ``hotel`` arriving ``check_in`` days after the hotel's today (confirmed without a payment,
    as a partner booking is)."""
    rt = hotel.room_types.first() or RoomTypeFactory(hotel=hotel)
    today = hotel_today(hotel)
    if not rt.nights.exists():
        open_nights(rt, today, 60, rooms=5)
    booking = booking_hold(
        room_type=rt,
        stay=Stay(
            check_in=today + timedelta(days=check_in), check_out=today + timedelta(days=check_in + nights), adults=2
        ),
        guest=GuestDetails(first_name=first_name, last_name=last_name or hotel.name, email=email),
    )
    return booking_confirm(booking=booking) if confirm else booking


def paid_booking_at(hotel, *, email="payer@example.com", check_in=20):
    """A booking paid by card at the sandbox bank, confirmed the way the website confirms it (needs ``bank``)."""
    booking = booking_at(hotel, email=email, check_in=check_in, confirm=False)
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    requests.post(
        payment.bank_redirect_url,
        data={"card_number": "4242424242424242", "expiry": "12/39", "cvc": "123", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    payment_sync(payment=payment)
    booking.refresh_from_db()
    assert booking.status == "confirmed", booking.status
    return booking


def staff(hotel, role, email):
    user = UserFactory(email=email)
    staff_member_add(hotel=hotel, user=user, role=role)
    return user


@pytest.fixture
def two_hotels():
    a, b = HotelFactory(name="Alpha Hotel"), HotelFactory(name="Beta Hotel")
    TaxFactory(hotel=a, name="Alpha city tax")
    TaxFactory(hotel=b, name="Beta city tax")
    return a, b, booking_at(a, email="alpha-guest@example.com"), booking_at(b, email="beta-guest@example.com")


@pytest.fixture
def front_desk_a(two_hotels):
    return staff(two_hotels[0], HotelStaff.Role.FRONT_DESK, "desk@alpha.example")


@pytest.fixture
def manager_a(two_hotels):
    return staff(two_hotels[0], HotelStaff.Role.MANAGER, "boss@alpha.example")


@pytest.fixture
def manager_a_desk_b(two_hotels):
    """Manages Alpha and works the front desk at Beta: a manager's powers at Alpha only."""
    user = staff(two_hotels[0], HotelStaff.Role.MANAGER, "both@alpha.example")
    staff_member_add(hotel=two_hotels[1], user=user, role=HotelStaff.Role.FRONT_DESK)
    return user


@pytest.fixture
def superuser():
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
