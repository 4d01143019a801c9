"""The sandbox bank's state: payment sessions, saved cards (tokens), charges and refunds, in memory behind a lock,
optionally persisted.

Only a card's brand and last four digits are ever kept, and for a saved card the outcome its test number gives
merchant-initiated charges (so a token made from an "insufficient funds" card declines); the full number, the
expiry and the CVC never reach this module's state, so they can't reach the state file either.

A session has one of three modes: ``payment`` (charge now; ``save_card`` also keeps the card as a token;
``capture="manual"`` only authorises, :meth:`BankStore.capture` takes the money later), ``setup`` (save the card,
charge nothing) or ``link`` (a payment link: a hosted page for an amount, sent by e-mail).
"""

import json
import os
import re
import secrets
import string
import tempfile
import threading
import time
from decimal import Decimal
from urllib.parse import urlparse

TEST_CARDS = {
    "4242424242424242": ("approve", "Approved (Visa)"),
    "5555555555554444": ("approve", "Approved (Mastercard)"),
    "4000000000000002": ("card_declined", "Declined"),
    "4000000000009995": ("insufficient_funds", "Declined: insufficient funds"),
    "4000000000000119": ("hang", "Approved, but the status API never answers"),
    # As Stripe's 4000 0000 0000 0341: the first payment and saving the card succeed; later charges on the saved
    # card are declined (the balance of a deposit, a no-show fee).
    "4000000000000341": ("later_declined", "Approved now; later charges on the saved card are declined"),
    "4000000000000259": ("garbage", "Approved, but the status API returns garbage"),
    # Refund faults: the first refund request with a given Idempotency-Key on such a payment meets the fault; the
    # same key asked again gets the bank's real answer, as from a real bank whose answer was lost on the way.
    "4000000000003063": ("refund_late", "Approved; a refund is made but answered after the client's timeout"),
    "4000000000003089": ("refund_500", "Approved; a refund is made, then answered with HTTP 500"),
    "4000000000003097": ("refund_reset", "Approved; a refund is made, then the connection is reset"),
    "4000000000003113": ("refund_dropped", "Approved; a refund request is dropped (reset) before the bank sees it"),
    "4000000000003121": ("refund_slow", "Approved; refunds are answered slowly (1 s), but in time"),
}
DECLINES = ("card_declined", "insufficient_funds")
MODES = ("payment", "setup", "link")
# Statuses a session moves to: open → paid | authorized (manual capture) → paid; open → saved (setup); → failed.
SETTLED_WITH_MONEY = ("paid", "authorized")
REFUND_FAULTS = ("refund_late", "refund_500", "refund_reset", "refund_dropped", "refund_slow")
MAX_AMOUNT = Decimal("10000000")
AMOUNT_RE = re.compile(r"[0-9]{1,9}(\.[0-9]{1,2})?")
CURRENCY_RE = re.compile(r"[A-Za-z]{3}")


