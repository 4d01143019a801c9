"""Finding 7: the payment return page answers only the booking's owner or the signed return URL we gave the bank;
anyone else gets the 404 of a reference that doesn't exist, without a call to the bank; it is rate-limited."""

from urllib.parse import parse_qs, urlparse

import pytest

from bookings.models import Booking
from payments.models import Payment
from tests.bookings.test_flow import APPROVE, come_back, pay_at_bank, room, to_review  # noqa: F401 - room: fixture
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(client, bank, room):  # noqa: F811
    """The guest paid at the bank; returns the return URL the bank sent their browser to."""
    pay = client.post(to_review(client, room), {"expected_total": "248.00"})
    return pay_at_bank(pay["Location"], APPROVE)


def test_the_return_url_carries_a_signed_token_on_the_site_url(paid, settings):
    assert paid.startswith(settings.SITE_URL + "/payments/return/HB-")
    assert parse_qs(urlparse(paid).query)["t"]


def test_a_stranger_learns_nothing_and_the_bank_is_not_asked(client, paid):
    reference = Booking.objects.get().reference
    client.logout()
    client.force_login(UserFactory(email="mallory@example.com"))
    existing = client.get(f"/payments/return/{reference}/")
    missing = client.get("/payments/return/HB-ZZZZZZ/")
    assert existing.status_code == missing.status_code == 404
    forged = client.get(f"/payments/return/{reference}/", {"t": "1abc:forged"})
    assert forged.status_code == 404
    assert Payment.objects.get().last_checked_at is None and Booking.objects.get().status == "pending_payment"


def test_the_signed_return_url_works_in_a_logged_out_browser(client, paid):
    client.logout()
    response = come_back(client, paid)
    assert response.status_code == 302
    assert Booking.objects.get().status == "confirmed"


def test_another_bookings_token_does_not_open_this_one(client, paid):
    token = parse_qs(urlparse(paid).query)["t"][0]
    other = Booking.objects.get()
    client.logout()
    assert client.get("/payments/return/HB-ZZZZZZ/", {"t": token}).status_code == 404
    assert other.status == "pending_payment"


def test_the_owner_needs_no_token(client, paid):
    reference = Booking.objects.get().reference
    assert client.get(f"/payments/return/{reference}/").status_code == 302
    assert Booking.objects.get().status == "confirmed"


def test_the_return_page_is_rate_limited(client, paid):
    client.logout()
    for _ in range(20):  # payments.views.RETURN_RATE
        client.get("/payments/return/HB-ZZZZZZ/")
    assert client.get("/payments/return/HB-ZZZZZZ/").status_code == 429
