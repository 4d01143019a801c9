"""The Stripe gateway through the official library, against a local HTTP server that answers with the request and
response shapes Stripe documents (Checkout Sessions, PaymentIntents, Refunds, errors), the library's base URL
pointed at it; and Stripe-signed webhooks (``Stripe-Signature: t=…,v1=HMAC-SHA256("<t>.<body>")``) through our
webhook endpoint: forged, unsigned and stale ones are refused."""

import hashlib
import hmac
import json
import secrets
import threading
import time
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

import pytest
from django.test import TestCase
from django.urls import reverse

from bookings import workflow
from bookings.models import Booking
from bookings.services import GuestDetails, booking_hold
from hotels.stay import Stay
from payments.gateways.base import GatewayError, GatewayUnavailable, InvalidSignature
from payments.gateways.stripe import StripeGateway
from payments.models import Payment, SavedCard, ScheduledCharge
from payments.services import payment_start
from tests.factories import HotelFactory, RoomTypeFactory, future, open_nights, standard_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]

WEBHOOK_SECRET = "whsec_test_" + "a" * 32
DECLINING_METHOD = "pm_card_chargeDeclinedInsufficientFunds"


class FakeStripe:
    """Stripe's API as documented, in memory: sessions, payment intents, refunds; every request recorded."""

    def __init__(self):
        self.requests: list[tuple[str, str, dict, dict]] = []  # method, path, params, headers
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.replies: dict[str, tuple[int, dict]] = {}  # idempotency key -> first answer
        self.fail_next_with = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_" + secrets.token_hex(6))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method):
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else url.query
                params = dict(parse_qsl(raw, keep_blank_values=True))
                fake.requests.append((method, url.path, params, dict(self.headers)))
                if fake.fail_next_with:
                    status, fake.fail_next_with = fake.fail_next_with, None
                    return self._answer(status, {"error": {"type": "api_error", "message": "Stripe had a problem"}})
                key = self.headers.get("Idempotency-Key")
                if method == "POST" and key in fake.replies:
                    return self._answer(*fake.replies[key])
                status, body = fake.route(method, url.path, params)
                if method == "POST" and key:
                    fake.replies[key] = (status, body)
                return self._answer(status, body)

            def do_GET(self):  # noqa: N802 - http.server's name
                self._handle("GET")

            def do_POST(self):  # noqa: N802
                self._handle("POST")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, method, path, p):
        if method == "POST" and path == "/v1/checkout/sessions":
            session_id = "cs_test_" + secrets.token_hex(8)
            amount = int(p.get("line_items[0][price_data][unit_amount]", 0))
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": p["mode"],
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": amount,
                "currency": p.get("currency") or p.get("line_items[0][price_data][currency]"),
                "client_reference_id": p.get("client_reference_id"),
                "customer": None,
                "payment_intent": None,
                "setup_intent": None,
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "_save": p.get("payment_intent_data[setup_future_usage]") == "off_session",
            }
            self.sessions[session_id] = session
            return 200, self._public(session)
        if method == "GET" and path.startswith("/v1/checkout/sessions/"):
            session = self.sessions.get(path.rsplit("/", 1)[1])
            if session is None:
                return 404, {
                    "error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such"}
                }
            return 200, self._public(session)
        if method == "POST" and path == "/v1/payment_intents":
            intent_id = "pi_" + secrets.token_hex(8)
            intent = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": int(p["amount"]),
                "currency": p["currency"],
                "customer": p["customer"],
                "payment_method": p["payment_method"],
            }
            if p["payment_method"] == DECLINING_METHOD:
                intent.update(status="requires_payment_method", amount_received=0)
                error = {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "insufficient_funds",
                    "message": "Your card has insufficient funds.",
                    "payment_intent": intent,
                }
                return 402, {"error": error}
            manual = p.get("capture_method") == "manual"
            intent.update(
                status="requires_capture" if manual else "succeeded",
                amount_received=0 if manual else int(p["amount"]),
                latest_charge={
                    "id": "ch_" + secrets.token_hex(6),
                    "payment_method_details": {"card": {"brand": "visa", "last4": "4242"}},
                },
            )
            self.intents[intent_id] = intent
            return 200, intent
        if method == "POST" and path.endswith("/capture"):
            intent = self.intents[path.split("/")[3]]
            intent.update(status="succeeded", amount_received=int(p.get("amount_to_capture") or intent["amount"]))
            return 200, intent
        if method == "POST" and path == "/v1/refunds":
            return 200, {
                "id": "re_" + secrets.token_hex(8),
                "object": "refund",
                "amount": int(p["amount"]),
                "payment_intent": p["payment_intent"],
                "status": "succeeded",
            }
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})"}}

    @staticmethod
    def _public(session):
        return {k: v for k, v in session.items() if not k.startswith("_")}

    def complete(self, session_id, *, card_method="pm_card_visa"):
        """What Stripe's hosted page does when the guest pays (or saves the card)."""
        session = self.sessions[session_id]
        session.update(status="complete", customer="cus_" + secrets.token_hex(6))
        if session["mode"] == "setup":
            session["payment_status"] = "no_payment_required"
            session["setup_intent"] = {
                "id": "seti_" + secrets.token_hex(6),
                "object": "setup_intent",
                "status": "succeeded",
                "customer": session["customer"],
                "payment_method": {"id": card_method, "card": {"brand": "visa", "last4": "4242"}},
            }
        else:
            session["payment_status"] = "paid"
            session["payment_intent"] = {
                "id": "pi_" + secrets.token_hex(8),
                "object": "payment_intent",
                "status": "succeeded",
                "amount": session["amount_total"],
                "customer": session["customer"],
                "payment_method": card_method,
                "setup_future_usage": "off_session" if session["_save"] else None,
                "latest_charge": {
                    "id": "ch_" + secrets.token_hex(6),
                    "payment_method_details": {"card": {"brand": "visa", "last4": "4242"}},
                },
            }

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_stripe():
    fake = FakeStripe()
    yield fake
    fake.close()


