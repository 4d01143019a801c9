"""Bank webhook events already handled, remembered for a day (in the shared cache: Redis in production), so a
delivery replayed inside the signature's tolerance window is a no-op instead of being applied again.

Only an event whose signature checked out and that was applied is remembered, so an unsigned request can't make
us skip a real event: at worst it is told an event we really handled was handled."""

import hashlib
import json

from django.core.cache import cache

REMEMBER_SECONDS = 24 * 60 * 60
MAX_EVENT_ID = 200


def _key(event_id: str) -> str:
    return "bank-webhook-event:" + hashlib.sha256(event_id.encode()).hexdigest()


def webhook_event_id(body: bytes) -> str | None:
    """The event id a webhook body names (not yet verified), or None when it names none."""
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        return None
    event_id = event.get("id") if isinstance(event, dict) else None
    return event_id if isinstance(event_id, str) and 0 < len(event_id) <= MAX_EVENT_ID else None


def webhook_event_handled(event_id: str | None) -> bool:
    return event_id is not None and cache.get(_key(event_id)) is not None


def webhook_event_remember(event_id: str | None) -> None:
    if event_id is not None:
        cache.set(_key(event_id), 1, REMEMBER_SECONDS)
