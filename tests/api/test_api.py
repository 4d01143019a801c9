"""The partner API through DRF's APIClient: auth, isolation, idempotency, races, errors, webhooks, schema."""

import hashlib
import hmac
import json
import threading
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from bookings.models import Booking
from hotels.models import NightInventory
from partners.models import Partner, PartnerAPIKey, WebhookDelivery
from partners.services import partner_key_issue
from partners.webhooks import webhook_deliver
from tests.factories import HotelFactory, RoomTypeFactory, TaxFactory, future, open_nights

pytestmark = pytest.mark.django_db


@pytest.fixture
def room():
    rt = RoomTypeFactory(hotel=HotelFactory(name="Hôtel Lumière", city="Paris"))
    TaxFactory(hotel=rt.hotel, amount=Decimal("2.00"))
    open_nights(rt, future(10), 5, price="100.00", rooms=2)
    return rt


def client_for(partner):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=partner)}")
    return client


@pytest.fixture
def partner():
    return Partner.objects.create(name="Agency One")


@pytest.fixture
def api(partner):
    return client_for(partner)


def body(rt, **over):
    data = {
        "room_type": rt.pk,
        "check_in": future(10).isoformat(),
        "check_out": future(12).isoformat(),
        "adults": 2,
        "children": 0,
        "rooms": 1,
        "guest": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com", "phone": "+1 555 0100"},
    }
    data.update(over)
    return data


