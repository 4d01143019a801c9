"""The sandbox bank's saved cards, charges without the guest, captures and payment links, through the gateway client
against the real bank subprocess (no mock of HTTP)."""

import uuid
from decimal import Decimal

import pytest
import requests

from payments.gateways.base import GatewayError, GatewayUnavailable
from payments.gateways.sandbox import SandboxBankGateway
from payments.sandbox_bank.testing import run_sandbox_bank, submit_card

APPROVE, DECLINE, NO_FUNDS, NEVER_ANSWERS = (
    "4242424242424242",
    "4000000000000002",
    "4000000000009995",
    "4000000000000119",
)
HANG_SECONDS = 2


@pytest.fixture(autouse=True)
def _test_settings():
    """Nothing here needs Django settings."""


@pytest.fixture(scope="module")
def sandbox():
    with run_sandbox_bank(hang_seconds=HANG_SECONDS) as bank:
        yield bank


@pytest.fixture
def gateway(sandbox):
    gateway = SandboxBankGateway(
        base_url=sandbox.url, api_key=sandbox.api_key, webhook_secret=sandbox.webhook_secret, timeout=(2, 1), retries=0
    )
    yield gateway
    gateway.close()


def checkout(gateway, *, amount="300.00", card=APPROVE, **options):
    session = gateway.create_checkout(
        amount=Decimal(amount),
        currency="EUR",
        reference="HB-TOKENS",
        return_url="https://staybook.example/payments/return/HB-TOKENS/",
        webhook_url=None,
        idempotency_key=uuid.uuid4().hex,
        **options,
    )
    page = requests.get(session.redirect_url, timeout=5)
    assert page.status_code == 200
    assert submit_card(session.redirect_url, card).status_code == 303
    return session, page.text, gateway.get_status(session.session_id)


def charge(gateway, token, amount="120.00", key=None):
    return gateway.charge_token(
        token=token,
        amount=Decimal(amount),
        currency="EUR",
        reference="HB-TOKENS",
        idempotency_key=key or uuid.uuid4().hex,
    )


def test_a_card_saved_with_a_first_charge_can_be_charged_again_without_the_guest(gateway):
    _, page, status = checkout(gateway, save_card=True)
    assert "saved with the bank" in page
    assert status.status == "paid" and status.card_token.startswith("tok_") and status.card_last4 == "4242"
    later = charge(gateway, status.card_token)
    assert later.status == "succeeded" and later.transaction_id and later.amount == Decimal("120.00")
    assert later.card_last4 == "4242" and later.card_brand == "visa"


def test_a_card_guarantee_charges_nothing_and_saves_a_token(gateway, sandbox):
    _, page, status = checkout(gateway, amount="0.00", save_card=True)
    assert "Nothing is charged now" in page and "Save card" in page
    assert status.status == "saved" and status.card_token and status.transaction_id is None
    assert status.amount == Decimal("0.00")


def test_a_plain_checkout_saves_no_card(gateway):
    _, _, status = checkout(gateway)
    assert status.status == "paid" and status.card_token is None


@pytest.mark.parametrize(("card", "code"), [(NO_FUNDS, "insufficient_funds"), (DECLINE, "card_declined")])
def test_a_token_made_from_a_declining_test_card_declines_every_charge_the_same_way(gateway, card, code):
    _, _, status = checkout(gateway, amount="0.00", save_card=True, card=card)
    assert status.status == "saved"
    key = uuid.uuid4().hex
    first = charge(gateway, status.card_token, key=key)
    assert first.status == "failed" and first.failure_code == code and first.transaction_id is None
    again = charge(gateway, status.card_token, key=key)
    assert again.charge_id == first.charge_id  # the same answer for the same key: not a second attempt


