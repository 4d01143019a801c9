"""Findings 6 and 11: the supplier client doesn't trust the supplier's transport (no redirects, a streamed and
capped read, one deadline per call, every parse failure is "this supplier answered badly", values copied into our
tables are validated), a supplier's 429 is a back-off and not a failure, and anonymous search is limited per IP.
Against the sandbox supplier on a local port, in its hostile modes."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from hotels.models import Hotel
from suppliers.models import Supplier
from suppliers.sandbox_supplier import API_KEY, run_sandbox_supplier
from tests.factories import future
from tests.suppliers.test_suppliers import own_hotel, search_params  # noqa: F401 - own_hotel is a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox():
    server = run_sandbox_supplier(delay=20.0)
    yield server
    server.shutdown()


@pytest.fixture
def supplier(sandbox):
    return Supplier.objects.create(name="Sandbox Travel", base_url=sandbox.url, api_key=API_KEY, timeout_ms=1000)


def book_page(supplier):
    """The partner-hotel booking page, which asks the supplier while the guest waits."""
    return (
        f"{reverse('suppliers:book')}?supplier={supplier.pk}&hotel=9001&room_type=90010&rate_plan=900100"
        f"&check_in={future(10)}&check_out={future(12)}&adults=2&children=0&rooms=1"
    )


@pytest.fixture
def guest(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(email="traveller@example.com"))
    return client


def assert_answered_badly(client, supplier) -> None:
    """The booking page says the supplier isn't answering (no 500), and names nothing it sent."""
    response = client.get(book_page(supplier))
    assert response.status_code == 302 and response["Location"] == reverse("hotels:home")
    message = " ".join(str(m) for m in client.get(response["Location"]).context["messages"])
    assert "is not answering right now" in message


def test_redirects_are_never_followed(guest, supplier, sandbox):
    internal = run_sandbox_supplier()
    try:
        sandbox.mode, sandbox.redirect_to = "redirect", f"{internal.url}/internal/metadata"
        assert_answered_badly(guest, supplier)
        assert internal.requests == []
    finally:
        internal.shutdown()


def test_a_huge_answer_is_dropped_at_the_cap_not_read_whole(guest, supplier, sandbox):
    sandbox.mode = "huge"
    assert_answered_badly(guest, supplier)
    time.sleep(0.5)
    assert sandbox.bytes_sent < 25_000_000  # the cap (5 MB) plus what socket buffers took, not 60 MB


def test_a_drip_is_cut_at_one_deadline_for_the_whole_call(guest, settings, supplier, sandbox):
    settings.SUPPLIER_BOOKING_TIMEOUT = 1.0  # each byte arrives well within it; the whole answer never does
    sandbox.mode = "drip"
    started = time.monotonic()
    assert_answered_badly(guest, supplier)
    assert time.monotonic() - started < 5  # the supplier drips for 20 s


def test_json_nested_too_deep_is_answered_badly_not_a_500(guest, supplier, sandbox):
    sandbox.mode = "deep"
    assert_answered_badly(guest, supplier)


def test_a_time_zone_that_does_not_exist_is_never_copied_into_our_tables(guest, supplier, sandbox):
    sandbox.mode = "badtz"
    assert_answered_badly(guest, supplier)
    assert not Hotel.objects.filter(timezone="Mars/Olympus_Mons").exists()


def test_search_records_the_bad_answers_and_keeps_our_results(client, supplier, sandbox, own_hotel):  # noqa: F811
    sandbox.redirect_to = "http://127.0.0.1:9/"
    for mode, error in [("badtz", "not a time zone"), ("deep", "not JSON we can read"), ("redirect", "not followed")]:
        cache.clear()
        sandbox.mode = mode
        page = client.get(reverse("hotels:search"), search_params())
        assert page.status_code == 200 and "Our Paris Hotel" in page.content.decode()
        assert error in Supplier.objects.get().last_error, (mode, Supplier.objects.get().last_error)


def test_a_429_is_a_back_off_not_a_failure(client, supplier, sandbox, own_hotel):  # noqa: F811
    sandbox.mode = "busy"
    page = client.get(reverse("hotels:search"), search_params())
    assert page.status_code == 200 and "Our Paris Hotel" in page.content.decode()
    supplier.refresh_from_db()
    assert supplier.consecutive_failures == 0 and not supplier.is_open
    asked = len(sandbox.requests)
    client.get(reverse("hotels:search"), search_params(adults=1))  # another query: not a cached answer
    assert len(sandbox.requests) == asked  # left alone for its Retry-After


def test_anonymous_search_is_limited_per_client_ip(client, settings, own_hotel):  # noqa: F811
    settings.SEARCH_RATE_ANONYMOUS = "5/m"
    for _ in range(5):
        assert client.get(reverse("hotels:search"), search_params()).status_code == 200
    limited = client.get(reverse("hotels:search"), search_params())
    assert limited.status_code == 429 and limited["Retry-After"]
    assert client.get(own_hotel.get_absolute_url()).status_code == 429  # the hotel pages share the budget
    assert client.get(reverse("hotels:search"), search_params(), REMOTE_ADDR="198.51.100.4").status_code == 200


def test_logged_in_visitors_are_not_limited_by_the_anonymous_rate(client, settings, own_hotel):  # noqa: F811
    from tests.factories import UserFactory

    settings.SEARCH_RATE_ANONYMOUS = "2/m"
    client.force_login(UserFactory())
    for _ in range(4):
        assert client.get(reverse("hotels:search"), search_params()).status_code == 200
