"""Stripe behind the payment gateway interface, through the official ``stripe`` library (``StripeClient``).

- **Checkout**: a Checkout Session (``mode=payment``; ``mode=setup`` for a card guarantee of 0.00). Saving the card
  sets ``payment_intent_data.setup_future_usage=off_session`` and ``customer_creation=always`` (an off-session
  charge needs the card attached to a Customer); ``capture=False`` sets ``capture_method=manual``.
- **Saved card** ("token"): ``<customer id>/<payment method id>``, both Stripe's ids; never card data.
- **Charges without the guest**: a PaymentIntent with ``off_session=true, confirm=true``; a decline is Stripe's 402
  ``card_error``, which is an answer (``ChargeResult(status="failed")``), not an error.
- **Payment links**: a Checkout Session in payment mode, whose URL is what we e-mail (our own link page creates it
  when the guest clicks, so Stripe's 24-hour session expiry is no limit).
- **Webhooks**: ``Stripe-Signature`` verified with ``stripe.Webhook.construct_event`` (the endpoint's signing
  secret, 300 s tolerance); then the session is read back from the API (the event carries ids, not the outcome).

Every POST carries our idempotency key (``options={"idempotency_key": …}``), so a repeated call is answered by
Stripe with its first result. Stripe errors that leave the outcome unknown (connection errors, 5xx,
rate limits) become :class:`GatewayUnavailable`; a refusal Stripe explains becomes :class:`GatewayError`.
See docs/deploy.md for going live.
"""

from decimal import Decimal

import stripe

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

ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF"}
CHECKOUT_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)


def to_minor(amount: Decimal, currency: str) -> int:
    if not isinstance(amount, Decimal):
        raise TypeError("amount must be a Decimal")
    return int(amount) if currency.upper() in ZERO_DECIMAL else int((amount * 100).to_integral_value())


def from_minor(value, currency: str) -> Decimal:
    value = Decimal(int(value or 0))
    return value if currency.upper() in ZERO_DECIMAL else (value / 100).quantize(Decimal("0.01"))


def _id(value) -> str | None:
    """An id, whether Stripe sent the object expanded or only its id."""
    if value is None:
        return None
    return value if isinstance(value, str) else value.get("id")


def _card(payment_method) -> tuple[str | None, str | None]:
    card = payment_method.get("card") if isinstance(payment_method, dict) else None
    return (card.get("brand"), card.get("last4")) if card else (None, None)


