"""A placement at the supplier whose answer is lost (read timeout after the supplier booked the room), then the guest
cancels before the placement is retried: ``_cancel_at_supplier`` sees the link still ``pending`` and no pending
placement (the retried placement skipped itself because the booking is cancelled) and concludes "never placed:
nothing to cancel there". The supplier keeps a confirmed booking we no longer have."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import BookingEffect
from bookings.outbox import effects_sweep
from suppliers import client as supplier_client
from suppliers.models import SupplierBooking
from tests.bookings.test_flow import APPROVE, come_back, pay_at_bank
from tests.suppliers.test_suppliers import book_supplier_hotel

pytestmark = pytest.mark.django_db


def test_a_placement_whose_answer_was_lost_is_cancelled_at_the_supplier_when_the_guest_cancels(
    client,
    bank,
    supplier,
    sandbox,
    own_hotel,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    booking, bank_url = book_supplier_hotel(client, bank)
    real_create = supplier_client.SupplierClient.booking_create
    lost = []

    def booked_but_answer_lost(self, **kwargs):
        answer = real_create(self, **kwargs)  # the supplier books the room...
        if not lost:
            lost.append(answer["reference"])
            raise supplier_client.SupplierError("read timeout")  # ...and its answer never reaches us
        return answer

    monkeypatch.setattr(supplier_client.SupplierClient, "booking_create", booked_but_answer_lost)
    with django_capture_on_commit_callbacks(execute=True):
        come_back(client, pay_at_bank(bank_url, APPROVE))
    booking.refresh_from_db()
    link = SupplierBooking.objects.get()
    assert booking.status == "confirmed" and link.status == "pending" and lost
    assert sandbox.bookings[lost[0]]["status"] == "confirmed"  # booked at the supplier, unknown to us

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("bookings:cancel", kwargs={"reference": booking.reference}))
    booking.refresh_from_db()
    assert booking.status == "cancelled"

    # The outbox runs everything that is due, as beat would over the next hours.
    for hours in (1, 3, 6, 12, 24):
        with django_capture_on_commit_callbacks(execute=True):
            effects_sweep(now=timezone.now() + timedelta(hours=hours))
    assert not BookingEffect.objects.filter(booking=booking, status="pending").exists()
    assert sandbox.bookings[lost[0]]["status"] == "cancelled", (
        "the supplier still holds a confirmed room for a booking we cancelled; our link says "
        f"{SupplierBooking.objects.get().status!r}"
    )
