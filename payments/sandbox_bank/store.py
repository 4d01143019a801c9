"""The sandbox bank's state: payment sessions and refunds, in memory behind a lock, optionally persisted."""

import json
import os
import secrets
import string
import tempfile
import threading
import time
from decimal import Decimal, InvalidOperation

TEST_CARDS = {
    "4242424242424242": ("approve", "Approved (Visa)"),
    "5555555555554444": ("approve", "Approved (Mastercard)"),
    "4000000000000002": ("card_declined", "Declined"),
    "4000000000009995": ("insufficient_funds", "Declined: insufficient funds"),
    "4000000000000119": ("hang", "Approved, but the status API never answers"),
    "4000000000000259": ("garbage", "Approved, but the status API returns garbage"),
}


class BankError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        checksum += d
    return checksum % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or number[:4].isdigit() and 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "card"


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise BankError(422, "invalid_amount", "amount must be a decimal string") from None
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2 or amount > Decimal("10000000"):
        raise BankError(422, "invalid_amount", "amount must be positive with at most 2 decimals")
    return amount


def _token(prefix: str, n: int = 18) -> str:
    return prefix + secrets.token_urlsafe(n)[:n]


class BankStore:
    def __init__(self, state_file: str | None = None):
        self.lock = threading.RLock()
        self.state_file = state_file
        self.sessions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.idempotency: dict[str, tuple[str, str]] = {}  # key -> (fingerprint, object id)
        self.behaviour: dict[str, str] = {}  # session id -> "hang" | "garbage"
        if state_file and os.path.exists(state_file):
            with open(state_file) as fh:
                data = json.load(fh)
            self.sessions, self.refunds = data.get("sessions", {}), data.get("refunds", {})
            self.idempotency = {k: tuple(v) for k, v in data.get("idempotency", {}).items()}
            self.behaviour = data.get("behaviour", {})

    def _save(self) -> None:
        if not self.state_file:
            return
        directory = os.path.dirname(os.path.abspath(self.state_file))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory)
        with os.fdopen(fd, "w") as fh:
            json.dump(
                {
                    "sessions": self.sessions,
                    "refunds": self.refunds,
                    "idempotency": self.idempotency,
                    "behaviour": self.behaviour,
                },
                fh,
            )
        os.replace(tmp, self.state_file)

    def _idempotent(self, key: str, fingerprint: str) -> str | None:
        if not key or len(key) > 200:
            raise BankError(400, "idempotency_key_missing", "Idempotency-Key header is required")
        seen = self.idempotency.get(key)
        if seen is None:
            return None
        if seen[0] != fingerprint:
            raise BankError(422, "idempotency_key_reused", "this Idempotency-Key was used with another request")
        return seen[1]

    def session_create(self, body: dict, idempotency_key: str, base_url: str) -> tuple[dict, bool]:
        if not isinstance(body, dict):
            raise BankError(400, "invalid_request", "JSON object expected")
        amount = _money(body.get("amount"))
        currency = str(body.get("currency", ""))
        if len(currency) != 3 or not currency.isalpha():
            raise BankError(422, "invalid_currency", "currency must be a 3-letter ISO code")
        return_url = str(body.get("return_url", ""))
        if not return_url.startswith(("http://", "https://")) or len(return_url) > 1000:
            raise BankError(422, "invalid_return_url", "return_url must be an http(s) URL")
        webhook_url = body.get("webhook_url") or None
        if webhook_url is not None and not str(webhook_url).startswith(("http://", "https://")):
            raise BankError(422, "invalid_webhook_url", "webhook_url must be an http(s) URL")
        fingerprint = json.dumps(body, sort_keys=True, default=str)
        with self.lock:
            existing = self._idempotent(idempotency_key, fingerprint)
            if existing:
                return self.sessions[existing], False
            session_id = _token("cs_")
            session = {
                "id": session_id,
                "status": "open",
                "amount": str(amount),
                "currency": currency.upper(),
                "reference": str(body.get("reference", ""))[:80],
                "description": str(body.get("description", ""))[:200],
                "return_url": return_url,
                "webhook_url": webhook_url,
                "url": f"{base_url}/pay/{session_id}",
                "transaction_id": None,
                "authorization_code": None,
                "card": None,
                "failure_code": None,
                "paid_at": None,
                "created": int(time.time()),
            }
            self.sessions[session_id] = session
            self.idempotency[idempotency_key] = (fingerprint, session_id)
            self._save()
            return session, True

    def session_get(self, session_id: str) -> dict:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise BankError(404, "not_found", "no such session")
            return dict(session)

    def session_pay(self, session_id: str, number: str) -> dict:
        """Apply a card to an open session; returns the session. Only brand and last four are kept."""
        outcome = TEST_CARDS.get(number, ("approve", ""))[0]
        with self.lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                return session
            if outcome in ("card_declined", "insufficient_funds"):
                session.update(status="failed", failure_code=outcome)
            else:
                session.update(
                    status="paid",
                    transaction_id=_token("tx_"),
                    authorization_code="".join(
                        secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6)
                    ),
                    paid_at=int(time.time()),
                )
                if outcome in ("hang", "garbage"):
                    self.behaviour[session_id] = outcome
            session["card"] = {"brand": card_brand(number), "last4": number[-4:]}
            self._save()
            return dict(session)

    def session_cancel(self, session_id: str) -> dict:
        with self.lock:
            session = self.sessions[session_id]
            if session["status"] == "open":
                session.update(status="failed", failure_code="cancelled")
                self._save()
            return dict(session)

    def refund_create(self, body: dict, idempotency_key: str) -> tuple[dict, bool]:
        if not isinstance(body, dict):
            raise BankError(400, "invalid_request", "JSON object expected")
        amount = _money(body.get("amount"))
        fingerprint = json.dumps(body, sort_keys=True, default=str)
        with self.lock:
            existing = self._idempotent(idempotency_key, fingerprint)
            if existing:
                return self.refunds[existing], False
            tx = str(body.get("transaction_id", ""))
            session = next((s for s in self.sessions.values() if s["transaction_id"] == tx and tx), None)
            if session is None:
                raise BankError(404, "transaction_not_found", "no such transaction")
            if str(body.get("currency", "")).upper() != session["currency"]:
                raise BankError(422, "currency_mismatch", "refund currency differs from the payment's")
            refunded = sum(
                (Decimal(r["amount"]) for r in self.refunds.values() if r["transaction_id"] == tx), Decimal(0)
            )
            if amount > Decimal(session["amount"]) - refunded:
                raise BankError(422, "amount_too_large", "amount exceeds what remains refundable")
            refund = {
                "id": _token("re_"),
                "status": "succeeded",
                "transaction_id": tx,
                "amount": str(amount),
                "currency": session["currency"],
                "created": int(time.time()),
            }
            self.refunds[refund["id"]] = refund
            self.idempotency[idempotency_key] = (fingerprint, refund["id"])
            self._save()
            return refund, True


def public_session(session: dict) -> dict:
    keys = (
        "id",
        "status",
        "amount",
        "currency",
        "reference",
        "transaction_id",
        "authorization_code",
        "card",
        "failure_code",
        "paid_at",
        "url",
    )
    return {k: session.get(k) for k in keys}
