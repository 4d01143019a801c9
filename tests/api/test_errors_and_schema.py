"""One error shape for every failure, never a 500 for bad input; the served OpenAPI document and docs page."""

import json
import re

import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from bookings.models import Booking
from tests.api.conftest import book

pytestmark = pytest.mark.django_db

SHAPE = {"code", "message", "fields"}


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    data = response.json()
    assert set(data) == {"error"} and SHAPE <= set(data["error"]), data
    assert re.fullmatch(r"[a-z_]+", data["error"]["code"])
    return data["error"]


@pytest.mark.parametrize(
    "payload",
    [
        {"adults": "two"},
        {"adults": 10**30},
        {"adults": 2.5},
        {"adults": None},
        {"adults": True},
        {"check_in": "2026-02-31"},
        {"check_in": "9999999-01-01"},
        {"check_in": 20260101},
        {"check_out": "1999-01-01"},
        {"room_type": -1},
        {"room_type": 99999999999999999999},
        {"room_type": 999999},
        {"rooms": 0},
        {"guest": "not an object"},
        {"guest": ["list"]},
        {"guest": {"first_name": "é" * 500}},
        {"guest": {"first_name": "A\x00", "last_name": "B", "email": "a@example.com"}},
        {"guest": {"first_name": "🏨", "last_name": "😀", "email": "not an email"}},
        {"expected_total": "-1"},
        {"expected_total": "1e400"},
        {"expected_total": "NaN"},
        {"expected_total": 10**20},
        {"partner_reference": {"nested": True}},
        {"special_requests": "x" * 5000},
    ],
)
def test_garbage_in_the_body_gets_a_clear_4xx(api, room, payload):
    response = book(api, room, **payload)
    assert 400 <= response.status_code < 500, response.content
    error_of(response)
    assert not Booking.objects.exists()


def test_unknown_fields_are_rejected_by_name(api, room):
    error = error_of(
        book(api, room, surprise=True, guest={"first_name": "A", "last_name": "B", "email": "a@b.co", "x": 1})
    )
    assert error["code"] == "unknown_field" and {"surprise"} <= set(error["fields"])


