"""A booking of two rooms whose plans ask for the balance on different dates ("30 days before" and "7 days before")
owes two balances, each charged on its own room's date, once, against the real sandbox bank; a change reschedules
them in its own transaction."""

import re
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import mail
from django.db import connections
from django.test import TestCase
from django.urls import reverse

from bookings import workflow
from bookings.audit import books_findings
from bookings.balances import BalanceBeingCharged
from bookings.changes import LineChange
from bookings.lines import RoomRequest
from bookings.models import Booking
from bookings.services import Actor, booking_hold
from hotels.stay import Stay
from payments.models import ScheduledCharge
from payments.selectors import booking_payment_terms
from payments.services import payment_start
from tests.factories import HotelFactory, RoomTypeFactory, UserFactory, future, open_nights, standard_plan
from tests.payments.test_payment_terms import (
    APPROVE,
    GUEST,
    LATER_DECLINED,
    charges_posted,
    pay_at_bank,
    run_charges,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]
ARRIVAL = 40  # two nights at 100.00 in each room: 200.00 a room, 30 % now (60.00), 140.00 later


def deposit_type(hotel, name, days_before, **policy):
    rt = RoomTypeFactory(hotel=hotel, name=name, max_adults=2, max_occupancy=2)
    open_nights(rt, future(ARRIVAL - 2), 6, price="100.00", rooms=3)
    plan = standard_plan(rt)
    plan.payment_terms, plan.deposit, plan.deposit_percent = "deposit", "percent", Decimal("30")
    plan.balance_days_before, plan.free_cancellation_days = days_before, 3
    for field, value in policy.items():
        setattr(plan, field, value)
    plan.save()
    return rt


@pytest.fixture
def two_dates(db):
    hotel = HotelFactory(name="Hôtel du Parc", city="Lyon")
    return deposit_type(hotel, "Early Double", 30), deposit_type(hotel, "Late Double", 7)


def due(rt, days_before, arrival=ARRIVAL):
    hotel = rt.hotel
    return datetime.combine(future(arrival - days_before), hotel.check_in_time).replace(tzinfo=hotel.tzinfo)


def book(early, late, card=APPROVE, customer=None) -> Booking:
    stay = Stay(check_in=future(ARRIVAL), check_out=future(ARRIVAL + 2), adults=2)
    booking = booking_hold(
        stay=stay,
        guest=GUEST,
        rooms=[RoomRequest(room_type=early, adults=1), RoomRequest(room_type=late, adults=1)],
        customer=customer,
    )
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    pay_at_bank(payment.bank_redirect_url, card)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.payment_sync(payment=payment)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    return booking


def balances(booking):
    return list(ScheduledCharge.objects.filter(booking=booking, purpose="balance").order_by("due_at", "pk"))


def test_two_rooms_with_different_balance_dates_are_each_charged_on_their_own_date(
    client, admin_client, bank, two_dates
):
    early, late = two_dates
    guest = UserFactory()
    booking = book(early, late, customer=guest)
    first, second = balances(booking)
    ref = booking.reference
    assert (first.key, first.amount, first.due_at) == (f"{ref}:balance", Decimal("140.00"), due(early, 30))
    late_day = future(ARRIVAL - 7).isoformat()
    assert (second.key, second.amount, second.due_at) == (
        f"{ref}:balance-{late_day}",
        Decimal("140.00"),
        due(late, 7),
    )
    upcoming = booking_payment_terms(booking)["upcoming_charges"]
    assert [(c["amount"], c["due_at"][:10]) for c in upcoming] == [
        ("140.00", future(ARRIVAL - 30).isoformat()),
        ("140.00", late_day),
    ]
    client.force_login(guest)
    page = re.sub(r"\s+", " ", client.get(reverse("bookings:detail", kwargs={"reference": ref})).content.decode())
    assert page.count("data-upcoming-charge=") == 2
    assert f"will be charged to your card Visa •••• 4242 on {future(ARRIVAL - 30):%-d %B %Y}" in page
    assert f"will be charged to your card Visa •••• 4242 on {future(ARRIVAL - 7):%-d %B %Y}" in page
    admin_page = admin_client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()
    assert "Charges to come on the saved card" in admin_page
    assert admin_page.count('data-upcoming-charge="140.00"') == 2

    posted = charges_posted(bank)
    run_charges(at=due(early, 30) + timedelta(minutes=1))  # the early room's date: only its balance
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("paid", "scheduled")
    assert first.payment.idempotency_key == f"{ref}-balance-1"
    assert charges_posted(bank) == posted + 1

    run_charges(at=due(late, 7) - timedelta(days=1))  # the day before the late room's date: nothing
    assert charges_posted(bank) == posted + 1
    run_charges(at=due(late, 7) + timedelta(minutes=1))
    second.refresh_from_db()
    assert second.status == "paid" and second.payment.idempotency_key == f"{ref}-balance-{late_day}-1"
    assert charges_posted(bank) == posted + 2
    run_charges(at=due(late, 7) + timedelta(days=3))  # nothing charged twice
    assert charges_posted(bank) == posted + 2
    booking.refresh_from_db()
    assert booking_payment_terms(booking)["balance_due"] == "0.00"
    assert books_findings() == []


