"""The sandbox bank as a web service, spoken to over HTTP the way a browser or a merchant's server would.

These tests need neither Django nor the database: the bank is a real subprocess (``run_sandbox_bank``).
"""

import json
import socket
import threading
import uuid
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from payments.sandbox_bank.store import BankStore
from payments.sandbox_bank.testing import run_sandbox_bank, submit_card

VISA, MASTERCARD = "4242424242424242", "5555555555554444"
OTHER_VALID = "4111111111111111"  # passes Luhn, not on the page's list of test cards


@pytest.fixture(autouse=True)
def _test_settings():
    """Replaces tests/conftest.py's Django settings fixture: nothing here needs Django (runs under -p no:django)."""


@pytest.fixture(scope="module")
def sandbox():
    with run_sandbox_bank(hang_seconds=2) as bank:
        yield bank


def future_expiry(years=2) -> str:
    return f"{date.today().month:02d}/{(date.today().year + years) % 100:02d}"


def last_month_expiry() -> str:
    today = date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{month:02d}/{year % 100:02d}"


def api(sandbox, method, path, body=None, *, key="auto", api_key=None, **kwargs):
    headers = {"Authorization": f"Bearer {api_key or sandbox.api_key}"}
    if key:
        headers["Idempotency-Key"] = key if key != "auto" else uuid.uuid4().hex
    return requests.request(method, sandbox.url + path, json=body, headers=headers, timeout=10, **kwargs)


def session_body(**overrides):
    return {
        "amount": "248.00",
        "currency": "EUR",
        "reference": "HB-7Q2XKD",
        "return_url": "https://staybook.example/payments/return/HB-7Q2XKD/",
        "description": "Hôtel du Lac, 3 nights",
        **overrides,
    }


def open_session(sandbox, key, **overrides):
    response = api(sandbox, "POST", "/api/v1/sessions", session_body(**overrides), key=key)
    assert response.status_code == 201, response.text
    return response.json()


def raw_http(sandbox, request: bytes) -> bytes:
    host, port = urlparse(sandbox.url).hostname, urlparse(sandbox.url).port
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_health_check_answers_ok(sandbox):
    response = requests.get(f"{sandbox.url}/healthz", timeout=5)
    assert response.status_code == 200 and response.text == "ok"


def test_session_is_created_with_a_random_id_and_a_hosted_page(sandbox):
    first = open_session(sandbox, "create-1")
    second = open_session(sandbox, "create-2")
    assert first["id"].startswith("cs_") and first["id"] != second["id"]
    assert first["status"] == "open" and first["url"] == f"{sandbox.url}/pay/{first['id']}"
    assert (first["amount"], first["currency"], first["reference"]) == ("248.00", "EUR", "HB-7Q2XKD")


def test_amount_is_normalised_to_two_decimals(sandbox):
    assert open_session(sandbox, "norm-1", amount="99.5")["amount"] == "99.50"
    assert open_session(sandbox, "norm-2", amount="7")["amount"] == "7.00"