@pytest.mark.parametrize(
    "raw, content_type, status, code",
    [
        ("a=b", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("<xml/>", "text/xml", 415, "unsupported_media_type"),
        ("{not json", "application/json", 400, "invalid_json"),
        ("", "application/json", 400, "validation_error"),
        ("[]", "application/json", 400, "validation_error"),
        ('"a string"', "application/json", 400, "validation_error"),
        ("null", "application/json", 400, "validation_error"),
        ('{"adults": NaN}', "application/json", 400, "invalid_json"),
        ("[" * 10000 + "]" * 10000, "application/json", 400, "invalid_json"),
        (b"\xff\xfe{}", "application/json", 400, "invalid_json"),
        (json.dumps({"x": "y" * 40000}), "application/json", 413, "payload_too_large"),
    ],
)
def test_bodies_that_are_not_json_objects(api, raw, content_type, status, code):
    response = api.generic("POST", "/api/v1/bookings/", raw, content_type=content_type, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == status and error_of(response)["code"] == code


def test_a_lying_content_length_is_not_a_server_error(api, room):
    response = api.generic(
        "POST",
        "/api/v1/bookings/",
        "{}",
        content_type="application/json",
        CONTENT_LENGTH="abc",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert 400 <= response.status_code < 500
    error_of(response)


@pytest.mark.parametrize(
    "query",
    [
        {"city": "Paris\x00", "check_in": "2030-01-01", "check_out": "2030-01-02", "adults": 1},
        {"city": "🏨" * 200, "check_in": "2030-01-01", "check_out": "2030-01-02", "adults": 1},
        {"hotel": "1; DROP TABLE", "check_in": "2030-01-01", "check_out": "2030-01-02", "adults": 1},
        {"hotel": 10**40, "check_in": "2030-01-01", "check_out": "2030-01-02", "adults": 1},
        {"city": "Paris", "check_in": "2030-13-01", "check_out": "2030-01-02", "adults": 1},
        {"city": "Paris", "check_in": "2030-01-01", "check_out": "2030-01-02", "adults": -5},
        {"city": "Paris", "check_in": "2030-01-01", "check_out": "2030-01-02", "adults": 1, "page": 10**9},
        {"city": "Paris", "check_in": "2030-01-01", "check_out": "2031-06-02", "adults": 1},
        {"city": "Paris", "check_in": "2030-01-01", "check_out": "2030-01-02", "adults": 1, "sneaky": "1"},
    ],
)
def test_garbage_in_the_query_gets_a_clear_400(api, query):
    response = api.get("/api/v1/availability/", query)
    assert response.status_code == 400, response.content
    error_of(response)


def test_garbage_in_other_queries_and_paths(api):
    for url in (
        "/api/v1/hotels/?city=%00",
        "/api/v1/hotels/?country=" + "x" * 500,
        "/api/v1/hotels/?page=-1",
        "/api/v1/bookings/?check_in_from=%00",
        "/api/v1/bookings/?created_from=yesterday",
    ):
        assert api.get(url).status_code == 400, url
        error_of(api.get(url))
    for url in ("/api/v1/hotels/99999999999999999999/", "/api/v1/bookings/%00/", "/api/v1/bookings/%F0%9F%8F%A8/"):
        response = api.get(url)
        assert response.status_code == 404, url
        error_of(response)


def test_unknown_urls_and_methods_answer_in_the_same_shape(api):
    assert error_of(api.get("/api/v1/nothing-here/"))["code"] == "not_found"
    assert error_of(APIClient().get("/api/v2/"))["code"] == "not_found"
    response = api.delete("/api/v1/bookings/")
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"
    response = api.get("/api/v1/hotels/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406 and response.json()["error"]["code"] == "not_acceptable"


def test_an_unhandled_error_is_a_500_in_the_same_shape(api, monkeypatch):
    from partners.api import views

    def broken(partner):
        raise RuntimeError("bug")

    monkeypatch.setattr(views, "partner_hotels", broken)
    api.raise_request_exception = False
    response = api.get("/api/v1/hotels/")
    assert response.status_code == 500 and error_of(response)["code"] == "server_error"
    assert "bug" not in response.content.decode()


def test_the_site_keeps_its_own_404_page_outside_the_api(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


# --- OpenAPI -------------------------------------------------------------------------------------------------------


@pytest.fixture
def schema():
    response = APIClient().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    document = json.loads(response.content)
    validate_schema(document)  # drf-spectacular's OpenAPI 3.0 JSON schema: raises if the document is invalid
    return document


def test_schema_is_valid_openapi_documenting_every_error(schema):
    assert schema["openapi"].startswith("3.")
    operations = {(m, p): op for p, ops in schema["paths"].items() for m, op in ops.items()}
    assert set(operations) == {
        ("get", "/api/v1/hotels/"),
        ("get", "/api/v1/hotels/{hotel_id}/"),
        ("get", "/api/v1/availability/"),
        ("get", "/api/v1/bookings/"),
        ("post", "/api/v1/bookings/"),
        ("get", "/api/v1/bookings/{reference}/"),
        ("post", "/api/v1/bookings/{reference}/cancel/"),
        ("post", "/api/v1/bookings/{reference}/modify/"),
        ("post", "/api/v1/bookings/{reference}/modify/quote/"),
        ("post", "/api/v1/bookings/{reference}/rooms/{line_id}/cancel/"),
    }
    for operation in operations.values():
        assert operation["security"] == [{"ApiKey": []}]
        assert {"401", "429"} <= set(operation["responses"])
        assert "Retry-After" in operation["responses"]["429"]["headers"]
        for status, response in operation["responses"].items():
            ref = response["content"]["application/json"]["schema"]["$ref"]
            assert (ref == "#/components/schemas/Error") == (int(status) >= 400)
    create = operations[("post", "/api/v1/bookings/")]
    assert {"201", "400", "401", "404", "409", "413", "415", "422", "429", "503"} == set(create["responses"])
    headers = {p["name"]: p for p in create["parameters"] if p["in"] == "header"}
    assert headers["Idempotency-Key"]["required"] and headers["Test"]["schema"]["enum"]
    assert "Idempotent-Replayed" in create["responses"]["201"]["headers"]
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schema["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    request = schema["components"]["schemas"]["BookingCreateRequest"]
    assert request["additionalProperties"] is False and "guest" in request["required"]
    rooms = schema["components"]["schemas"]["BookingRoomsCreateRequest"]
    assert rooms["additionalProperties"] is False and {"rooms", "guest"} <= set(rooms["required"])
    modify = operations[("post", "/api/v1/bookings/{reference}/modify/")]
    assert {"200", "400", "401", "404", "409", "422", "429"} <= set(modify["responses"])
    assert "price_difference" in schema["components"]["schemas"]["BookingChanged"]["properties"]
    assert {p["name"] for p in modify["parameters"] if p["in"] == "header"} >= {"Idempotency-Key"}


def test_docs_page_works_offline_without_inline_scripts():
    response = APIClient().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)  # local files only
    assert "//cdn" not in html and "https://" not in html
    script_url = re.findall(r'src="(/api/v1/docs/[^"]+)"', html)[0]
    script = APIClient().get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200 and "javascript" in script["Content-Type"] and b"/api/v1/schema/" in script.content
