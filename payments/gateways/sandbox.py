"""Client of the bank's web service (the sandbox bank speaks the same protocol as production)."""

import hashlib
import hmac
import json
import time
from decimal import Decimal, InvalidOperation

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .base import (
    GatewayError,
    GatewayUnavailable,
    InvalidSignature,
    PaymentGateway,
    PaymentSession,
    PaymentStatus,
    RefundResult,
    WebhookEvent,
)

WEBHOOK_TOLERANCE_SECONDS = 300


class SandboxBankGateway(PaymentGateway):
    def __init__(self, *, base_url: str, api_key: str, webhook_secret: str, timeout=(3.05, 10), retries: int = 2):
        self.base_url = base_url.rstrip("/")
        self.webhook_secret = webhook_secret
        self.timeout = tuple(timeout) if isinstance(timeout, list | tuple) else timeout
        self.session = requests.Session()
        # GETs are safe to repeat; our POSTs carry an Idempotency-Key, so repeating them is safe too.
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=0.3,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}),
            raise_on_status=False,
        )
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self.session.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/json"})

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self.session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"bank unreachable: {type(exc).__name__}", code="unavailable") from exc
        try:
            data = response.json()
        except ValueError:
            raise GatewayUnavailable(
                f"bank answered {response.status_code} with a non-JSON body", code="garbage"
            ) from None
        if not isinstance(data, dict):
            raise GatewayUnavailable("bank answered JSON that is not an object", code="garbage")
        if response.status_code >= 500:
            raise GatewayUnavailable(f"bank error {response.status_code}", code="unavailable")
        if response.status_code >= 400:
            error = data.get("error") or {}
            raise GatewayError(str(error.get("message", "refused")), code=str(error.get("code", "refused")))
        return data

    @staticmethod
    def _status(data: dict) -> PaymentStatus:
        try:
            card = data.get("card") or {}
            return PaymentStatus(
                session_id=str(data["id"]),
                status=str(data["status"]),
                amount=Decimal(str(data["amount"])),
                currency=str(data["currency"]),
                reference=str(data.get("reference") or ""),
                transaction_id=data.get("transaction_id"),
                authorization_code=data.get("authorization_code"),
                card_brand=card.get("brand"),
                card_last4=card.get("last4"),
                failure_code=data.get("failure_code"),
                raw=data,
            )
        except (KeyError, TypeError, AttributeError, InvalidOperation) as exc:
            raise GatewayUnavailable("bank answered an unexpected session shape", code="garbage") from exc

    def create_session(self, *, amount, currency, reference, return_url, webhook_url, idempotency_key, description=""):
        data = self._call(
            "POST",
            "/api/v1/sessions",
            headers={"Idempotency-Key": idempotency_key},
            json={
                "amount": str(amount),
                "currency": currency,
                "reference": reference,
                "return_url": return_url,
                "webhook_url": webhook_url,
                "description": description,
            },
        )
        if "id" not in data or "url" not in data:
            raise GatewayUnavailable("bank answered an unexpected session shape", code="garbage")
        return PaymentSession(session_id=str(data["id"]), redirect_url=str(data["url"]), raw=data)

    def get_status(self, session_id: str) -> PaymentStatus:
        if not session_id.replace("_", "").replace("-", "").isalnum():
            raise GatewayError("malformed session id", code="invalid_session")
        return self._status(self._call("GET", f"/api/v1/sessions/{session_id}"))

    def refund(self, *, transaction_id, amount, currency, idempotency_key) -> RefundResult:
        data = self._call(
            "POST",
            "/api/v1/refunds",
            headers={"Idempotency-Key": idempotency_key},
            json={"transaction_id": transaction_id, "amount": str(amount), "currency": currency},
        )
        try:
            return RefundResult(
                refund_id=str(data["id"]), status=str(data["status"]), amount=Decimal(str(data["amount"])), raw=data
            )
        except (KeyError, InvalidOperation) as exc:
            raise GatewayUnavailable("bank answered an unexpected refund shape", code="garbage") from exc

    def parse_webhook(self, *, body: bytes, signature_header: str | None) -> WebhookEvent:
        if not signature_header:
            raise InvalidSignature("missing signature")
        parts = dict(item.split("=", 1) for item in signature_header.split(",") if "=" in item)
        timestamp, given = parts.get("t", ""), parts.get("v1", "")
        if not timestamp.isdigit() or not given:
            raise InvalidSignature("malformed signature")
        if abs(time.time() - int(timestamp)) > WEBHOOK_TOLERANCE_SECONDS:
            raise InvalidSignature("stale signature")
        expected = hmac.new(self.webhook_secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, given):
            raise InvalidSignature("wrong signature")
        try:
            event = json.loads(body)
            return WebhookEvent(
                event_id=str(event["id"]), type=str(event["type"]), session=self._status(event["data"]), raw=event
            )
        except (ValueError, KeyError, TypeError, GatewayUnavailable) as exc:
            raise ValueError("malformed event") from exc
