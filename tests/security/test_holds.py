"""Finding 5: unpaid holds are capped per account and per client IP (settings), so nobody can keep a hotel sold
out by renewing holds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings.models import Booking
from tests.bookings.test_flow import GUEST, start
from tests.factories import RoomTypeFactory, TaxFactory, UserFactory, future, open_nights

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_room(db):
    rt = RoomTypeFactory(name="Garden Double")
    TaxFactory(hotel=rt.hotel, amount=Decimal("2.00"))
    open_nights(rt, future(10), 3, price="120.00", rooms=20)
    return rt


def hold(client, rt, user, ip="203.0.113.5"):
    """Through the website as ``user``: choose, give the guest (their own address), press Pay."""
    client.force_login(user)
    guest_url = start(client, rt)
    review_url = client.post(guest_url, {**GUEST, "email": user.email})["Location"]
    return client.post(review_url, {"expected_total": "248.00"}, REMOTE_ADDR=ip, follow=False)


def test_an_account_keeps_at_most_the_configured_number_of_unpaid_holds(client, bank, big_room, settings):
    settings.BOOKING_MAX_OPEN_HOLDS_PER_ACCOUNT = 2
    user = UserFactory()
    for _ in range(2):
        assert hold(client, big_room, user)["Location"].startswith(bank.url)
    third = hold(client, big_room, user)
    assert not third["Location"].startswith(bank.url)
    assert Booking.objects.count() == 2
    page = client.get(third["Location"])
    assert "waiting for payment" in page.content.decode()


def test_a_lapsed_hold_no_longer_counts(client, bank, big_room, settings):
    settings.BOOKING_MAX_OPEN_HOLDS_PER_ACCOUNT = 1
    user = UserFactory()
    hold(client, big_room, user)
    Booking.objects.update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    assert hold(client, big_room, user)["Location"].startswith(bank.url)


def test_one_address_keeps_at_most_the_configured_number_across_accounts(client, bank, big_room, settings):
    settings.BOOKING_MAX_OPEN_HOLDS_PER_IP = 2
    for _ in range(2):
        assert hold(client, big_room, UserFactory())["Location"].startswith(bank.url)
    assert not hold(client, big_room, UserFactory())["Location"].startswith(bank.url)
    assert hold(client, big_room, UserFactory(), ip="198.51.100.9")["Location"].startswith(bank.url)
    assert Booking.objects.count() == 3
