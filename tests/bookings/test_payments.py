"""Payment outcomes the customer doesn't see directly: reconciliation, late payments, receipts."""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from bookings.models import Booking
from bookings.services import GuestDetails, booking_hold
from bookings.workflow import holds_expire, payment_sync, payments_reconcile
from hotels.models import NightInventory
from hotels.stay import Stay
from payments.models import Payment, Receipt
from payments.receipts import receipt_issue
from payments.services import payment_start
from tests.factories import RoomTypeFactory, future, open_nights

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]  # the books add up after every flow


def held(rooms=1):
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 2, rooms=rooms)
    return booking_hold(
        room_type=rt,
        stay=Stay(check_in=future(10), check_out=future(12), adults=2),
        guest=GuestDetails(first_name="Ada", last_name="L", email="ada@example.com"),
    )


def pay(payment, card="4242424242424242"):
    requests.post(
        payment.bank_redirect_url,
        data={"card_number": card, "expiry": "12/39", "cvc": "123", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )


def test_reconciliation_confirms_a_payment_the_browser_never_came_back_from(bank):
    booking = held()
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    pay(payment)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert payments_reconcile() == 1
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert payments_reconcile() == 0


@pytest.mark.other_sales
def test_late_payment_for_a_resold_room_is_refunded_automatically(bank, django_capture_on_commit_callbacks):
    booking = held(rooms=1)
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    holds_expire()
    NightInventory.objects.filter(room_type=booking.room_type).update(rooms_sold=1)  # resold meanwhile
    pay(payment)
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_sync(payment=payment)
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert booking.status == "expired"
    assert payment.status == "refunded" and payment.refunds.get().status == "succeeded"


def test_late_payment_retakes_free_nights(bank):
    booking = held()
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    holds_expire()
    pay(payment)
    payment_sync(payment=payment)
    booking.refresh_from_db()
    assert booking.status == "confirmed" and booking.nights_held


def test_bank_down_leaves_the_hold_and_says_so(settings):
    settings.PAYMENT_GATEWAY_OPTIONS = {
        "base_url": "http://127.0.0.1:9",
        "api_key": "k",
        "webhook_secret": "s",
        "timeout": (0.5, 0.5),
        "retries": 0,
    }
    booking = held()
    from payments.services import PaymentError

    with pytest.raises(PaymentError, match="can't take payments"):
        payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    booking.refresh_from_db()
    assert booking.status == "pending_payment" and booking.nights_held


def test_receipt_numbers_follow_each_other_and_an_issued_receipt_never_changes(bank):
    from bookings.workflow import booking_confirm

    receipts = []
    for _ in range(3):
        booking = booking_confirm(booking=held())
        receipts.append(receipt_issue(booking=booking))
    sequences = [r.sequence for r in receipts]
    assert sequences == list(range(sequences[0], sequences[0] + 3))
    first = receipts[0]
    NightInventory.objects.update(price=999)
    again = receipt_issue(booking=first.booking)
    assert again.pk == first.pk and bytes(again.pdf) == bytes(first.pdf)
    assert Receipt.objects.count() == 3
