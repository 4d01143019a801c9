"""Money at the seams, through the real sandbox bank: refunds whose answer is lost, refused or raced, late payments,
a receipt renderer that fails, a broker that is down, booking references drawn twice, and the books audit."""

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from bookings import workflow
from bookings.audit import books_findings
from bookings.models import Booking, BookingEffect, BooksAudit
from bookings.outbox import effects_sweep
from bookings.services import Actor, GuestDetails, booking_hold
from hotels.models import NightInventory
from hotels.stay import Stay
from notifications.models import OutboundEmail
from payments import receipts
from payments.models import Payment, Receipt, Refund
from payments.services import payment_start
from tests.api.conftest import run_together
from tests.factories import RoomTypeFactory, UserFactory, future, open_nights
from tests.staff.conftest import staff

pytestmark = pytest.mark.django_db

APPROVE = "4242424242424242"
REFUND_FAULTS = {
    "refund_late": "4000000000003063",
    "refund_500": "4000000000003089",
    "refund_reset": "4000000000003097",
    "refund_dropped": "4000000000003113",
}
SLOW_REFUNDS = "4000000000003121"


def on_commit():
    """Run what the transaction starts after its commit (tasks are eager in tests), as a live site does."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def held(*, customer=None, rooms_for_sale=2):
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 2, rooms=rooms_for_sale, price="100.00")
    return booking_hold(
        room_type=rt,
        stay=Stay(check_in=future(10), check_out=future(12), adults=2),
        guest=GuestDetails(first_name="Ada", last_name="Lovelace", email="ada@example.com"),
        customer=customer,
    )


def pay(booking, card=APPROVE) -> Payment:
    """The guest pays at the bank with ``card``; the bank's answer is fetched the way the return page does."""
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    requests.post(
        payment.bank_redirect_url,
        data={"card_number": card, "expiry": "12/39", "cvc": "123", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    with on_commit():
        return workflow.payment_sync(payment=payment)


def bank_refunds(bank, payment) -> list[dict]:
    """The bank's own books for the payment's transaction."""
    answer = requests.get(
        f"{bank.url}/api/v1/refunds",
        params={"transaction_id": payment.bank_transaction_id},
        headers={"Authorization": f"Bearer {bank.api_key}"},
        timeout=5,
    )
    answer.raise_for_status()
    return answer.json()["data"]


def refund_posts(bank) -> int:
    return bank.received("POST", "/api/v1/refunds")


def age_refunds():
    Refund.objects.update(created_at=timezone.now() - timedelta(minutes=5))


@pytest.fixture
def no_client_retries(settings, bank):
    """The gateway without its own HTTP retries: the first lost answer is ours to handle."""
    settings.PAYMENT_GATEWAY_OPTIONS = {**settings.PAYMENT_GATEWAY_OPTIONS, "retries": 0}
    return bank


# --- refunds whose answer is lost ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", sorted(REFUND_FAULTS))
def test_a_refund_whose_answer_is_lost_is_unknown_then_settled_once_with_the_same_key(client, no_client_retries, fault):
    bank = no_client_retries
    customer = UserFactory()
    booking = held(customer=customer)
    payment = pay(booking, REFUND_FAULTS[fault])
    assert payment.status == "paid"
    with on_commit():
        workflow.booking_cancel(booking=booking, actor_kind=Actor.CUSTOMER, actor=customer)
    refund = Refund.objects.get()
    assert refund.status == "unknown" and refund.attempts == 1  # never "failed" on a guess
    payment.refresh_from_db()
    assert (payment.refunded_amount, payment.refund_pending_amount) == (0, booking.total)
    client.force_login(customer)
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "Refund in progress" in page and "This page shows it as refunded" in page

    age_refunds()
    assert workflow.refunds_reconcile() == 1  # asked again with the same key: the bank answers with what it did
    assert workflow.refunds_reconcile() == 0
    refund.refresh_from_db()
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert refund.status == "succeeded" and refund.attempts == 2
    assert payment.status == "refunded" and payment.refund_pending_amount == 0
    assert booking.refunded_amount == payment.refunded_amount == booking.total
    # The guest was refunded exactly once, and our books say what the bank's say.
    at_bank = bank_refunds(bank, payment)
    assert [Decimal(r["amount"]) for r in at_bank] == [booking.total]
    assert at_bank[0]["id"] == refund.bank_refund_id
    assert bank.log_text().count(f"refund fault met: {fault}") == 1
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "Refund in progress" not in page and "Refunded" in page
    assert books_findings() == []


def test_the_gateways_own_retry_recovers_a_lost_answer_within_the_call(bank):
    booking = held()
    payment = pay(booking, REFUND_FAULTS["refund_500"])
    posts = refund_posts(bank)
    with on_commit():
        workflow.booking_cancel(booking=booking, actor_kind=Actor.STAFF)
    assert Refund.objects.get().status == "succeeded"
    assert refund_posts(bank) - posts == 2  # the 500, then the same key again
    assert [Decimal(r["amount"]) for r in bank_refunds(bank, payment)] == [booking.total]


def test_a_slow_bank_answer_within_the_timeout_settles_the_refund(bank):
    booking = held()
    payment = pay(booking, SLOW_REFUNDS)
    with on_commit():
        workflow.booking_cancel(booking=booking, actor_kind=Actor.STAFF)
    assert Refund.objects.get().status == "succeeded"
    assert len(bank_refunds(bank, payment)) == 1


def test_only_an_explicit_refusal_fails_a_refund_and_a_retry_is_a_new_refund(no_client_retries):
    bank = no_client_retries
    booking = held()
    payment = pay(booking)
    # 150.00 of the payment was refunded at the bank, outside this site (its dashboard): the bank refuses more.
    requests.post(
        f"{bank.url}/api/v1/refunds",
        json={"transaction_id": payment.bank_transaction_id, "amount": "150.00", "currency": payment.currency},
        headers={"Authorization": f"Bearer {bank.api_key}", "Idempotency-Key": "dashboard-1"},
        timeout=5,
    ).raise_for_status()
    with on_commit():
        refused = workflow.booking_refund(booking=booking, amount=Decimal("100.00"), reason="noise")
    refused.refresh_from_db()
    payment.refresh_from_db()
    assert refused.status == "failed" and "exceeds" in refused.last_error
    assert payment.refund_pending_amount == 0 and payment.refunded_amount == 0  # the reservation is released
    age_refunds()
    assert workflow.refunds_reconcile() == 0  # a refusal is final: never sent again
    with on_commit():
        retry = workflow.booking_refund(booking=booking, amount=Decimal("50.00"), reason="noise, again")
    retry.refresh_from_db()
    assert retry.status == "succeeded" and retry.idempotency_key != refused.idempotency_key


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_refund_requests_never_refund_more_than_was_paid(bank, staff_roles):
    booking = held()
    payment = pay(booking)
    assert booking.total == Decimal("200.00")
    manager = staff(booking.hotel, "manager", "boss@hotel.example")
    url = reverse("admin:bookings_booking_refund", args=[booking.pk])

    def ask():
        client = Client()
        client.force_login(manager)
        response = client.post(url, {"amount": "30.00", "reason": "double click"})
        return response.status_code, "at most" in response.content.decode()

    results = run_together([ask] * 20)
    assert all(code == 302 or (code == 200 and refused) for code, refused in results), results
    assert sum(code == 302 for code, _ in results) == 6  # 6 × 30.00 fit in 200.00; a 7th does not
    for _ in range(3):  # a bank slowed down by twenty requests at once may answer late: reconciliation settles it
        age_refunds()
        workflow.refunds_reconcile()
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("180.00") and payment.refund_pending_amount == 0
    assert sum(Decimal(r["amount"]) for r in bank_refunds(bank, payment)) == Decimal("180.00")
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds the rule too
        Payment.objects.filter(pk=payment.pk).update(refund_pending_amount=Decimal("30.00"))


# --- late payments ------------------------------------------------------------------------------------------------


def test_a_late_payment_refund_whose_answer_is_lost_is_retried_until_settled(no_client_retries):
    bank = no_client_retries
    booking = held(rooms_for_sale=1)
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    with on_commit():
        workflow.holds_expire()
    NightInventory.objects.filter(room_type=booking.room_type).update(rooms_sold=1)  # resold meanwhile
    requests.post(
        payment.bank_redirect_url,
        data={"card_number": REFUND_FAULTS["refund_500"], "expiry": "12/39", "cvc": "123", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    with on_commit():
        payment = workflow.payment_sync(payment=payment)
    booking.refresh_from_db()
    assert booking.status == "expired" and payment.status == "paid"
    assert Refund.objects.get().status == "unknown"
    assert OutboundEmail.objects.filter(booking=booking, kind="late_payment_refunded_guest").count() == 1
    NightInventory.objects.filter(room_type=booking.room_type).update(rooms_sold=0)  # the other guest's, unmodelled
    assert [f.check for f in books_findings()] == []  # paid, but all of it is being refunded
    age_refunds()
    assert workflow.refunds_reconcile() == 1
    payment.refresh_from_db()
    assert payment.status == "refunded" and [Decimal(r["amount"]) for r in bank_refunds(bank, payment)] == [
        payment.amount
    ]
    with on_commit():  # the bank's webhook and the return page arriving again change nothing
        workflow.payment_sync(payment=payment)
    assert Refund.objects.count() == 1


def test_a_second_payment_for_a_confirmed_booking_is_refunded_in_full(bank):
    """Two clicks on "Pay" get one session (test_double_pay), but a booking paid twice some other way (a session
    opened before an upgrade, the bank's own retry) must not keep the second charge."""
    from payments.gateways import get_gateway

    booking = held()
    first = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    assert payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None) == first
    second = Payment.objects.create(
        booking=booking, gateway="x", amount=booking.total, currency=booking.currency, idempotency_key="other-2"
    )
    session = get_gateway().create_session(
        amount=second.amount,
        currency=second.currency,
        reference=booking.reference,
        return_url="http://testserver/r",
        webhook_url=None,
        idempotency_key=second.idempotency_key,
    )
    Payment.objects.filter(pk=second.pk).update(
        status="pending", bank_session_id=session.session_id, bank_redirect_url=session.redirect_url
    )
    for url in (first.bank_redirect_url, session.redirect_url):
        requests.post(
            url,
            data={"card_number": APPROVE, "expiry": "12/39", "cvc": "123", "action": "pay"},
            allow_redirects=False,
            timeout=5,
        )
    first.refresh_from_db(), second.refresh_from_db()
    with on_commit():
        workflow.payment_sync(payment=first)
        workflow.payment_sync(payment=second)
    booking.refresh_from_db()
    first.refresh_from_db(), second.refresh_from_db()
    assert booking.status == "confirmed" and first.status == "paid"
    assert second.status == "refunded" and booking.refunded_amount == 0  # the booking's own money is untouched
    [email] = OutboundEmail.objects.filter(kind="late_payment_refunded_guest")
    assert "paid twice" in mail.outbox[-1].body or any("paid twice" in m.body for m in mail.outbox)
    assert books_findings() == []


# --- one failing part never takes the path down --------------------------------------------------------------------


def test_a_failing_receipt_renderer_still_confirms_and_mails_the_guest(client, bank, monkeypatch):
    def broken(**kwargs):
        raise receipts.ReceiptError("PDF rendering failed with 1 errors")

    monkeypatch.setattr(receipts, "receipt_render", broken)
    customer = UserFactory()
    booking = held(customer=customer)
    pay(booking)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    [guest_mail] = [m for m in mail.outbox if m.to == ["ada@example.com"]]
    assert guest_mail.attachments == [] and "ready to download from your booking page" in guest_mail.body
    effect = BookingEffect.objects.get(booking=booking, kind="receipt")
    assert effect.status == "pending" and "PDF rendering failed" in effect.last_error and not Receipt.objects.exists()
    client.force_login(customer)
    download = client.get(reverse("bookings:receipt", kwargs={"reference": booking.reference}), follow=True)
    assert download.status_code == 200 and "being prepared" in download.content.decode()

    monkeypatch.undo()  # the renderer is fixed: the sweep's next run issues the receipt
    with on_commit():
        assert effects_sweep(now=effect.next_attempt_at + timedelta(seconds=1)) == 1
    effect.refresh_from_db()
    assert effect.status == "done" and Receipt.objects.filter(booking=booking).count() == 1
    download = client.get(reverse("bookings:receipt", kwargs={"reference": booking.reference}))
    assert download["Content-Type"] == "application/pdf"


@pytest.mark.django_db(transaction=True)
def test_signing_up_in_the_booking_flow_with_the_broker_down_is_not_an_error(client, monkeypatch):
    from kombu.exceptions import OperationalError

    from notifications.tasks import send_email

    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr(send_email, "delay", broker_down)
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "new@example.com",
            "first_name": "New",
            "last_name": "Guest",
            "password1": "un-guessable 42!",
            "password2": "un-guessable 42!",
        },
    )
    assert response.status_code == 302
    assert OutboundEmail.objects.get(kind="welcome").status == "queued"  # the sweep sends it once the broker is back


# --- booking references -------------------------------------------------------------------------------------------


def test_a_booking_reference_drawn_twice_is_drawn_again(monkeypatch):
    first = held()
    field = Booking._meta.get_field("reference")
    monkeypatch.setattr(field, "default", lambda: first.reference)
    second = held()
    assert second.reference != first.reference and second.reference.startswith("HB-")


# --- the audit ----------------------------------------------------------------------------------------------------


def test_the_audit_is_silent_after_the_flows_and_finds_each_planted_discrepancy(bank, capsys):
    # Real flows: a paid stay, one cancelled with a refund, a lapsed hold, a partner-style booking.
    kept = held()
    pay(kept)
    cancelled = held()
    pay(cancelled)
    with on_commit():
        workflow.booking_cancel(booking=cancelled, actor_kind=Actor.STAFF)
    lapsed = held()
    Booking.objects.filter(pk=lapsed.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    with on_commit():
        workflow.holds_expire()
    with on_commit():
        workflow.booking_confirm(booking=held(), actor_kind=Actor.PARTNER)
    call_command("audit_books")
    assert "The books add up." in capsys.readouterr().out

    # Each kind of discrepancy, planted.
    night = NightInventory.objects.filter(room_type=kept.room_type).first()
    NightInventory.objects.filter(pk=night.pk).update(rooms_sold=2)  # one room more than the bookings hold
    Booking.objects.filter(pk=kept.pk).update(status="expired")  # paid, not sold, not refunded
    payment = cancelled.payments.get()
    Payment.objects.filter(pk=payment.pk).update(refunded_amount=Decimal("10.00"), refund_pending_amount=0)
    Refund.objects.create(payment=payment, amount=Decimal("1.00"), idempotency_key="k-old", status="unknown")
    Refund.objects.filter(idempotency_key="k-old").update(created_at=timezone.now() - timedelta(hours=2))
    with pytest.raises(CommandError, match="finding"):
        call_command("audit_books")
    checks = {f["check"] for f in BooksAudit.objects.first().findings}
    assert checks == {"inventory", "paid_payment", "refund_sums", "booking_refunded", "refund_unsettled"}
    out = capsys.readouterr().out
    assert f"room type {kept.room_type_id}, night {night.date}" in out and kept.reference in out

    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    today = client.get(reverse("admin:bookings_booking_today"), {"hotel": kept.hotel_id}).content.decode()
    assert f"{len(BooksAudit.objects.first().findings)} findings." in today


def test_a_penalty_that_changed_since_the_cancel_page_was_shown_is_asked_again(client, bank):
    customer = UserFactory()
    booking = held(customer=customer)
    pay(booking)
    client.force_login(customer)
    url = reverse("bookings:cancel", kwargs={"reference": booking.reference})
    page = client.get(url).content.decode()
    assert 'name="quoted_penalty" value="0.00"' in page
    # The free cancellation period ends while the guest reads the page.
    policy = {**booking.cancellation_policy, "free_until": (timezone.now() - timedelta(minutes=1)).isoformat()}
    Booking.objects.filter(pk=booking.pk).update(cancellation_policy=policy)
    again = client.post(url, {"quoted_penalty": "0.00"}, follow=True)
    booking.refresh_from_db()
    assert booking.status == "confirmed" and "The cancellation charge is now €100.00" in again.content.decode()
    assert 'name="quoted_penalty" value="100.00"' in again.content.decode()
    with on_commit():
        client.post(url, {"quoted_penalty": "100.00"})
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancellation_penalty == Decimal("100.00")
    assert booking.refunded_amount == Decimal("100.00")
    [cancelled_mail] = [m for m in mail.outbox if "cancelled" in m.subject.lower() and m.to == ["ada@example.com"]]
    assert "Refunded to your card: €100.00" in cancelled_mail.body
