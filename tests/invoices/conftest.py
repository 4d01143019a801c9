"""Bookings paid through the real sandbox bank, and the documents that follow them."""

import pytest
import requests
from django.test import TestCase

from bookings import workflow
from bookings.services import GuestDetails, booking_hold
from hotels.models import HotelTax
from hotels.stay import Stay
from payments.services import payment_start
from tests.factories import RoomTypeFactory, TaxFactory, UserFactory, future, open_nights

APPROVE = "4242424242424242"


def on_commit():
    """Run what the transaction starts after its commit (tasks and effects are eager in tests), as a live site does."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def held(*, room_type=None, customer=None, first_name="Ada", last_name="Lovelace", nights=2, rooms=1):
    if room_type is None:
        room_type = RoomTypeFactory()
        open_nights(room_type, future(10), 3, rooms=5, price="100.00")
        HotelTax.objects.create(
            hotel=room_type.hotel, name="VAT 10%", kind="percent", amount="10", included_in_price=True
        )
        TaxFactory(hotel=room_type.hotel, name="City tax", amount="2.50")
    return booking_hold(
        room_type=room_type,
        stay=Stay(check_in=future(10), check_out=future(10 + nights), adults=2, rooms=rooms),
        guest=GuestDetails(first_name=first_name, last_name=last_name, email="guest@example.com"),
        customer=customer or UserFactory(),
    )


def pay(booking, card=APPROVE):
    """The guest pays at the sandbox bank; the answer is fetched the way the return page does, and what follows
    the confirmation (receipt, invoice…) runs after the commit."""
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    requests.post(
        payment.bank_redirect_url,
        data={"card_number": card, "expiry": "12/39", "cvc": "123", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    with on_commit():
        payment = workflow.payment_sync(payment=payment)
    booking.refresh_from_db()
    return payment


@pytest.fixture
def paid_booking(bank):
    booking = held()
    pay(booking)
    return booking


from tests.api.conftest import api, partner, room  # noqa: E402, F401 - the project's fixtures, reused here
from tests.staff.conftest import two_hotels  # noqa: E402, F401
