"""Client of the bank's web service. The sandbox bank speaks the same protocol as the production bank, so this
class serves both; only ``base_url`` and the secrets (from settings) differ.

Failure contract: a refusal the bank explains (4xx with its JSON error) raises :class:`GatewayError` with the
bank's code; anything that leaves the outcome unknown (timeout, connection error, 5xx after retries, a body
that isn't the JSON we expect) raises :class:`GatewayUnavailable`. Callers must never guess an outcome from the
latter: they ask again later.
"""

import hashlib
import hmac
import json
import re
import time
from decimal import Decimal, InvalidOperation

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .base import (
    ChargeResult,
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
SESSION_STATUSES = ("open", "paid", "authorized", "saved", "failed")
CHARGE_STATUSES = ("succeeded", "authorized", "failed")
SESSION_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _decimal(value) -> Decimal:
    amount = Decimal(value) if isinstance(value, str) else None
    if amount is None or not amount.is_finite():
        raise InvalidOperation(value)
    return amount


def _optional_str(value) -> str | None:
    return None if value is None else str(value)


def status_from_json(data) -> PaymentStatus:
    """A :class:`PaymentStatus` from the bank's session object; raises GatewayUnavailable if it isn't one."""
    try:
        card = data.get("card") or {}
        status = PaymentStatus(
            session_id=str(data["id"]),
            status=str(data["status"]),
            amount=_decimal(data["amount"]),
            currency=str(data["currency"]),
            reference=str(data.get("reference") or ""),
            transaction_id=_optional_str(data.get("transaction_id")),
            authorization_code=_optional_str(data.get("authorization_code")),
            card_brand=_optional_str(card.get("brand")),
            card_last4=_optional_str(card.get("last4")),
            failure_code=_optional_str(data.get("failure_code")),
            raw=data,
            card_token=_optional_str(data.get("card_token")),
        )
    except (KeyError, TypeError, AttributeError, ArithmeticError) as exc:
        raise GatewayUnavailable("the bank answered an unexpected session shape", code="garbage") from exc
    if (
        status.status not in SESSION_STATUSES
        or (status.status in ("paid", "authorized") and not status.transaction_id)
        or (status.status == "saved" and not status.card_token)
    ):
        raise GatewayUnavailable(f"the bank answered an unknown session status {status.status!r}", code="garbage")
    return status


def charge_from_json(data) -> ChargeResult:
    """A :class:`ChargeResult` from the bank's charge object; raises GatewayUnavailable if it isn't one."""
    try:
        card = data.get("card") or {}
        charge = ChargeResult(
            charge_id=str(data["id"]),
            status=str(data["status"]),
            amount=_decimal(data["amount"]),
            currency=str(data["currency"]),
            transaction_id=_optional_str(data.get("transaction_id")),
            authorization_code=_optional_str(data.get("authorization_code")),
            card_brand=_optional_str(card.get("brand")),
            card_last4=_optional_str(card.get("last4")),
            failure_code=_optional_str(data.get("failure_code")),
            raw=data,
        )
    except (KeyError, TypeError, AttributeError, ArithmeticError) as exc:
        raise GatewayUnavailable("the bank answered an unexpected charge shape", code="garbage") from exc
    if charge.status not in CHARGE_STATUSES or (charge.status != "failed" and not charge.transaction_id):
        raise GatewayUnavailable(f"the bank answered an unknown charge status {charge.status!r}", code="garbage")
    return charge


class SandboxBankGateway(PaymentGateway):
    """One pooled ``requests.Session`` per instance; every call has connect and read timeouts.

    Retries (exponential backoff) cover connection errors, read timeouts and 429/5xx answers, for GETs and for
    our POSTs, which all carry an Idempotency-Key: the bank answers a repeated key with the first result, so a
    repeated POST can't pay or refund twice. ``retries=0`` turns them off."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        webhook_secret: str,
        timeout: float | tuple[float, float] = (3.05, 10),
        retries: int = 2,
        webhook_tolerance: int = WEBHOOK_TOLERANCE_SECONDS,
    ):
        self.base_url = base_url.rstrip("/")
        self.webhook_secret = webhook_secret
        self.timeout = tuple(timeout) if isinstance(timeout, list | tuple) else timeout
        self.webhook_tolerance = webhook_tolerance
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            backoff_factor=0.3,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}),  # POST: only ever sent with an Idempotency-Key (_post)
            respect_retry_after_header=False,  # our timeouts bound a call, not the bank's Retry-After
            raise_on_status=False,
        )
        self.http = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.http.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/json"})

    def close(self) -> None:
        self.http.close()

    # --- HTTP --------------------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self.http.request(
                method, self.base_url + path, timeout=self.timeout, allow_redirects=False, **kwargs
            )
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"bank unreachable: {type(exc).__name__}", code="unavailable") from exc
        if response.status_code >= 500:
            raise GatewayUnavailable(f"bank error HTTP {response.status_code}", code="unavailable")
        try:
            data = response.json()
        except ValueError:
            raise GatewayUnavailable(
                f"the bank answered HTTP {response.status_code} with a non-JSON body", code="garbage"
            ) from None
        if not isinstance(data, dict):
            raise GatewayUnavailable("the bank answered JSON that is not an object", code="garbage")
        if response.status_code >= 400:
            error = data.get("error")
            if not isinstance(error, dict) or not error.get("code"):
                raise GatewayUnavailable(f"the bank answered HTTP {response.status_code} unexplained", code="garbage")
            raise GatewayError(str(error.get("message") or error["code"]), code=str(error["code"]))
        if response.status_code not in (200, 201):
            raise GatewayUnavailable(f"the bank answered HTTP {response.status_code}", code="garbage")
        return data

    def _post(self, path: str, body: dict, idempotency_key: str) -> dict:
        if not idempotency_key:
            raise ValueError("every POST to the bank needs an idempotency key")
        return self._call("POST", path, json=body, headers={"Idempotency-Key": idempotency_key})

    # --- the interface -----------------------------------------------------------------------------------------
    def create_checkout(
        self,
        *,
        amount: Decimal,
        currency: str,
        reference: str,
        return_url: str,
        webhook_url: str | None,
        idempotency_key: str,
        description: str = "",
        save_card: bool = False,
        capture: bool = True,
    ) -> PaymentSession:
        if not isinstance(amount, Decimal):
            raise TypeError("amount must be a Decimal")
        body = {
            "amount": str(amount),
            "currency": currency,
            "reference": reference,
            "return_url": return_url,
            "webhook_url": webhook_url,
            "description": description,
        }
        if save_card or not capture:  # a plain checkout's body stays as it always was (same idempotency fingerprint)
            setup = save_card and amount == 0
            body.update(mode="setup" if setup else "payment", save_card=save_card)
            body["capture"] = "automatic" if capture or setup else "manual"
        return self._session("/api/v1/sessions", body, idempotency_key)

    def create_payment_link(
        self,
        *,
        amount: Decimal,
        currency: str,
        reference: str,
        return_url: str,
        webhook_url: str | None,
        idempotency_key: str,
        description: str = "",
    ) -> PaymentSession:
        if not isinstance(amount, Decimal):
            raise TypeError("amount must be a Decimal")
        body = {
            "amount": str(amount),
            "currency": currency,
            "reference": reference,
            "return_url": return_url,
            "webhook_url": webhook_url,
            "description": description,
        }
        return self._session("/api/v1/payment_links", body, idempotency_key)

    def _session(self, path: str, body: dict, idempotency_key: str) -> PaymentSession:
        data = self._post(path, body, idempotency_key)
        if not isinstance(data.get("id"), str) or not str(data.get("url", "")).startswith(("http://", "https://")):
            raise GatewayUnavailable("the bank answered an unexpected session shape", code="garbage")
        return PaymentSession(session_id=data["id"], redirect_url=data["url"], raw=data)

    def charge_token(
        self, *, token: str, amount: Decimal, currency: str, reference: str, idempotency_key: str, capture: bool = True
    ) -> ChargeResult:
        if not isinstance(amount, Decimal):
            raise TypeError("amount must be a Decimal")
        body = {"token": token, "amount": str(amount), "currency": currency, "reference": reference, "capture": capture}
        return charge_from_json(self._post("/api/v1/charges", body, idempotency_key))

    def capture(self, *, transaction_id: str, amount: Decimal, idempotency_key: str) -> ChargeResult:
        if not isinstance(amount, Decimal):
            raise TypeError("amount must be a Decimal")
        data = self._post(
            "/api/v1/captures", {"transaction_id": transaction_id, "amount": str(amount)}, idempotency_key
        )
        if "mode" in data:  # a captured session
            data = {**data, "status": "succeeded" if data.get("status") == "paid" else data.get("status")}
        return charge_from_json(data)

    def get_status(self, session_id: str) -> PaymentStatus:
        if not isinstance(session_id, str) or not SESSION_ID_RE.fullmatch(session_id):
            raise GatewayError("malformed session id", code="invalid_session")
        status = status_from_json(self._call("GET", f"/api/v1/sessions/{session_id}"))
        if status.session_id != session_id:
            raise GatewayUnavailable("the bank answered about another session", code="garbage")
        return status

    def refund(self, *, transaction_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        if not isinstance(amount, Decimal):
            raise TypeError("amount must be a Decimal")
        body = {"transaction_id": transaction_id, "amount": str(amount), "currency": currency}
        data = self._post("/api/v1/refunds", body, idempotency_key)
        try:
            return RefundResult(
                refund_id=str(data["id"]), status=str(data["status"]), amount=_decimal(data["amount"]), raw=data
            )
        except (KeyError, ArithmeticError) as exc:
            raise GatewayUnavailable("the bank answered an unexpected refund shape", code="garbage") from exc

    def parse_webhook(self, *, body: bytes, signature_header: str | None) -> WebhookEvent:
        """Verify ``Bank-Signature: t=<ts>,v1=<hex>`` (several v1 allowed, for secret rotation) and parse the event.

        Raises :class:`InvalidSignature` when the header is missing, malformed or wrong, or its timestamp is more
        than ``webhook_tolerance`` seconds away from now (a replay). Raises ``ValueError`` for a correctly signed
        body that isn't an event."""
        if not signature_header:
            raise InvalidSignature("missing signature")
        timestamp, candidates = None, []
        for item in signature_header.split(","):
            key, _, value = item.strip().partition("=")
            if key == "t":
                timestamp = value
            elif key == "v1":
                candidates.append(value)
        if timestamp is None or not re.fullmatch(r"[0-9]{1,12}", timestamp) or not candidates:
            raise InvalidSignature("malformed signature")
        if abs(time.time() - int(timestamp)) > self.webhook_tolerance:
            raise InvalidSignature("signature timestamp outside the tolerance")
        expected = hmac.new(self.webhook_secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        # Compare every candidate (no early exit); non-hex candidates can't match but are compared as bytes anyway.
        matches = [hmac.compare_digest(expected.encode(), c.encode("utf-8", "replace")) for c in candidates]
        if not any(matches):
            raise InvalidSignature("wrong signature")
        try:
            event = json.loads(body)
            session = status_from_json(event["data"])
            return WebhookEvent(event_id=str(event["id"]), type=str(event["type"]), session=session, raw=event)
        except (ValueError, KeyError, TypeError, GatewayUnavailable) as exc:
            raise ValueError("malformed event") from exc
