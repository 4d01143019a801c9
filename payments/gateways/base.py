"""The payment gateway interface: a few functions with plain inputs and outputs; HTTP stays in the client.

Money is ``Decimal`` plus an ISO currency code. No card data ever passes through here: the customer types the
card on the bank's own page, and the bank tells us only the brand and last four digits.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal


class GatewayError(Exception):
    """The bank refused the request (``code`` is the bank's reason), or answered an error we understood."""

    def __init__(self, message: str, code: str = "gateway_error"):
        super().__init__(message)
        self.code = code


class GatewayUnavailable(GatewayError):
    """Timeout, connection error, 5xx or garbage: the outcome is UNKNOWN. Never guess it; ask the bank later."""


class InvalidSignature(Exception):
    """A webhook whose signature is missing, malformed, wrong or too old."""


@dataclass(frozen=True)
class PaymentSession:
    session_id: str
    redirect_url: str  # the bank's hosted card page, where the customer's browser goes next
    raw: dict


@dataclass(frozen=True)
class PaymentStatus:
    session_id: str
    status: str  # "open" | "paid" | "authorized" (manual capture) | "saved" (card saved, nothing charged) | "failed"
    amount: Decimal
    currency: str
    reference: str
    transaction_id: str | None
    authorization_code: str | None
    card_brand: str | None
    card_last4: str | None
    failure_code: str | None  # "card_declined", "insufficient_funds", "cancelled"…
    raw: dict
    card_token: str | None = None  # the bank's token for the saved card (never the card's number)


@dataclass(frozen=True)
class ChargeResult:
    """The bank's definite answer to a charge on a saved card or a capture. A decline is an answer
    (``status="failed"`` with ``failure_code``); no answer raises :class:`GatewayUnavailable` instead."""

    charge_id: str
    status: str  # "succeeded" | "authorized" | "failed"
    amount: Decimal
    currency: str
    transaction_id: str | None
    authorization_code: str | None
    card_brand: str | None
    card_last4: str | None
    failure_code: str | None
    raw: dict


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    status: str
    amount: Decimal
    raw: dict


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    type: str  # "payment.succeeded" | "payment.failed"
    session: PaymentStatus
    raw: dict


class PaymentGateway(ABC):
    """What the payments app needs from a bank. Implementations raise GatewayError / GatewayUnavailable."""

    webhook_signature_header = "Bank-Signature"  # the HTTP header the provider signs its webhooks in

    @abstractmethod
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
        """Open a hosted payment page. ``save_card`` keeps the card at the bank as a token (``card_token`` in the
        outcome); an ``amount`` of 0 with ``save_card`` charges nothing (a card guarantee); ``capture=False`` only
        authorises (:meth:`capture` takes the money). The same ``idempotency_key`` and arguments return the same
        session."""

    def create_session(self, **kwargs) -> PaymentSession:
        """A plain checkout: charge the amount now, save nothing."""
        return self.create_checkout(**kwargs)

    @abstractmethod
    def charge_token(
        self, *, token: str, amount: Decimal, currency: str, reference: str, idempotency_key: str, capture: bool = True
    ) -> ChargeResult:
        """Charge a saved card without the guest (merchant-initiated). A repeated ``idempotency_key`` gets the
        first answer, never a second charge; a timeout raises :class:`GatewayUnavailable` (ask again, same key)."""

    @abstractmethod
    def capture(self, *, transaction_id: str, amount: Decimal, idempotency_key: str) -> ChargeResult:
        """Capture all or part of an authorised transaction."""

    @abstractmethod
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
        """A hosted page for an amount that can be sent by e-mail; its outcome arrives like a checkout's."""

    @abstractmethod
    def get_status(self, session_id: str) -> PaymentStatus:
        """The bank's current word on a session."""

    @abstractmethod
    def refund(self, *, transaction_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        """Refund part or all of a paid transaction; a repeated ``idempotency_key`` never refunds twice."""

    @abstractmethod
    def parse_webhook(self, *, body: bytes, signature_header: str | None) -> WebhookEvent:
        """Verify and parse a webhook; raises :class:`InvalidSignature` (missing, malformed, wrong or stale)."""
