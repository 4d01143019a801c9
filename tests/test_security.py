"""Every URL the site serves, for every kind of visitor: the right answer (login redirect, 403 or 404), never
another tenant's data, never a 500, and garbage input answered with a clear error."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from bookings.services import GuestDetails, booking_hold
from bookings.workflow import booking_confirm
from hotels.models import HotelStaff
from hotels.services import staff_member_add
from hotels.stay import Stay
from partners.models import Partner
from partners.services import partner_key_issue
from tests.factories import HotelFactory, RoomTypeFactory, UserFactory, future, open_nights

pytestmark = pytest.mark.django_db


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


@pytest.fixture
def world():
    hotel_a, hotel_b = HotelFactory(name="Alpha"), HotelFactory(name="Beta")
    bookings = {}
    for hotel, email in ((hotel_a, "alice@example.com"), (hotel_b, "bob@example.com")):
        rt = RoomTypeFactory(hotel=hotel)
        open_nights(rt, future(5), 10)
        owner = UserFactory(email=email)
        booking = booking_hold(
            room_type=rt,
            stay=Stay(check_in=future(5), check_out=future(7), adults=1),
            guest=GuestDetails(first_name=email[:5], last_name="X", email=email),
            customer=owner,
        )
        bookings[hotel.name] = booking_confirm(booking=booking)
    staff_b = UserFactory(email="staff-b@example.com")
    staff_member_add(hotel=hotel_b, user=staff_b, role=HotelStaff.Role.MANAGER)
    return {
        "a": hotel_a,
        "b": hotel_b,
        "booking_a": bookings["Alpha"],
        "alice": bookings["Alpha"].customer,
        "staff_b": staff_b,
    }


def concrete(route: str, world) -> str | None:
    """A real URL for a route, with ids of hotel A's objects (the other tenant for the visitors below)."""
    booking = world["booking_a"]
    values = {
        "reference": booking.reference,
        "slug": world["a"].slug,
        "object_id": str(booking.pk),
        "booking_id": str(booking.pk),
        "room_type_id": str(booking.room_type_id),
        "hotel_id": str(world["a"].pk),
        "token": "no-such-draft",
        "uidb64": "MQ",
        "app_label": "bookings",
    }
    route = route.replace("^", "").replace("$", "")
    for name in re.findall(r"<(?:\w+:)?(\w+)>", route):
        if name not in values:
            return None
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)
    if "(?P" in url or "\\" in url:
        return None
    return "/" + url


def visitors(client, world, who):
    if who == "customer":
        client.force_login(UserFactory(email="mallory@example.com"))
    elif who == "staff_other_hotel":
        client.force_login(world["staff_b"])
    return client


@pytest.mark.parametrize("who", ["anonymous", "customer", "staff_other_hotel"])
def test_no_url_leaks_another_tenants_booking_or_fails(client, world, who):
    visitors(client, world, who)
    booking = world["booking_a"]
    checked = 0
    for route, pattern in walk(get_resolver().url_patterns):
        url = concrete(route, world)
        if url is None or "static" in url or "media" in url:
            continue
        response = client.get(url)
        checked += 1
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code == 200 and not url.startswith("/api/v1/schema") and "docs" not in url:
            raw = b"".join(response.streaming_content) if response.streaming else response.content
            body = raw.decode(errors="replace")
            assert "alice@example.com" not in body, url
            assert booking.reference not in body, url
    assert checked > 30


def test_anonymous_is_sent_to_login_for_private_pages(client, world):
    reference = world["booking_a"].reference
    for url in ["/bookings/", f"/bookings/{reference}/", f"/bookings/{reference}/receipt.pdf", "/accounts/profile/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    assert client.get("/admin/bookings/booking/").status_code == 302


def test_customer_and_other_staff_get_404_for_hotel_as_objects(client, world):
    reference = world["booking_a"].reference
    visitors(client, world, "customer")
    for url in [f"/bookings/{reference}/", f"/bookings/{reference}/receipt.pdf", f"/bookings/{reference}/cancel/"]:
        assert client.get(url).status_code == 404
    client.force_login(world["staff_b"])
    assert client.get(f"/admin/bookings/booking/{world['booking_a'].pk}/change/").status_code == 404


def test_another_partners_key_sees_nothing(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=Partner.objects.create(name='Other'))}")
    assert api.get(f"/api/v1/bookings/{world['booking_a'].reference}/").status_code == 404
    assert api.get("/api/v1/bookings/").json()["count"] == 0


GARBAGE = [
    "",
    "x" * 10000,
    "\u202e\u0000é漢字🙂",
    "-1",
    "99999999999999999999",
    "1e309",
    "NaN",
    "<script>",
    "' OR 1=1 --",
]


@pytest.mark.parametrize("value", GARBAGE)
def test_every_form_answers_garbage_with_a_clear_error(client, world, value):
    value = value.replace("\x00", "")
    forms = [
        (
            "get",
            "/search/",
            [
                "destination",
                "check_in",
                "check_out",
                "adults",
                "children",
                "rooms",
                "page",
                "sort",
                "min_price",
                "max_price",
                "stars",
                "amenities",
            ],
        ),
        ("get", f"/hotels/{world['a'].slug}/", ["check_in", "check_out", "adults", "children", "rooms"]),
        ("post", "/accounts/signup/", ["email", "first_name", "last_name", "password1", "password2"]),
        ("post", "/accounts/login/", ["username", "password"]),
        ("post", "/accounts/password-reset/", ["email"]),
        ("post", "/bookings/start/", ["room_type", "check_in", "check_out", "adults", "children", "rooms"]),
        ("get", "/destinations/", ["q"]),
    ]
    for method, url, fields in forms:
        response = getattr(client, method)(url, {field: value for field in fields})
        assert response.status_code < 500, (url, value[:20], response.status_code)


def test_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_health_probes_reveal_nothing(client):
    alive = client.get("/healthz")
    assert alive.status_code == 200 and alive.json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code in (200, 503)
    assert set(ready.json()) == {"status", "checks"} and set(ready.json()["checks"]) == {"database", "broker"}
