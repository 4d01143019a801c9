"""A staff refund that commits while a guest's cancellation is running: the cancellation computes what to refund
from a read of the payment taken *before* it locks the payment (``bookings.workflow.booking_cancel``:
``refundable_amount(payment) - penalty`` on an unlocked row), then reserves that stale figure under the lock."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from bookings import workflow
from bookings.models import Booking
from payments.models import Payment
from tests.attack.helpers import HeldSends, in_other_connection, penalty_applies_now
from tests.bookings.test_workflow import bank_refunds, held, pay
from tests.factories import UserFactory
from tests.staff.conftest import staff


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("policy", ["penalty_first_night", "free_cancellation"])
def test_a_staff_refund_racing_a_guest_cancel_keeps_the_penalty_and_never_answers_500(bank, monkeypatch, policy):
    customer = UserFactory()
    booking = held(customer=customer)  # 2 nights × 100.00
    payment = pay(booking)
    assert payment.status == "paid" and payment.amount == Decimal("200.00")
    if policy == "penalty_first_night":
        penalty_applies_now(booking)
        penalty = Decimal("100.00")
    else:
        penalty = Decimal("0.00")
    manager = staff(booking.hotel, "manager", "boss@hotel.example")
    sends = HeldSends(monkeypatch)

    def staff_refunds_100():
        desk = Client()
        desk.force_login(manager)
        answer = desk.post(
            reverse("admin:bookings_booking_refund", args=[booking.pk]),
            {"amount": "100.00", "reason": "room was noisy"},
        )
        assert answer.status_code == 302, answer.content.decode()[:500]

    # The staff member's refund commits after the cancellation has read the payment, before it locks it.
    real_refund_request = workflow.refund_request
    raced = []

    def refund_request_after_a_staff_refund(**kwargs):
        if not raced:
            raced.append(True)
            in_other_connection(staff_refunds_100)
        return real_refund_request(**kwargs)

    monkeypatch.setattr(workflow, "refund_request", refund_request_after_a_staff_refund)

    guest = Client(raise_request_exception=False)
    guest.force_login(customer)
    answer = guest.post(reverse("bookings:cancel", kwargs={"reference": booking.reference}))
    sends.run()

    booking.refresh_from_db()
    payment = Payment.objects.get(pk=payment.pk)
    at_bank = sum((Decimal(r["amount"]) for r in bank_refunds(bank, payment)), Decimal("0"))
    # Done one after the other (either order), the guest gets back 200 - penalty in all, the staff's 100 included,
    # and the page answers. Raced, the figure must be the same.
    assert answer.status_code == 302, f"the guest's cancel answered {answer.status_code}"
    assert booking.status == Booking.Status.CANCELLED
    assert payment.refunded_amount + payment.refund_pending_amount == Decimal("200.00") - penalty, (
        f"refunded {payment.refunded_amount} (+{payment.refund_pending_amount} pending) for a penalty of {penalty}"
    )
    assert at_bank == Decimal("200.00") - penalty