def test_each_date_is_charged_once_under_concurrent_beat_runs(bank, two_dates, transactional_db, staff_roles):
    early, late = two_dates
    booking = book(early, late)
    posted = charges_posted(bank)
    workers = 6
    barrier = threading.Barrier(workers)
    errors = []

    def beat():
        try:
            barrier.wait()
            workflow.scheduled_charges_run(now=due(late, 7) + timedelta(minutes=1))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(workers)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert sorted(p.status for p in booking.payments.filter(kind="balance")) == ["paid", "paid"]
    assert charges_posted(bank) == posted + 2
    assert [c.status for c in balances(booking)] == ["paid", "paid"]
    assert books_findings() == []


def test_a_room_cancelled_before_its_date_is_never_charged(bank, two_dates):
    early, late = two_dates
    booking = book(early, late)
    late_line = booking.lines.get(room_type=late)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.room_cancel(
            booking=booking, line_id=late_line.pk, actor_kind=Actor.CUSTOMER, channel=Booking.Source.WEBSITE
        )
    first, second = balances(booking)
    # the late room's 140.00 is owed no more; its 60.00 deposit is taken off the early room's balance (not refunded)
    assert (first.status, first.amount, second.status) == ("scheduled", Decimal("80.00"), "cancelled")
    posted = charges_posted(bank)
    run_charges(at=due(late, 7) + timedelta(minutes=1))  # both dates passed
    assert charges_posted(bank) == posted + 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.payment.amount, second.status) == ("paid", Decimal("80.00"), "cancelled")
    assert not second.payments.exists()
    booking.refresh_from_db()
    assert booking.total == Decimal("200.00") and booking_payment_terms(booking)["balance_due"] == "0.00"
    assert books_findings() == []


def test_dates_moved_move_each_balance_with_them(bank, two_dates):
    early, late = two_dates
    booking = book(early, late)
    with TestCase.captureOnCommitCallbacks(execute=True):
        change = workflow.booking_modify(
            booking=booking,
            check_in=future(ARRIVAL + 2),
            check_out=future(ARRIVAL + 4),
            actor_kind=Actor.CUSTOMER,
            channel=Booking.Source.WEBSITE,
        )
    assert change.status == "applied" and change.difference == 0
    first, second = balances(booking)
    assert (first.amount, first.due_at, first.next_attempt_at) == (
        Decimal("140.00"),
        due(early, 30, ARRIVAL + 2),
        due(early, 30, ARRIVAL + 2),
    )
    assert (second.amount, second.due_at) == (Decimal("140.00"), due(late, 7, ARRIVAL + 2))
    posted = charges_posted(bank)
    run_charges(at=due(early, 30) + timedelta(minutes=1))  # the old date: not yet
    assert charges_posted(bank) == posted
    assert books_findings() == []


