"""Garbage on the pages this change added or changed: a clear answer, never a 500."""

import pytest
from django.urls import reverse

from tests.bookings.test_workflow import held, pay
from tests.factories import UserFactory
from tests.staff.conftest import staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("quoted", ["abc", "", "1e999999", "NaN", "-5", "0.001"])
def test_a_garbage_quoted_penalty_asks_again_instead_of_failing(client, bank, quoted):
    customer = UserFactory()
    booking = held(customer=customer)
    pay(booking)
    client.force_login(customer)
    answer = client.post(
        reverse("bookings:cancel", kwargs={"reference": booking.reference}), {"quoted_penalty": quoted}
    )
    assert answer.status_code in (200, 302)
    booking.refresh_from_db()
    assert booking.status == "confirmed"


@pytest.mark.parametrize("amount", ["abc", "0", "-10", "1e9", "10.001", ""])
def test_a_garbage_refund_amount_is_a_form_error(client, bank, staff_roles, amount):
    booking = held()
    pay(booking)
    client.force_login(staff(booking.hotel, "manager", "boss@hotel.example"))
    answer = client.post(reverse("admin:bookings_booking_refund", args=[booking.pk]), {"amount": amount, "reason": "x"})
    assert answer.status_code == 200 and answer.context["form"].errors
    assert not booking.payments.get().refunds.exists()