@pytest.fixture
def stripe_settings(settings, fake_stripe):
    settings.PAYMENT_GATEWAY = "payments.gateways.stripe.StripeGateway"
    settings.PAYMENT_GATEWAY_OPTIONS = {
        "base_url": fake_stripe.url,
        "api_key": "sk_test_" + "b" * 24,
        "webhook_secret": WEBHOOK_SECRET,
        "timeout": (2, 2),
        "retries": 0,
    }
    return settings


def gateway(fake) -> StripeGateway:
    return StripeGateway(api_key="sk_test_x", webhook_secret=WEBHOOK_SECRET, api_base=fake.url, retries=0)


def signed(payload: dict, *, secret=WEBHOOK_SECRET, at=None) -> tuple[bytes, str]:
    """A webhook as Stripe signs it (docs: "Verify webhook signatures manually")."""
    body = json.dumps(payload).encode()
    timestamp = int(at or time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={timestamp},v1={signature}"


def checkout_completed(session_id) -> dict:
    return {
        "id": "evt_" + secrets.token_hex(8),
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {"id": session_id, "object": "checkout.session"}},
    }


def stripe_room(**terms):
    rt = RoomTypeFactory(hotel=HotelFactory(name="Hotel Stripe", city="Nice"))
    open_nights(rt, future(20), 3, price="120.00", rooms=3)
    plan = standard_plan(rt)
    for field, value in terms.items():
        setattr(plan, field, value)
    plan.save()
    return rt


def held(rt) -> Booking:
    return booking_hold(
        room_type=rt,
        stay=Stay(check_in=future(20), check_out=future(23), adults=2),
        guest=GuestDetails(first_name="Ada", last_name="Lovelace", email="ada@example.com"),
    )


# --- the library's requests and Stripe's answers --------------------------------------------------------------------