def test_a_room_added_and_paid_keeps_each_balance_on_its_date(bank, two_dates):
    early, late = two_dates
    booking = book(early, late)
    lines = list(booking.lines.order_by("position"))
    rooms = [LineChange(line_id=line.pk) for line in lines] + [LineChange(room_type=late, adults=1)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        change = workflow.booking_modify(
            booking=booking,
            check_in=future(ARRIVAL - 1),
            check_out=future(ARRIVAL + 2),
            rooms=rooms,
            actor_kind=Actor.CUSTOMER,
            channel=Booking.Source.WEBSITE,
        )
    assert change.status == "pending_payment"
    payment = workflow.booking_change_payment_start(change=change, return_url="http://testserver/r", webhook_url=None)
    pay_at_bank(payment.bank_redirect_url)
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.payment_sync(payment=payment)
    change.refresh_from_db()
    assert change.status == "applied"
    first, second = balances(booking)  # the added room was paid in full with the change
    assert (first.amount, first.due_at) == (Decimal("140.00"), due(early, 30, ARRIVAL - 1))
    assert (second.amount, second.due_at) == (Decimal("140.00"), due(late, 7, ARRIVAL - 1))
    assert books_findings() == []


def test_a_change_waits_while_a_balance_is_being_charged(bank, two_dates):
    early, late = two_dates
    booking = book(early, late)
    first = balances(booking)[0]
    ScheduledCharge.objects.filter(pk=first.pk).update(status="charging")
    with pytest.raises(BalanceBeingCharged, match="being taken right now"):
        workflow.room_cancel(
            booking=booking,
            line_id=booking.lines.get(room_type=late).pk,
            actor_kind=Actor.CUSTOMER,
            channel=Booking.Source.WEBSITE,
        )
    assert booking.lines.filter(status="active").count() == 2
    assert [c.amount for c in balances(booking)] == [Decimal("140.00"), Decimal("140.00")]


def test_the_audit_finds_open_charges_that_do_not_add_up_to_the_card_part_still_due(bank, two_dates):
    early, late = two_dates
    booking = book(early, late)
    assert books_findings() == []
    ScheduledCharge.objects.filter(pk=balances(booking)[1].pk).update(amount=Decimal("150.00"))
    findings = [f for f in books_findings() if f.check == "open_charges"]
    assert [(f.subject, f.detail) for f in findings] == [
        (booking.reference, "290.00 scheduled on the saved card; the ledger says 280.00 due")
    ]
    ScheduledCharge.objects.filter(pk=balances(booking)[1].pk).update(amount=Decimal("140.00"))


def test_a_late_date_declined_to_the_end_cancels_per_policy_keeping_the_penalty_from_what_was_paid(client, bank):
    hotel = HotelFactory(name="Hôtel des Brotteaux", city="Lyon")
    policy = {"free_cancellation_days": 45, "cancellation_penalty": "percent", "cancellation_penalty_percent": 25}
    early = deposit_type(hotel, "Early Double", 30, **policy)
    late = deposit_type(hotel, "Late Double", 7, **policy)
    booking = book(early, late, card=LATER_DECLINED)  # the deposits go through; the saved card declines later
    first, second = balances(booking)
    assert run_charges(at=due(early, 30)) == 1  # the early date: declined, a payment link e-mailed
    [declined] = [m for m in mail.outbox if "declined" in m.subject]
    link = urlparse(re.search(r"http://\S+/payments/pay/\S+", declined.body).group(0))
    to_bank = client.get(link.path, parse_qs(link.query))
    back = urlparse(pay_at_bank(to_bank["Location"], APPROVE))  # the guest pays the early balance by the link
    client.force_login(UserFactory())
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.get(back.path, parse_qs(back.query))
    first.refresh_from_db()
    assert (first.status, first.payment.amount) == ("paid", Decimal("140.00"))

    for days in (0, 1, 3):  # the late date's three attempts are declined
        run_charges(at=due(late, 7) + timedelta(days=days))
    second.refresh_from_db()
    booking.refresh_from_db()
    assert (second.status, second.attempts) == ("failed", 3)
    # cancelled per the policy (past its free cancellation): 25 % of 400.00 kept from the 260.00 paid (the deposits and
    # the early balance), the rest refunded, latest payment first; the card is not tried for a fee
    assert booking.status == "cancelled" and booking.cancellation_penalty == Decimal("100.00")
    refunded = sum((p.refunded_amount for p in booking.payments.all()), Decimal("0.00"))
    assert refunded == Decimal("160.00")
    assert first.payment.__class__.objects.get(pk=first.payment.pk).refunded_amount == Decimal("140.00")
    assert not ScheduledCharge.objects.filter(booking=booking, purpose="cancellation_fee").exists()
    assert books_findings() == []


def test_a_booking_from_before_owing_one_balance_at_the_earliest_date_is_split_by_the_command(bank, two_dates):
    from io import StringIO

    from django.core.management import call_command

    early, late = two_dates
    booking = book(early, late)
    first, second = balances(booking)
    second.delete()  # as such a booking was: all of both rooms' balances on the earliest date
    ScheduledCharge.objects.filter(pk=first.pk).update(amount=Decimal("280.00"))
    out = StringIO()
    call_command("balances_split", stdout=out)
    assert f"{booking.reference}: balances spread" in out.getvalue()
    first, second = balances(booking)
    assert (first.key, first.amount, first.due_at) == (
        f"{booking.reference}:balance",
        Decimal("140.00"),
        due(early, 30),
    )
    assert (second.amount, second.due_at) == (Decimal("140.00"), due(late, 7))
    call_command("balances_split", stdout=out)  # again: nothing changes
    assert out.getvalue().endswith("0 booking(s) changed.\n")
    assert books_findings() == []
