"""Partner webhooks: booking events POSTed to the partner, signed, retried with backoff for about a day, every
attempt recorded. The event is written in the booking change's own transaction (a ``BookingEffect`` of
``bookings.workflow``) and delivered by the outbox, which schedules the retries below.

Header ``Staybook-Signature: t=<unix ts>,v1=<hex HMAC-SHA256 of "<ts>.<body>">`` keyed with the partner's webhook
secret; partners should compare in constant time and refuse timestamps more than a few minutes old (replays).
``Staybook-Event-Id`` is the event's id: the same event may arrive twice (a retry after a lost answer), so
partners should ignore an id they have already handled. Events of one booking may also arrive out of order (a
``booking.confirmed`` still being retried after the ``booking.cancelled`` that followed it): ``sequence`` grows
with each change of the booking, so a partner keeps the event with the highest one.
"""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import requests
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Partner, WebhookDelivery

# Seconds to wait after failed attempt n before attempt n + 1: 1 min, 5 min, 30 min, 2 h, 6 h, 12 h; the seventh
# and last attempt comes about 21 hours after the first.
RETRY_SCHEDULE = [60, 300, 1800, 7200, 21600, 43200]
EVENT_TYPES = {"confirmed": "booking.confirmed", "cancelled": "booking.cancelled", "modified": "booking.modified"}
TIMEOUT = (3.05, 10)  # connect, read
UNFINISHED_AFTER = timedelta(minutes=5)  # an attempt with no outcome after this long: its worker died


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_event_build(*, booking, event: str, event_id: str) -> dict | None:
    """The event for a booking change, or None when it concerns no partner with a webhook URL (only a partner's
    own bookings are ever sent, and only to that partner). ``event_id`` is derived from the change by the caller,
    so a repeat of the same change carries the same id."""
    from .api.serializers import BookingSerializer

    partner = booking.partner
    if partner is None or not partner.webhook_url or event not in EVENT_TYPES:
        return None
    return {
        "id": event_id,
        # Retries can deliver an older event after a newer one: the booking's later state has the higher sequence.
        "sequence": booking.status_changes.count(),
        "type": EVENT_TYPES[event],
        "created": int(time.time()),
        "booking": json.loads(json.dumps(BookingSerializer(booking).data, default=str)),
    }


def webhook_deliver(*, partner_id: int, event: dict, attempt: int, booking_id: int | None = None) -> WebhookDelivery:
    """Make attempt number ``attempt`` of ``event`` and record it.

    Safe to run twice, even at the same time: the attempt's row is claimed (unique event id + attempt) before the
    POST, so a second run returns the recorded attempt without sending anything.
    """
    partner = Partner.objects.get(pk=partner_id)
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                partner=partner,
                booking_id=booking_id,
                event_id=event["id"],
                event_type=event["type"],
                payload=event,
                attempt=attempt,
            )
    except IntegrityError:
        return _recorded_attempt(event["id"], attempt)
    body = json.dumps(event, separators=(",", ":")).encode()
    started = time.monotonic()
    status, error = None, ""
    if not partner.webhook_url:
        error = "The partner has no webhook URL."
    else:
        try:
            with requests.post(
                partner.webhook_url,
                data=body,
                timeout=TIMEOUT,
                allow_redirects=False,
                stream=True,  # the answer's body is never read
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "Staybook-Webhooks/1.0",
                    "Staybook-Signature": sign(partner.webhook_secret, body, int(time.time())),
                    "Staybook-Event-Id": event["id"],
                },
            ) as response:
                status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
    delivery.delivered = not error
    delivery.response_status = status
    delivery.error = error[:500]
    delivery.duration_ms = int((time.monotonic() - started) * 1000)
    delivery.save(update_fields=["delivered", "response_status", "error", "duration_ms"])
    return delivery


def _recorded_attempt(event_id: str, attempt: int) -> WebhookDelivery:
    """An attempt already claimed; one left without an outcome by a dead worker is closed as failed, so that the
    retry schedule goes on."""
    WebhookDelivery.objects.filter(
        event_id=event_id,
        attempt=attempt,
        duration_ms__isnull=True,
        created_at__lt=timezone.now() - UNFINISHED_AFTER,
    ).update(error="No outcome recorded (the worker stopped).", duration_ms=0)
    return WebhookDelivery.objects.get(event_id=event_id, attempt=attempt)
