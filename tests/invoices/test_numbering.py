"""Invoice numbers per legal entity and year, without gaps or duplicates, when many are issued at once."""

from decimal import Decimal

import pytest

from bookings import tasks, workflow
from bookings.models import BookingEffect
from bookings.outbox import effect_run
from bookings.services import Actor, GuestDetails, booking_hold
from hotels.stay import Stay
from payments import tasks as payment_tasks
from payments.gateways.base import PaymentStatus
from payments.invoices import invoice_documents_sync
from payments.models import Invoice, Payment
from tests.api.conftest import run_together
from tests.factories import RoomTypeFactory, future, open_nights

N = 8


def paid(room_type, index) -> object:
    """A booking paid: the bank's word applied the way the webhook applies it (no documents yet: the invoice
    effect runs after the commit, which these tests drive themselves)."""
    booking = booking_hold(
        room_type=room_type,
        stay=Stay(check_in=future(10), check_out=future(12), adults=2),
        guest=GuestDetails(first_name=f"Guest{index}", last_name="Test", email=f"g{index}@example.com"),
    )
    payment = Payment.objects.create(
        booking=booking,
        gateway="test",
        amount=booking.total,
        currency=booking.currency,
        idempotency_key=f"{booking.reference}-pay-1",
        status=Payment.Status.PENDING,
        bank_session_id=f"s{index}",
    )
    workflow.payment_outcome_apply(
        payment=payment,
        outcome=PaymentStatus(
            session_id=f"s{index}",
            status="paid",
            amount=booking.total,
            currency=booking.currency,
            reference=booking.reference,
            transaction_id=f"tx{index}",
            authorization_code="A1",
            card_brand="visa",
            card_last4="4242",
            failure_code=None,
            raw={},
        ),
    )
    return booking


def broker_down(*args, **kwargs):
    raise ConnectionError("the broker is down")


def run_invoice_effects_together(bookings) -> list:
    """Every pending invoice effect of ``bookings``, run by as many workers at the same moment."""
    effects = BookingEffect.objects.filter(booking__in=bookings, kind="invoice", status="pending")
    return run_together([lambda pk=pk: effect_run(effect_id=pk) for pk in effects.values_list("pk", flat=True)])


@pytest.mark.django_db(transaction=True)
def test_invoices_issued_concurrently_are_numbered_one_to_n_without_gaps(staff_roles, monkeypatch):
    # the broker is down: what follows each payment waits in the outbox, and N workers run it at once below
    monkeypatch.setattr(tasks.run_effect, "delay", broker_down)
    monkeypatch.setattr(payment_tasks.send_refund, "delay", broker_down)
    room_type = RoomTypeFactory()
    open_nights(room_type, future(10), 2, rooms=N + 2, price="100.00")
    bookings = [paid(room_type, i) for i in range(N)]
    assert not Invoice.objects.exists()

    assert run_invoice_effects_together(bookings) == ["done"] * N

    invoices = Invoice.objects.filter(kind="invoice").order_by("sequence")
    assert [i.sequence for i in invoices] == list(range(1, N + 1))
    assert len({i.number for i in invoices}) == N
    assert {i.booking_id for i in invoices} == {b.pk for b in bookings}
    assert sum(i.total for i in invoices) == sum(b.total for b in bookings) == Decimal("200.00") * N

    # the same bookings synced again, all at once: nothing more is issued, no number is used
    again = run_together([lambda b=b: invoice_documents_sync(booking=b) for b in bookings])
    assert again == [[]] * N and Invoice.objects.count() == N

    # and credit notes have their own sequence, also from 1, under concurrent cancellations
    run_together([lambda b=b: workflow.booking_cancel(booking=b, actor_kind=Actor.STAFF) for b in bookings[:4]])
    assert run_invoice_effects_together(bookings[:4]) == ["done"] * 4
    credits = Invoice.objects.filter(kind="credit_note").order_by("sequence")
    assert [c.sequence for c in credits] == [1, 2, 3, 4]
    assert all(c.corrects.booking_id == c.booking_id for c in credits)
