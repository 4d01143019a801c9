"""Schemathesis drives every operation of the served OpenAPI schema, in process through the WSGI application, with
valid and invalid inputs: no server error and no response that contradicts the schema (status, content type, body,
headers).

Schemathesis' own pytest loader (``schemathesis.pytest.from_fixture``) does not run under pytest 9 yet, so each
operation's strategy is driven with Hypothesis' ``@given`` here; the examples are bounded and derandomized."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bookings.services import GuestDetails
from hotels.stay import Stay
from partners.models import Partner
from partners.services import partner_booking_create, partner_key_issue
from tests.factories import HotelFactory, RoomTypeFactory, future, open_nights

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
MAX_EXAMPLES = 25


@pytest.fixture
def api_schema(db, settings):
    settings.PARTNER_API_THROTTLE_RATE = "100000/min"
    # Like Django's test client: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # The handler is built here, after the test settings (no HTTPS redirect) are in place.
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def catalogue(db):
    """A hotel with rooms for every generated stay, a partner key, and one of its bookings."""
    room_type = RoomTypeFactory(hotel=HotelFactory(city="Paris"))
    open_nights(room_type, future(1), 60, rooms=500)
    partner = Partner.objects.create(name="Fuzzer")
    key = partner_key_issue(partner=partner)
    booking = partner_booking_create(
        partner=partner,
        room_type=room_type,
        stay=Stay(check_in=future(3), check_out=future(5), adults=2),
        guest=GuestDetails(first_name="Ada", last_name="Lovelace", email="ada@example.com"),
    )
    return {"key": key, "room_type": room_type, "reference": booking.reference, "line": booking.lines.first().pk}


def plausible(case, catalogue):
    """Keep the generated case but make its stay, ids and reference real, so that the success paths (200, 201,
    409 sold out or price changed) are driven too, not only the validation errors."""
    stay = {"check_in": str(future(3)), "check_out": str(future(5)), "adults": 2, "children": 0, "rooms": 1}
    case.headers.pop("Test", None)
    if case.path.endswith("/availability/"):
        case.query = {**(case.query or {}), **stay, "city": "Paris"}
        case.query.pop("hotel", None)
    elif case.path.endswith("/bookings/") and case.method.upper() == "POST" and isinstance(case.body, dict):
        case.body.update(stay, room_type=catalogue["room_type"].pk)
    if "reference" in (case.path_parameters or {}):
        case.path_parameters["reference"] = catalogue["reference"]
    if "line_id" in (case.path_parameters or {}):
        case.path_parameters["line_id"] = catalogue["line"]
    if case.path.endswith("/modify/") or case.path.endswith("/modify/quote/"):
        if isinstance(case.body, dict):  # a change the booking can take: a night later, or a room added
            case.body.update(check_out=str(future(6)))
            for room in case.body.get("rooms") or []:
                if isinstance(room, dict) and "room_type" in room:
                    room["room_type"] = catalogue["room_type"].pk
    if "hotel_id" in (case.path_parameters or {}):
        case.path_parameters["hotel_id"] = catalogue["room_type"].hotel_id
    return case


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["valid", "invalid", "plausible"])
def test_api_honours_its_schema(api_schema, catalogue, mode):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    auth = {"Authorization": f"Api-Key {catalogue['key']}"}
    generation = GenerationMode.NEGATIVE if mode == "invalid" else GenerationMode.POSITIVE
    for operation in operations:
        # Invalid cases may drop or garble the key too (401 is part of the contract); valid ones keep it.
        fixed = {} if mode == "invalid" else {"headers": auth}
        strategy = operation.as_strategy(generation_mode=generation, **fixed)
        if mode == "plausible":
            strategy = strategy.map(lambda case: plausible(case, catalogue))

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            case.call_and_validate(headers=auth, checks=CHECKS)

        call()
