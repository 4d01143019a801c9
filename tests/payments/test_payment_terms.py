"""Payment terms from the offer to the final settlement, through the website, the partner API, the admin and the beat
task, against the real sandbox bank: prepay, deposit (balance charged later, exactly once), card guarantee (no-show
and late-cancellation fees), pay at the hotel (staff only)."""

import re
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.core import mail
from django.db import connection, connections
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from bookings import workflow
from bookings.audit import books_findings
from bookings.exceptions import StayInvalid
from bookings.models import Booking
from bookings.services import GuestDetails, booking_hold
from hotels.stay import Stay
from notifications.models import OutboundEmail
from partners.models import Partner
from partners.services import partner_key_issue
from payments.models import Payment, SavedCard, ScheduledCharge
from payments.services import payment_start, scheduled_charge_claim
from tests.factories import HotelFactory, RoomTypeFactory, UserFactory, future, open_nights, standard_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]  # the books add up after every flow

APPROVE, NO_FUNDS, LATER_DECLINED, NEVER_ANSWERS = (
    "4242424242424242",
    "4000000000009995",
    "4000000000000341",
    "4000000000000119",
)
GUEST = GuestDetails(first_name="Grace", last_name="Hopper", email="grace@example.com")
ARRIVAL = 20  # days from today; three nights at 120.00: 360.00


def room(**terms):
    """A room type in Lyon, three nights at 120.00 from ``future(ARRIVAL)``, its standard plan on ``terms``."""
    rt = RoomTypeFactory(hotel=HotelFactory(name="Hôtel des Terreaux", city="Lyon"), name="Courtyard Double")
    open_nights(rt, future(ARRIVAL), 3, price="120.00", rooms=3)
    plan = standard_plan(rt)
    for field, value in terms.items():
        setattr(plan, field, value)
    plan.save()
    return rt


def stay():
    return Stay(check_in=future(ARRIVAL), check_out=future(ARRIVAL + 3), adults=2)


def bank_page(payment) -> str:
    return requests.get(payment.bank_redirect_url, timeout=5).text


