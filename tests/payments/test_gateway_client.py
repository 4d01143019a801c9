"""The gateway client (``SandboxBankGateway``) against the real sandbox bank subprocess: no mock of HTTP.

Nothing here needs the database; only the last test (``get_gateway``) needs Django settings, and it skips without.
"""

import hashlib
import hmac
import json
import queue
import threading
import time
import uuid
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from payments.gateways.base import GatewayError, GatewayUnavailable, InvalidSignature, PaymentGateway
from payments.gateways.sandbox import SandboxBankGateway
from payments.sandbox_bank.testing import free_port, run_sandbox_bank, submit_card

APPROVE, MASTERCARD, DECLINE, NO_FUNDS = "4242424242424242", "5555555555554444", "4000000000000002", "4000000000009995"
NEVER_ANSWERS, GARBAGE = "4000000000000119", "4000000000000259"
HANG_SECONDS = 3


@pytest.fixture(autouse=True)
def _test_settings():
    """Replaces tests/conftest.py's Django settings fixture: nothing here needs it (runs under -p no:django)."""


@pytest.fixture(scope="module")
def sandbox():
    with run_sandbox_bank(hang_seconds=HANG_SECONDS) as bank:
        yield bank


def make_gateway(sandbox, **options) -> SandboxBankGateway:
    defaults = {"base_url": sandbox.url, "api_key": sandbox.api_key, "webhook_secret": sandbox.webhook_secret}
    return SandboxBankGateway(**{**defaults, **options})


@pytest.fixture
def gateway(sandbox):
    gateway = make_gateway(sandbox, timeout=(2, 5))
    yield gateway
    gateway.close()


def expiry() -> str:
    return f"12/{(date.today().year + 3) % 100:02d}"


def open_session(gateway, *, amount="248.00", key=None, webhook_url=None, currency="EUR"):
    return gateway.create_session(
        amount=Decimal(amount),
        currency=currency,
        reference="HB-7Q2XKD",
        return_url="https://staybook.example/payments/return/HB-7Q2XKD/",
        webhook_url=webhook_url,
        idempotency_key=key or uuid.uuid4().hex,
        description="Hôtel du Lac",
    )


def pay(session, card=APPROVE):
    """The customer's browser on the bank's page; returns where the bank sends it back."""
    assert requests.get(session.redirect_url, timeout=5).status_code == 200
    answer = submit_card(session.redirect_url, card, expiry=expiry())
    assert answer.status_code == 303, answer.text[:300]
    return answer.headers["Location"]


def paid_session(gateway, amount="248.00"):
    session = open_session(gateway, amount=amount)
    pay(session)
    return gateway.get_status(session.session_id)


# --- sessions ---------------------------------------------------------------------------------------------------


def test_the_client_implements_the_gateway_interface(gateway):
    assert isinstance(gateway, PaymentGateway)


def test_create_session_returns_the_hosted_page(gateway, sandbox):
    session = open_session(gateway)
    assert session.session_id.startswith("cs_")
    assert session.redirect_url == f"{sandbox.url}/pay/{session.session_id}"
    assert session.raw["status"] == "open" and session.raw["amount"] == "248.00"
    status = gateway.get_status(session.session_id)
    assert status.status == "open" and status.amount == Decimal("248.00") and status.transaction_id is None


def test_same_idempotency_key_returns_the_same_session(gateway):
    first = open_session(gateway, key="client-idem-1")
    again = open_session(gateway, key="client-idem-1")
    assert again.session_id == first.session_id


def test_same_idempotency_key_with_another_amount_is_refused(gateway):
    open_session(gateway, key="client-idem-2")
    with pytest.raises(GatewayError) as exc:
        open_session(gateway, key="client-idem-2", amount="249.00")
    assert exc.value.code == "idempotency_key_reused" and not isinstance(exc.value, GatewayUnavailable)


def test_a_wrong_api_key_is_a_refusal_not_an_unknown_outcome(sandbox):
    gateway = make_gateway(sandbox, api_key="not-the-key")
    with pytest.raises(GatewayError) as exc:
        open_session(gateway)
    assert exc.value.code == "unauthorized" and not isinstance(exc.value, GatewayUnavailable)


