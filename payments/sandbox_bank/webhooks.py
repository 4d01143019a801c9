"""Signed webhooks from the bank to the merchant, delivered in a background thread with retries.

Header: ``Bank-Signature: t=<unix ts>,v1=<hex HMAC-SHA256 of "<ts>.<raw body>" keyed with the webhook secret>``.
The timestamp is signed too, so a receiver can refuse old (replayed) deliveries.
"""

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request

from .store import public_session

log = logging.getLogger("sandbox_bank")
SIGNATURE_HEADER = "Bank-Signature"
ATTEMPTS = 4
EVENT_TYPES = {"paid": "payment.succeeded", "authorized": "payment.authorized", "saved": "card.saved"}
FIRST_DELAY_SECONDS = 0.5


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_event(session: dict) -> dict:
    """The event for a settled session. Its id is derived from the session's, so every retry carries the same id
    and the receiver can de-duplicate on it."""
    return {
        "id": "evt_" + session["id"].removeprefix("cs_"),
        "type": EVENT_TYPES.get(session["status"], "payment.failed"),
        "created": int(time.time()),
        "data": public_session(session),
    }


def _post(url: str, body: bytes, secret: str) -> int:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "SandboxBank-Webhooks/1.0",
            SIGNATURE_HEADER: sign(secret, body, int(time.time())),
        },
    )
    # Bandit B310 (urlopen): webhook_url was checked to be http(s) when the session was created.
    with urllib.request.urlopen(request, timeout=5) as response:  # nosec B310
        return response.status


def deliver_webhook(session: dict, *, secret: str, attempts: int = ATTEMPTS) -> threading.Thread | None:
    """POST the signed event to the session's ``webhook_url`` until it answers 2xx, backing off between attempts.

    Runs in a daemon thread and returns it (None when the session has no webhook URL). Each attempt is signed
    afresh, so a delivery retried minutes later still carries a recent timestamp."""
    url = session.get("webhook_url")
    if not url:
        return None
    body = json.dumps(webhook_event(session)).encode()

    def run():
        for attempt in range(1, attempts + 1):
            try:
                status = _post(url, body, secret)
                if 200 <= status < 300:
                    log.info("webhook for %s delivered (attempt %s)", session["id"], attempt)
                    return
                outcome = f"HTTP {status}"
            except urllib.error.HTTPError as exc:
                outcome = f"HTTP {exc.code}"
            except Exception as exc:  # noqa: BLE001 - whatever went wrong, the delivery is retried
                outcome = type(exc).__name__
            log.info("webhook attempt %s for %s failed: %s", attempt, session["id"], outcome)
            if attempt < attempts:
                time.sleep(FIRST_DELAY_SECONDS * 2 ** (attempt - 1))
        log.warning("webhook for %s given up after %s attempts", session["id"], attempts)

    thread = threading.Thread(target=run, name=f"webhook-{session['id']}", daemon=True)
    thread.start()
    return thread
