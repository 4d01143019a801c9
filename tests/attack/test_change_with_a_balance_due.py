"""A change of a deposit booking whose balance is still to be charged.

A booking on deposit terms has paid its deposit and owes its balance on a saved card, charged on its date. A change
that made the stay cheaper refunded the difference from the deposit (up to all of it) and left the balance owed in
full, so the guest, charged that balance later, paid more than the new total; a change that cost more was charged
in full at once while the balance stayed at its old amount (right, but only because the balance didn't move)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import TestCase

from bookings import workflow
from bookings.models import Booking
from bookings.services import Actor
from payments.models import Payment, ScheduledCharge
from tests.factories import future
from tests.payments.test_payment_terms import ARRIVAL, booked, deposit_room, run_charges

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def net_paid(booking) -> Decimal:
    payments = Payment.objects.filter(booking=booking, paid_at__isnull=False)
    return sum((p.amount - p.refunded_amount - p.refund_pending_amount for p in payments), Decimal("0.00"))


def test_a_cheaper_change_lowers_the_balance_still_owed_before_refunding_the_deposit(bank):
    rt = deposit_room(free_cancellation_days=10)
    booking = booked(rt)  # 3 nights, 360.00: deposit 108.00 paid, balance 252.00 owed on the card
    balance = ScheduledCharge.objects.get(booking=booking)
    assert (booking.status, balance.amount) == ("confirmed", Decimal("252.00"))

    with TestCase.captureOnCommitCallbacks(execute=True):
        change = workflow.booking_modify(
            booking=booking,
            check_out=future(ARRIVAL + 2),
            actor_kind=Actor.CUSTOMER,
            channel=Booking.Source.WEBSITE,
        )
    booking.refresh_from_db()
    assert change.status == "applied" and booking.total == Decimal("240.00")

    run_charges(at=balance.due_at)
    run_charges(at=balance.due_at + timedelta(days=5))
    booking.refresh_from_db()
    assert net_paid(booking) == booking.total == Decimal("240.00")
    balance.refresh_from_db()
    assert balance.amount == Decimal("132.00")
    deposit = booking.payments.get(kind="deposit")
    assert deposit.refunded_amount == Decimal("0.00")  # the deposit is kept: the balance owed shrank instead


def test_a_change_cheaper_than_the_balance_cancels_it_and_refunds_the_rest(bank):
    rt = deposit_room(free_cancellation_days=10)
    booking = booked(rt)
    balance = ScheduledCharge.objects.get(booking=booking)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_modify(
            booking=booking,
            check_out=future(ARRIVAL + 1),
            actor_kind=Actor.CUSTOMER,
            channel=Booking.Source.WEBSITE,
        )
    booking.refresh_from_db()
    assert booking.total == Decimal("120.00")  # 240.00 off: the balance 252.00 → 12.00
    balance.refresh_from_db()
    assert (balance.status, balance.amount) == ("scheduled", Decimal("12.00"))
    run_charges(at=balance.due_at)
    booking.refresh_from_db()
    assert net_paid(booking) == booking.total
