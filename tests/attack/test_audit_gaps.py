"""The books audit (``bookings.audit``) checks that no *refund* stays unknown for more than an hour, but not the same
of a *payment*: a guest charged by the bank whose status API never answers stays ``unknown`` for good, the hold
lapses and the nights are resold, and the audit reports nothing."""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from bookings import workflow
from bookings.audit import books_findings
from bookings.models import Booking
from payments.models import Payment
from payments.services import payment_start
from tests.bookings.test_workflow import held

pytestmark = pytest.mark.django_db
HANGS = "4000000000000119"  # approved; the bank's status API never answers (and sends no webhook)


def test_the_audit_reports_a_payment_whose_outcome_stays_unknown(settings, bank):
    settings.PAYMENT_GATEWAY_OPTIONS = {**settings.PAYMENT_GATEWAY_OPTIONS, "retries": 0}
    booking = held()
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    requests.post(
        payment.bank_redirect_url,
        data={"card_number": HANGS, "expiry": "12/39", "cvc": "123", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    payment = workflow.payment_sync(payment=payment)  # the return page: the bank does not answer
    assert payment.status == Payment.Status.UNKNOWN
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    workflow.holds_expire()
    workflow.payments_reconcile()  # still no answer
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED  # the guest was charged; the nights are back on sale

    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(hours=6))
    findings = books_findings()
    assert any(str(payment.pk) in f.subject or booking.reference in f.subject for f in findings), (
        f"a payment unknown for 6 hours on an expired booking; the audit says {findings}"
    )