class BankError(Exception):
    """A request the bank refuses; ``status`` and ``code`` become the JSON error answer."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def luhn_ok(number: str) -> bool:
    checksum = 0
    for i, char in enumerate(reversed(number)):
        digit = int(char)
        if i % 2 == 1:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        checksum += digit
    return checksum % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith(("6011", "65")):
        return "discover"
    return "card"


def _money(value) -> Decimal:
    """Amounts travel as decimal strings ("123.45"): a JSON number is refused, so no float ever gets in."""
    if not isinstance(value, str) or not AMOUNT_RE.fullmatch(value):
        raise BankError(422, "invalid_amount", 'amount must be a decimal string such as "123.45"')
    amount = Decimal(value)
    if amount <= 0 or amount > MAX_AMOUNT:
        raise BankError(422, "invalid_amount", "amount must be positive and at most 10000000")
    return amount.quantize(Decimal("0.01"))


def _currency(value) -> str:
    if not isinstance(value, str) or not CURRENCY_RE.fullmatch(value):
        raise BankError(422, "invalid_currency", "currency must be a 3-letter ISO code")
    return value.upper()


def _text(body: dict, key: str, *, max_length: int, required: bool) -> str:
    value = body.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > max_length:
        raise BankError(422, f"invalid_{key}", f"{key} must be a string of at most {max_length} characters")
    return value


def _http_url(value, key: str) -> str:
    parts = urlparse(value) if isinstance(value, str) and len(value) <= 2000 else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise BankError(422, f"invalid_{key}", f"{key} must be an http(s) URL")
    return value


def _token(prefix: str, n: int = 18) -> str:
    return prefix + secrets.token_urlsafe(n)[:n]


def _authorization_code() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6))


def public_session(session: dict) -> dict:
    """The session as the API and the webhook show it (no return/webhook URLs, never card data beyond last4)."""
    keys = ("id", "status", "amount", "currency", "reference", "transaction_id", "authorization_code", "mode")
    return {
        **{k: session.get(k) for k in keys},
        "capture": session.get("capture", "automatic"),
        "save_card": bool(session.get("save_card")),
        "card_token": session.get("card_token"),
        "captured_amount": session.get("captured_amount"),
        "card": dict(session["card"]) if session.get("card") else None,
        "failure_code": session.get("failure_code"),
        "paid_at": session.get("paid_at"),
        "url": session.get("url"),
    }


class BankStore:
    def __init__(self, state_file: str | None = None):
        self.lock = threading.RLock()
        self.state_file = state_file
        self.sessions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}  # "tok_…" -> brand, last4, the outcome its test card gives charges
        self.charges: dict[str, dict] = {}  # merchant-initiated charges on a token
        self.idempotency: dict[str, list[str]] = {}  # "<endpoint>:<key>" -> [fingerprint, object id]
        self.behaviour: dict[str, str] = {}  # session id -> "hang" | "garbage" | one of REFUND_FAULTS
        self.faults_met: list[str] = []  # refund Idempotency-Keys whose first request met their fault
        if state_file and os.path.exists(state_file):
            with open(state_file) as fh:
                data = json.load(fh)
            self.sessions, self.refunds = data.get("sessions", {}), data.get("refunds", {})
            self.idempotency = data.get("idempotency", {})
            self.behaviour = data.get("behaviour", {})
            self.faults_met = data.get("faults_met", [])
            self.tokens, self.charges = data.get("tokens", {}), data.get("charges", {})

    def _save(self) -> None:
        """Write the whole state to a temporary file and rename it over the old one, so a crash never leaves a
        half-written file. Called with the lock held."""
        if not self.state_file:
            return
        directory = os.path.dirname(os.path.abspath(self.state_file))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".sandbox-bank-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as fh:
                state = {
                    "sessions": self.sessions,
                    "refunds": self.refunds,
                    "idempotency": self.idempotency,
                    "behaviour": self.behaviour,
                    "faults_met": self.faults_met,
                    "tokens": self.tokens,
                    "charges": self.charges,
                }
                json.dump(state, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.state_file)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _replayed(self, scope: str, key: str, fingerprint: str) -> str | None:
        """The id of the object an earlier request with this Idempotency-Key created, if any.

        The same key with another body is refused: it is a client bug, and answering with the old object would
        hide it."""
        if not key or len(key) > 255:
            raise BankError(400, "idempotency_key_missing", "an Idempotency-Key header (1-255 chars) is required")
        seen = self.idempotency.get(f"{scope}:{key}")
        if seen is None:
            return None
        if seen[0] != fingerprint:
            raise BankError(422, "idempotency_key_reused", "this Idempotency-Key was used with another request")
        return seen[1]

    def session_create(
        self, body, idempotency_key: str, base_url: str, *, mode: str | None = None
    ) -> tuple[dict, bool]:
        """Open a hosted session; returns (session, created). Raises :class:`BankError` on invalid input.

        ``mode`` (from the route: ``link`` for a payment link) or the body's ``mode`` (``payment`` by default,
        ``setup`` to save the card without charging: its amount is ``"0.00"`` or absent)."""
        if not isinstance(body, dict):
            raise BankError(400, "invalid_request", "a JSON object is expected")
        mode = mode or body.get("mode") or "payment"
        if mode not in MODES:
            raise BankError(422, "invalid_mode", "mode must be payment, setup or link")
        save_card = body.get("save_card", False)
        capture = body.get("capture", "automatic")
        if not isinstance(save_card, bool) or capture not in ("automatic", "manual"):
            raise BankError(422, "invalid_request", "save_card is a boolean; capture is automatic or manual")
        if mode == "setup":
            if body.get("amount") not in (None, "0", "0.00"):
                raise BankError(422, "invalid_amount", "a setup session charges nothing: amount must be 0.00")
            amount, save_card, capture = Decimal("0.00"), True, "automatic"
        else:
            amount = _money(body.get("amount"))
        if mode == "link":
            save_card, capture = False, "automatic"
        currency = _currency(body.get("currency"))
        reference = _text(body, "reference", max_length=80, required=True)
        description = _text(body, "description", max_length=1000, required=False)[:200]  # cosmetic: shortened
        return_url = _http_url(body.get("return_url"), "return_url")
        webhook_url = _http_url(body["webhook_url"], "webhook_url") if body.get("webhook_url") is not None else None
        fingerprint = json.dumps({**body, "mode": mode}, sort_keys=True)
        with self.lock:
            existing = self._replayed("sessions", idempotency_key, fingerprint)
            if existing:
                return dict(self.sessions[existing]), False
            session_id = _token("cs_" if mode != "link" else "pl_")
            session = {
                "id": session_id,
                "mode": mode,
                "status": "open",
                "amount": str(amount),
                "currency": currency,
                "reference": reference,
                "description": description,
                "return_url": return_url,
                "webhook_url": webhook_url,
                "save_card": save_card,
                "capture": capture,
                "url": f"{base_url}/pay/{session_id}",
                "transaction_id": None,
                "authorization_code": None,
                "card": None,
                "card_token": None,
                "captured_amount": None,
                "failure_code": None,
                "paid_at": None,
                "created": int(time.time()),
            }
            self.sessions[session_id] = session
            self.idempotency[f"sessions:{idempotency_key}"] = [fingerprint, session_id]
            self._save()
            return dict(session), True

    def session_get(self, session_id: str) -> dict:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise BankError(404, "not_found", "no such session")
            return dict(session)

    def session_pay(self, session_id: str, number: str) -> tuple[dict, bool]:
        """Apply a (valid) card number to an open session; returns (session, settled_now).

        ``settled_now`` is False when the session was already settled, e.g. by a double-clicked "Pay" racing the
        first: a session is charged at most once. Only brand and last four digits are stored (and, for a saved
        card, the outcome its test number gives later charges). A setup session saves even a card that would
        decline a charge, as a real bank does: the decline comes with the first charge on the token."""
        outcome = TEST_CARDS.get(number, ("approve", ""))[0]
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise BankError(404, "not_found", "no such session")
            if session["status"] != "open":
                return dict(session), False
            card = {"brand": card_brand(number), "last4": number[-4:]}
            if outcome in DECLINES and session.get("mode") != "setup":
                session.update(status="failed", failure_code=outcome)
            elif session.get("mode") == "setup":
                session.update(status="saved", paid_at=int(time.time()))
            else:
                manual = session.get("capture") == "manual"
                session.update(
                    status="authorized" if manual else "paid",
                    transaction_id=_token("tx_"),
                    authorization_code=_authorization_code(),
                    paid_at=int(time.time()),
                    captured_amount=None if manual else session["amount"],
                )
                if outcome in ("hang", "garbage", *REFUND_FAULTS):
                    self.behaviour[session_id] = outcome
            if session["status"] != "failed" and session.get("save_card"):
                token = _token("tok_")
                later = "card_declined" if outcome == "later_declined" else outcome
                self.tokens[token] = {**card, "outcome": later, "created": int(time.time())}
                session["card_token"] = token
            session["card"] = card
            self._save()
            return dict(session), True

    # --- saved cards: charges without the guest, captures ----------------------------------------------------
    def charge_create(self, body, idempotency_key: str) -> tuple[dict, bool]:
        """Charge a saved card (merchant-initiated, the guest not present); returns (charge, created).

        A decline is an answer, not an error: the charge is ``failed`` with its ``failure_code``, and a repeated
        Idempotency-Key gets that same charge (never a second attempt at the card). ``capture: false`` only
        authorises. Refused with 404 for an unknown token."""
        if not isinstance(body, dict):
            raise BankError(400, "invalid_request", "a JSON object is expected")
        amount = _money(body.get("amount"))
        currency = _currency(body.get("currency"))
        reference = _text(body, "reference", max_length=80, required=True)
        token = body.get("token")
        capture = body.get("capture", True)
        if not isinstance(token, str) or not isinstance(capture, bool):
            raise BankError(422, "invalid_request", "token is a string; capture is a boolean")
        fingerprint = json.dumps(body, sort_keys=True)
        with self.lock:
            existing = self._replayed("charges", idempotency_key, fingerprint)
            if existing:
                return dict(self.charges[existing]), False
            card = self.tokens.get(token)
            if card is None:
                raise BankError(404, "token_not_found", "no such saved card")
            charge = {
                "id": _token("ch_"),
                "token": token,
                "amount": str(amount),
                "currency": currency,
                "reference": reference,
                "card": {"brand": card["brand"], "last4": card["last4"]},
                "transaction_id": None,
                "authorization_code": None,
                "failure_code": None,
                "captured_amount": None,
                "created": int(time.time()),
            }
            if card["outcome"] in DECLINES:
                charge.update(status="failed", failure_code=card["outcome"])
            else:
                charge.update(
                    status="succeeded" if capture else "authorized",
                    transaction_id=_token("tx_"),
                    authorization_code=_authorization_code(),
                    captured_amount=str(amount) if capture else None,
                )
            self.charges[charge["id"]] = charge
            self.idempotency[f"charges:{idempotency_key}"] = [fingerprint, charge["id"]]
            self._save()
            return dict(charge), True

    def charge_fault(self, body, idempotency_key: str) -> str | None:
        """A charge on a token made from the "never answers" card is made, but its first answer per key is late."""
        token = body.get("token") if isinstance(body, dict) else None
        with self.lock:
            card = self.tokens.get(token) if isinstance(token, str) else None
            if not idempotency_key or card is None or card["outcome"] != "hang" or idempotency_key in self.faults_met:
                return None
            self.faults_met.append(idempotency_key)
            self._save()
            return "hang"

    def _transaction(self, transaction_id) -> dict | None:
        """The session or charge that moved money under ``transaction_id`` (called with the lock held)."""
        if not isinstance(transaction_id, str) or not transaction_id:
            return None
        for obj in (*self.sessions.values(), *self.charges.values()):
            if obj.get("transaction_id") == transaction_id:
                return obj
        return None

    def capture(self, body, idempotency_key: str) -> tuple[dict, bool]:
        """Capture all or part of an authorised session or charge; returns (the object, captured now)."""
        if not isinstance(body, dict):
            raise BankError(400, "invalid_request", "a JSON object is expected")
        amount = _money(body.get("amount"))
        fingerprint = json.dumps(body, sort_keys=True)
        with self.lock:
            existing = self._replayed("captures", idempotency_key, fingerprint)
            obj = self._transaction(body.get("transaction_id"))
            if obj is None:
                raise BankError(404, "transaction_not_found", "no such transaction")
            if existing:
                return dict(obj), False
            if obj["status"] != "authorized":
                raise BankError(422, "not_authorized", "only an authorised transaction can be captured")
            if amount > Decimal(obj["amount"]):
                raise BankError(422, "amount_too_large", "cannot capture more than was authorised")
            obj.update(status="paid" if obj["id"].startswith(("cs_", "pl_")) else "succeeded")
            obj["captured_amount"] = str(amount)
            self.idempotency[f"captures:{idempotency_key}"] = [fingerprint, obj["id"]]
            self._save()
            return dict(obj), True

    def session_cancel(self, session_id: str) -> tuple[dict, bool]:
        """The customer pressed Cancel: the session fails with ``cancelled``. Returns (session, changed)."""
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise BankError(404, "not_found", "no such session")
            if session["status"] != "open":
                return dict(session), False
            session.update(status="failed", failure_code="cancelled")
            self._save()
            return dict(session), True

    def refund_create(self, body, idempotency_key: str) -> tuple[dict, bool]:
        """Refund part or all of a paid transaction; returns (refund, created).

        Refused with 404 for an unknown transaction, 422 when the currency differs or the amount is more than
        what is left to refund. A replayed Idempotency-Key returns the first refund, never a second one."""
        if not isinstance(body, dict):
            raise BankError(400, "invalid_request", "a JSON object is expected")
        amount = _money(body.get("amount"))
        currency = _currency(body.get("currency"))
        transaction_id = body.get("transaction_id")
        if not isinstance(transaction_id, str) or not transaction_id:
            raise BankError(422, "invalid_transaction_id", "transaction_id must be a non-empty string")
        fingerprint = json.dumps(body, sort_keys=True)
        with self.lock:
            existing = self._replayed("refunds", idempotency_key, fingerprint)
            if existing:
                return dict(self.refunds[existing]), False
            session = self._transaction(transaction_id)
            if session is None:
                raise BankError(404, "transaction_not_found", "no such transaction")
            if session.get("status") not in ("paid", "succeeded"):
                raise BankError(422, "not_captured", "only captured money can be refunded")
            if currency != session["currency"]:
                raise BankError(422, "currency_mismatch", "refund currency differs from the payment's")
            refunded = sum(
                (Decimal(r["amount"]) for r in self.refunds.values() if r["transaction_id"] == transaction_id),
                Decimal(0),
            )
            remaining = Decimal(session.get("captured_amount") or session["amount"]) - refunded
            if amount > remaining:
                raise BankError(422, "amount_too_large", f"amount exceeds what remains refundable ({remaining})")
            refund = {
                "id": _token("re_"),
                "status": "succeeded",
                "transaction_id": transaction_id,
                "amount": str(amount),
                "currency": currency,
                "created": int(time.time()),
            }
            self.refunds[refund["id"]] = refund
            self.idempotency[f"refunds:{idempotency_key}"] = [fingerprint, refund["id"]]
            self._save()
            return dict(refund), True

    def refund_fault(self, body, idempotency_key: str) -> str | None:
        """The fault this refund request meets, if any: only the first request with a given key on a payment made
        with a refund-fault test card (a slow answer applies every time)."""
        transaction_id = body.get("transaction_id") if isinstance(body, dict) else None
        with self.lock:
            session = next((s for s in self.sessions.values() if s["transaction_id"] == transaction_id), None)
            fault = self.behaviour.get(session["id"]) if session and transaction_id else None
            if fault not in REFUND_FAULTS:
                return None
            if fault == "refund_slow":
                return fault
            if not idempotency_key or idempotency_key in self.faults_met:
                return None
            self.faults_met.append(idempotency_key)
            self._save()
            return fault

    def refunds_of(self, transaction_id: str) -> list[dict]:
        """Every refund made on a transaction, oldest first (the merchant's view of the bank's books)."""
        with self.lock:
            refunds = [dict(r) for r in self.refunds.values() if r["transaction_id"] == transaction_id]
        return sorted(refunds, key=lambda r: (r["created"], r["id"]))
