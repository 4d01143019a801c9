"""Another tenant's ids on the partner endpoints changed this session (the room type and the partner's list asked in
one query, the partner's hotel ids read by a plain query, the booking answered from the booking just made)."""

from hotels.models import Hotel
from partners.models import Partner
from tests.api.conftest import book, client_for
from tests.factories import HotelFactory, RoomTypeFactory, future, open_nights


def stay_query(**over):
    return {"city": "Paris", "check_in": future(10), "check_out": future(12), "adults": 2, **over}


def test_a_limited_partner_neither_sees_nor_books_another_hotel_by_its_id(room):
    other = RoomTypeFactory(hotel=HotelFactory(city="Paris", name="Not yours"))
    open_nights(other, future(10), 5)
    limited = Partner.objects.create(name="Limited")
    limited.hotels.add(room.hotel)
    api = client_for(limited)
    seen = api.get("/api/v1/availability/", stay_query(hotel=other.hotel.pk)).json()["results"]
    assert seen == []
    assert book(api, other).status_code == 404
    assert book(api, room).status_code == 201


def test_a_partner_whose_only_hotel_was_deactivated_sells_nothing_rather_than_everything(room):
    closed = RoomTypeFactory(hotel=HotelFactory(city="Paris", name="Closed"))
    open_nights(closed, future(10), 5)
    limited = Partner.objects.create(name="Only the closed one")
    limited.hotels.add(closed.hotel)
    Hotel.objects.filter(pk=closed.hotel.pk).update(is_active=False)
    api = client_for(limited)
    assert api.get("/api/v1/availability/", stay_query()).json()["results"] == []
    assert book(api, room).status_code == 404
    assert book(api, closed).status_code == 404


def test_another_partners_booking_is_not_found_on_every_booking_endpoint(partner, room):
    made = book(client_for(partner), room).json()
    thief = client_for(Partner.objects.create(name="Thief"))
    reference = made["reference"]
    assert thief.get(f"/api/v1/bookings/{reference}/").status_code == 404
    assert thief.post(f"/api/v1/bookings/{reference}/cancel/").status_code == 404
    modify = {"check_in": future(11).isoformat(), "check_out": future(12).isoformat()}
    assert (
        thief.post(
            f"/api/v1/bookings/{reference}/modify/", modify, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
        ).status_code
        == 404
    )
    line = made["rooms"][0]["id"]
    assert (
        thief.post(f"/api/v1/bookings/{reference}/rooms/{line}/cancel/", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 404
    )
    assert reference not in str(thief.get("/api/v1/bookings/").json())
