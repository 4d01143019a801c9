"""Idempotency-Key for POST /bookings/: the first response is stored and replayed to retries.

The record row is committed (state "in_progress") before any work is done, so of two concurrent requests with one
key exactly one proceeds; the other waits briefly for the first to finish and replays its response, or answers
409 ``idempotency_key_in_use``. The same key with another body is 422 ``idempotency_key_reused``.
"""

import hashlib
import json
import time

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from partners.models import IdempotencyRecord

from .errors import APIError

WAIT_SECONDS = 5.0


def fingerprint(request) -> str:
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(request, handler) -> Response:
    """Run ``handler()`` once per (partner, Idempotency-Key); replay its response to later identical requests."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise APIError(400, "idempotency_key_missing", "Send an Idempotency-Key header (for example a UUID).")
    if len(key) > 255:
        raise APIError(400, "idempotency_key_invalid", "The Idempotency-Key is at most 255 characters.")
    partner, digest = request.user, fingerprint(request)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(partner=partner, key=key, fingerprint=digest)
    except IntegrityError:
        return _existing(partner, key, digest)
    try:
        response = handler()
    except APIError as exc:
        if exc.status_code >= 500:
            record.delete()
            raise
        from .errors import error_body

        response = Response(error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status_code)
    except Exception:
        record.delete()  # an unexpected failure: let the partner retry with the same key
        raise
    record.state = IdempotencyRecord.State.DONE
    record.status_code = response.status_code
    record.response_body = json.loads(json.dumps(response.data, default=str))
    record.save(update_fields=["state", "status_code", "response_body"])
    return response


def _existing(partner, key, digest) -> Response:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        record = IdempotencyRecord.objects.filter(partner=partner, key=key).first()
        if record is None:
            raise APIError(409, "idempotency_key_in_use", "A request with this Idempotency-Key failed; retry it.")
        if record.fingerprint != digest:
            raise APIError(
                422, "idempotency_key_reused", "This Idempotency-Key was used with a different request. Use a new key."
            )
        if record.state == IdempotencyRecord.State.DONE:
            return replay(record)
        if time.monotonic() > deadline:
            raise APIError(
                409,
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still being processed. Retry shortly.",
                headers={"Retry-After": "1"},
            )
        time.sleep(0.05)
