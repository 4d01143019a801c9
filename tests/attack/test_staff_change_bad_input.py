"""The staff change page of a booking (``admin:bookings_booking_staff_change``) read two posted fields as they came:
an ``expected_total`` that is not a number (``Decimal("abc")``) and a ``cancel_line`` that is not an id
(``filter(pk="abc")``) both answered 500. A forged POST (or a mangled form) must get a message or a 404."""

from datetime import timedelta

import pytest
from django.urls import reverse

from bookings.models import Booking
from tests.staff.conftest import hotel_today, manager_a, two_hotels  # noqa: F401
from tests.staff.test_staff_booking import desk_booking, rooms_a  # noqa: F401

pytestmark = [pytest.mark.django_db]


def change_form(booking, alpha, **extra):
    lines = list(booking.lines.order_by("position"))
    today = hotel_today(alpha)
    return {
        "room-TOTAL_FORMS": len(lines),
        "room-INITIAL_FORMS": len(lines),
        **{f"room-{i}-rate_plan": x.rate_plan_id for i, x in enumerate(lines)},
        **{f"room-{i}-adults": x.adults for i, x in enumerate(lines)},
        "room-1-children_ages": "7",
        "check_in": (today + timedelta(days=5)).isoformat(),
        "check_out": (today + timedelta(days=8)).isoformat(),
        **extra,
    }


@pytest.mark.parametrize("expected", ["abc", "NaN", "sNaN", "1e999999", "--1"])
def test_a_change_with_a_mangled_expected_total(client, two_hotels, rooms_a, manager_a, expected):  # noqa: F811
    client.raise_request_exception = False
    alpha = two_hotels[0]
    client.force_login(manager_a)
    booking = desk_booking(client, alpha, *rooms_a)
    url = reverse("admin:bookings_booking_staff_change", args=[booking.pk])
    response = client.post(url, change_form(booking, alpha, expected_total=expected, confirm="1"))
    assert response.status_code in (200, 302, 400), response.status_code
    booking.refresh_from_db()
    assert booking.nights == 2, "a total nobody was shown must not be accepted"
    assert not booking.changes.exists()


@pytest.mark.parametrize("line_id", ["abc", "1.5", "99999999999999999999", "-1"])
def test_a_room_cancel_with_a_mangled_line_id_is_a_404(client, two_hotels, rooms_a, manager_a, line_id):  # noqa: F811
    client.raise_request_exception = False
    alpha = two_hotels[0]
    client.force_login(manager_a)
    booking = desk_booking(client, alpha, *rooms_a)
    url = reverse("admin:bookings_booking_staff_change", args=[booking.pk])
    response = client.post(url, {"cancel_line": line_id, "quoted_penalty": "0"})
    assert response.status_code == 404, response.status_code
    assert Booking.objects.get(pk=booking.pk).lines.filter(status="active").count() == 2