class StripeGateway(PaymentGateway):
    webhook_signature_header = "Stripe-Signature"

    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str,
        api_base: str | None = None,
        base_url: str | None = None,
        timeout: float | tuple[float, float] = (3.05, 20),
        retries: int = 2,
        webhook_tolerance: int = 300,
    ):
        """``base_url`` (the ``PAYMENT_BANK_URL`` setting, ``https://api.stripe.com`` in production) or ``api_base``
        is where the library sends its requests; tests point it at a local server."""
        api_base = api_base or base_url
        self.webhook_secret = webhook_secret
        self.webhook_tolerance = webhook_tolerance
        timeout = tuple(timeout) if isinstance(timeout, list | tuple) else timeout
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=retries,  # sent with our idempotency keys, so a retry never charges twice
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def close(self) -> None:
        pass

    def _call(self, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except stripe.CardError:
            raise
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise GatewayUnavailable(f"Stripe unreachable: {type(exc).__name__}", code="unavailable") from exc
        except stripe.APIError as exc:  # 5xx: the outcome is unknown
            raise GatewayUnavailable(f"Stripe error HTTP {exc.http_status}", code="unavailable") from exc
        except stripe.StripeError as exc:
            code = getattr(exc, "code", None) or type(exc).__name__
            if exc.http_status and exc.http_status >= 500:
                raise GatewayUnavailable(f"Stripe error HTTP {exc.http_status}", code="unavailable") from exc
            raise GatewayError(exc.user_message or str(exc)[:200], code=str(code)) from exc

    # --- hosted pages ------------------------------------------------------------------------------------------
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
        separator = "&" if "?" in return_url else "?"
        params = {
            "client_reference_id": reference,
            "metadata": {"reference": reference},
            "success_url": f"{return_url}{separator}session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{return_url}{separator}session_id={{CHECKOUT_SESSION_ID}}",
        }
        if save_card and amount == 0:
            params.update(mode="setup", currency=currency.lower(), customer_creation="always")
            params["setup_intent_data"] = {"metadata": {"reference": reference}, "description": description[:500]}
        else:
            params.update(mode="payment")
            params["line_items"] = [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": to_minor(amount, currency),
                        "product_data": {"name": description[:250] or reference},
                    },
                }
            ]
            intent = {"metadata": {"reference": reference}}
            if save_card:
                intent["setup_future_usage"] = "off_session"
                params["customer_creation"] = "always"
            if not capture:
                intent["capture_method"] = "manual"
            params["payment_intent_data"] = intent
        session = self._call(
            self.client.v1.checkout.sessions.create, params=params, options={"idempotency_key": idempotency_key}
        ).to_dict()
        if not session.get("id") or not str(session.get("url") or "").startswith("https://"):
            raise GatewayUnavailable("Stripe answered an unexpected session shape", code="garbage")
        return PaymentSession(session_id=session["id"], redirect_url=session["url"], raw=session)

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
        return self.create_checkout(
            amount=amount,
            currency=currency,
            reference=reference,
            return_url=return_url,
            webhook_url=webhook_url,
            idempotency_key=idempotency_key,
            description=description,
        )

    def get_status(self, session_id: str) -> PaymentStatus:
        expand = ["payment_intent", "payment_intent.latest_charge", "setup_intent", "setup_intent.payment_method"]
        session = self._call(self.client.v1.checkout.sessions.retrieve, session_id, params={"expand": expand}).to_dict()
        return self._status(session)

    def _status(self, session: dict) -> PaymentStatus:
        currency = (session.get("currency") or "").upper()
        intent = session.get("payment_intent") if isinstance(session.get("payment_intent"), dict) else None
        setup = session.get("setup_intent") if isinstance(session.get("setup_intent"), dict) else None
        status, failure, token, brand, last4, transaction = "open", None, None, None, None, None
        authorization = None
        if session.get("status") == "expired":
            status, failure = "failed", "expired"
        elif session.get("mode") == "setup" and session.get("status") == "complete" and setup:
            if setup.get("status") == "succeeded":
                status = "saved"
                brand, last4 = _card(setup.get("payment_method"))
                token = f"{_id(setup.get('customer')) or _id(session.get('customer'))}/{_id(setup['payment_method'])}"
        elif intent is not None:
            charge = intent.get("latest_charge") if isinstance(intent.get("latest_charge"), dict) else {}
            details = (charge.get("payment_method_details") or {}).get("card") or {}
            brand, last4 = details.get("brand"), details.get("last4")
            authorization = details.get("authorization_code") or (charge.get("outcome") or {}).get("network_status")
            if intent.get("status") in ("succeeded", "requires_capture"):
                status = "paid" if intent["status"] == "succeeded" else "authorized"
                transaction = intent["id"]
                if intent.get("setup_future_usage") == "off_session" and intent.get("payment_method"):
                    customer = _id(intent.get("customer")) or _id(session.get("customer"))
                    token = f"{customer}/{_id(intent['payment_method'])}"
            elif intent.get("status") == "canceled":
                status, failure = "failed", "canceled"
        amount = from_minor(session.get("amount_total") or 0, currency or "EUR")
        return PaymentStatus(
            session_id=session["id"],
            status=status,
            amount=amount,
            currency=currency,
            reference=session.get("client_reference_id") or "",
            transaction_id=transaction,
            authorization_code=authorization,
            card_brand=brand,
            card_last4=last4,
            failure_code=failure,
            raw={k: session.get(k) for k in ("id", "status", "payment_status", "mode", "amount_total", "currency")},
            card_token=token,
        )

    # --- without the guest ---------------------------------------------------------------------------------------
    def charge_token(
        self, *, token: str, amount: Decimal, currency: str, reference: str, idempotency_key: str, capture: bool = True
    ) -> ChargeResult:
        customer, _, payment_method = token.partition("/")
        params = {
            "amount": to_minor(amount, currency),
            "currency": currency.lower(),
            "customer": customer,
            "payment_method": payment_method,
            "off_session": True,
            "confirm": True,
            "metadata": {"reference": reference},
        }
        if not capture:
            params["capture_method"] = "manual"
        try:
            intent = self._call(
                self.client.v1.payment_intents.create, params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.CardError as exc:  # declined: an answer
            error = (exc.json_body or {}).get("error") or {}
            return ChargeResult(
                charge_id=_id(error.get("payment_intent")) or "",
                status="failed",
                amount=amount,
                currency=currency.upper(),
                transaction_id=None,
                authorization_code=None,
                card_brand=None,
                card_last4=None,
                failure_code=str(error.get("decline_code") or error.get("code") or "declined")[:40],
                raw={"error": {"code": error.get("code"), "decline_code": error.get("decline_code")}},
            )
        return self._charge(intent.to_dict())

    def _charge(self, intent: dict) -> ChargeResult:
        currency = (intent.get("currency") or "").upper()
        statuses = {"succeeded": "succeeded", "requires_capture": "authorized"}
        if intent.get("status") not in statuses:
            raise GatewayUnavailable(f"Stripe answered a {intent.get('status')} payment intent", code="garbage")
        charge = intent.get("latest_charge") if isinstance(intent.get("latest_charge"), dict) else {}
        card = (charge.get("payment_method_details") or {}).get("card") or {}
        received = intent.get("amount_received") if intent["status"] == "succeeded" else intent.get("amount")
        return ChargeResult(
            charge_id=intent["id"],
            status=statuses[intent["status"]],
            amount=from_minor(received, currency),
            currency=currency,
            transaction_id=intent["id"],
            authorization_code=card.get("authorization_code"),
            card_brand=card.get("brand"),
            card_last4=card.get("last4"),
            failure_code=None,
            raw={k: intent.get(k) for k in ("id", "status", "amount", "amount_received", "currency")},
        )

    def capture(self, *, transaction_id: str, amount: Decimal, idempotency_key: str) -> ChargeResult:
        intent = self._call(
            self.client.v1.payment_intents.capture,
            transaction_id,
            params={"amount_to_capture": to_minor(amount, "EUR")},  # our hotels' currencies all have cents
            options={"idempotency_key": idempotency_key},
        )
        return self._charge(intent.to_dict())

    def refund(self, *, transaction_id: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        refund = self._call(
            self.client.v1.refunds.create,
            params={"payment_intent": transaction_id, "amount": to_minor(amount, currency)},
            options={"idempotency_key": idempotency_key},
        ).to_dict()
        if refund.get("status") in ("failed", "canceled"):
            raise GatewayError(f"Stripe refused the refund: {refund.get('failure_reason')}", code="refund_failed")
        if refund.get("status") != "succeeded":
            raise GatewayUnavailable(f"the refund is {refund.get('status')} at Stripe", code="pending")
        return RefundResult(
            refund_id=refund["id"], status="succeeded", amount=from_minor(refund["amount"], currency), raw=refund
        )

    # --- webhooks ------------------------------------------------------------------------------------------------
    def parse_webhook(self, *, body: bytes, signature_header: str | None) -> WebhookEvent:
        """Verify ``Stripe-Signature`` as Stripe documents (``stripe.Webhook.construct_event``): raises
        :class:`InvalidSignature` when missing, wrong or older than the tolerance, ``ValueError`` for a body that
        isn't an event. For a Checkout Session event, the session is read back from Stripe; other events name no
        session of ours (an empty ``session_id``) and are acknowledged without effect."""
        if not signature_header:
            raise InvalidSignature("missing signature")
        try:
            event = stripe.Webhook.construct_event(
                body, signature_header, self.webhook_secret, tolerance=self.webhook_tolerance
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature(str(exc)[:200]) from exc
        event = event.to_dict()
        if event.get("type") in CHECKOUT_EVENTS:
            session = self.get_status(event["data"]["object"]["id"])
        else:
            session = PaymentStatus(
                session_id="",
                status="open",
                amount=Decimal("0"),
                currency="",
                reference="",
                transaction_id=None,
                authorization_code=None,
                card_brand=None,
                card_last4=None,
                failure_code=None,
                raw={},
            )
        return WebhookEvent(
            event_id=str(event["id"]), type=str(event["type"]), session=session, raw={"id": event["id"]}
        )
