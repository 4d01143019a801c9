"""The admin's refund page refunds the payment it shows.

A booking with several card payments (a deposit and its balance, a change's difference, a fee) showed on its refund
page the latest one ("Paid 252.00 … already refunded 0.00", the amount field filled with it) while the refund was
taken from the checkout payment: staff refunding a disputed balance refunded the deposit instead (another payment,
possibly another card) and the balance stayed paid."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments.models import Payment, Refund, ScheduledCharge
from tests.payments.test_payment_terms import booked, deposit_room, run_charges

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


@pytest.fixture
def deposit_and_balance(bank):
    booking = booked(deposit_room(free_cancellation_days=10))
    run_charges(at=ScheduledCharge.objects.get(booking=booking).due_at)
    deposit = booking.payments.get(kind="deposit")
    balance = booking.payments.get(kind="balance", status="paid")
    return booking, deposit, balance


def test_the_refund_goes_to_the_payment_the_page_shows(admin_client, deposit_and_balance):
    booking, deposit, balance = deposit_and_balance
    url = reverse("admin:bookings_booking_refund", args=[booking.pk])
    page = admin_client.get(url)
    shown = page.context["payment"]
    answer = admin_client.post(url, {"amount": "50.00", "reason": "goodwill"})
    assert answer.status_code == 302, answer.content.decode()[:500]
    refund = Refund.objects.get()
    assert refund.payment == shown


def test_staff_choose_which_payment_is_refunded(admin_client, deposit_and_balance):
    booking, deposit, balance = deposit_and_balance
    url = reverse("admin:bookings_booking_refund", args=[booking.pk])
    page = admin_client.get(url, {"payment": balance.pk})
    assert page.context["payment"] == balance and page.context["form"].initial["amount"] == Decimal("252.00")
    answer = admin_client.post(url, {"payment": balance.pk, "amount": "252.00", "reason": "balance disputed"})
    assert answer.status_code == 302, answer.content.decode()[:500]
    refund = Refund.objects.get()
    assert (refund.payment, refund.amount) == (balance, Decimal("252.00"))
    deposit.refresh_from_db()
    assert deposit.refund_pending_amount == deposit.refunded_amount == Decimal("0.00")


def test_a_payment_of_another_booking_is_refused(admin_client, deposit_and_balance, bank):
    booking, deposit, balance = deposit_and_balance
    other = booked(deposit_room(free_cancellation_days=10))
    theirs = other.payments.get(kind="deposit")
    url = reverse("admin:bookings_booking_refund", args=[booking.pk])
    answer = admin_client.post(url, {"payment": theirs.pk, "amount": "10.00", "reason": "x"})
    assert answer.status_code in (200, 404)
    assert not Refund.objects.exists()
    assert Payment.objects.get(pk=theirs.pk).refund_pending_amount == Decimal("0.00")
