"""A change moves a booking's rooms only within its own hotel.

The partner API looks a changed room's type up among *all* the hotels the partner sells, and the change's rule
"all rooms in one hotel" compared the rooms with each other only: a one-room booking at hotel A, changed to a room
type of hotel B, moved its nights to B while the booking (its hotel, its guest's e-mails, its receipts, the
hotel's staff) stayed at A."""

import uuid

import pytest

from bookings.models import Booking, BookingChange
from hotels.models import NightInventory
from tests.api.conftest import client_for
from tests.factories import HotelFactory, RoomTypeFactory, future, open_nights

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def test_a_partner_cant_move_a_booking_to_a_room_of_another_hotel(partner, room):
    api = client_for(partner)
    answer = api.post(
        "/api/v1/bookings/",
        {
            "check_in": future(10).isoformat(),
            "check_out": future(12).isoformat(),
            "rooms": [{"room_type": room.pk, "adults": 2, "guest_name": "Grace Hopper"}],
            "guest": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"},
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert answer.status_code == 201, answer.json()
    reference, line_id = answer.json()["reference"], answer.json()["rooms"][0]["id"]
    elsewhere = RoomTypeFactory(hotel=HotelFactory(name="Other Hotel", city="Lyon"))
    open_nights(elsewhere, future(10), 5, price="10.00", rooms=2)
    # the partner sells every hotel (its list is empty)

    body = {"rooms": [{"id": line_id, "room_type": elsewhere.pk}]}
    quote = api.post(f"/api/v1/bookings/{reference}/modify/quote/", body, format="json")
    answer = api.post(
        f"/api/v1/bookings/{reference}/modify/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )

    assert quote.status_code in (404, 422), quote.json()
    assert answer.status_code in (404, 422), answer.json()
    booking = Booking.objects.get(reference=reference)
    assert list(booking.lines.values_list("room_type__hotel_id", flat=True)) == [room.hotel_id]
    assert not BookingChange.objects.exists()
    assert not NightInventory.objects.filter(room_type=elsewhere, rooms_sold__gt=0).exists()