def test_a_repeated_key_never_charges_twice_and_a_reused_key_with_another_amount_is_refused(gateway, sandbox):
    _, _, status = checkout(gateway, amount="0.00", save_card=True)
    key = uuid.uuid4().hex
    first, second = charge(gateway, status.card_token, key=key), charge(gateway, status.card_token, key=key)
    assert first.charge_id == second.charge_id and first.transaction_id == second.transaction_id
    with pytest.raises(GatewayError) as refused:
        charge(gateway, status.card_token, amount="1.00", key=key)
    assert refused.value.code == "idempotency_key_reused"
    response = requests.post(
        f"{sandbox.url}/api/v1/charges",
        json={"token": status.card_token, "amount": "1.00", "currency": "EUR", "reference": "X"},
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
        timeout=5,
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "idempotency_key_missing"


def test_an_unknown_token_is_refused(gateway):
    with pytest.raises(GatewayError) as refused:
        charge(gateway, "tok_nosuchcard")
    assert refused.value.code == "token_not_found"


def test_a_charge_whose_answer_is_lost_is_made_once_and_told_when_asked_again_with_its_key(gateway):
    _, _, status = checkout(gateway, amount="0.00", save_card=True, card=NEVER_ANSWERS)
    key = uuid.uuid4().hex
    with pytest.raises(GatewayUnavailable):
        charge(gateway, status.card_token, key=key)
    answer = charge(gateway, status.card_token, key=key)
    assert answer.status == "succeeded"
    assert charge(gateway, status.card_token, key=key).charge_id == answer.charge_id


def test_authorise_then_capture_then_refund_only_what_was_captured(gateway):
    _, _, status = checkout(gateway, capture=False)
    assert status.status == "authorized" and status.transaction_id
    with pytest.raises(GatewayError) as refused:  # nothing captured yet, nothing to refund
        gateway.refund(
            transaction_id=status.transaction_id, amount=Decimal("1.00"), currency="EUR", idempotency_key="r0"
        )
    assert refused.value.code == "not_captured"
    key = uuid.uuid4().hex
    captured = gateway.capture(transaction_id=status.transaction_id, amount=Decimal("250.00"), idempotency_key=key)
    assert captured.status == "succeeded"
    assert gateway.capture(transaction_id=status.transaction_id, amount=Decimal("250.00"), idempotency_key=key)
    assert gateway.get_status(status.session_id).status == "paid"
    with pytest.raises(GatewayError) as too_much:
        gateway.refund(
            transaction_id=status.transaction_id, amount=Decimal("251.00"), currency="EUR", idempotency_key="r1"
        )
    assert too_much.value.code == "amount_too_large"


def test_a_charge_on_a_token_can_be_authorised_then_captured(gateway):
    _, _, status = checkout(gateway, amount="0.00", save_card=True)
    held = gateway.charge_token(
        token=status.card_token,
        amount=Decimal("80.00"),
        currency="EUR",
        reference="HB-TOKENS",
        idempotency_key=uuid.uuid4().hex,
        capture=False,
    )
    assert held.status == "authorized"
    done = gateway.capture(
        transaction_id=held.transaction_id, amount=Decimal("80.00"), idempotency_key=uuid.uuid4().hex
    )
    assert done.status == "succeeded" and done.transaction_id == held.transaction_id


def test_a_payment_link_is_a_hosted_page_for_an_amount(gateway):
    key = uuid.uuid4().hex
    link = gateway.create_payment_link(
        amount=Decimal("140.00"),
        currency="EUR",
        reference="HB-TOKENS",
        return_url="https://staybook.example/bookings/HB-TOKENS/",
        webhook_url=None,
        idempotency_key=key,
        description="Balance of your stay",
    )
    assert link.session_id.startswith("pl_") and "140.00 EUR" in requests.get(link.redirect_url, timeout=5).text
    same = gateway.create_payment_link(
        amount=Decimal("140.00"),
        currency="EUR",
        reference="HB-TOKENS",
        return_url="https://staybook.example/bookings/HB-TOKENS/",
        webhook_url=None,
        idempotency_key=key,
        description="Balance of your stay",
    )
    assert same.session_id == link.session_id
    assert submit_card(link.redirect_url, APPROVE).status_code == 303
    paid = gateway.get_status(link.session_id)
    assert paid.status == "paid" and paid.amount == Decimal("140.00") and paid.card_token is None


def test_the_bank_keeps_no_card_number_expiry_or_cvc(sandbox, tmp_path):
    with run_sandbox_bank(state_file=str(tmp_path / "bank.json")) as bank:
        gw = SandboxBankGateway(base_url=bank.url, api_key=bank.api_key, webhook_secret=bank.webhook_secret)
        _, _, status = checkout(gw, amount="0.00", save_card=True, card="5555555555554444")
        charge(gw, status.card_token)
        gw.close()
        state = (tmp_path / "bank.json").read_text()
    assert status.card_token in state
    assert "5555555555554444" not in state and "555555555555" not in state and "12/39" not in state
    assert '"123"' not in state
