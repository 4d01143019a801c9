"""Deleting an account while a change of one of its bookings waits for its payment: refused under the bookings'
row locks, not only by the check made before them (a change made between that check and the locks would
otherwise be erased with the guest's name while it may still confirm new nights in it)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts import privacy
from accounts.models import Anonymisation
from bookings import workflow
from bookings.models import Booking
from bookings.services import Actor
from tests.factories import UserFactory
from tests.staff.conftest import paid_booking_at, two_hotels  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def test_an_account_whose_booking_has_a_change_waiting_for_payment_is_not_deleted(
    client,
    bank,
    two_hotels,  # noqa: F811
    monkeypatch,
):
    user = UserFactory()
    booking = paid_booking_at(two_hotels[0], email=user.email)
    Booking.objects.filter(pk=booking.pk).update(customer=user)
    change = workflow.booking_modify(
        booking=booking,
        check_out=booking.check_out + timedelta(days=1),
        actor_kind=Actor.CUSTOMER,
        actor=user,
        channel=Booking.Source.WEBSITE,
    )
    assert change.status == "pending_payment"
    # the check before the locks saw nothing open (the change was made right after it): the locks still refuse
    monkeypatch.setattr(privacy, "account_open_bookings", lambda user: Booking.objects.none())
    with pytest.raises(privacy.DeletionRefused, match="waiting for its payment"):
        privacy.account_delete(user)
    client.force_login(user)
    page = client.post(reverse("accounts:account_delete"), {"password": "correct horse battery", "confirm": "on"})
    assert page.status_code == 400 and "waiting for its payment" in page.content.decode()
    user.refresh_from_db()
    booking.refresh_from_db()
    assert user.is_active and user.has_usable_password() and booking.guest_email == user.email
    assert not Anonymisation.objects.exists()
