"""Partner webhooks against a real HTTP receiver on a local port: signature, events, retries, idempotent attempts,
the admin's redeliver action."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import Booking, BookingEffect
from bookings.outbox import effects_sweep
from bookings.services import Actor
from bookings.workflow import booking_cancel
from partners import tasks
from partners.models import Partner, WebhookDelivery
from partners.webhooks import RETRY_SCHEDULE, webhook_deliver
from tests.api.conftest import WebhookReceiver, book, client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def verify(secret: str, headers: dict, data: bytes) -> bool:
    """What a partner does with Staybook-Signature."""
    parts = dict(part.split("=", 1) for part in headers["Staybook-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + data, hashlib.sha256).hexdigest()
    return hmac.compare_digest(parts["v1"], expected) and abs(time.time() - int(parts["t"])) < 300


@pytest.fixture
def hooked(partner, receiver):
    partner.webhook_url = receiver.url
    partner.save()
    return partner


def test_confirm_and_staff_cancel_are_sent_signed(hooked, receiver, room, django_capture_on_commit_callbacks):
    api = client_for(hooked)
    with django_capture_on_commit_callbacks(execute=True):
        reference = book(api, room).json()["reference"]
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=Booking.objects.get(reference=reference), actor_kind=Actor.STAFF)
    events = [json.loads(data) for _, data in receiver.calls]
    assert [e["type"] for e in events] == ["booking.confirmed", "booking.cancelled"]
    assert events[0]["id"] != events[1]["id"] and all(e["id"].startswith("evt_") for e in events)
    now = api.get(f"/api/v1/bookings/{reference}/").json()  # the same serializer as GET
    assert events[1]["booking"] == now and now["status"] == "cancelled"
    assert set(events[0]["booking"]) == set(now) and events[0]["booking"]["status"] == "confirmed"
    for headers, data in receiver.calls:
        assert headers["Content-Type"] == "application/json" and verify(hooked.webhook_secret, headers, data)
        assert headers["Staybook-Event-Id"] == json.loads(data)["id"]
        assert not verify("whsec_wrong", headers, data)
    assert WebhookDelivery.objects.filter(partner=hooked, delivered=True, response_status=200).count() == 2


def test_only_the_partners_own_bookings_are_sent(hooked, receiver, room, django_capture_on_commit_callbacks):
    other = Partner.objects.create(name="Other", webhook_url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        book(client_for(other), room)
    assert [json.loads(d)["booking"]["reference"] for _, d in receiver.calls] == [Booking.objects.get().reference]
    assert WebhookDelivery.objects.get().partner == other
    no_url = Partner.objects.create(name="No URL")
    with django_capture_on_commit_callbacks(execute=True):
        book(client_for(no_url), room)
    assert len(receiver.calls) == 1


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(hooked, room, django_capture_on_commit_callbacks):
    receiver = WebhookReceiver(statuses=[500, 503])
    hooked.webhook_url = receiver.url
    hooked.save()
    with django_capture_on_commit_callbacks(execute=True):
        book(client_for(hooked), room)
    effect = BookingEffect.objects.get(kind="partner_webhook")
    waits = []
    for _ in range(3):
        if effect.status != "pending":
            break
        waits.append(round((effect.next_attempt_at - timezone.now()).total_seconds()))
        # the retry is due in the row, and the beat sweep dispatches it once its time has come
        assert effects_sweep(now=effect.next_attempt_at - timedelta(seconds=1)) == 0
        with django_capture_on_commit_callbacks(execute=True):
            assert effects_sweep(now=effect.next_attempt_at + timedelta(seconds=1)) == 1
        effect.refresh_from_db()
    receiver.close()
    assert len(receiver.calls) == 3 and effect.status == "done"
    assert waits == [pytest.approx(s, abs=2) for s in RETRY_SCHEDULE[:2]]
    attempts = list(WebhookDelivery.objects.order_by("attempt").values_list("attempt", "response_status", "delivered"))
    assert attempts == [(1, 500, False), (2, 503, False), (3, 200, True)]
    assert len({json.loads(d)["id"] for _, d in receiver.calls}) == 1  # one event, three attempts


def test_retries_stop_when_the_schedule_ends(partner, room, django_capture_on_commit_callbacks):
    partner.webhook_url = "http://127.0.0.1:9/closed"  # nothing listens on the discard port
    partner.save()
    with django_capture_on_commit_callbacks(execute=True):
        book(client_for(partner), room)
    effect = BookingEffect.objects.get(kind="partner_webhook")
    for _ in range(len(RETRY_SCHEDULE)):
        assert effect.status == "pending"
        with django_capture_on_commit_callbacks(execute=True):
            effects_sweep(now=effect.next_attempt_at + timedelta(seconds=1))
        effect.refresh_from_db()
    assert effect.status == "failed" and effect.attempts == len(RETRY_SCHEDULE) + 1
    assert effects_sweep(now=timezone.now() + timedelta(days=3)) == 0  # given up: visible in the admin, not retried
    failed = WebhookDelivery.objects.get(attempt=len(RETRY_SCHEDULE) + 1)
    assert failed.error.startswith("ConnectionError") and failed.response_status is None
    assert sum(RETRY_SCHEDULE) <= 24 * 3600


def test_an_attempt_runs_once_even_when_the_task_runs_twice(hooked, receiver):
    event = {"id": "evt_twice", "type": "booking.confirmed", "created": 1, "booking": {}}
    first = webhook_deliver(partner_id=hooked.pk, event=event, attempt=1)
    again = webhook_deliver(partner_id=hooked.pk, event=event, attempt=1)
    assert again.pk == first.pk and len(receiver.calls) == 1
    assert WebhookDelivery.objects.count() == 1


def test_an_attempt_whose_worker_died_is_closed(hooked, receiver):
    event = {"id": "evt_dead", "type": "booking.confirmed", "created": 1, "booking": {}}
    WebhookDelivery.objects.create(partner=hooked, event_id="evt_dead", event_type=event["type"], payload=event)
    assert tasks.deliver_webhook(hooked.pk, event, 1) is False  # another worker may still be sending it: wait
    assert receiver.calls == [] and WebhookDelivery.objects.get().duration_ms is None
    WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    tasks.deliver_webhook(hooked.pk, event, 1)
    assert WebhookDelivery.objects.get().error.startswith("No outcome")


def test_admin_lists_deliveries_and_redelivers(hooked, receiver, client):
    event = {"id": "evt_admin", "type": "booking.cancelled", "created": 1, "booking": {}}
    receiver.statuses = [500]
    failed = webhook_deliver(partner_id=hooked.pk, event=event, attempt=1)
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    from django.conf import settings

    listing = client.get(f"/{settings.ADMIN_URL}partners/webhookdelivery/")
    assert listing.status_code == 200 and b"evt_admin" in listing.content
    response = client.post(
        f"/{settings.ADMIN_URL}partners/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [failed.pk]},
    )
    assert response.status_code == 302
    assert list(WebhookDelivery.objects.order_by("attempt").values_list("attempt", "delivered")) == [
        (1, False),
        (2, True),
    ]
    assert len(receiver.calls) == 2