@pytest.mark.parametrize(
    ("api_key", "path", "method"),
    [
        ("wrong", "/api/v1/sessions", "POST"),
        ("", "/api/v1/sessions", "POST"),
        ("wrong", "/api/v1/sessions/cs_anything", "GET"),
        ("wrong", "/api/v1/refunds", "POST"),
    ],
)
def test_api_refuses_a_missing_or_wrong_key(sandbox, api_key, path, method):
    headers = {"Idempotency-Key": "auth-test"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    response = requests.request(method, sandbox.url + path, json=session_body(), headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_idempotency_key_is_required(sandbox):
    response = api(sandbox, "POST", "/api/v1/sessions", session_body(), key=None)
    assert response.status_code == 400 and response.json()["error"]["code"] == "idempotency_key_missing"


def test_same_key_and_body_returns_the_same_session_and_another_body_is_refused(sandbox):
    first = open_session(sandbox, "idem-1")
    assert open_session(sandbox, "idem-1")["id"] == first["id"]
    other = api(sandbox, "POST", "/api/v1/sessions", session_body(amount="249.00"), key="idem-1")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"amount": "0"}, "invalid_amount"),
        ({"amount": "-5.00"}, "invalid_amount"),
        ({"amount": "1.234"}, "invalid_amount"),
        ({"amount": 12.5}, "invalid_amount"),  # a JSON number: money travels as a decimal string
        ({"amount": "1e3"}, "invalid_amount"),
        ({"amount": "NaN"}, "invalid_amount"),
        ({"amount": None}, "invalid_amount"),
        ({"currency": "EURO"}, "invalid_currency"),
        ({"currency": "E1R"}, "invalid_currency"),
        ({"currency": 978}, "invalid_currency"),
        ({"reference": ""}, "invalid_reference"),
        ({"reference": ["HB"]}, "invalid_reference"),
        ({"return_url": "javascript:alert(1)"}, "invalid_return_url"),
        ({"return_url": "ftp://staybook.example/"}, "invalid_return_url"),
        ({"return_url": None}, "invalid_return_url"),
        ({"webhook_url": "file:///etc/passwd"}, "invalid_webhook_url"),
        ({"description": {"a": 1}}, "invalid_description"),
    ],
)
def test_invalid_session_requests_get_a_json_error(sandbox, overrides, code):
    response = api(sandbox, "POST", "/api/v1/sessions", session_body(**overrides), key=f"invalid-{code}-{overrides}")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"a string"', b"[" * 50000 + b"]" * 10, b"\xff\xfe\x00garbage", b""],
)
def test_malformed_bodies_are_answered_and_never_crash_the_server(sandbox, body):
    response = requests.post(
        f"{sandbox.url}/api/v1/sessions",
        data=body,
        headers={"Authorization": f"Bearer {sandbox.api_key}", "Idempotency-Key": "bad-body"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("invalid_json", "invalid_request")
    assert requests.get(f"{sandbox.url}/healthz", timeout=5).status_code == 200


def test_oversized_and_lying_requests_are_refused(sandbox):
    huge = requests.post(
        f"{sandbox.url}/api/v1/sessions",
        data=b"x" * (70 * 1024),
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
        timeout=5,
    )
    assert huge.status_code == 413
    bad_length = raw_http(sandbox, b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")
    assert bad_length.startswith(b"HTTP/1.0 400") and b"invalid_request" in bad_length
    assert raw_http(sandbox, b"BREW / HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.0 501")
    assert requests.get(f"{sandbox.url}/healthz", timeout=5).status_code == 200


def test_unknown_sessions_and_endpoints_are_404(sandbox):
    status = api(sandbox, "GET", "/api/v1/sessions/cs_doesnotexist")
    assert status.status_code == 404 and status.json()["error"]["code"] == "not_found"
    page = requests.get(f"{sandbox.url}/pay/cs_doesnotexist", timeout=5)
    assert page.status_code == 404 and "text/html" in page.headers["Content-Type"]
    assert api(sandbox, "GET", "/api/v1/nothing").status_code == 404
    assert api(sandbox, "DELETE", "/api/v1/sessions").status_code == 405


def test_card_page_shows_the_payment_and_the_test_cards(sandbox):
    session = open_session(sandbox, "page-1")
    page = requests.get(session["url"], timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    html = page.text
    for text in ("HB-7Q2XKD", "248.00 EUR", "Hôtel du Lac", 'name="card_number"', 'name="expiry"', 'name="cvc"'):
        assert text in html
    for card in ("4242 4242 4242 4242", "5555 5555 5555 4444", "4000 0000 0000 0002", "4000 0000 0000 9995"):
        assert card in html
    assert 'value="pay"' in html and 'value="cancel"' in html
    assert "<script" not in html and "src=" not in html and "<link" not in html  # no external assets
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("card", "expiry", "cvc", "message"),
    [
        ("4111111111111112", None, "123", "card number is not valid"),
        ("4111 1111", None, "123", "card number is not valid"),
        ("abcd", None, "123", "card number is not valid"),
        (OTHER_VALID, "last month", "123", "expiry date"),
        (OTHER_VALID, "13/30", "123", "expiry date"),
        (OTHER_VALID, "1230", "123", "expiry date"),
        (OTHER_VALID, None, "12", "CVC"),
        (OTHER_VALID, None, "12345", "CVC"),
        (OTHER_VALID, None, "", "CVC"),
    ],
)
def test_card_form_errors_reshow_the_form_and_charge_nothing(sandbox, card, expiry, cvc, message):
    session = open_session(sandbox, f"form-{card}-{expiry}-{cvc}")
    expiry = last_month_expiry() if expiry == "last month" else expiry or future_expiry()
    response = submit_card(session["url"], card, expiry=expiry, cvc=cvc, name="Ada <b>Lovelace</b>")
    assert response.status_code == 422
    assert message in response.text and 'name="card_number"' in response.text
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in response.text  # kept, escaped
    assert card.replace(" ", "") not in response.text.replace(" ", "")  # never echoed back
    assert api(sandbox, "GET", f"/api/v1/sessions/{session['id']}").json()["status"] == "open"


def test_paying_redirects_back_with_the_session_id_and_keeps_the_merchants_query(sandbox):
    session = open_session(sandbox, "redirect-1", return_url="https://staybook.example/r/?lang=fr&empty=&x=1")
    response = submit_card(session["url"], VISA, expiry=future_expiry())
    assert response.status_code == 303
    location = urlparse(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "staybook.example", "/r/")
    query = parse_qs(location.query, keep_blank_values=True)
    assert query == {"lang": ["fr"], "empty": [""], "x": ["1"], "session_id": [session["id"]]}


def test_cancel_fails_the_session_and_returns_to_the_merchant(sandbox):
    session = open_session(sandbox, "cancel-1")
    response = submit_card(session["url"], "", expiry="", cvc="", action="cancel")
    assert response.status_code == 303 and f"session_id={session['id']}" in response.headers["Location"]
    status = api(sandbox, "GET", f"/api/v1/sessions/{session['id']}").json()
    assert status["status"] == "failed" and status["failure_code"] == "cancelled" and status["card"] is None


def test_a_settled_session_is_never_charged_twice(sandbox):
    session = open_session(sandbox, "twice-1")
    assert submit_card(session["url"], VISA, expiry=future_expiry()).status_code == 303
    paid = api(sandbox, "GET", f"/api/v1/sessions/{session['id']}").json()
    page = requests.get(session["url"], timeout=5)
    assert "already complete" in page.text and f"session_id={session['id']}" in page.text
    again = submit_card(session["url"], MASTERCARD, expiry=future_expiry())
    assert again.status_code == 200 and "already complete" in again.text
    cancel = submit_card(session["url"], "", action="cancel")
    assert cancel.status_code == 200
    assert api(sandbox, "GET", f"/api/v1/sessions/{session['id']}").json() == paid


def test_concurrent_submissions_charge_once(sandbox):
    session = open_session(sandbox, "race-1")
    start, answers = threading.Barrier(12), []

    def pay():
        start.wait()
        answers.append(submit_card(session["url"], VISA, expiry=future_expiry()).status_code)

    threads = [threading.Thread(target=pay) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200] * 11 + [303]


def test_the_store_settles_a_session_once_even_when_two_payments_race_past_the_page():
    """The page checks the status first, but two requests can both see "open"; the store decides under its lock."""
    store = BankStore()
    session, _ = store.session_create(session_body(), "store-1", "http://bank")
    paid, charged = store.session_pay(session["id"], VISA)
    again, charged_again = store.session_pay(session["id"], MASTERCARD)
    cancelled, cancelled_again = store.session_cancel(session["id"])
    assert charged and not charged_again and not cancelled_again
    assert again == paid == cancelled and again["card"] == {"brand": "visa", "last4": "4242"}


def test_status_api_shape_for_a_paid_session(sandbox):
    session = open_session(sandbox, "shape-1")
    submit_card(session["url"], MASTERCARD, expiry=future_expiry())
    status = api(sandbox, "GET", f"/api/v1/sessions/{session['id']}").json()
    assert status["status"] == "paid" and status["card"] == {"brand": "mastercard", "last4": "4444"}
    assert status["transaction_id"].startswith("tx_") and len(status["authorization_code"]) == 6
    assert isinstance(status["paid_at"], int) and status["failure_code"] is None
    assert "return_url" not in status and "webhook_url" not in status


def test_state_survives_a_restart_and_no_card_number_is_stored_or_logged(tmp_path):
    state = tmp_path / "bank.json"
    cvc = "987"
    with run_sandbox_bank(state_file=str(state)) as first:
        session = open_session(first, "restart-1")
        submit_card(session["url"], "4242424242424241", expiry=future_expiry(), cvc=cvc)  # refused: Luhn
        submit_card(session["url"], MASTERCARD, expiry=future_expiry(), cvc=cvc)
        declined = open_session(first, "restart-2")
        submit_card(declined["url"], "4000000000000002", expiry=future_expiry(), cvc=cvc)
        before = api(first, "GET", f"/api/v1/sessions/{session['id']}").json()
        log = first.log_text()
    stored = state.read_text()
    assert "4444" in stored and "0002" in stored  # the last four are kept...
    for secret in (MASTERCARD, "4000000000000002", "4242424242424241", "555555", "400000000"):
        assert secret not in stored and secret not in log  # ...never the number
    assert "card_number" not in log and "cvc" not in log and f"={cvc}" not in log
    assert f"POST /pay/{session['id']} 303" in log  # the request log is there, just without the form
    json.loads(stored)
    with run_sandbox_bank(state_file=str(state)) as second:
        assert api(second, "GET", f"/api/v1/sessions/{session['id']}").json() == before
        assert open_session(second, "restart-1")["id"] == session["id"]  # idempotency survives too
