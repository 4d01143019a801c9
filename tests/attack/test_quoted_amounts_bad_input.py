"""The amounts a page showed and posts back (``expected_total`` on the review and change pages, ``quoted_penalty`` on
a room's cancel page) were compared as ``Decimal(posted) != price``: the review page answered 500 to a value that is
not a number (``Decimal("abc")``), and every one of them to a signalling NaN (``sNaN``: comparing it raises). A
mangled or forged form must be asked to confirm again, with nothing held, changed or cancelled, never a 500."""

from decimal import Decimal

import pytest
from django.urls import reverse

from bookings.models import Booking
from tests.bookings.test_flow import room, to_review  # noqa: F401
from tests.bookings.test_rooms_flow import paid_two_rooms, two_types  # noqa: F401
from tests.factories import future

pytestmark = [pytest.mark.django_db]
GARBAGE = ["abc", "sNaN", "-sNaN", "1e999999", "--1"]


@pytest.mark.parametrize("expected", GARBAGE)
def test_the_review_page_asks_again_for_a_mangled_expected_total(client, bank, room, expected):  # noqa: F811
    client.raise_request_exception = False
    review_url = to_review(client, room)
    answer = client.post(review_url, {"expected_total": expected})
    assert answer.status_code in (200, 302), answer.status_code
    assert "bank" not in answer.get("Location", ""), "sent to pay a total the guest was never shown"
    assert not Booking.objects.exists(), "nothing is held for a total nobody was shown"


@pytest.mark.parametrize("expected", GARBAGE)
def test_the_change_page_asks_again_for_a_mangled_expected_total(client, bank, two_types, expected):  # noqa: F811
    booking = paid_two_rooms(client, *two_types)
    client.raise_request_exception = False
    url = reverse("bookings:change_dates", kwargs={"reference": booking.reference})
    dates = {"check_in": future(10).isoformat(), "check_out": future(11).isoformat()}
    answer = client.post(url, {**dates, "expected_total": expected, "confirm": "1"})
    assert answer.status_code in (200, 302, 400), answer.status_code
    booking.refresh_from_db()
    assert booking.check_out == future(12) and booking.total == Decimal("516.00")
    assert not booking.changes.exists(), "a change made at a price the guest was never shown"


@pytest.mark.parametrize("quoted", GARBAGE)
def test_a_rooms_cancel_page_asks_again_for_a_mangled_quoted_penalty(client, bank, two_types, quoted):  # noqa: F811
    double, family = two_types
    booking = paid_two_rooms(client, double, family)
    client.raise_request_exception = False
    line = booking.lines.get(room_type=family)
    url = reverse("bookings:cancel_room", kwargs={"reference": booking.reference, "position": line.position})
    answer = client.post(url, {"quoted_penalty": quoted})
    assert answer.status_code in (200, 302), answer.status_code
    line.refresh_from_db()
    assert line.status == "active"
