"""A change whose difference was paid at the bank but whose answer was lost: its outcome is unknown, so the change
keeps waiting (never released, never applied on a guess) past its hold, the guest and staff are told it waits for
the bank's answer, and the reconciliation beat applies it once the bank answers."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.guest_links import guest_link_url
from bookings import workflow
from bookings.changes import NotModifiable
from bookings.models import Booking, BookingChange
from bookings.services import Actor
from hotels.models import NightInventory
from payments.gateways.base import GatewayError
from payments.models import Payment
from tests.factories import UserFactory, future, open_nights
from tests.payments.test_payment_terms import ARRIVAL, booked, pay_at_bank, room

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


@pytest.fixture
def waiting(bank):
    rt = room(free_cancellation_days=10)
    open_nights(rt, future(ARRIVAL + 3), 1, price="120.00", rooms=3)
    booking = booked(rt)
    change = workflow.booking_modify(
        booking=booking, check_out=future(ARRIVAL + 4), actor_kind=Actor.CUSTOMER, channel=Booking.Source.WEBSITE
    )
    payment = workflow.booking_change_payment_start(change=change, return_url="http://testserver/r", webhook_url=None)
    return booking, change, payment, rt


def bank_unreachable(monkeypatch):
    from payments import services

    gateway = services.get_gateway()

    def lost(session_id):
        raise GatewayError("timeout")

    monkeypatch.setattr(gateway, "get_status", lost)
    monkeypatch.setattr(services, "get_gateway", lambda: gateway)


def lapse(change):
    BookingChange.objects.filter(pk=change.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    payment_id = BookingChange.objects.get(pk=change.pk).payment_id
    Payment.objects.filter(pk=payment_id).update(created_at=timezone.now() - timedelta(minutes=5))


def test_a_change_paid_but_unanswered_waits_for_reconciliation_then_applies(client, waiting, monkeypatch):
    booking, change, payment, rt = waiting
    pay_at_bank(payment.bank_redirect_url, "4242424242424242")
    bank_unreachable(monkeypatch)
    assert workflow.payment_sync(payment=payment).status == "unknown"

    # another change is refused with what is going on, not an error
    with pytest.raises(NotModifiable, match="waiting for the bank's answer"):
        workflow.booking_change_quote(booking=booking, check_out=future(ARRIVAL + 2))
    client.get(urlparse(guest_link_url(booking)).path)
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "waiting for the bank's answer about its payment" in page
    form = client.post(
        reverse("bookings:change_dates", kwargs={"reference": booking.reference}),
        {"check_in": future(ARRIVAL).isoformat(), "check_out": future(ARRIVAL + 2).isoformat()},
    )
    assert form.status_code == 400 and "waiting for the bank&#x27;s answer" in form.content.decode()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    admin = client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()
    assert "waiting for the bank's answer about its payment" in admin

    # its hold lapses while the bank still can't be reached: the nights stay held, nothing is guessed
    lapse(change)
    workflow.holds_expire()
    change.refresh_from_db()
    assert change.status == "pending_payment" and change.nights_taken
    assert NightInventory.objects.get(room_type=rt, date=future(ARRIVAL + 3)).rooms_sold == 1

    # the bank answers again: the beat hears "paid" and applies the change
    monkeypatch.undo()
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.payments_reconcile()
    payment.refresh_from_db()
    assert payment.status == "paid"
    change.refresh_from_db()
    booking.refresh_from_db()
    assert change.status == "applied" and booking.check_out == future(ARRIVAL + 4)
    assert booking.total == Decimal("480.00")
    workflow.booking_change_quote(booking=booking, check_out=future(ARRIVAL + 3))  # changes are open again


def test_a_lapsed_change_the_guest_did_not_pay_is_released_after_asking_the_bank(waiting):
    booking, change, payment, rt = waiting
    lapse(change)
    assert workflow.holds_expire() == 1
    change.refresh_from_db()
    booking.refresh_from_db()
    assert change.status == "expired" and not change.nights_taken
    assert NightInventory.objects.get(room_type=rt, date=future(ARRIVAL + 3)).rooms_sold == 0
    assert booking.check_out == future(ARRIVAL + 3) and booking.total == Decimal("360.00")
