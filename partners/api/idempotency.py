"""Idempotency-Key for POST /bookings/: the first response is stored and replayed to retries.

1. The record row is inserted "in_progress" in its own transaction, so the unique constraint (partner, key)
   decides which of two concurrent requests does the work.
2. The winner locks the row, does the work and marks the row "done" with the response in one transaction: if the
   process dies half-way, nothing was booked and the row is still "in_progress", unlocked.
3. A loser waits up to ``WAIT_SECONDS`` for the winner and replays its response, or answers 409
   ``idempotency_key_in_use``. A row left "in_progress" and unlocked for ``STALE_AFTER`` (its request died) is
   taken over by the next retry. The same key with another body is 422 ``idempotency_key_reused``.
"""

import hashlib
import json
import logging
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from partners.models import IdempotencyRecord

from .errors import APIError, error_response

logger = logging.getLogger(__name__)

WAIT_SECONDS = 5.0
STALE_AFTER = timedelta(seconds=60)  # longer than any request may run (gunicorn's timeout is 30 s)
KEY_MAX_LENGTH = 255


def idempotency_key(request) -> str:
    """The request's Idempotency-Key; raises 400 when it is missing or not printable ASCII of at most 255 chars."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise APIError(400, "idempotency_key_missing", _("Send an Idempotency-Key header (for example a UUID)."))
    if len(key) > KEY_MAX_LENGTH or not key.isascii() or not key.isprintable():
        raise APIError(400, "idempotency_key_invalid", _("The Idempotency-Key is 1 to 255 printable ASCII characters."))
    return key


def fingerprint(request) -> str:
    """A hash of method, path and the canonical JSON body (key order and spacing do not matter)."""
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def idempotent(request, key: str, handler) -> Response:
    """Run ``handler()`` once per (partner, key) and replay its response (status and body) to identical retries.

    ``handler`` runs inside a transaction holding the record's row lock; an :class:`APIError` below 500 that it
    raises is a response like any other (stored and replayed); anything else leaves no record, so a retry runs
    again.
    """
    partner, digest = request.user, fingerprint(request)
    try:
        with transaction.atomic():
            created = IdempotencyRecord.objects.create(partner=partner, key=key, fingerprint=digest)
        mine = True
    except IntegrityError:
        created, mine = None, False
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        # The row just inserted is in progress with this fingerprint: reading it back would tell nothing new.
        record, created = created or IdempotencyRecord.objects.filter(partner=partner, key=key).first(), None
        if record is None:
            raise APIError(
                409,
                "idempotency_key_in_use",
                _("A request with this Idempotency-Key failed a moment ago; retry it."),
                headers={"Retry-After": "1"},
            )
        if record.fingerprint != digest:
            raise APIError(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was used with a different request. Use a new key."),
            )
        if record.state == IdempotencyRecord.State.DONE:
            return replay(record)
        response = _run(record, handler, stale_only=not mine)
        if response is not None:
            return response
        if time.monotonic() > deadline:
            raise APIError(
                409,
                "idempotency_key_in_use",
                _("A request with this Idempotency-Key is still being processed. Retry shortly."),
                headers={"Retry-After": "1"},
            )
        time.sleep(0.05)


def _run(record: IdempotencyRecord, handler, *, stale_only: bool) -> Response | None:
    """Lock the in-progress record (skipping it when another request holds it), run the handler, store the
    response; None when the record is not ours to run."""
    claim = IdempotencyRecord.objects.select_for_update(skip_locked=True).filter(
        pk=record.pk, state=IdempotencyRecord.State.IN_PROGRESS
    )
    if stale_only:
        claim = claim.filter(created_at__lt=timezone.now() - STALE_AFTER)
    try:
        with transaction.atomic():
            record = claim.first()
            if record is None:
                return None
            try:
                response = handler()
            except APIError as exc:
                if exc.status_code >= 500:
                    raise
                response = error_response(exc)
            record.state = IdempotencyRecord.State.DONE
            record.status_code = response.status_code
            record.response_body = json.loads(json.dumps(response.data, default=str))
            record.save(update_fields=["state", "status_code", "response_body"])
    except Exception:
        # Rolled back: forget the key so that a retry runs again. If the failure came after the commit (an
        # on-commit callback), the record is done and the stored response stands.
        done = IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.DONE).first()
        if done is None:
            IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_PROGRESS).delete()
            raise
        logger.exception("error after an idempotent request committed", extra={"idempotency_key": record.key})
        return stored(done)
    return response


def stored(record: IdempotencyRecord) -> Response:
    return Response(record.response_body, status=record.status_code)


def replay(record: IdempotencyRecord) -> Response:
    response = stored(record)
    response["Idempotent-Replayed"] = "true"
    return response
