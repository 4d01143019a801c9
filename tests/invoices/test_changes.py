"""A sold booking changed (issue 17) keeps its ledger and its documents in line: the difference is a charge, an
invoice when the guest pays more, a credit note when they get money back."""

from decimal import Decimal

import pytest

from bookings import workflow
from payments.ledger import booking_balance
from tests.bookings.test_modify import WEB, pay_change, sell, two_types
from tests.factories import future

from .conftest import on_commit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def invoiced_net(booking) -> Decimal:
    return sum((d.signed_total for d in booking.invoices.all()), Decimal("0.00"))


def test_one_room_cancelled_is_credited_and_a_longer_stay_invoiced(bank):
    double, twin = two_types()
    booking = sell(double, twin)
    invoice = booking.invoices.get()
    assert invoice.total == booking.total == Decimal("360.00")

    with on_commit():
        booking, change = workflow.room_cancel(booking=booking, line_id=booking.lines.get(room_type=twin).pk, **WEB)
    credit = booking.invoices.get(kind="credit_note")
    assert (
        credit.corrects == invoice and credit.total == Decimal("160.00") and credit.refund.amount == Decimal("160.00")
    )
    entry = booking.ledger_entries.get(category="change")
    assert entry.amount == change.difference == Decimal("-160.00") and entry.channel == "website"
    assert booking_balance(booking).charged == invoiced_net(booking) == booking.total == Decimal("200.00")

    with on_commit():
        change = workflow.booking_modify(booking=booking, check_out=future(13), **WEB)
    assert change.status == "pending_payment"
    pay_change(change)
    booking.refresh_from_db()
    assert booking.total == Decimal("300.00")
    extra = booking.invoices.filter(kind="invoice").exclude(pk=invoice.pk).get()
    assert extra.total == Decimal("100.00") and [line["category"] for line in extra.lines] == ["change"]
    balance = booking_balance(booking)
    assert balance.charged == invoiced_net(booking) == booking.total and balance.due == 0
