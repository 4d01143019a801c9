"""The leaner booking write path (effects, e-mails and stay charges written by one insert each under the booking's
row lock; ``_transition`` trusting the status the service found under its own lock) raced the way a hostile
partner, a double-clicking guest and two staff members race it: each consequence is written once, and only by
the call that moved the booking."""

import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bookings import workflow
from bookings.exceptions import InvalidTransition
from bookings.models import Booking, BookingEffect, BookingStatusChange
from bookings.outbox import effects_sweep
from notifications.models import OutboundEmail
from partners.models import Partner
from partners.services import partner_key_issue
from payments.models import LedgerEntry
from tests.api.conftest import body, run_together
from tests.bookings.test_workflow import held

pytestmark = pytest.mark.django_db(transaction=True)


def stay_charges(booking) -> list[str]:
    return sorted(
        LedgerEntry.objects.filter(
            booking=booking, kind=LedgerEntry.Kind.CHARGE, category__in=["stay", "tax"]
        ).values_list("key", flat=True)
    )


def consequences(booking) -> tuple[Counter, Counter]:
    """How many times each effect and each e-mail of ``booking`` was written (their kinds counted)."""
    return (
        Counter(BookingEffect.objects.filter(booking=booking).values_list("kind", flat=True)),
        Counter(OutboundEmail.objects.filter(booking=booking).values_list("kind", flat=True)),
    )


def test_a_hold_confirmed_four_times_at_once_is_charged_and_told_once():
    booking = held()

    def confirm():
        return workflow.booking_confirm(booking=Booking.objects.get(pk=booking.pk), note="race").status

    assert run_together([confirm] * 4) == [Booking.Status.CONFIRMED] * 4
    assert BookingStatusChange.objects.filter(booking=booking, to_status=Booking.Status.CONFIRMED).count() == 1
    charges = stay_charges(booking)
    assert charges and len(charges) == len(set(charges))
    effects, emails = consequences(booking)
    assert effects and set(effects.values()) == {1}, effects
    assert emails and set(emails.values()) == {1}, emails
    # a later confirmation (a late webhook) finds it all written
    workflow.booking_confirm(booking=booking, note="late")
    assert stay_charges(booking) == charges and consequences(booking) == (effects, emails)


def test_confirm_and_cancel_racing_leave_one_story_in_the_books():
    booking = held()

    def confirm():
        try:
            return workflow.booking_confirm(booking=Booking.objects.get(pk=booking.pk), note="paid").status
        except InvalidTransition:
            return "refused"

    def cancel():
        return workflow.booking_cancel(booking=Booking.objects.get(pk=booking.pk), actor_kind="customer").status

    outcome = run_together([confirm, cancel])
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    _effects, emails = consequences(booking)
    assert set(emails.values()) <= {1}, emails
    moved = list(BookingStatusChange.objects.filter(booking=booking).values_list("to_status", flat=True))
    # effects only of the events that happened, each event's once (an invoice, then its credit note)
    events = Counter(
        key.split(":")[1] for key in BookingEffect.objects.filter(booking=booking).values_list("key", flat=True)
    )
    assert set(events) <= {"confirmed", "cancelled"} and ("confirmed" in events) == (Booking.Status.CONFIRMED in moved)
    if outcome[0] == "refused":  # cancelled first: never confirmed, never charged
        assert Booking.Status.CONFIRMED not in moved and stay_charges(booking) == []
    else:  # confirmed first: charged once, then the cancellation's own entries
        assert moved.count(Booking.Status.CONFIRMED) == 1 and len(stay_charges(booking)) >= 1
    from bookings.audit import books_findings

    assert books_findings() == []


def test_hold_expiry_racing_confirmation_either_confirms_or_expires_never_both():
    booking = held()
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))

    def confirm():
        return workflow.booking_confirm(booking=Booking.objects.get(pk=booking.pk), note="paid").status

    def expire():
        return workflow.booking_expire(booking=Booking.objects.get(pk=booking.pk)).status

    run_together([confirm, expire])
    booking.refresh_from_db()
    moved = list(BookingStatusChange.objects.filter(booking=booking).values_list("to_status", flat=True))
    effects, emails = consequences(booking)
    assert set(effects.values()) <= {1} and set(emails.values()) <= {1}, (effects, emails)
    # the payment may still confirm an expired hold whose nights are free: then charged once, nights held
    assert booking.status == Booking.Status.CONFIRMED and booking.nights_held
    assert moved.count(Booking.Status.CONFIRMED) == 1 and len(stay_charges(booking)) >= 1
    from bookings.audit import books_findings

    assert books_findings() == []


def test_one_partner_booking_posted_twice_at_once_with_different_keys_for_the_last_room(room):
    from hotels.models import NightInventory

    NightInventory.objects.filter(room_type=room).update(rooms_for_sale=1)
    key = partner_key_issue(partner=Partner.objects.create(name="Double clicker"))

    def attempt():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        answer = client.post("/api/v1/bookings/", body(room), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        return answer.status_code, answer.json()

    results = run_together([attempt] * 3)
    assert sorted(status for status, _ in results) == [201, 409, 409], results
    assert {data["error"]["code"] for status, data in results if status == 409} == {"sold_out"}
    booking = Booking.objects.get()
    made = next(data for status, data in results if status == 201)
    assert made["reference"] == booking.reference and made["status"] == "confirmed"
    assert len(stay_charges(booking)) >= 1
    effects, emails = consequences(booking)
    assert set(effects.values()) == {1} and set(emails.values()) == {1}, (effects, emails)
    assert made["balance"]["charged"] == str(booking.total), made["balance"]


def test_broker_down_at_commit_leaves_the_partner_booking_made_and_its_effects_in_the_outbox(room, monkeypatch):
    from bookings import tasks as booking_tasks
    from notifications import tasks as notification_tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(booking_tasks.run_effect, "delay", broker_down)
    monkeypatch.setattr(notification_tasks.send_email, "delay", broker_down)
    partner = Partner.objects.create(name="Agency at night")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=partner)}")
    answer = client.post("/api/v1/bookings/", body(room), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert answer.status_code == 201, answer.json()
    booking = Booking.objects.get(reference=answer.json()["reference"])
    waiting = list(BookingEffect.objects.filter(booking=booking).values_list("status", flat=True))
    assert waiting and set(waiting) == {BookingEffect.Status.PENDING}, waiting
    assert OutboundEmail.objects.filter(booking=booking, status="queued").exists()
    monkeypatch.undo()
    effects_sweep(now=timezone.now() + timedelta(minutes=5))
    done = set(BookingEffect.objects.filter(booking=booking).values_list("status", flat=True))
    assert done == {BookingEffect.Status.DONE}, done
