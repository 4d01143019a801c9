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
    status: str  # "open" | "paid" | "failed"
    amount: Decimal
    currency: str
    reference: str
    transaction_id: str | None
    authorization_code: str | None
    card_brand: str | None
    card_last4: str | None
    failure_code: str | None  # "card_declined", "insufficient_funds", "cancelled"…
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

    @abstractmethod
    def create_session(
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
        """Open a hosted payment session. The same ``idempotency_key`` and arguments return the same session."""

    @abstractmethod
    def get_status(self, session_id: str) -> PaymentStatus:
        """The bank's current word on a session."""

    @abstractmethod
    def refund(self, *, transaction_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        """Refund part or all of a paid transaction; a repeated ``idempotency_key`` never refunds twice."""

    @abstractmethod
    def parse_webhook(self, *, body: bytes, signature_header: str | None) -> WebhookEvent:
        """Verify and parse a webhook; raises :class:`InvalidSignature` (missing, malformed, wrong or stale)."""