def test_invalid_input_is_refused_with_the_banks_code(gateway):
    with pytest.raises(GatewayError) as exc:
        open_session(gateway, currency="EURO")
    assert exc.value.code == "invalid_currency"
    with pytest.raises(TypeError):
        gateway.create_session(
            amount=12.5,
            currency="EUR",
            reference="HB-1",
            return_url="https://x.example/",
            webhook_url=None,
            idempotency_key="float",
        )


def test_a_malformed_session_id_is_refused_before_any_request(gateway):
    for bad in ("", "../admin", "cs_é", "a" * 65, "cs_x/../../refunds"):
        with pytest.raises(GatewayError) as exc:
            gateway.get_status(bad)
        assert exc.value.code == "invalid_session"
    with pytest.raises(GatewayError) as exc:
        gateway.get_status("cs_unknown")
    assert exc.value.code == "not_found"


# --- outcomes ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("card", "brand"),
    [(APPROVE, "visa"), (MASTERCARD, "mastercard"), ("378282246310005", "amex"), ("4111111111111111", "visa")],
)
def test_approved_card_end_to_end(gateway, card, brand):
    session = open_session(gateway)
    back = pay(session, card)
    assert back.startswith("https://staybook.example/payments/return/HB-7Q2XKD/?session_id=")
    assert back.endswith(session.session_id)
    status = gateway.get_status(session.session_id)
    assert (status.status, status.card_brand, status.card_last4) == ("paid", brand, card[-4:])
    assert status.transaction_id.startswith("tx_") and len(status.authorization_code) == 6
    assert (status.amount, status.currency, status.reference) == (Decimal("248.00"), "EUR", "HB-7Q2XKD")
    assert status.failure_code is None and card not in json.dumps(status.raw)


@pytest.mark.parametrize(("card", "code"), [(DECLINE, "card_declined"), (NO_FUNDS, "insufficient_funds")])
def test_declined_cards_fail_with_the_banks_reason(gateway, card, code):
    session = open_session(gateway)
    pay(session, card)
    status = gateway.get_status(session.session_id)
    assert (status.status, status.failure_code) == ("failed", code)
    assert status.transaction_id is None and status.authorization_code is None and status.card_last4 == card[-4:]


def test_cancel_fails_the_session(gateway):
    session = open_session(gateway)
    answer = submit_card(session.redirect_url, "", action="cancel")
    assert answer.status_code == 303
    status = gateway.get_status(session.session_id)
    assert (status.status, status.failure_code, status.card_brand) == ("failed", "cancelled", None)


def test_a_bank_that_never_answers_leaves_the_outcome_unknown(sandbox):
    gateway = make_gateway(sandbox, timeout=(2, 0.5), retries=0)
    session = open_session(gateway)
    pay(session, NEVER_ANSWERS)
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable) as exc:
        gateway.get_status(session.session_id)
    assert exc.value.code == "unavailable" and time.monotonic() - started < HANG_SECONDS


def test_retries_are_bounded_by_the_timeouts(sandbox):
    gateway = make_gateway(sandbox, timeout=(2, 0.3), retries=2)
    session = open_session(gateway)
    pay(session, NEVER_ANSWERS)
    with pytest.raises(GatewayUnavailable):
        gateway.get_status(session.session_id)
    assert sandbox.received("GET", f"/api/v1/sessions/{session.session_id}") == 3  # the first and two retries


def test_garbage_from_the_bank_leaves_the_outcome_unknown(gateway):
    session = open_session(gateway)
    pay(session, GARBAGE)
    with pytest.raises(GatewayUnavailable) as exc:
        gateway.get_status(session.session_id)
    assert exc.value.code == "garbage"


def test_an_unreachable_bank_is_unavailable():
    gateway = SandboxBankGateway(
        base_url=f"http://127.0.0.1:{free_port()}", api_key="k", webhook_secret="s", timeout=(0.5, 0.5), retries=0
    )
    with pytest.raises(GatewayUnavailable):
        open_session(gateway)
    with pytest.raises(GatewayUnavailable):
        gateway.get_status("cs_anything")


# --- refunds ----------------------------------------------------------------------------------------------------


