"""Finding 13: every error under /api/ has the API's error shape, whatever DEBUG says (``make run`` runs with it)."""

import pytest
from rest_framework.test import APIClient

from partners.models import Partner
from partners.services import partner_key_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def api(request, settings):
    settings.DEBUG = request.param
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=Partner.objects.create(name='Dev'))}")
    return client


def assert_error_shape(response, status: int, code: str):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["fields"] == {}


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/hotels/abc/", "/api/", "/api/v2/hotels/"])
def test_an_unknown_api_path_answers_the_error_shape(api, path):
    assert_error_shape(api.get(path), 404, "not_found")


def test_a_missing_slash_names_the_endpoint_instead_of_redirecting_or_failing(api):
    response = api.post("/api/v1/bookings", {}, format="json")
    assert_error_shape(response, 404, "not_found")
    assert "/api/v1/bookings/" in response.json()["error"]["message"]
    assert_error_shape(api.get("/api/v1/hotels"), 404, "not_found")


def test_a_bad_host_under_the_api_answers_the_error_shape(api):
    assert_error_shape(api.get("/api/v1/hotels/", HTTP_HOST="evil.example"), 400, "bad_request")


def test_pages_outside_the_api_keep_the_sites_html(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
