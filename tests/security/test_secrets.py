"""Finding 1: outside DEBUG the site refuses to start (and ``check --deploy`` fails) on a placeholder SECRET_KEY or
on sandbox payment secrets it was not told to use; handled bank webhook events are remembered, so a replay is a
no-op."""

import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from bookings.models import Booking
from payments.gateways import get_gateway
from payments.models import Payment
from tests.bookings.test_flow import APPROVE, pay_at_bank, room, to_review  # noqa: F401 - room is a fixture
from tests.processes import database_env_for_children

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "SECRET_KEY_FALLBACKS": "",
    "ALLOWED_HOSTS": "staybook.example",
    "SECURE_SSL_REDIRECT": "1",
    "PAYMENT_SANDBOX": "0",
    "PAYMENT_BANK_URL": "https://bank.example",
    "PAYMENT_BANK_API_KEY": secrets.token_urlsafe(30),
    "PAYMENT_WEBHOOK_SECRET": secrets.token_urlsafe(30),
}


def deploy_check(**over) -> subprocess.CompletedProcess:
    env = database_env_for_children(**{**GOOD, **over})
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_placeholders_and_missing_gateway_secrets_stop_the_site():
    result = deploy_check(
        SECRET_KEY="change-me", PAYMENT_BANK_URL="", PAYMENT_BANK_API_KEY="", PAYMENT_WEBHOOK_SECRET=""
    )
    assert result.returncode != 0
    for problem in [
        "SECRET_KEY is a published placeholder",
        "PAYMENT_BANK_URL is not set",
        "PAYMENT_BANK_API_KEY is not set",
        "PAYMENT_WEBHOOK_SECRET is not set",
    ]:
        assert problem in result.stderr, result.stderr[-2000:]


@pytest.mark.slow
def test_short_keys_sandbox_secrets_and_plain_http_stop_the_site():
    weak = "k" * 20
    result = deploy_check(
        SECRET_KEY=GOOD["SECRET_KEY"],
        SECRET_KEY_FALLBACKS=f"{weak}",
        PAYMENT_BANK_URL="http://bank.example",
        PAYMENT_BANK_API_KEY="sandbox-key",
        PAYMENT_WEBHOOK_SECRET="sandbox-webhook-secret",
    )
    assert result.returncode != 0
    for problem in [
        "SECRET_KEY_FALLBACKS[0] is shorter than 50 characters",
        "PAYMENT_BANK_URL must be an https:// URL",
        "PAYMENT_BANK_API_KEY is not set or is the sandbox bank's key",
        "PAYMENT_WEBHOOK_SECRET is not set or is the sandbox bank's secret",
    ]:
        assert problem in result.stderr, result.stderr[-2000:]
    assert weak not in result.stderr and "sandbox-webhook-secret" not in result.stderr  # names, never values


@pytest.mark.slow
def test_real_secrets_pass_the_deploy_check():
    result = deploy_check()
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.slow
def test_the_sandbox_bank_chosen_explicitly_starts_with_its_defaults():
    result = deploy_check(PAYMENT_SANDBOX="1", PAYMENT_BANK_URL="", PAYMENT_BANK_API_KEY="", PAYMENT_WEBHOOK_SECRET="")
    assert result.returncode == 0, result.stderr[-2000:]


def signed(body: bytes, secret: str) -> str:
    ts = str(int(time.time()))
    return f"t={ts},v1={hmac.new(secret.encode(), f'{ts}.'.encode() + body, hashlib.sha256).hexdigest()}"


@pytest.mark.django_db
def test_a_replayed_webhook_event_is_a_no_op(client, bank, room, caplog):  # noqa: F811
    pay = client.post(to_review(client, room), {"expected_total": "248.00"})
    pay_at_bank(pay["Location"], APPROVE)
    status = get_gateway().get_status(Payment.objects.get().bank_session_id)
    body = json.dumps({"id": "evt_once", "type": "payment.succeeded", "created": int(time.time()), "data": status.raw})
    url = reverse("payments:webhook")
    first = client.post(
        url,
        body.encode(),
        content_type="application/json",
        HTTP_BANK_SIGNATURE=signed(body.encode(), bank.webhook_secret),
    )
    assert first.status_code == 200 and first.content == b"ok"
    assert Booking.objects.get().status == "confirmed"
    replay = client.post(
        url,
        body.encode(),
        content_type="application/json",
        HTTP_BANK_SIGNATURE=signed(body.encode(), bank.webhook_secret),
    )
    assert replay.status_code == 200 and replay.content == b"ok, already handled"
    assert Booking.objects.get().status_changes.filter(to_status="confirmed").count() == 1


@pytest.mark.django_db
def test_an_event_that_failed_its_signature_is_not_remembered(client, bank, room):  # noqa: F811
    pay = client.post(to_review(client, room), {"expected_total": "248.00"})
    pay_at_bank(pay["Location"], APPROVE)
    status = get_gateway().get_status(Payment.objects.get().bank_session_id)
    body = json.dumps(
        {"id": "evt_forged_first", "type": "payment.succeeded", "created": int(time.time()), "data": status.raw}
    ).encode()
    url = reverse("payments:webhook")
    forged = client.post(url, body, content_type="application/json", HTTP_BANK_SIGNATURE=signed(body, "guess"))
    assert forged.status_code == 400
    real = client.post(
        url, body, content_type="application/json", HTTP_BANK_SIGNATURE=signed(body, bank.webhook_secret)
    )
    assert real.content == b"ok" and Booking.objects.get().status == "confirmed"
