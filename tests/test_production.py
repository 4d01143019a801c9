"""Production behaviour: structured request logs without secrets, rate limits on forms that cost money or send
e-mail, production settings."""

import json
import logging

import pytest
from django.urls import reverse

from config.logs import JsonFormatter
from tests.factories import RoomTypeFactory, UserFactory, future, open_nights

pytestmark = pytest.mark.django_db


def test_one_json_line_per_request_with_the_booking_reference_and_no_secrets(client, caplog):
    caplog.set_level(logging.INFO, logger="staybook.request")
    client.get("/bookings/HB-ABCDEF/?session_id=cs_secret&token=t0ps3cret", HTTP_AUTHORIZATION="Api-Key abc.def")
    [record] = [r for r in caplog.records if r.name == "staybook.request"]
    line = json.loads(JsonFormatter().format(record))
    assert line["booking"] == "HB-ABCDEF" and line["status"] == 302 and line["method"] == "GET"
    assert (
        "cs_secret" not in json.dumps(line)
        and "t0ps3cret" not in json.dumps(line)
        and "abc.def" not in json.dumps(line)
    )


def test_card_numbers_and_passwords_never_reach_the_request_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post(reverse("accounts:login"), {"username": "a@example.com", "password": "hunter2-secret"})
    assert "hunter2-secret" not in caplog.text


def test_sign_up_is_rate_limited_per_ip(client, settings):
    from django.core.cache import cache

    cache.clear()
    codes = []
    for i in range(12):
        codes.append(
            client.post(
                reverse("accounts:signup"),
                {
                    "email": f"u{i}@example.com",
                    "first_name": "A",
                    "last_name": "B",
                    "password1": "engine 1843 notes",
                    "password2": "engine 1843 notes",
                },
            ).status_code
        )
        client.logout()
    assert codes[:10] == [302] * 10 and codes[10:] == [429, 429]


def test_booking_start_is_rate_limited_per_account(client):
    from django.core.cache import cache

    cache.clear()
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 2)
    client.force_login(UserFactory())
    data = {"room_type": rt.pk, "check_in": future(10), "check_out": future(12), "adults": 2, "children": 0, "rooms": 1}
    codes = [client.post(reverse("bookings:start"), data).status_code for _ in range(32)]
    assert codes.count(302) == 30 and codes[-1] == 429


def test_password_reset_is_rate_limited_per_address(client):
    from django.core.cache import cache

    cache.clear()
    codes = [
        client.post(reverse("accounts:password_reset"), {"email": "victim@example.com"}).status_code for _ in range(5)
    ]
    assert codes[:3] == [302] * 3 and codes[3:] == [429, 429]


def test_production_settings_are_secure_by_default():
    from django.conf import settings

    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert "'self'" in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"]
    assert "'unsafe-inline'" not in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"]
