"""Idempotency-Key on POST /bookings/: replay, reuse with another body, concurrency, crashed requests, purge."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.models import Booking
from hotels.models import NightInventory
from partners.models import IdempotencyRecord, Partner
from partners.services import idempotency_records_purge, partner_key_issue
from tests.api.conftest import body, book, run_together

pytestmark = pytest.mark.django_db


def test_the_same_key_and_body_replays_the_first_response(api, room):
    key = str(uuid.uuid4())
    first = book(api, room, key=key, expected_total="208.00", partner_reference="AG-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    again = book(api, room, key=key, partner_reference="AG-1", expected_total="208.00")  # key order differs
    assert again.status_code == 201 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert record.state == "done" and record.booking.reference == first.json()["reference"]


def test_the_same_key_with_another_body_is_422(api, room):
    key = str(uuid.uuid4())
    assert book(api, room, key=key).status_code == 201
    reused = book(api, room, key=key, adults=1)
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1
    assert book(api, room).status_code == 201  # a new key books again


def test_keys_belong_to_one_partner(api, room):
    key = str(uuid.uuid4())
    assert book(api, room, key=key).status_code == 201
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=Partner.objects.create(name='B'))}")
    response = book(other, room, key=key)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Booking.objects.count() == 2


def test_an_error_response_is_replayed_too(api, room):
    key = str(uuid.uuid4())
    NightInventory.objects.filter(room_type=room).update(rooms_sold=2)
    first = book(api, room, key=key)
    assert first.status_code == 409 and first.json()["error"]["code"] == "sold_out"
    NightInventory.objects.filter(room_type=room).update(rooms_sold=0)
    again = book(api, room, key=key)
    assert again.status_code == 409 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert not Booking.objects.exists()


def test_missing_or_invalid_keys_are_400_and_invalid_bodies_are_not_stored(api, room):
    missing = api.post("/api/v1/bookings/", body(room), format="json")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "idempotency_key_missing"
    for key in ("x" * 256, "naïve", "tab\there"):
        response = book(api, room, key=key)
        assert response.status_code == 400 and response.json()["error"]["code"] == "idempotency_key_invalid", key
    key = str(uuid.uuid4())
    assert book(api, room, key=key, adults="two").status_code == 400
    assert book(api, room, key=key).status_code == 201  # the 400 used nothing up
    assert IdempotencyRecord.objects.count() == 1


def test_an_unexpected_failure_leaves_the_key_free_for_a_retry(api, room, monkeypatch):
    from partners.api import views

    def explode(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(views, "partner_booking_create", explode)
    api.raise_request_exception = False
    key = str(uuid.uuid4())
    failed = book(api, room, key=key)
    assert failed.status_code == 500 and failed.json()["error"]["code"] == "server_error"
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    assert book(api, room, key=key).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_commit_still_answers_with_the_booking(room, monkeypatch):
    """Every task a booking starts after its commit (the e-mails, the receipt, the partner webhook) can't be queued:
    the broker is down. The booking was committed with its outbox rows, so the partner gets its 201, a retry with
    the same key replays it, and nothing is lost: the rows wait for the sweep."""
    from kombu.exceptions import OperationalError

    from bookings.tasks import run_effect
    from notifications.tasks import send_email

    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    for task in (run_effect, send_email):
        monkeypatch.setattr(task, "delay", broker_down)
    partner = Partner.objects.create(name="Hooked", webhook_url="http://127.0.0.1:9/hooks")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=partner)}")
    key = str(uuid.uuid4())
    first = book(api, room, key=key)  # a real commit: its on-commit callbacks run, and raise
    assert first.status_code == 201
    again = book(api, room, key=key)
    assert again.json() == first.json() and Booking.objects.count() == 1
    booking = Booking.objects.get()
    assert sorted(booking.effects.values_list("kind", "status")) == [
        ("invoice", "pending"),
        ("partner_webhook", "pending"),
        ("receipt", "pending"),
    ]
    assert list(booking.emails.values_list("kind", "status")) == [("booking_confirmed_hotel", "queued")]


def test_a_request_that_died_half_way_is_taken_over_by_its_retry(api, room, partner, monkeypatch):
    from partners.api import idempotency

    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.2)
    key = str(uuid.uuid4())
    assert book(api, room, key=key).status_code == 201
    request_body = IdempotencyRecord.objects.get().fingerprint
    IdempotencyRecord.objects.all().delete()
    Booking.objects.all().delete()
    NightInventory.objects.update(rooms_sold=0)
    # What a request killed after claiming the key leaves behind: an unlocked in-progress row.
    record = IdempotencyRecord.objects.create(partner=partner, key=key, fingerprint=request_body)
    busy = book(api, room, key=key)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "idempotency_key_in_use"
    assert busy["Retry-After"] == "1"
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    retried = book(api, room, key=key)
    assert retried.status_code == 201 and Booking.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_booking(room):
    key = partner_key_issue(partner=Partner.objects.create(name="Racer"))
    idem = str(uuid.uuid4())

    def attempt():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        response = client.post("/api/v1/bookings/", body(room), format="json", HTTP_IDEMPOTENCY_KEY=idem)
        data = response.json()
        return response.status_code, data.get("reference") or data["error"]["code"], response.get("Idempotent-Replayed")

    results = run_together([attempt] * 6)
    assert Booking.objects.count() == 1
    reference = Booking.objects.get().reference
    assert all(r[:2] in ((201, reference), (409, "idempotency_key_in_use")) for r in results), results
    assert [r[2] for r in results if r[0] == 201].count(None) == 1  # one made it, the others replayed it


def test_records_are_kept_at_least_a_day_then_purged(api, room):
    book(api, room)
    book(api, room, adults=1)
    IdempotencyRecord.objects.filter(pk=IdempotencyRecord.objects.first().pk).update(
        created_at=timezone.now() - timedelta(hours=49)
    )
    assert idempotency_records_purge() == 1
    assert idempotency_records_purge(now=timezone.now() + timedelta(hours=24)) == 0
    assert IdempotencyRecord.objects.count() == 1
