"""A cancellation nets its refund against refunds still pending; when one of those is then refused by the bank
(``failed``: its reservation released), nobody refunds the guest what the cancellation owed them."""

from decimal import Decimal

import pytest

from bookings import workflow
from bookings.audit import books_findings
from bookings.services import Actor
from payments.gateways.base import GatewayError
from payments.gateways.sandbox import SandboxBankGateway
from payments.models import Payment, Refund
from tests.attack.helpers import HeldSends, penalty_applies_now
from tests.bookings.test_workflow import age_refunds, bank_refunds, held, on_commit, pay
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_guest_cancel_netted_against_a_refund_the_bank_then_refuses_still_refunds_the_guest(bank, monkeypatch):
    customer = UserFactory()
    booking = held(customer=customer)
    payment = pay(booking)  # 200.00
    penalty_applies_now(booking)  # cancelling costs the first night, 100.00
    sends = HeldSends(monkeypatch)  # the refund worker is a moment behind

    with on_commit():
        goodwill = workflow.booking_refund(booking=booking, amount=Decimal("150.00"), reason="staff: noisy room")
    with on_commit():
        workflow.booking_cancel(booking=booking, actor_kind=Actor.CUSTOMER, actor=customer)
    # The guest is owed 200 - 100 = 100 in all; 150 is under way, so the cancellation asked for nothing more.

    real_refund = SandboxBankGateway.refund

    def refuse_the_goodwill_refund(self, **kwargs):
        if kwargs["idempotency_key"] == goodwill.idempotency_key:
            raise GatewayError("refund declined by the issuer", code="refund_declined")
        return real_refund(self, **kwargs)

    monkeypatch.setattr(SandboxBankGateway, "refund", refuse_the_goodwill_refund)
    sends.run()
    goodwill.refresh_from_db()
    assert goodwill.status == Refund.Status.FAILED

    for _ in range(2):  # reconciliation runs, as beat does
        age_refunds()
        with on_commit():
            workflow.refunds_reconcile()
    payment = Payment.objects.get(pk=payment.pk)
    back = payment.refunded_amount + payment.refund_pending_amount
    at_bank = sum((Decimal(r["amount"]) for r in bank_refunds(bank, payment)), Decimal("0"))
    findings = [f.check for f in books_findings()]
    assert back == Decimal("100.00") and at_bank == Decimal("100.00"), (
        f"the guest cancelled with a 100.00 penalty on 200.00 and got back {at_bank} (books: {back}); "
        f"books audit: {findings}"
    )
