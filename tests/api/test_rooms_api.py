"""The partner API's bookings of several rooms (issue 17): the list of rooms on creation, the rooms of a booking
in every representation, and bad rooms answered with the error shape, never a 500."""

import uuid
from decimal import Decimal

import pytest

from bookings.models import Booking
from hotels.models import NightInventory
from tests.factories import RoomTypeFactory, future, open_nights

from .conftest import body, book

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


@pytest.fixture
def twin(room):
    rt = RoomTypeFactory(hotel=room.hotel, name="Twin", max_adults=2, max_children=2, max_occupancy=4)
    open_nights(rt, future(10), 5, price="80.00", rooms=2)
    return rt


def rooms_body(*rooms, **over):
    data = {
        "check_in": future(10).isoformat(),
        "check_out": future(12).isoformat(),
        "rooms": list(rooms),
        "guest": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"},
        "partner_reference": "TRIP-1",
    }
    data.update(over)
    return data


def post(api, data, key=None):
    return api.post("/api/v1/bookings/", data, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def test_a_booking_of_two_rooms_lists_each_room_and_totals_their_sum(api, room, twin):
    answer = post(
        api,
        rooms_body(
            {"room_type": room.pk, "adults": 2, "guest_name": "Grace Hopper"},
            {"room_type": twin.pk, "adults": 1, "children_ages": [7], "guest_name": "Ada Lovelace"},
            expected_total="376.00",  # 2 × 100 + 2 × 2 × 2.00; 2 × 80 + 2 × 2 × 2.00 (a child pays the tax too)
        ),
    )
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert data["total"] == "376.00" and data["room_count"] == 2 and data["status"] == "confirmed"
    first, second = data["rooms"]
    assert (first["room_type"]["id"], first["adults"], first["guest_name"], first["total"]) == (
        room.pk,
        2,
        "Grace Hopper",
        "208.00",
    )
    assert (second["room_type"]["name"], second["children_ages"], second["total"]) == ("Twin", [7], "168.00")
    assert second["status"] == "active" and second["cancellation_policy"]["summary"].startswith("Free cancellation")
    assert [n["amount"] for n in second["nights"]] == ["80.00", "80.00"]
    fetched = api.get(f"/api/v1/bookings/{data['reference']}/").json()
    assert fetched["rooms"] == data["rooms"]


def test_the_older_body_still_books_n_rooms_of_one_type(api, room):
    answer = book(api, room, rooms=2, adults=3)
    assert answer.status_code == 201
    data = answer.json()
    assert data["room_count"] == 2 and [r["adults"] for r in data["rooms"]] == [2, 1]
    assert Decimal(data["total"]) == sum(Decimal(r["total"]) for r in data["rooms"]) == Decimal("412.00")


def test_a_price_that_moved_is_409_with_the_new_total_and_nothing_is_booked(api, room, twin):
    answer = post(
        api, rooms_body({"room_type": room.pk, "adults": 1}, {"room_type": twin.pk, "adults": 1}, expected_total="1.00")
    )
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "price_changed"
    assert not Booking.objects.exists()


def test_one_room_sold_out_books_nothing(api, room, twin):
    NightInventory.objects.filter(room_type=twin, date=future(11)).update(rooms_for_sale=0)
    answer = post(api, rooms_body({"room_type": room.pk, "adults": 1}, {"room_type": twin.pk, "adults": 1}))
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "sold_out"
    assert not Booking.objects.exists()
    assert set(NightInventory.objects.values_list("rooms_sold", flat=True)) == {0}


@pytest.mark.parametrize(
    "rooms, over, status, text",
    [
        ([{"room_type": "ROOM", "adults": 5}], {}, 422, "can't host 5 adults"),
        ([{"room_type": "ROOM", "adults": 0}], {}, 400, "greater than or equal to 1"),
        ([{"room_type": "ROOM"}], {}, 400, "required"),
        ([], {}, 400, ""),
        ([{"room_type": "ROOM", "adults": 1, "children_ages": [40]}], {}, 400, "0 to 17"),
        ([{"room_type": "ROOM", "adults": 1, "beds": 2}], {}, 400, ""),
        ([{"room_type": 999999, "adults": 1}], {}, 404, "No room type"),
        ([{"room_type": "ROOM", "adults": 1}], {"check_in": future(-2).isoformat()}, 422, "past"),
        ([{"room_type": "ROOM", "adults": 1}], {"check_out": future(9).isoformat()}, 400, "after check-in"),
    ],
)
def test_bad_rooms_get_a_clear_error_never_a_500(api, room, rooms, over, status, text):
    rooms = [{**r, "room_type": room.pk} if r.get("room_type") == "ROOM" else r for r in rooms]
    answer = post(api, rooms_body(*rooms, **over))
    assert answer.status_code == status, answer.json()
    assert text in str(answer.json())
    assert not Booking.objects.exists()


def test_the_schema_describes_both_request_shapes_and_the_rooms_of_a_booking(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    request = schema["paths"]["/api/v1/bookings/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    shapes = schema["components"]["schemas"][request["$ref"].split("/")[-1]]["oneOf"]
    assert len(shapes) == 2
    booking = schema["components"]["schemas"]["Booking"]["properties"]
    assert booking["rooms"]["type"] == "array" and "room_count" in booking


def test_the_old_body_is_unchanged_by_the_new_shape(api, room):
    assert book(api, room).json()["rooms"][0]["total"] == "208.00"
    assert post(api, body(room, rooms=1)).status_code == 201
