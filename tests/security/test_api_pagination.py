"""Finding 14: the API's lists give ``next`` and ``previous`` links (DRF's convention), and the OpenAPI document
describes them."""

from urllib.parse import parse_qs, urlparse

import pytest
from rest_framework.test import APIClient

from partners.models import Partner
from partners.services import partner_key_issue
from tests.factories import HotelFactory, RoomTypeFactory, future, open_nights

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=Partner.objects.create(name='P'))}")
    return client


def query(url):
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_hotel_list_links_its_pages(api, settings):
    settings.SITE_URL = "https://staybook.example"
    for n in range(45):
        HotelFactory(name=f"Hotel {n:02}", city="Paris")
    first = api.get("/api/v1/hotels/", {"city": "Paris"}).json()
    assert first["pages"] == 3 and first["previous"] is None
    assert first["next"].startswith("https://staybook.example/api/v1/hotels/?")
    assert query(first["next"]) == {"city": "Paris", "page": "2"}
    second = api.get(first["next"].removeprefix("https://staybook.example")).json()
    assert query(second["previous"]) == {"city": "Paris"} and query(second["next"])["page"] == "3"
    last = api.get("/api/v1/hotels/", {"city": "Paris", "page": 3}).json()
    assert last["next"] is None and query(last["previous"])["page"] == "2"


def test_availability_and_bookings_have_the_links_too(api):
    rt = RoomTypeFactory(hotel=HotelFactory(city="Paris"))
    open_nights(rt, future(10), 3)
    availability = api.get(
        "/api/v1/availability/",
        {"city": "Paris", "check_in": future(10).isoformat(), "check_out": future(11).isoformat(), "adults": 1},
    ).json()
    assert availability["count"] == 1 and availability["next"] is None and availability["previous"] is None
    bookings = api.get("/api/v1/bookings/").json()
    assert bookings["next"] is None and bookings["previous"] is None


def test_the_schema_describes_the_links(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for name in ["PaginatedHotels", "PaginatedBookings", "Availability"]:
        properties = schema["components"]["schemas"][name]["properties"]
        assert properties["next"]["format"] == "uri" and properties["next"]["nullable"] is True, name
        assert "previous" in properties and "next" in schema["components"]["schemas"][name]["required"]
