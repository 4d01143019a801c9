"""Forged or mangled requests to the staff console that answered 500 (a scripted sweep of its pages and actions).

- A list action posted with an id that is not one (``_selected_action=abc``, ``²``, ``1e5``, empty): Django filters
  the list by the posted ids as they come, so any staff member could make every action of the bookings list fail.
- The refund page's ``?payment=²``: ``"²".isdigit()`` is true but no number, so the lookup raised.
- The exports with a start of 9999-12-31 and no end: the end defaulted to 30 days later, past the last date.
Each now gets a message or a 404, and nothing is done."""

import pytest
from django.urls import reverse

from bookings.models import Booking
from notifications.models import OutboundEmail
from tests.staff.conftest import manager_a, messages_of, two_hotels  # noqa: F401

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def console(client, manager_a):  # noqa: F811
    client.raise_request_exception = False
    client.force_login(manager_a)
    return client


@pytest.mark.parametrize("action", ["cancel_with_penalty", "resend_confirmation"])
@pytest.mark.parametrize("forged", ["abc", "²", ""])
def test_a_list_action_on_ids_that_are_not_ids_does_nothing_and_says_so(console, two_hotels, action, forged):  # noqa: F811
    alpha_booking = two_hotels[2]
    emails = OutboundEmail.objects.count()
    answer = console.post(
        reverse("admin:bookings_booking_changelist"),
        {"action": action, "_selected_action": [str(alpha_booking.pk), forged]},
        follow=True,
    )
    assert answer.status_code == 200, answer.status_code
    assert "No such item" in messages_of(answer)
    assert Booking.objects.get(pk=alpha_booking.pk).status == "confirmed"
    assert OutboundEmail.objects.count() == emails


@pytest.mark.parametrize("payment", ["²", "٣٣٣", "abc"])
def test_the_refund_page_for_a_payment_id_that_is_no_number_is_a_404(console, two_hotels, payment):  # noqa: F811
    url = reverse("admin:bookings_booking_refund", args=[two_hotels[2].pk])
    assert console.get(url, {"payment": payment}).status_code == 404
    assert console.post(url, {"payment": payment, "amount": "1.00", "reason": "x"}).status_code == 404


@pytest.mark.parametrize("name", ["admin:bookings_booking_export", "admin:bookings_payment_export"])
def test_an_export_starting_on_the_last_date_is_a_message(console, two_hotels, name):  # noqa: F811
    answer = console.get(reverse(name), {"start": "9999-12-31"}, follow=True)
    assert answer.status_code == 200, answer.status_code
    assert "Choose the dates to export" in messages_of(answer)