def test_a_checkout_that_saves_the_card_asks_for_off_session_use(fake_stripe):
    session = gateway(fake_stripe).create_checkout(
        amount=Decimal("108.00"),
        currency="EUR",
        reference="HB-STRIPE",
        return_url="https://staybook.example/payments/return/HB-STRIPE/?t=abc",
        webhook_url=None,
        idempotency_key="HB-STRIPE-pay-1",
        description="Deposit",
        save_card=True,
    )
    assert session.redirect_url.startswith("https://checkout.stripe.com/")
    method, path, params, headers = fake_stripe.requests[-1]
    assert (method, path, headers["Idempotency-Key"]) == ("POST", "/v1/checkout/sessions", "HB-STRIPE-pay-1")
    assert headers["Authorization"] == "Bearer sk_test_x"
    assert params["mode"] == "payment" and params["line_items[0][price_data][unit_amount]"] == "10800"
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert params["payment_intent_data[setup_future_usage]"] == "off_session"
    assert params["customer_creation"] == "always" and params["client_reference_id"] == "HB-STRIPE"
    assert params["success_url"].endswith("?t=abc&session_id={CHECKOUT_SESSION_ID}")
    fake_stripe.complete(session.session_id)
    status = gateway(fake_stripe).get_status(session.session_id)
    assert (status.status, status.amount, status.currency, status.card_last4) == (
        "paid",
        Decimal("108.00"),
        "EUR",
        "4242",
    )
    assert status.transaction_id.startswith("pi_") and status.card_token.endswith("/pm_card_visa")
    assert status.card_token.startswith("cus_")
    _, _, query, _ = fake_stripe.requests[-1]
    assert query["expand[0]"] == "payment_intent"


def test_a_card_guarantee_is_a_setup_session(fake_stripe):
    session = gateway(fake_stripe).create_checkout(
        amount=Decimal("0.00"),
        currency="EUR",
        reference="HB-STRIPE",
        return_url="https://staybook.example/r/",
        webhook_url=None,
        idempotency_key="k-setup",
        save_card=True,
    )
    params = fake_stripe.requests[-1][2]
    assert params["mode"] == "setup" and params["currency"] == "eur" and "line_items[0][quantity]" not in params
    fake_stripe.complete(session.session_id)
    status = gateway(fake_stripe).get_status(session.session_id)
    assert status.status == "saved" and status.amount == Decimal("0.00") and status.card_token.endswith("/pm_card_visa")


def test_off_session_charges_declines_captures_refunds_and_outages(fake_stripe):
    gw = gateway(fake_stripe)
    paid = gw.charge_token(
        token="cus_1/pm_card_visa", amount=Decimal("252.00"), currency="EUR", reference="HB-S", idempotency_key="b-1"
    )
    params = fake_stripe.requests[-1][2]
    assert (params["off_session"], params["confirm"], params["amount"], params["customer"]) == (
        "true",
        "true",
        "25200",
        "cus_1",
    )
    assert (paid.status, paid.amount, paid.card_last4) == ("succeeded", Decimal("252.00"), "4242")
    again = gw.charge_token(
        token="cus_1/pm_card_visa", amount=Decimal("252.00"), currency="EUR", reference="HB-S", idempotency_key="b-1"
    )
    assert again.transaction_id == paid.transaction_id  # Stripe replays the first answer for a repeated key
    declined = gw.charge_token(
        token=f"cus_1/{DECLINING_METHOD}",
        amount=Decimal("9.00"),
        currency="EUR",
        reference="HB-S",
        idempotency_key="b-2",
    )
    assert (declined.status, declined.failure_code) == ("failed", "insufficient_funds")
    held_ = gw.charge_token(
        token="cus_1/pm_card_visa",
        amount=Decimal("50.00"),
        currency="EUR",
        reference="HB-S",
        idempotency_key="b-3",
        capture=False,
    )
    assert held_.status == "authorized"
    assert gw.capture(
        transaction_id=held_.transaction_id, amount=Decimal("40.00"), idempotency_key="c-1"
    ).amount == Decimal("40.00")
    refund = gw.refund(
        transaction_id=paid.transaction_id, amount=Decimal("12.50"), currency="EUR", idempotency_key="r-1"
    )
    assert refund.amount == Decimal("12.50") and fake_stripe.requests[-1][2]["amount"] == "1250"
    fake_stripe.fail_next_with = 500
    with pytest.raises(GatewayUnavailable):
        gw.charge_token(
            token="cus_1/pm_card_visa", amount=Decimal("1.00"), currency="EUR", reference="HB-S", idempotency_key="b-4"
        )
    with pytest.raises(GatewayError):
        gw.get_status("cs_test_nosuchsession")


