"""Finding 2: every per-IP limit keys on the client, not on the proxy in front of the site; X-Forwarded-For is
trusted only from the configured proxies (its right-most untrusted hop), never without the setting."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from config.client_ip import client_ip

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.7"
SIGNUP_LIMIT = 10  # accounts.limits.ACCOUNT_CREATE_RATE, per hour


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]


def signup(client, forwarded_for=None, remote=PROXY):
    headers = {"REMOTE_ADDR": remote}
    if forwarded_for:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post("/accounts/signup/", {"email": "not-an-address"}, **headers)


def test_behind_the_proxy_one_client_exhausting_sign_ups_does_not_lock_out_the_others(client, behind_proxy):
    for _ in range(SIGNUP_LIMIT):
        assert signup(client, "203.0.113.5").status_code == 200
    assert signup(client, "203.0.113.5").status_code == 429
    assert signup(client, "198.51.100.7").status_code == 200


def test_hops_the_client_wrote_itself_do_not_escape_the_limit(client, behind_proxy):
    for n in range(SIGNUP_LIMIT):
        signup(client, f"192.0.2.{n}, 203.0.113.5")
    assert signup(client, "192.0.2.200, 203.0.113.5").status_code == 429


def test_without_trusted_proxies_the_header_is_ignored(client, settings):
    settings.TRUSTED_PROXIES = []
    for n in range(SIGNUP_LIMIT):
        signup(client, f"203.0.113.{n}", remote="198.51.100.1")
    assert signup(client, "203.0.113.99", remote="198.51.100.1").status_code == 429


def test_a_client_that_is_not_a_proxy_cannot_name_another_address(client, behind_proxy):
    for n in range(SIGNUP_LIMIT):
        signup(client, f"203.0.113.{n}", remote="198.51.100.1")
    assert signup(client, "203.0.113.99", remote="198.51.100.1").status_code == 429


def test_axes_records_the_client_not_the_proxy(client, behind_proxy):
    client.post(
        "/accounts/login/",
        {"username": "nobody@example.com", "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.5, 10.0.0.3",
    )
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


def test_the_admin_login_is_limited_per_client_ip(client, behind_proxy):
    for _ in range(30):  # accounts.views.LOGIN_IP_RATE
        page = client.post(
            "/admin/login/", {"username": "", "password": ""}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5"
        )
        assert page.status_code == 200
    assert client.post("/admin/login/", {}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert client.post("/admin/login/", {}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("10.0.0.7", "203.0.113.5", "203.0.113.5"),
        ("10.0.0.7", "203.0.113.5:41234", "203.0.113.5"),
        ("10.0.0.7", "[2001:db8::5]:443, 10.0.0.2", "2001:db8::5"),
        ("10.0.0.7", "not-an-ip", "10.0.0.7"),
        ("10.0.0.7", "", "10.0.0.7"),
        ("10.0.0.7", "10.0.0.1, 10.0.0.2", "10.0.0.1"),
        ("", "203.0.113.5", "203.0.113.5"),  # a Unix socket: only a local proxy can connect
        ("198.51.100.1", "203.0.113.5", "198.51.100.1"),
    ],
)
def test_client_ip_takes_the_right_most_untrusted_hop(behind_proxy, remote, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
