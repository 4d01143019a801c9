"""How many SQL queries confirming a website booking costs (the payment's outcome applied: ``bookings.workflow``
``booking_confirm``), pinned like the partner API's (tests/api/test_booking_queries.py) so that the write path
can't grow unnoticed. What the confirmation must write is checked too, so the budget can't be met by writing less."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import BookingEffect
from bookings.services import GuestDetails, booking_hold
from bookings.workflow import booking_confirm
from hotels.stay import Stay
from notifications.models import OutboundEmail
from payments.models import LedgerEntry
from tests.factories import RoomTypeFactory, TaxFactory, future, open_nights

pytestmark = pytest.mark.django_db

CONFIRM = 13  # 37 before docs/performance.md's 2026-12-03 third session (guest and hotel e-mails, three charges)


def test_confirming_a_website_booking_costs_a_pinned_number_of_queries():
    rt = RoomTypeFactory()
    TaxFactory(hotel=rt.hotel)
    open_nights(rt, future(10), 2)
    guest = GuestDetails(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    booking = booking_hold(room_type=rt, stay=Stay(check_in=future(10), check_out=future(12), adults=2), guest=guest)
    with CaptureQueriesContext(connection) as queries:
        booking = booking_confirm(booking=booking)
    assert len(queries) <= CONFIRM, "\n".join(q["sql"] for q in queries.captured_queries)
    assert booking.status == "confirmed" and booking.confirmed_at is not None
    charges = LedgerEntry.objects.filter(booking=booking, kind="charge")
    assert charges.count() == 3 and sum(e.amount for e in charges) == booking.total  # two nights and the tax
    assert set(OutboundEmail.objects.filter(booking=booking).values_list("kind", flat=True)) == {
        "booking_confirmed_guest",
        "booking_confirmed_hotel",
    }
    assert set(BookingEffect.objects.filter(booking=booking).values_list("kind", flat=True)) == {"receipt", "invoice"}
    assert booking_confirm(booking=booking).status == "confirmed"  # twice: nothing more is written
    assert charges.count() == 3 and OutboundEmail.objects.filter(booking=booking).count() == 2
