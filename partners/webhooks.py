"""Partner webhooks: booking events POSTed to the partner, signed, retried with backoff for a day, every attempt
recorded. Header ``Staybook-Signature: t=<unix ts>,v1=<hex HMAC-SHA256 of "<ts>.<body>">`` with the partner's
webhook secret; partners should refuse timestamps older than a few minutes (replays)."""

import hashlib
import hmac
import json
import secrets
import time

import requests
from django.utils import timezone

from .models import Partner, WebhookDelivery

RETRY_SCHEDULE = [60, 300, 1800, 7200, 21600, 43200, 86400]  # seconds after each failed attempt: ~1.5 days
EVENT_TYPES = {"confirmed": "booking.confirmed", "cancelled": "booking.cancelled", "modified": "booking.modified"}
TIMEOUT = (3.05, 10)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_event_build(*, booking, event: str) -> dict | None:
    """The event for a booking change, or None when it concerns no partner with a webhook."""
    from .api.serializers import BookingSerializer

    partner = booking.partner
    if partner is None or not partner.webhook_url or event not in EVENT_TYPES:
        return None
    return {
        "id": "evt_" + secrets.token_urlsafe(12),
        "type": EVENT_TYPES[event],
        "created": int(time.time()),
        "booking": json.loads(json.dumps(BookingSerializer(booking).data, default=str)),
    }


def webhook_deliver(*, partner_id: int, event: dict, attempt: int, booking_id: int | None = None) -> WebhookDelivery:
    """Make one delivery attempt and record it. Safe to run twice: an attempt already recorded is not repeated."""
    existing = WebhookDelivery.objects.filter(event_id=event["id"], attempt=attempt).first()
    if existing is not None:
        return existing
    partner = Partner.objects.get(pk=partner_id)
    body = json.dumps(event, separators=(",", ":")).encode()
    started = time.monotonic()
    status, error = None, ""
    try:
        response = requests.post(
            partner.webhook_url,
            data=body,
            timeout=TIMEOUT,
            allow_redirects=False,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Staybook-Webhooks/1.0",
                "Staybook-Signature": sign(partner.webhook_secret, body, int(time.time())),
                "Staybook-Event-Id": event["id"],
            },
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}"
    return WebhookDelivery.objects.create(
        partner=partner,
        booking_id=booking_id,
        event_id=event["id"],
        event_type=event["type"],
        payload=event,
        attempt=attempt,
        delivered=not error,
        response_status=status,
        error=error[:500],
        duration_ms=int((time.monotonic() - started) * 1000),
        created_at=timezone.now(),
    )