def book(api, rt, key=None, **over):
    return api.post("/api/v1/bookings/", body(rt, **over), format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def test_missing_bad_and_revoked_keys_are_401(partner, room):
    anonymous = APIClient()
    response = anonymous.get("/api/v1/hotels/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    anonymous.credentials(HTTP_AUTHORIZATION="Api-Key nope.nope")
    assert anonymous.get("/api/v1/hotels/").json()["error"]["code"] == "invalid_api_key"
    api = client_for(partner)
    assert api.get("/api/v1/hotels/").status_code == 200
    PartnerAPIKey.objects.update(revoked=True)
    assert api.get("/api/v1/hotels/").status_code == 401


def test_availability_lists_offers_with_the_exact_total(api, room):
    response = api.get(
        "/api/v1/availability/", {"city": "paris", "check_in": future(10), "check_out": future(12), "adults": 2}
    )
    assert response.status_code == 200, response.json()
    [result] = response.json()["results"]
    [offer] = result["offers"]
    assert result["hotel"]["name"] == "Hôtel Lumière"
    assert offer["total"] == "208.00" and offer["currency"] == "EUR" and offer["rooms_available"] == 2
    assert [n["unit_price"] for n in offer["nights"]] == ["100.00", "100.00"]
    assert "Free cancellation" in offer["cancellation_policy"]["summary"]


def test_booking_is_confirmed_and_replayed_for_the_same_key(api, room):
    key = str(uuid.uuid4())
    first = book(api, room, key=key, expected_total="208.00", partner_reference="AG-1")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert data["status"] == "confirmed" and data["total"] == "208.00" and data["reference"].startswith("HB-")
    again = book(api, room, key=key, expected_total="208.00", partner_reference="AG-1")
    assert again.status_code == 201 and again.json() == data and again["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    reused = book(api, room, key=key, adults=1)
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    assert book(api, room, key=None).status_code == 201  # another key books again
    missing = api.post("/api/v1/bookings/", body(room), format="json")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "idempotency_key_missing"


def test_price_changed_books_nothing(api, room):
    response = book(api, room, expected_total="150.00")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "price_changed" and error["total"] == "208.00"
    assert not Booking.objects.exists()


def test_sold_out(api, room):
    NightInventory.objects.filter(room_type=room, date=future(11)).update(rooms_sold=2)
    response = book(api, room)
    assert response.status_code == 409 and response.json()["error"]["code"] == "sold_out"


def test_partners_are_isolated(api, room):
    reference = book(api, room).json()["reference"]
    other = client_for(Partner.objects.create(name="Agency Two"))
    for response in (other.get(f"/api/v1/bookings/{reference}/"), other.post(f"/api/v1/bookings/{reference}/cancel/")):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert other.get("/api/v1/bookings/").json()["count"] == 0
    assert api.get("/api/v1/bookings/").json()["count"] == 1


def test_partner_limited_to_some_hotels(room):
    elsewhere = RoomTypeFactory(hotel=HotelFactory(city="Paris", name="Not yours"))
    open_nights(elsewhere, future(10), 5)
    limited = Partner.objects.create(name="Limited")
    limited.hotels.set([room.hotel])
    api = client_for(limited)
    names = [h["name"] for h in api.get("/api/v1/hotels/").json()["results"]]
    assert names == ["Hôtel Lumière"]
    assert api.get(f"/api/v1/hotels/{elsewhere.hotel_id}/").status_code == 404
    assert book(api, elsewhere).status_code == 404


def test_cancel_applies_policy_and_twice_is_the_same(api, room):
    reference = book(api, room).json()["reference"]
    first = api.post(f"/api/v1/bookings/{reference}/cancel/")
    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    assert first.json()["cancellation_penalty"] == "0.00"
    second = api.post(f"/api/v1/bookings/{reference}/cancel/")
    assert second.status_code == 200 and second.json() == first.json()
    assert set(NightInventory.objects.filter(room_type=room).values_list("rooms_sold", flat=True)) == {0}


def test_pagination_and_filters(api, room):
    open_nights(room, future(15), 40, rooms=50)
    for _ in range(23):
        assert (
            book(api, room, check_in=future(20).isoformat(), check_out=future(21).isoformat(), adults=1).status_code
            == 201
        )
    page1 = api.get("/api/v1/bookings/").json()
    page2 = api.get("/api/v1/bookings/", {"page": 2}).json()
    assert page1["count"] == 23 and page1["pages"] == 2 and len(page1["results"]) == 20 and len(page2["results"]) == 3
    assert api.get("/api/v1/bookings/", {"status": "cancelled"}).json()["count"] == 0
    assert api.get("/api/v1/bookings/", {"status": "nonsense"}).status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        {"adults": "two"},
        {"adults": 10**30},
        {"check_in": "2026-02-31"},
        {"room_type": -1},
        {"unknown": "x"},
        {"guest": "not an object"},
        {"guest": {"first_name": "é" * 500}},
        {"check_out": "1999-01-01"},
        {"rooms": 0},
        {"room_type": 999999},
    ],
)
def test_garbage_gets_a_clear_error_never_500(api, room, payload):
    response = book(api, room, **payload)
    assert 400 <= response.status_code < 500, response.content
    assert set(response.json()["error"]) >= {"code", "message"}


def test_non_json_oversize_and_unknown_urls(api, room):
    assert (
        api.post(
            "/api/v1/bookings/", "a=b", content_type="application/x-www-form-urlencoded", HTTP_IDEMPOTENCY_KEY="k"
        ).status_code
        == 415
    )
    huge = api.post("/api/v1/bookings/", {"x": "y" * 40000}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"
    broken = api.post("/api/v1/bookings/", "{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k3")
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    missing = api.get("/api/v1/nothing-here/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_unknown_fields_are_rejected(api, room):
    response = book(api, room, surprise=True)
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_field"
    assert "surprise" in response.json()["error"]["fields"]


def test_throttling_per_partner(settings, api, room):
    from django.core.cache import cache

    cache.clear()
    settings.PARTNER_API_THROTTLE_RATE = "3/min"
    statuses = [api.get("/api/v1/hotels/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    last = api.get("/api/v1/hotels/")
    assert int(last["Retry-After"]) > 0 and last.json()["error"]["code"] == "throttled"
    other = client_for(Partner.objects.create(name="Unthrottled"))
    assert other.get("/api/v1/hotels/").status_code == 200


def test_test_header_simulates_without_touching_inventory(room):
    test_partner = Partner.objects.create(name="Sandbox", is_test=True)
    api = client_for(test_partner)
    for outcome, status in (("sold_out", 409), ("price_changed", 409), ("service_unavailable", 503)):
        response = api.post(
            "/api/v1/bookings/", body(room), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), HTTP_TEST=outcome
        )
        assert response.status_code == status and response.json()["error"]["code"] == outcome
    assert not Booking.objects.exists()
    unavailable = api.get(
        "/api/v1/availability/",
        {"city": "Paris", "check_in": future(10), "check_out": future(12), "adults": 2},
        HTTP_TEST="service_unavailable",
    )
    assert unavailable.status_code == 503 and unavailable["Retry-After"]
    real = client_for(Partner.objects.create(name="Real"))
    refused = real.post("/api/v1/bookings/", body(room), format="json", HTTP_IDEMPOTENCY_KEY="x", HTTP_TEST="sold_out")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "test_header_not_allowed"


def test_schema_documents_every_operation(api):
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    create = schema["paths"]["/api/v1/bookings/"]["post"]
    assert {"201", "400", "401", "409", "422", "429"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "ApiKey" in schema["components"]["securitySchemes"]
    assert APIClient().get("/api/v1/docs/").status_code == 200


def test_partner_create_command_prints_only_the_key(capsys, room):
    call_command("partner_create", "--name", "Cmd Agency", "--test", "--hotels", room.hotel.slug)
    key = capsys.readouterr().out.strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get("/api/v1/hotels/").json()["count"] == 1
    call_command("partner_create", "--name", "Cmd Agency")
    assert Partner.objects.filter(name="Cmd Agency").count() == 1 and PartnerAPIKey.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_booking(room):
    partner = Partner.objects.create(name="Racer")
    key = partner_key_issue(partner=partner)
    idem = str(uuid.uuid4())
    results = []
    barrier = threading.Barrier(6)

    def call():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        barrier.wait()
        response = client.post("/api/v1/bookings/", body(room), format="json", HTTP_IDEMPOTENCY_KEY=idem)
        results.append((response.status_code, response.json().get("reference") or response.json()["error"]["code"]))
        connection.close()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Booking.objects.count() == 1
    reference = Booking.objects.get().reference
    assert all(r == (201, reference) or r == (409, "idempotency_key_in_use") for r in results), results
    assert results.count((201, reference)) >= 1


@pytest.mark.django_db(transaction=True)
def test_two_partners_race_for_the_last_room(room):
    NightInventory.objects.filter(room_type=room).update(rooms_for_sale=1)
    keys = [partner_key_issue(partner=Partner.objects.create(name=f"P{i}")) for i in range(4)]
    codes = []
    barrier = threading.Barrier(4)

    def call(key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        barrier.wait()
        codes.append(
            client.post(
                "/api/v1/bookings/", body(room), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
            ).status_code
        )
        connection.close()

    threads = [threading.Thread(target=call, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201, 409, 409, 409]
    assert Booking.objects.count() == 1


class Receiver:
    """A partner's webhook endpoint on a local port: fails the first ``fail`` calls with 500."""

    def __init__(self, fail=0):
        self.calls, self.fail = [], fail
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                data = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((dict(self.headers), data))
                self.send_response(500 if len(outer.calls) <= outer.fail else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_webhook_is_signed_and_sent_on_confirm_and_staff_cancel(django_capture_on_commit_callbacks, partner, room):
    receiver = Receiver()
    partner.webhook_url = receiver.url
    partner.save()
    api = client_for(partner)
    with django_capture_on_commit_callbacks(execute=True):
        reference = book(api, room).json()["reference"]
    from bookings.services import Actor, booking_cancel

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=Booking.objects.get(reference=reference), actor_kind=Actor.STAFF)
    receiver.close()
    assert [json.loads(d)["type"] for _, d in receiver.calls] == ["booking.confirmed", "booking.cancelled"]
    headers, data = receiver.calls[0]
    t, v1 = (part.split("=", 1)[1] for part in headers["Staybook-Signature"].split(","))
    expected = hmac.new(partner.webhook_secret.encode(), f"{t}.".encode() + data, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(v1, expected)
    assert json.loads(data)["booking"]["reference"] == reference
    assert WebhookDelivery.objects.filter(delivered=True).count() == 2


def test_webhook_failures_are_recorded_and_retried(partner, room):
    receiver = Receiver(fail=1)
    partner.webhook_url = receiver.url
    partner.save()
    event = {"id": "evt_test", "type": "booking.confirmed", "created": 1, "booking": {}}
    first = webhook_deliver(partner_id=partner.pk, event=event, attempt=1)
    again = webhook_deliver(partner_id=partner.pk, event=event, attempt=1)
    second = webhook_deliver(partner_id=partner.pk, event=event, attempt=2)
    receiver.close()
    assert not first.delivered and first.response_status == 500 and first.error == "HTTP 500"
    assert again.pk == first.pk and len(receiver.calls) == 2
    assert second.delivered and second.response_status == 200
