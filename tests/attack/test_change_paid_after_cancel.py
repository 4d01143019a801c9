"""A change waiting for its difference when the booking is cancelled, then paid at the bank's page anyway: the
change is not applied, its payment is refunded in full and the cancellation's refund is not taken from it twice."""

from decimal import Decimal

import pytest
from django.test import TestCase

from bookings import workflow
from bookings.models import Booking, BookingChange
from bookings.services import Actor
from tests.factories import future, open_nights
from tests.payments.test_payment_terms import ARRIVAL, booked, pay_at_bank, room

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def test_a_change_paid_after_the_booking_was_cancelled_is_refunded_in_full(bank):
    rt = room(free_cancellation_days=10)
    open_nights(rt, future(ARRIVAL + 3), 1, price="120.00", rooms=3)
    booking = booked(rt)
    change = workflow.booking_modify(
        booking=booking, check_out=future(ARRIVAL + 4), actor_kind=Actor.CUSTOMER, channel=Booking.Source.WEBSITE
    )
    assert change.status == "pending_payment" and change.difference == Decimal("120.00")
    payment = workflow.booking_change_payment_start(change=change, return_url="http://testserver/r", webhook_url=None)

    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_cancel(booking=booking, actor_kind=Actor.CUSTOMER)
    pay_at_bank(payment.bank_redirect_url)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.payment_sync(payment=payment)
        workflow.payment_sync(payment=payment)  # the return page and the webhook both

    booking.refresh_from_db()
    change.refresh_from_db()
    payment.refresh_from_db()
    assert booking.status == "cancelled" and booking.check_out == future(ARRIVAL + 3)
    assert change.status == BookingChange.Status.FAILED
    assert payment.paid_at is not None and payment.refund_pending_amount + payment.refunded_amount == payment.amount
    checkout = booking.payments.get(kind="full")
    assert checkout.refund_pending_amount + checkout.refunded_amount == Decimal("360.00")  # free cancellation