def pay_at_bank(url, card=APPROVE):
    answer = requests.post(
        url,
        data={"card_number": card, "expiry": "12/39", "cvc": "123", "name": "Grace Hopper", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 303, answer.text[:300]
    return answer.headers["Location"]


def booked(rt, card=APPROVE) -> Booking:
    """Hold, pay what is due now at the bank's page, and apply the outcome as the return page does."""
    booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST)
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    pay_at_bank(payment.bank_redirect_url, card)
    workflow.payment_sync(payment=payment)
    booking.refresh_from_db()
    return booking


def run_charges(at=None):
    """The beat task's run, as it would be at ``at``, with what its commits start (refunds, fees)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return workflow.scheduled_charges_run(now=at)


def charges_posted(bank) -> int:
    return bank.received("POST", "/api/v1/charges")


def api_offer(rt):
    partner = Partner.objects.create(name="Agency")
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=partner)}")
    query = {"city": "Lyon", "check_in": future(ARRIVAL), "check_out": future(ARRIVAL + 3), "adults": 2}
    response = api.get("/api/v1/availability/", query)
    assert response.status_code == 200, response.json()
    [result] = response.json()["results"]
    [offer] = result["offers"]
    return offer


def hotel_page(client, rt) -> str:
    url = reverse("hotels:detail", kwargs={"slug": rt.hotel.slug})
    query = {"check_in": future(ARRIVAL), "check_out": future(ARRIVAL + 3), "adults": 2, "children": 0, "rooms": 1}
    return re.sub(r"\s+", " ", client.get(url, query).content.decode())


# --- prepay ---------------------------------------------------------------------------------------------------------


def test_prepay_is_the_default_and_charges_the_whole_stay_at_checkout(client, bank):
    rt = room()
    offer = api_offer(rt)
    assert offer["payment_terms"] == {
        "kind": "prepay",
        "currency": "EUR",
        "total": "360.00",
        "due_now": "360.00",
        "due_later": "0.00",
        "due_later_at": None,
        "due_later_by": "",
        "card_saved": False,
    }
    assert "Pay now" in hotel_page(client, rt)
    booking = booked(rt)
    assert booking.status == "confirmed" and booking.price_snapshot["payment_terms"]["kind"] == "prepay"
    payment = booking.payments.get()
    assert (payment.kind, payment.amount, payment.status) == ("full", Decimal("360.00"), "paid")
    assert not SavedCard.objects.exists() and not ScheduledCharge.objects.exists()


# --- deposit --------------------------------------------------------------------------------------------------------


def deposit_room(**extra):
    terms = {
        "payment_terms": "deposit",
        "deposit": "percent",
        "deposit_percent": Decimal("30"),
        "balance_days_before": 7,
    }
    return room(**{**terms, **extra})


def test_a_deposit_is_charged_now_and_the_balance_once_on_its_date(client, bank):
    rt = deposit_room()
    hotel = rt.hotel
    due = datetime.combine(future(ARRIVAL - 7), hotel.check_in_time).replace(tzinfo=hotel.tzinfo)
    offer = api_offer(rt)
    terms = offer["payment_terms"]
    assert (terms["kind"], terms["due_now"], terms["due_later"], terms["due_later_by"]) == (
        "deposit",
        "108.00",
        "252.00",
        "card",
    )
    assert datetime.fromisoformat(terms["due_later_at"].replace("Z", "+00:00")) == due
    assert f"Pay €108.00 now, €252.00 on {due:%-d %B %Y}" in hotel_page(client, rt)

    booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST)
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    page = bank_page(payment)
    assert "108.00 EUR" in page and "saved with the bank" in page
    pay_at_bank(payment.bank_redirect_url)
    workflow.payment_sync(payment=payment)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert booking.price_snapshot["payment_terms"]["due_later"] == "252.00"
    deposit = booking.payments.get()
    assert (deposit.kind, deposit.amount, deposit.status) == ("deposit", Decimal("108.00"), "paid")
    card = SavedCard.objects.get(booking=booking)
    assert card.token.startswith("tok_") and card.last4 == "4242"
    balance = ScheduledCharge.objects.get(booking=booking)
    assert (balance.purpose, balance.amount, balance.due_at, balance.status) == (
        "balance",
        Decimal("252.00"),
        due,
        "scheduled",
    )

    posted = charges_posted(bank)
    assert run_charges(at=due - timedelta(minutes=1)) == 0  # not due yet
    assert run_charges(at=due) == 1
    for later in (due, due + timedelta(minutes=5), due + timedelta(days=3)):  # beat keeps running: nothing more
        assert run_charges(at=later) == 0
    assert charges_posted(bank) == posted + 1
    balance.refresh_from_db()
    paid = balance.payment
    assert balance.status == "paid" and (paid.kind, paid.amount, paid.status) == ("balance", Decimal("252.00"), "paid")
    assert paid.idempotency_key == f"{booking.reference}-balance-1" and paid.card_last4 == "4242"
    assert sum(p.amount for p in booking.payments.filter(status="paid")) == booking.total
    receipt = OutboundEmail.objects.get(booking=booking, kind="charge_receipt_guest")
    assert receipt.status == "sent" and receipt.recipient == "grace@example.com"
    [message] = [m for m in mail.outbox if "Receipt" in m.subject]
    assert "252.00" in message.body and "•••• 4242" in message.body and paid.bank_transaction_id in message.body


def test_a_deposit_whose_balance_date_has_passed_is_due_in_full(bank):
    rt = deposit_room(balance_days_before=30)
    booking = booked(rt)
    assert booking.price_snapshot["payment_terms"]["due_now"] == "360.00"
    assert booking.payments.get().amount == Decimal("360.00") and not ScheduledCharge.objects.exists()


def test_cancelling_a_deposit_booking_refunds_what_the_policy_does_not_keep(bank):
    rt = deposit_room(free_cancellation_days=30, cancellation_penalty="percent", cancellation_penalty_percent=25)
    booking = booked(rt)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_cancel(booking=booking, actor_kind="customer")
    booking.refresh_from_db()
    deposit = booking.payments.get()
    assert booking.cancellation_penalty == Decimal("90.00")  # 25 % of 360.00, less than the 108.00 deposit
    assert deposit.refunded_amount == Decimal("18.00") and booking.refunded_amount == Decimal("18.00")
    assert ScheduledCharge.objects.get().status == "cancelled"
    assert run_charges(at=timezone.now() + timedelta(days=30)) == 0


def test_a_declined_balance_sends_a_payment_link_retries_then_cancels_under_the_policy(bank):
    rt = deposit_room(free_cancellation_days=30, cancellation_penalty="percent", cancellation_penalty_percent=25)
    booking = booked(rt, card=LATER_DECLINED)  # the deposit goes through; later charges on the card are declined
    assert booking.status == "confirmed"
    balance = ScheduledCharge.objects.get()
    due = balance.due_at

    assert run_charges(at=due) == 1
    balance.refresh_from_db()
    assert balance.status == "scheduled" and balance.attempts == 1 and balance.last_error == "card_declined"
    assert balance.next_attempt_at == due + timedelta(days=1)
    [declined] = [m for m in mail.outbox if "declined" in m.subject]
    link = re.search(r"http://\S+/payments/pay/\S+", declined.body).group(0)
    assert booking.reference in link and "252.00" in declined.body

    assert run_charges(at=due + timedelta(hours=23)) == 0  # not before its next try
    assert run_charges(at=due + timedelta(days=1)) == 1
    balance.refresh_from_db()
    assert balance.attempts == 2 and balance.next_attempt_at == due + timedelta(days=3)
    assert run_charges(at=due + timedelta(days=3)) == 1
    balance.refresh_from_db()
    booking.refresh_from_db()
    assert balance.status == "failed" and balance.attempts == 3
    assert booking.status == "cancelled" and booking.cancellation_penalty == Decimal("90.00")
    deposit = booking.payments.get(kind="deposit")
    assert deposit.refunded_amount == Decimal("18.00")  # the deposit is kept up to the penalty
    assert not ScheduledCharge.objects.filter(purpose="cancellation_fee").exists()  # the card isn't tried again
    failed = booking.payments.filter(kind="balance")
    assert sorted(failed.values_list("attempt", "status")) == [(1, "failed"), (2, "failed"), (3, "failed")]
    kinds = set(OutboundEmail.objects.filter(booking=booking).values_list("kind", flat=True))
    assert {"charge_declined_guest", "booking_cancelled_guest", "booking_cancelled_hotel"} <= kinds
    hotel_mail = [m for m in mail.outbox if m.to == [rt.hotel.reservations_email]]
    assert any("cancel" in m.subject.lower() for m in hotel_mail)  # the hotel is told
    assert OutboundEmail.objects.filter(kind="charge_declined_guest").count() == 2


def test_the_payment_link_pays_a_declined_balance_and_the_card_is_not_charged_again(client, bank):
    rt = deposit_room()
    booking = booked(rt, card=LATER_DECLINED)
    due = ScheduledCharge.objects.get().due_at
    run_charges(at=due)
    [declined] = [m for m in mail.outbox if "declined" in m.subject]
    link = urlparse(re.search(r"http://\S+/payments/pay/\S+", declined.body).group(0))
    assert client.get(link.path).status_code == 404  # the signed token is what opens it
    to_bank = client.get(link.path, parse_qs(link.query))
    assert to_bank.status_code == 302 and to_bank["Location"].startswith(bank.url)
    assert client.get(link.path, parse_qs(link.query))["Location"] == to_bank["Location"]  # the same link
    assert "252.00 EUR" in requests.get(to_bank["Location"], timeout=5).text
    back = urlparse(pay_at_bank(to_bank["Location"], APPROVE))
    client.force_login(UserFactory())  # anyone with the signed return URL sees the answer
    client.get(back.path, parse_qs(back.query))
    balance = ScheduledCharge.objects.get()
    assert balance.status == "paid" and balance.payment.bank_session_id.startswith("pl_")
    assert run_charges(at=due + timedelta(days=5)) == 0
    assert booking.payments.filter(kind="balance", status="paid").count() == 1
    landing = client.get(link.path, parse_qs(link.query))
    assert landing.status_code == 302 and landing["Location"].endswith(f"/bookings/{booking.reference}/")


def test_a_payment_link_paid_after_the_card_was_charged_is_refunded_in_full(bank):
    rt = deposit_room()
    booking = booked(rt)
    charge = ScheduledCharge.objects.get()
    from payments.services import payment_link_start

    link = payment_link_start(charge=charge, return_url="http://testserver/r", webhook_url=None)
    run_charges(at=charge.due_at)  # the saved card is charged…
    pay_at_bank(link.bank_redirect_url)  # …and the guest pays the link too
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.payment_sync(payment=link)
    link.refresh_from_db()
    assert link.status == "refunded" and link.refunds.get().status == "succeeded"
    charge.refresh_from_db()
    assert charge.payment.bank_session_id == "" and booking.payments.filter(status="paid").count() == 2


def test_a_fee_whose_answer_is_lost_is_asked_again_with_its_key_and_charged_once(settings, bank):
    booking = booked(room(payment_terms="guarantee"), card=NEVER_ANSWERS)  # its charges' first answers come too late
    settings.PAYMENT_GATEWAY_OPTIONS = {**settings.PAYMENT_GATEWAY_OPTIONS, "retries": 0}
    posted = charges_posted(bank)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_no_show(booking=booking)
    payment = booking.payments.get(kind="no_show_fee")
    assert payment.status == "unknown"  # never guessed
    assert run_charges(at=timezone.now() + timedelta(minutes=1)) == 0  # claimed a moment ago: left alone
    assert run_charges(at=timezone.now() + timedelta(minutes=3)) == 1
    payment.refresh_from_db()
    assert payment.status == "paid" and booking.payments.filter(kind="no_show_fee").count() == 1
    assert payment.idempotency_key == f"{booking.reference}-no_show_fee-1"
    assert charges_posted(bank) == posted + 2  # two requests with one key: one charge at the bank


def test_a_crash_between_the_claim_and_the_bank_call_charges_once_later(bank):
    rt = deposit_room()
    booking = booked(rt)
    charge = ScheduledCharge.objects.get()
    claimed = scheduled_charge_claim(charge_id=charge.pk, now=charge.due_at)  # …and the worker dies here
    assert claimed.status == "pending" and run_charges(at=charge.due_at) == 0
    assert run_charges(at=charge.due_at + timedelta(minutes=3)) == 1
    [payment] = booking.payments.filter(kind="balance")
    assert payment.pk == claimed.pk and payment.status == "paid"


# --- card guarantee: no-show and late-cancellation fees --------------------------------------------------------------


def guarantee_room(**extra):
    return room(payment_terms="guarantee", **extra)


def test_a_card_guarantee_charges_nothing_and_confirms(client, bank):
    rt = guarantee_room()
    terms = api_offer(rt)["payment_terms"]
    assert (terms["kind"], terms["due_now"], terms["due_later"], terms["due_later_by"], terms["card_saved"]) == (
        "guarantee",
        "0.00",
        "360.00",
        "hotel",
        True,
    )
    assert "Pay at the hotel · your card is only kept as a guarantee" in hotel_page(client, rt)
    booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST)
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    page = bank_page(payment)
    assert "Nothing is charged now" in page and "Save card" in page
    pay_at_bank(payment.bank_redirect_url, NO_FUNDS)  # saved even so: only a charge would find no funds
    workflow.payment_sync(payment=payment)
    booking.refresh_from_db()
    payment.refresh_from_db()
    assert booking.status == "confirmed"
    assert (payment.kind, payment.amount, payment.status, payment.card_last4) == (
        "guarantee",
        Decimal("0.00"),
        "saved",
        "9995",
    )
    assert SavedCard.objects.get(booking=booking).last4 == "9995" and not ScheduledCharge.objects.exists()


def test_a_no_show_fee_is_charged_once_whatever_is_clicked_twice(admin_client, bank):
    rt = guarantee_room()  # first night: 120.00
    booking = booked(rt)
    posted = charges_posted(bank)
    url = reverse("admin:bookings_booking_changelist")
    for _ in range(2):  # a double click
        with TestCase.captureOnCommitCallbacks(execute=True):
            admin_client.post(url, {"action": "mark_no_show", "_selected_action": [booking.pk]}, follow=True)
    booking.refresh_from_db()
    assert booking.status == "no_show"
    fee = ScheduledCharge.objects.get(booking=booking)
    assert (fee.purpose, fee.amount, fee.status) == ("no_show_fee", Decimal("120.00"), "paid")
    assert booking.payments.filter(kind="no_show_fee").count() == 1 and charges_posted(bank) == posted + 1
    assert run_charges(at=timezone.now() + timedelta(days=1)) == 0
    [receipt] = [m for m in mail.outbox if "Receipt" in m.subject]
    assert "120.00" in receipt.body and "No-show fee" in receipt.body and receipt.to == ["grace@example.com"]


def test_two_staff_marking_a_no_show_at_once_charge_the_fee_once(bank, transactional_db, staff_roles):
    rt = guarantee_room()
    booking = booked(rt)
    posted = charges_posted(bank)
    barrier = threading.Barrier(2)

    def mark():
        try:
            barrier.wait()
            workflow.booking_no_show(booking=booking)
        finally:
            connection.close()

    threads = [threading.Thread(target=mark) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    run_charges()
    assert Payment.objects.filter(kind="no_show_fee", status="paid").count() == 1
    assert charges_posted(bank) == posted + 1
    assert books_findings() == []


def test_a_late_cancellation_charges_the_policy_fee_to_the_saved_card_once(admin_client, bank):
    rt = guarantee_room(free_cancellation_days=None)  # non-refundable: the whole stay is the penalty
    booking = booked(rt)
    url = reverse("admin:bookings_booking_changelist")
    for _ in range(2):
        with TestCase.captureOnCommitCallbacks(execute=True):
            admin_client.post(url, {"action": "cancel_with_penalty", "_selected_action": [booking.pk]}, follow=True)
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancellation_penalty == Decimal("360.00")
    fee = ScheduledCharge.objects.get()
    assert (fee.purpose, fee.amount, fee.status) == ("cancellation_fee", Decimal("360.00"), "paid")
    assert Payment.objects.filter(kind="cancellation_fee").count() == 1
    assert OutboundEmail.objects.filter(kind="charge_receipt_guest").count() == 1


def test_a_free_cancellation_of_a_guarantee_charges_nothing(bank):
    rt = guarantee_room()
    booking = booked(rt)
    workflow.booking_cancel(booking=booking, actor_kind="customer")
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancellation_penalty == 0
    assert not ScheduledCharge.objects.exists()


def test_a_declined_no_show_fee_is_retried_and_never_cancels_anything(bank):
    rt = guarantee_room()
    booking = booked(rt, card=NO_FUNDS)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_no_show(booking=booking)
    fee = ScheduledCharge.objects.get()
    assert fee.status == "scheduled" and fee.attempts == 1 and fee.last_error == "insufficient_funds"
    run_charges(at=fee.next_attempt_at)
    run_charges(at=fee.next_attempt_at + timedelta(days=2))
    fee.refresh_from_db()
    booking.refresh_from_db()
    assert fee.status == "failed" and booking.status == "no_show"
    assert booking.payments.filter(kind="no_show_fee", status="failed").count() == 3


# --- pay at the hotel, staff only -----------------------------------------------------------------------------------


def test_pay_at_the_hotel_without_guarantee_is_only_sold_by_staff(client, bank):
    rt = room(payment_terms="at_hotel")
    with pytest.raises(StayInvalid):
        booking_hold(room_type=rt, stay=stay(), guest=GUEST)
    partner = Partner.objects.create(name="Agency")
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=partner)}")
    query = {"city": "Lyon", "check_in": future(ARRIVAL), "check_out": future(ARRIVAL + 3), "adults": 2}
    assert api.get("/api/v1/availability/", query).json()["results"] == []
    assert "Courtyard Double" not in hotel_page(client, rt)
    booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST, source="staff", actor_kind="staff")
    terms = booking.price_snapshot["payment_terms"]
    assert (terms["kind"], terms["due_now"], terms["due_later_by"], terms["card_saved"]) == (
        "at_hotel",
        "0.00",
        "hotel",
        False,
    )
    booking = workflow.booking_confirm(booking=booking, actor_kind="staff")
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_no_show(booking=booking)
    assert not ScheduledCharge.objects.exists() and not Payment.objects.exists()


# --- the terms are frozen -------------------------------------------------------------------------------------------


def test_the_booking_keeps_its_terms_when_the_plan_changes(bank):
    rt = deposit_room()
    booking = booked(rt)
    plan = standard_plan(rt)
    plan.payment_terms, plan.deposit_percent = "prepay", Decimal("50")
    plan.save()
    assert booking.price_snapshot["payment_terms"]["due_now"] == "108.00"
    booking.refresh_from_db()
    assert ScheduledCharge.objects.get(booking=booking).amount == Decimal("252.00")


# --- concurrency ----------------------------------------------------------------------------------------------------


def test_a_balance_is_charged_once_under_concurrent_beat_runs(bank, transactional_db, staff_roles):
    rt = deposit_room()
    booking = booked(rt)
    due = ScheduledCharge.objects.get().due_at
    posted = charges_posted(bank)
    workers = 6
    barrier = threading.Barrier(workers)
    errors = []

    def beat():
        try:
            barrier.wait()
            workflow.scheduled_charges_run(now=due + timedelta(minutes=1))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(workers)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert booking.payments.filter(kind="balance").count() == 1
    assert booking.payments.get(kind="balance").status == "paid"
    assert charges_posted(bank) == posted + 1
    assert ScheduledCharge.objects.get().status == "paid"
    assert books_findings() == []


# --- no card data anywhere ------------------------------------------------------------------------------------------


def test_no_card_number_expiry_or_cvc_is_stored_anywhere(client, bank, transactional_db, staff_roles):
    """After flows with every kind of test card, read every text column of every table and look for them."""
    booked(room(), card=APPROVE)
    dep = booked(deposit_room(), card=LATER_DECLINED)
    run_charges(at=ScheduledCharge.objects.get(booking=dep).due_at)
    guarantee = booked(guarantee_room(), card=NO_FUNDS)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_no_show(booking=guarantee)
    secrets = [APPROVE, LATER_DECLINED, NO_FUNDS, "12/39", "1239"]
    texts = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
        )
        columns = cursor.fetchall()
        for table, column in columns:
            cursor.execute(f'SELECT "{column}"::text FROM "{table}"')  # noqa: S608 - names from the catalogue  # nosec B608
            texts.extend(value for (value,) in cursor.fetchall() if value)
    assert len(columns) > 100 and any("tok_" in t for t in texts)  # the bank's token is kept: it is all we need
    found = [(s, t[:80]) for t in texts for s in secrets if s in t]
    assert found == []
    assert not any(re.search(r'"cvc"|card_number|"expiry"', t) for t in texts)


# --- the website's booking flow -------------------------------------------------------------------------------------


def website_review(client, rt) -> str:
    from tests.bookings.test_flow import GUEST as FORM

    start = client.post(
        reverse("bookings:start"),
        {
            "room_type": rt.pk,
            "rate_plan": standard_plan(rt).pk,
            "check_in": future(ARRIVAL).isoformat(),
            "check_out": future(ARRIVAL + 3).isoformat(),
            "adults": 2,
            "children": 0,
            "rooms": 1,
        },
    )
    assert start.status_code == 302, start.content
    guest = client.post(start["Location"], {**FORM, "password1": "un-guessable 42!", "password2": "un-guessable 42!"})
    assert guest.status_code == 302
    return guest["Location"]


@pytest.mark.parametrize(
    ("terms", "button", "charged", "card"),
    [
        ({"payment_terms": "deposit", "deposit": "first_night"}, "Pay the €120.00 deposit securely", "120.00", APPROVE),
        ({"payment_terms": "guarantee"}, "Save your card as a guarantee", "Nothing is charged now", NO_FUNDS),
    ],
)
def test_the_website_flow_pays_what_is_due_now_and_confirms(client, bank, terms, button, charged, card):
    rt = room(**terms)
    review_url = website_review(client, rt)
    review = re.sub(r"\s+", " ", client.get(review_url).content.decode())
    assert button in review
    to_bank = client.post(review_url, {"expected_total": "360.00"})
    assert to_bank.status_code == 302 and to_bank["Location"].startswith(bank.url)
    assert charged in requests.get(to_bank["Location"], timeout=5).text
    back = urlparse(pay_at_bank(to_bank["Location"], card))
    detail = client.get(back.path, parse_qs(back.query), follow=True)
    assert "is confirmed" in detail.content.decode()
    booking = Booking.objects.get()
    assert booking.status == "confirmed" and SavedCard.objects.filter(booking=booking).exists()


def test_the_audit_finds_an_overdue_balance_and_a_double_charge(bank):
    booking = booked(deposit_room())
    balance = ScheduledCharge.objects.get()
    late = timezone.now() + timedelta(days=60)  # the audit run long after the due date: nobody charged it
    [finding] = [f for f in books_findings(now=late) if f.check == "scheduled_charge"]
    assert finding.subject == f"{booking.reference}, {balance.key}" and "overdue" in finding.detail
    run_charges(at=balance.due_at)
    assert [f for f in books_findings(now=late) if f.check == "scheduled_charge"] == []
    first = booking.payments.get(kind="balance")
    twice = Payment.objects.create(
        booking=booking,
        kind="balance",
        scheduled_charge=balance,
        attempt=2,
        gateway="SandboxBankGateway",
        amount=first.amount,
        currency="EUR",
        status="paid",
        paid_at=timezone.now(),
        idempotency_key="planted",
    )
    checks = {f.check for f in books_findings()}
    # charged twice, the second one not refunded, and not in the ledger (it was planted, not settled)
    assert checks == {"double_charge", "paid_payment", "ledger"}
    twice.delete()
    assert books_findings() == []


def test_a_charge_cancelled_while_its_answer_was_lost_is_asked_about_and_refunded(settings, bank):
    booking = booked(room(payment_terms="guarantee"), card=NEVER_ANSWERS)
    settings.PAYMENT_GATEWAY_OPTIONS = {**settings.PAYMENT_GATEWAY_OPTIONS, "retries": 0}
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_no_show(booking=booking)
    payment = booking.payments.get(kind="no_show_fee")
    assert payment.status == "unknown"
    from payments.services import scheduled_charges_cancel

    scheduled_charges_cancel(booking=booking)  # staff waive the fee while the bank's answer is still unknown
    assert run_charges(at=timezone.now() + timedelta(minutes=3)) == 0
    payment.refresh_from_db()
    assert payment.status == "refunded"  # the bank had taken it: it is given back, not kept, not guessed
    assert payment.refunds.get().status == "succeeded"
