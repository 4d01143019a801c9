"""The payment gateway interface: a few functions with plain inputs and outputs; HTTP stays in the client."""

from dataclasses import dataclass
from decimal import Decimal


class GatewayError(Exception):
    """The bank refused the request, or answered something we understood as an error."""

    def __init__(self, message: str, code: str = "gateway_error"):
        super().__init__(message)
        self.code = code


class GatewayUnavailable(GatewayError):
    """Timeout, connection error or garbage: the outcome is UNKNOWN and must not be guessed."""


class InvalidSignature(Exception):
    """A webhook whose signature is missing, malformed, wrong or too old."""


@dataclass(frozen=True)
class PaymentSession:
    session_id: str
    redirect_url: str
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
    type: str
    session: PaymentStatus
    raw: dict


class PaymentGateway:
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
        raise NotImplementedError

    def get_status(self, session_id: str) -> PaymentStatus:
        raise NotImplementedError

    def refund(self, *, transaction_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        raise NotImplementedError

    def parse_webhook(self, *, body: bytes, signature_header: str | None) -> WebhookEvent:
        raise NotImplementedError