def test_webhook_signatures_are_checked_as_stripe_documents(fake_stripe):
    gw = gateway(fake_stripe)
    body, header = signed({"id": "evt_1", "object": "event", "type": "payment_intent.created", "data": {"object": {}}})
    assert gw.parse_webhook(body=body, signature_header=header).session.session_id == ""
    for bad in (None, "", "t=1,v1=00", header.replace("v1=", "v1=0")):
        with pytest.raises(InvalidSignature):
            gw.parse_webhook(body=body, signature_header=bad)
    with pytest.raises(InvalidSignature):  # signed with another secret
        gw.parse_webhook(body=body, signature_header=signed({"id": "evt_1"}, secret="whsec_other")[1])
    stale_body, stale = signed({"id": "evt_2", "type": "x"}, at=time.time() - 600)
    with pytest.raises(InvalidSignature):
        gw.parse_webhook(body=stale_body, signature_header=stale)
    with pytest.raises(InvalidSignature):  # a valid signature over another body
        gw.parse_webhook(body=body.replace(b"evt_1", b"evt_9"), signature_header=header)


# --- the site on Stripe ---------------------------------------------------------------------------------------------


def test_a_deposit_booking_on_stripe_from_checkout_webhook_to_the_off_session_balance(
    client, stripe_settings, fake_stripe
):
    rt = stripe_room(payment_terms="deposit", deposit_percent=Decimal("30"), balance_days_before=7)
    booking = held(rt)
    payment = payment_start(booking=booking, return_url="https://staybook.example/r/", webhook_url=None)
    assert payment.bank_redirect_url.startswith("https://checkout.stripe.com/") and payment.amount == Decimal("108.00")
    fake_stripe.complete(payment.bank_session_id)
    url = reverse("payments:webhook")

    body, header = signed(checkout_completed(payment.bank_session_id), secret="whsec_forged")
    assert client.post(url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header).status_code == 400
    body, header = signed(checkout_completed(payment.bank_session_id))
    assert client.post(url, body, content_type="application/json").status_code == 400  # unsigned
    assert client.post(url, body, content_type="application/json", HTTP_BANK_SIGNATURE=header).status_code == 400
    booking.refresh_from_db()
    assert booking.status == "pending_payment"  # nothing forged or unsigned was believed

    answer = client.post(url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert answer.status_code == 200
    booking.refresh_from_db()
    payment.refresh_from_db()
    assert booking.status == "confirmed" and payment.status == "paid" and payment.bank_transaction_id.startswith("pi_")
    card = SavedCard.objects.get(booking=booking)
    assert card.token.startswith("cus_") and card.token.endswith("/pm_card_visa") and card.last4 == "4242"

    balance = ScheduledCharge.objects.get(booking=booking)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert workflow.scheduled_charges_run(now=balance.due_at + timedelta(minutes=1)) == 1
    balance.refresh_from_db()
    assert balance.status == "paid" and balance.payment.bank_transaction_id.startswith("pi_")
    _, path, params, headers = fake_stripe.requests[-1]
    assert path == "/v1/payment_intents" and params["amount"] == "25200" and params["off_session"] == "true"
    assert headers["Idempotency-Key"] == f"{booking.reference}-balance-1"

    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.booking_cancel(booking=booking, actor_kind="staff", waive_penalty=True)
    refunds = [(p["payment_intent"], p["amount"]) for _, path, p, _ in fake_stripe.requests if path == "/v1/refunds"]
    assert sorted(refunds) == sorted(
        [(balance.payment.bank_transaction_id, "25200"), (payment.bank_transaction_id, "10800")]
    )
    assert Payment.objects.filter(status="refunded").count() == 2
