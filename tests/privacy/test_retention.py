"""The retention task anonymises the guest data of stays that ended more than GUEST_DATA_RETENTION_DAYS ago, and
only those, keeping receipts and amounts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Anonymisation
from accounts.tasks import anonymise_expired_guest_data
from bookings.models import Booking
from config.celery import app
from config.periodic import PERIODIC_TASKS
from notifications.models import OutboundEmail
from payments.models import Receipt
from tests.notifications.test_emails import confirmed

pytestmark = pytest.mark.django_db


def stay_ended(booking, days_ago: int) -> None:
    """Move a stay into the past (its nights are not what this test is about)."""
    check_out = timezone.now().date() - timedelta(days=days_ago)
    Booking.objects.filter(pk=booking.pk).update(check_in=check_out - timedelta(days=2), check_out=check_out)


def test_old_stays_are_anonymised_and_recent_ones_kept(django_capture_on_commit_callbacks, settings):
    assert settings.GUEST_DATA_RETENTION_DAYS == 3 * 365  # the default: three years after check-out
    old = confirmed(django_capture_on_commit_callbacks, email="old@example.com", name="Oldřich", last_name="Past")
    recent = confirmed(django_capture_on_commit_callbacks, email="new@example.com", name="Nova", last_name="Recent")
    stay_ended(old, 3 * 365 + 1)
    stay_ended(recent, 3 * 365 - 1)

    assert anonymise_expired_guest_data.delay().get() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.guest_first_name, old.guest_last_name, old.guest_phone, old.special_requests) == (
        "Anonymised",
        "",
        "",
        "",
    )
    assert old.guest_email.endswith("@anonymised.invalid")
    assert not OutboundEmail.objects.filter(booking=old, recipient="old@example.com").exists()
    assert not any("Oldřich" in e.subject for e in OutboundEmail.objects.filter(booking=old))
    assert OutboundEmail.objects.filter(booking=old, kind="booking_confirmed_hotel").get().recipient == (
        old.hotel.reservations_email
    )
    assert Receipt.objects.filter(booking=old).exists() and old.total == recent.total  # legal records kept
    assert Anonymisation.objects.get(booking=old).reason == "retention"
    assert (recent.guest_first_name, recent.guest_email) == ("Nova", "new@example.com")
    assert OutboundEmail.objects.filter(booking=recent, recipient="new@example.com").exists()

    assert anonymise_expired_guest_data() == 0  # nothing twice
    settings.GUEST_DATA_RETENTION_DAYS = 30  # configurable
    assert anonymise_expired_guest_data() == 1
    recent.refresh_from_db()
    assert recent.guest_first_name == "Anonymised"


def test_the_task_runs_daily_from_beat():
    task, every = PERIODIC_TASKS["Anonymise guest data past the retention period"]
    assert task == "accounts.tasks.anonymise_expired_guest_data" and task in app.tasks and every == 86400