def test_full_refund(gateway):
    status = paid_session(gateway, "120.00")
    refund = gateway.refund(
        transaction_id=status.transaction_id, amount=Decimal("120.00"), currency="EUR", idempotency_key="full-1"
    )
    assert refund.refund_id.startswith("re_") and refund.status == "succeeded" and refund.amount == Decimal("120")
    with pytest.raises(GatewayError) as exc:
        gateway.refund(
            transaction_id=status.transaction_id, amount=Decimal("0.01"), currency="EUR", idempotency_key="full-2"
        )
    assert exc.value.code == "amount_too_large"


def test_partial_refunds_up_to_the_amount_paid_and_no_further(gateway):
    status = paid_session(gateway, "100.00")
    tx = status.transaction_id
    first = gateway.refund(transaction_id=tx, amount=Decimal("30.00"), currency="EUR", idempotency_key=f"{tx}-1")
    assert first.amount == Decimal("30.00")
    with pytest.raises(GatewayError) as exc:
        gateway.refund(transaction_id=tx, amount=Decimal("70.01"), currency="EUR", idempotency_key=f"{tx}-2")
    assert exc.value.code == "amount_too_large" and not isinstance(exc.value, GatewayUnavailable)
    rest = gateway.refund(transaction_id=tx, amount=Decimal("70.00"), currency="EUR", idempotency_key=f"{tx}-3")
    assert rest.amount == Decimal("70.00") and rest.refund_id != first.refund_id


def test_a_repeated_refund_request_refunds_once(gateway):
    tx = paid_session(gateway, "80.00").transaction_id
    first = gateway.refund(transaction_id=tx, amount=Decimal("80.00"), currency="EUR", idempotency_key=f"{tx}-r")
    again = gateway.refund(transaction_id=tx, amount=Decimal("80.00"), currency="EUR", idempotency_key=f"{tx}-r")
    assert again.refund_id == first.refund_id
    with pytest.raises(GatewayError) as exc:
        gateway.refund(transaction_id=tx, amount=Decimal("1.00"), currency="EUR", idempotency_key=f"{tx}-r")
    assert exc.value.code == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("transaction_id", "currency", "code"),
    [("tx_unknown", "EUR", "transaction_not_found"), (None, "USD", "currency_mismatch")],
)
def test_refunds_the_bank_refuses(gateway, transaction_id, currency, code):
    tx = transaction_id or paid_session(gateway, "10.00").transaction_id
    with pytest.raises(GatewayError) as exc:
        gateway.refund(transaction_id=tx, amount=Decimal("5.00"), currency=currency, idempotency_key=uuid.uuid4().hex)
    assert exc.value.code == code


def test_a_refund_needs_a_transaction_id(gateway):
    with pytest.raises(GatewayError) as exc:
        gateway.refund(transaction_id="", amount=Decimal("1.00"), currency="EUR", idempotency_key=uuid.uuid4().hex)
    assert exc.value.code == "invalid_transaction_id"


# --- webhooks ---------------------------------------------------------------------------------------------------


