"""Invoices and credit notes from the ledger, through the real sandbox bank: totals equal to the ledger, credit
notes referencing what they correct, numbers without gaps, documents that can't be changed."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from bookings import workflow
from bookings.models import Booking
from bookings.services import Actor
from payments.invoices import invoice_documents_sync
from payments.ledger import booking_balance
from payments.models import Invoice, IssuedDocumentError, LedgerEntry

from .conftest import on_commit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def invoiced_net(booking) -> Decimal:
    return sum((d.signed_total for d in booking.invoices.all()), Decimal("0.00"))


def test_a_paid_booking_gets_one_invoice_equal_to_its_ledger(paid_booking):
    booking = paid_booking
    assert booking.status == "confirmed"
    invoice = booking.invoices.get()
    balance = booking_balance(booking)
    charges = booking.ledger_entries.filter(kind="charge")
    assert invoice.kind == "invoice" and invoice.number == f"INV-{invoice.year}-00001"
    assert (
        invoice.total == balance.charged == booking.total == Decimal("210.00")
    )  # 2 nights + city tax 2.50 × 2 adults × 2 nights
    assert balance.paid == booking.total and balance.due == 0
    # one line per charge, and a VAT breakdown that adds up to the total: 10 % included in the room, city tax outside
    assert [Decimal(line["amount"]) for line in invoice.lines] == [c.amount for c in charges]
    assert len(invoice.lines) == 3
    rows = {row["rate"]: row for row in invoice.vat_breakdown}
    assert sum(Decimal(r["gross"]) for r in rows.values()) == invoice.total
    assert rows["10.00"]["vat"] == "18.18" and rows["10.00"]["net"] == "181.82"  # as the snapshot's VAT line says
    assert Decimal(booking.price_snapshot["taxes"][0]["amount"]) == Decimal("18.18")
    assert rows[None]["gross"] == "10.00"
    assert bytes(invoice.pdf).startswith(b"%PDF")
    assert invoice_documents_sync(booking=booking) == []  # in line already: nothing more to issue


def test_cancelling_with_a_refund_issues_a_credit_note_that_references_the_invoice(paid_booking):
    booking = paid_booking
    invoice = booking.invoices.get()
    with on_commit():
        workflow.booking_cancel(booking=booking, actor_kind=Actor.CUSTOMER)
    booking.refresh_from_db()
    credit = booking.invoices.get(kind="credit_note")
    assert credit.corrects == invoice and credit.number == f"CN-{credit.year}-00001"
    assert credit.refund is not None and credit.refund.status == "succeeded"
    assert credit.total == invoice.total  # free cancellation: everything taken back
    balance = booking_balance(booking)
    assert balance.charged == invoiced_net(booking) == 0 and balance.due == 0
    assert balance.refunded == booking.total


def test_a_cancellation_penalty_stays_invoiced_and_the_rest_is_credited(paid_booking):
    booking = paid_booking
    policy = {**booking.cancellation_policy, "free_until": None}  # the free period is over
    Booking.objects.filter(pk=booking.pk).update(cancellation_policy=policy)
    booking.refresh_from_db()
    with on_commit():
        workflow.booking_cancel(booking=booking, actor_kind=Actor.CUSTOMER)
    booking.refresh_from_db()
    assert booking.cancellation_penalty > 0
    credit = booking.invoices.get(kind="credit_note")
    assert credit.total == booking.total - booking.cancellation_penalty
    assert booking_balance(booking).charged == invoiced_net(booking) == booking.cancellation_penalty
    assert booking_balance(booking).due == 0


def test_a_staff_refund_is_a_reduction_with_its_credit_note(paid_booking):
    booking = paid_booking
    invoice = booking.invoices.get()
    with on_commit():
        refund = workflow.booking_refund(
            booking=booking, amount=Decimal("30.00"), reason="staff desk@example.com: noisy room"
        )
    credit = booking.invoices.get(kind="credit_note")
    assert credit.refund == refund and credit.corrects == invoice and credit.total == Decimal("30.00")
    balance = booking_balance(booking)
    assert balance.charged == invoiced_net(booking) == booking.total - Decimal("30.00")
    assert balance.due == 0 and balance.refunded == Decimal("30.00")


def test_an_issued_invoice_cannot_be_changed_or_deleted(paid_booking):
    invoice = paid_booking.invoices.get()
    invoice.total = Decimal("1.00")
    with pytest.raises(IssuedDocumentError):
        invoice.save()
    with pytest.raises(IssuedDocumentError):
        invoice.delete()
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses too, whatever the code does
        Invoice.objects.filter(pk=invoice.pk).update(total=Decimal("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).delete()
    invoice.refresh_from_db()
    assert invoice.total == paid_booking.total


def test_a_payment_has_one_ledger_entry_whatever_the_code_does(paid_booking):
    entry = paid_booking.ledger_entries.get(kind="payment")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            booking=paid_booking,
            kind="payment",
            category="payment",
            description="again",
            amount=entry.amount,
            currency="EUR",
            payment=entry.payment,
            occurred_at=entry.occurred_at,
            channel="test",
            key="another key",
        )
