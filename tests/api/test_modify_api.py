"""Changing a partner's booking through the API (issue 17): modify with its quote, Idempotency-Key replays, the
errors that change nothing, one room cancelled, and the booking.modified webhook."""

import json
import uuid
from decimal import Decimal

import pytest

from bookings.models import Booking, BookingChange
from hotels.models import NightInventory
from tests.factories import RoomTypeFactory, future, open_nights

from .conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


@pytest.fixture
def twin(room):
    rt = RoomTypeFactory(hotel=room.hotel, name="Twin", max_adults=2, max_children=2, max_occupancy=4)
    open_nights(rt, future(10), 5, price="80.00", rooms=2)
    return rt


@pytest.fixture
def booked(api, room, twin):
    """A confirmed booking of a double (Grace, 2 adults) and a twin (Ada) for two nights: 208.00 + 164.00."""
    answer = api.post(
        "/api/v1/bookings/",
        {
            "check_in": future(10).isoformat(),
            "check_out": future(12).isoformat(),
            "rooms": [
                {"room_type": room.pk, "adults": 2, "guest_name": "Grace Hopper"},
                {"room_type": twin.pk, "adults": 1, "guest_name": "Ada Lovelace"},
            ],
            "guest": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"},
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert answer.status_code == 201, answer.json()
    return answer.json()


def modify(api, reference, data, key=None):
    return api.post(
        f"/api/v1/bookings/{reference}/modify/", data, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4())
    )


def sold(room_type):
    return list(
        NightInventory.objects.filter(room_type=room_type).order_by("date").values_list("rooms_sold", flat=True)
    )


def test_a_quote_then_a_change_of_dates_and_rooms_with_its_price_difference(api, room, twin, booked):
    reference, twin_line = booked["reference"], booked["rooms"][1]["id"]
    body = {"check_out": future(13).isoformat(), "rooms": [{"id": twin_line, "adults": 2, "guest_name": "Ada King"}]}
    quote = api.post(f"/api/v1/bookings/{reference}/modify/quote/", body, format="json").json()
    # 3 nights: 300 + 2 × 3 × 2.00 tax for the double; 240 + 2 × 3 × 2.00 for the twin
    assert quote == {"old_total": "372.00", "new_total": "564.00", "amount": "192.00", "currency": "EUR"}
    assert Booking.objects.get().total == Decimal("372.00")  # the quote changes nothing
    answer = modify(api, reference, {**body, "expected_total": "564.00"})
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert (
        data["price_difference"] == quote and data["total"] == "564.00" and data["check_out"] == future(13).isoformat()
    )
    assert [(r["id"], r["adults"], r["guest_name"]) for r in data["rooms"]][1] == (twin_line, 2, "Ada King")
    assert sold(room) == [1, 1, 1, 0, 0] and sold(twin) == [1, 1, 1, 0, 0]
    change = BookingChange.objects.get()
    assert (change.channel, change.actor_kind, change.difference) == ("partner", "partner", Decimal("192.00"))


def test_a_modify_replayed_with_the_same_key_changes_once(api, room, booked):
    reference, key = booked["reference"], str(uuid.uuid4())
    body = {"check_in": future(11).isoformat(), "check_out": future(13).isoformat()}
    first = modify(api, reference, body, key=key)
    again = modify(api, reference, body, key=key)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert BookingChange.objects.count() == 1 and sold(room) == [0, 1, 1, 0, 0]
    reused = modify(api, reference, {"check_out": future(14).isoformat()}, key=key)
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    assert modify(api, reference, body).status_code == 422  # the same change again, new key: nothing to change


@pytest.mark.other_sales
def test_sold_out_and_price_changed_are_409_and_change_nothing(api, room, twin, booked):
    reference = booked["reference"]
    NightInventory.objects.filter(room_type=twin, date=future(12)).update(rooms_sold=2)
    answer = modify(api, reference, {"check_out": future(13).isoformat()})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "sold_out"
    answer = modify(api, reference, {"check_in": future(11).isoformat(), "expected_total": "1.00"})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "price_changed"
    assert answer.json()["error"]["total"] == "186.00"
    assert api.get(f"/api/v1/bookings/{reference}/").json() == {**booked}
    assert not BookingChange.objects.exists()


@pytest.mark.parametrize(
    "body, status, code, text",
    [
        ({"check_in": "PAST"}, 422, "invalid_stay", "past"),
        ({"rooms": [{"id": "LINE", "adults": 5}]}, 422, "invalid_stay", "can't host 5 adults"),
        ({"rooms": [{"id": "LINE", "adults": 0}]}, 400, "validation_error", ""),
        ({"rooms": [{"room_type": "ROOM"}]}, 400, "validation_error", "needs room_type and adults"),
        ({"rooms": [{"id": 99999999, "adults": 1}]}, 422, "not_modifiable", "not a booked room"),
        ({}, 400, "validation_error", "Give new dates"),
        ({"check_in": "2027-13-01"}, 400, "validation_error", ""),
        ({"check_out": "CHECK_IN"}, 422, "invalid_stay", "after check-in"),
        ({"rooms": [{"room_type": 99999999, "adults": 1}]}, 404, "room_type_not_found", ""),
    ],
)
def test_bad_changes_get_a_clear_error_never_a_500(api, room, booked, body, status, code, text):
    line = booked["rooms"][0]["id"]
    fill = {"PAST": future(-1).isoformat(), "CHECK_IN": booked["check_in"], "LINE": line, "ROOM": room.pk}
    body = json.loads(
        json.dumps(body),
        object_hook=lambda d: {k: fill.get(v, v) if isinstance(v, str | int) else v for k, v in d.items()},
    )
    answer = modify(api, booked["reference"], body)
    assert answer.status_code == status, answer.json()
    assert answer.json()["error"]["code"] == code and text in json.dumps(answer.json())
    assert api.get(f"/api/v1/bookings/{booked['reference']}/").json() == booked


def test_a_cancelled_booking_is_not_modifiable(api, booked):
    api.post(f"/api/v1/bookings/{booked['reference']}/cancel/")
    answer = modify(api, booked["reference"], {"check_out": future(13).isoformat()})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "not_modifiable"


def test_cancelling_one_room_is_idempotent_and_the_last_room_cancels_the_booking(api, room, twin, booked):
    reference = booked["reference"]
    double_line, twin_line = (r["id"] for r in booked["rooms"])
    url = f"/api/v1/bookings/{reference}/rooms/{twin_line}/cancel/"
    first = api.post(url)
    assert first.status_code == 200 and first.json()["total"] == "208.00" and first.json()["room_count"] == 1
    assert (
        first.json()["rooms"][1]["status"] == "cancelled" and first.json()["rooms"][1]["cancellation_penalty"] == "0.00"
    )
    assert api.post(url).json() == first.json() and BookingChange.objects.count() == 1
    assert sold(twin) == [0] * 5
    assert api.post(f"/api/v1/bookings/{reference}/rooms/99999999/cancel/").status_code == 404
    last = api.post(f"/api/v1/bookings/{reference}/rooms/{double_line}/cancel/").json()
    assert last["status"] == "cancelled" and sold(room) == [0] * 5


def test_another_partners_booking_cannot_be_changed(room, booked):
    from partners.models import Partner

    other = client_for(Partner.objects.create(name="Other"))
    assert modify(other, booked["reference"], {"check_out": future(13).isoformat()}).status_code == 404
    assert (
        other.post(f"/api/v1/bookings/{booked['reference']}/rooms/{booked['rooms'][0]['id']}/cancel/").status_code
        == 404
    )


def test_the_partner_hears_of_each_change_by_a_booking_modified_webhook(
    partner, receiver, room, twin, django_capture_on_commit_callbacks
):
    partner.webhook_url = receiver.url
    partner.save()
    api = client_for(partner)
    with django_capture_on_commit_callbacks(execute=True):
        booked = api.post(
            "/api/v1/bookings/",
            {
                "check_in": future(10).isoformat(),
                "check_out": future(12).isoformat(),
                "rooms": [{"room_type": room.pk, "adults": 1}, {"room_type": twin.pk, "adults": 1}],
                "guest": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"},
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        ).json()
    with django_capture_on_commit_callbacks(execute=True):
        modify(api, booked["reference"], {"check_out": future(13).isoformat()})
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/v1/bookings/{booked['reference']}/rooms/{booked['rooms'][1]['id']}/cancel/")
    events = [json.loads(data) for _, data in receiver.calls]
    assert [e["type"] for e in events] == ["booking.confirmed", "booking.modified", "booking.modified"]
    assert len({e["id"] for e in events}) == 3
    assert events[1]["booking"]["check_out"] == future(13).isoformat()
    assert events[2]["booking"]["room_count"] == 1 and events[2]["sequence"] > events[1]["sequence"]
