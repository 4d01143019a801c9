"""Issue 18's open gaps: a deposit is invoiced when it is paid (an advance invoice, deducted from the final one);
a no-show or late-cancellation fee is a ledger charge with its payment, and is invoiced; the books add up."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import TestCase
from django.utils import timezone

from bookings import workflow
from hotels.models import HotelTax
from payments.ledger import booking_balance
from payments.models import Invoice, LedgerEntry, ScheduledCharge
from tests.invoices.test_unicode_pdf import pdf_text, words
from tests.payments.test_payment_terms import booked, deposit_room, room, run_charges

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def with_vat(rt):
    HotelTax.objects.create(hotel=rt.hotel, name="VAT 10%", kind="percent", amount="10", included_in_price=True)
    return rt


def paid(rt):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return booked(rt)


def invoices(booking):
    return list(Invoice.objects.filter(booking=booking).order_by("issued_at", "id"))


def test_a_paid_deposit_gets_an_advance_invoice_and_the_final_invoice_deducts_it(bank, tmp_path):
    booking = paid(with_vat(deposit_room()))  # 30 % of 360.00 now, 252.00 a week before arrival
    [advance] = invoices(booking)
    assert (advance.kind, advance.total, advance.number) == ("invoice", Decimal("108.00"), advance.number)
    assert advance.lines[0]["category"] == "advance"
    assert advance.vat_breakdown == [{"rate": "10.00", "net": "98.18", "vat": "9.82", "gross": "108.00"}]

    run_charges(at=ScheduledCharge.objects.get().due_at)
    advance_again, final = invoices(booking)
    assert advance_again == advance and final.kind == "invoice" and final.total == Decimal("252.00")
    deduction = [line for line in final.lines if line["category"] == "advance_deduction"]
    assert [(d["amount"], d["advance"]) for d in deduction] == [("-108.00", advance.number)]
    assert sum(Decimal(line["amount"]) for line in final.lines) == Decimal("252.00")
    assert sum(Decimal(r["gross"]) for r in final.vat_breakdown) == Decimal("252.00")
    assert final.sequence == advance.sequence + 1  # one gap-free series
    assert sum(d.signed_total for d in invoices(booking)) == booking_balance(booking).charged == Decimal("360.00")
    advance_pdf = words(pdf_text(bytes(advance.pdf), tmp_path, "advance-invoice"))
    assert "Advance invoice" in advance_pdf and "Advance payment (deposit)" in advance_pdf and "108.00" in advance_pdf
    final_pdf = words(pdf_text(bytes(final.pdf), tmp_path, "final-invoice"))
    assert "Final invoice" in final_pdf and f"Less advance invoice {advance.number}" in final_pdf
    assert "−€108.00" in final_pdf and "€252.00" in final_pdf


def test_cancelling_after_the_deposit_credits_the_advance_invoice(bank):
    rt = deposit_room(free_cancellation_days=30, cancellation_penalty="percent", cancellation_penalty_percent=25)
    booking = paid(with_vat(rt))
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_cancel(booking=booking, actor_kind="customer")
    advance, credit = invoices(booking)
    assert credit.kind == "credit_note" and credit.corrects == advance and credit.total == Decimal("18.00")
    assert sum(d.signed_total for d in invoices(booking)) == booking_balance(booking).charged == Decimal("90.00")


def test_a_no_show_fee_is_a_ledger_charge_with_its_payment_and_an_invoice(bank):
    booking = paid(with_vat(room(payment_terms="guarantee")))  # the first night, 120.00, if the guest doesn't come
    assert invoices(booking) == []  # nothing paid, nothing invoiced
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_no_show(booking=booking)
    fee = booking.ledger_entries.get(category=LedgerEntry.Category.NO_SHOW_FEE)
    assert (fee.kind, fee.amount) == ("charge", Decimal("120.00"))
    payment = booking.ledger_entries.get(kind="payment")
    assert payment.amount == Decimal("120.00") and payment.payment.kind == "no_show_fee"
    balance = booking_balance(booking)
    assert (balance.charged, balance.paid, balance.due) == (Decimal("120.00"), Decimal("120.00"), Decimal("0.00"))
    [invoice] = invoices(booking)
    assert invoice.total == Decimal("120.00")
    assert "no_show_fee" in [line["category"] for line in invoice.lines]


def test_a_late_cancellation_fee_is_charged_and_invoiced(bank):
    booking = paid(with_vat(room(payment_terms="guarantee", free_cancellation_days=None)))
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_cancel(booking=booking, actor_kind="staff")
    penalty = booking.ledger_entries.get(category=LedgerEntry.Category.CANCELLATION_PENALTY)
    assert penalty.amount == Decimal("360.00")
    assert booking_balance(booking).due == Decimal("0.00")
    [invoice] = invoices(booking)
    assert invoice.total == Decimal("360.00")
    assert run_charges(at=timezone.now() + timedelta(days=1)) == 0


def test_a_full_refund_after_the_final_invoice_credits_each_invoice_for_what_it_invoiced(bank):
    booking = paid(with_vat(deposit_room()))
    run_charges(at=ScheduledCharge.objects.get().due_at)
    advance, final = invoices(booking)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_cancel(booking=booking, actor_kind="customer")  # still free: 360.00 back
    credits = [d for d in invoices(booking) if d.kind == "credit_note"]
    assert sorted((c.corrects.number, c.total) for c in credits) == [
        (advance.number, Decimal("108.00")),
        (final.number, Decimal("252.00")),
    ]
    assert [c.sequence for c in sorted(credits, key=lambda c: c.sequence)] == [1, 2]  # their own gap-free series
    assert sum(d.signed_total for d in invoices(booking)) == booking_balance(booking).charged == Decimal("0.00")