class Receiver:
    """A tiny merchant endpoint: records each delivery; answers the statuses queued in ``answers``, then 200."""

    def __init__(self, answers=()):
        self.deliveries: queue.Queue = queue.Queue()
        self.answers = list(answers)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.put((dict(self.headers), body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/payments/webhook/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout=10):
        return self.deliveries.get(timeout=timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def resign(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def test_webhook_is_signed_and_parsed(gateway, receiver):
    session = open_session(gateway, webhook_url=receiver.url)
    pay(session)
    headers, body = receiver.next()
    assert headers["Content-Type"] == "application/json"
    assert headers["Bank-Signature"].startswith("t=") and ",v1=" in headers["Bank-Signature"]
    event = gateway.parse_webhook(body=body, signature_header=headers["Bank-Signature"])
    assert event.type == "payment.succeeded" and event.event_id.startswith("evt_")
    assert event.session == gateway.get_status(session.session_id)
    assert event.session.status == "paid" and event.session.card_last4 == "4242"
    assert APPROVE.encode() not in body


def test_webhook_signature_is_checked(gateway, receiver, sandbox):
    session = open_session(gateway, webhook_url=receiver.url)
    pay(session)
    headers, body = receiver.next()
    header = headers["Bank-Signature"]
    tampered = body.replace(b'"paid"', b'"failed"')
    assert tampered != body
    now = int(time.time())
    wrong_secret = make_gateway(sandbox, webhook_secret="someone-elses-secret")
    cases = {
        "tampered body": (gateway, tampered, header),
        "wrong secret": (wrong_secret, body, header),
        "missing header": (gateway, body, None),
        "empty header": (gateway, body, ""),
        "stale timestamp": (gateway, body, resign(body, sandbox.webhook_secret, now - 301)),
        "future timestamp": (gateway, body, resign(body, sandbox.webhook_secret, now + 301)),
        "no timestamp": (gateway, body, header.split(",", 1)[1]),
        "no v1": (gateway, body, header.split(",", 1)[0]),
        "not a number": (gateway, body, header.replace("t=", "t=x")),
        "non-ascii": (gateway, body, header[:-1] + "é"),
        "garbage": (gateway, body, "garbage"),
    }
    for name, (client, payload, signature) in cases.items():
        with pytest.raises(InvalidSignature):
            client.parse_webhook(body=payload, signature_header=signature)
            pytest.fail(f"accepted: {name}")
    recent = resign(body, sandbox.webhook_secret, now - 299)
    assert gateway.parse_webhook(body=body, signature_header=recent).session.status == "paid"
    rotated = f"{header.split(',')[0]},v1={'0' * 64},{header.split(',')[1]}"
    assert gateway.parse_webhook(body=body, signature_header=rotated).session.status == "paid"


def test_a_signed_body_that_is_not_an_event_is_a_value_error(gateway, sandbox):
    body = b'{"id": "evt_1", "type": "payment.succeeded", "data": {"id": "cs_1"}}'
    with pytest.raises(ValueError):
        gateway.parse_webhook(body=body, signature_header=resign(body, sandbox.webhook_secret, int(time.time())))


def test_declined_payment_sends_a_failed_event(gateway, receiver):
    session = open_session(gateway, webhook_url=receiver.url)
    pay(session, NO_FUNDS)
    headers, body = receiver.next()
    event = gateway.parse_webhook(body=body, signature_header=headers["Bank-Signature"])
    assert event.type == "payment.failed" and event.session.failure_code == "insufficient_funds"


def test_webhook_delivery_is_retried_until_the_merchant_answers(gateway):
    receiver = Receiver(answers=[500, 503])
    try:
        session = open_session(gateway, webhook_url=receiver.url)
        pay(session)
        deliveries = [receiver.next(), receiver.next(), receiver.next()]
        events = [gateway.parse_webhook(body=b, signature_header=h["Bank-Signature"]) for h, b in deliveries]
        assert len({e.event_id for e in events}) == 1 and events[0].session.session_id == session.session_id
        with pytest.raises(queue.Empty):
            receiver.next(timeout=1.5)  # answered 200 on the third: no fourth delivery
    finally:
        receiver.close()


def test_the_never_answering_card_sends_no_webhook(gateway, receiver):
    session = open_session(gateway, webhook_url=receiver.url)
    pay(session, NEVER_ANSWERS)
    with pytest.raises(queue.Empty):
        receiver.next(timeout=1.5)


# --- the setting ------------------------------------------------------------------------------------------------


def test_get_gateway_builds_the_class_named_in_settings(sandbox):
    django_settings = pytest.importorskip("django.conf").settings
    if not django_settings.configured:
        pytest.skip("Django settings are not configured (run without -p no:django)")
    from django.test import override_settings

    from payments.gateways import get_gateway

    options = {"base_url": sandbox.url, "api_key": sandbox.api_key, "webhook_secret": sandbox.webhook_secret}
    with override_settings(
        PAYMENT_GATEWAY="payments.gateways.sandbox.SandboxBankGateway", PAYMENT_GATEWAY_OPTIONS=options
    ):
        gateway = get_gateway()
        assert isinstance(gateway, SandboxBankGateway) and gateway.base_url == sandbox.url
        assert get_gateway() is gateway  # one pooled client per thread and configuration
        assert open_session(gateway).redirect_url.startswith(sandbox.url)
    with override_settings(PAYMENT_GATEWAY_OPTIONS={**options, "api_key": "other"}):
        assert get_gateway() is not gateway
