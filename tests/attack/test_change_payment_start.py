"""Opening the bank's page for a change's difference.

The change was read before the booking's lock and its payment linked to it only after the bank answered, in a
transaction of its own: a change given up meanwhile (its booking cancelled by staff, its hold lapsed) still got a
bank page the guest could pay (then refunded in full), and a bank answer lost on the way left a payment row that no
change knew of. Now the change is checked and its payment linked under the booking's lock, in the transaction that
writes the payment."""

from decimal import Decimal

import pytest
from django.test import TestCase

from bookings import workflow
from bookings.exceptions import InvalidTransition
from bookings.models import Booking
from bookings.services import Actor
from payments.gateways.base import GatewayError
from payments.models import Payment
from payments.services import PaymentError
from tests.factories import future, open_nights
from tests.payments.test_payment_terms import ARRIVAL, booked, room

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


@pytest.fixture
def waiting(bank):
    rt = room(free_cancellation_days=10)
    open_nights(rt, future(ARRIVAL + 3), 1, price="120.00", rooms=3)
    booking = booked(rt)
    change = workflow.booking_modify(
        booking=booking, check_out=future(ARRIVAL + 4), actor_kind=Actor.CUSTOMER, channel=Booking.Source.WEBSITE
    )
    assert change.status == "pending_payment" and change.difference == Decimal("120.00")
    return booking, change


def test_no_bank_page_for_a_change_given_up_meanwhile(waiting):
    booking, change = waiting  # ``change`` as the page read it, before the booking was cancelled
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_cancel(booking=booking, actor_kind=Actor.STAFF)
    with pytest.raises(InvalidTransition):
        workflow.booking_change_payment_start(change=change, return_url="http://testserver/r", webhook_url=None)
    assert not Payment.objects.filter(kind="change_difference").exists()


def test_a_lost_bank_answer_leaves_the_payment_linked_to_its_change(waiting, monkeypatch):
    booking, change = waiting
    from payments import services

    gateway = services.get_gateway()

    def lost(**kwargs):
        raise GatewayError("timeout")

    monkeypatch.setattr(gateway, "create_session", lost)
    monkeypatch.setattr(services, "get_gateway", lambda: gateway)
    with pytest.raises(PaymentError):
        workflow.booking_change_payment_start(change=change, return_url="http://testserver/r", webhook_url=None)
    payment = Payment.objects.get(kind="change_difference")
    change.refresh_from_db()
    assert change.payment_id == payment.pk
