"""Partner API under load: availability searches and booking creation, gunicorn -w 2, wrk with 8 connections."""

import json
import tempfile
from datetime import timedelta
from urllib.parse import urlencode

from bench.booking import _hot_room_type
from bench.common import gunicorn, wrk
from bench.search import search_mix
from partners.models import Partner
from partners.services import partner_key_issue


def run() -> list[tuple[str, str, str]]:
    partner, _ = Partner.objects.get_or_create(name="Bench partner")
    key = partner_key_issue(partner=partner)
    room_type, check_in = _hot_room_type(rooms=30000)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as paths:
        for p in search_mix(60, seed=9):
            paths.write(
                "/api/v1/availability/?"
                + urlencode(
                    {
                        "city": p["city"],
                        "check_in": p["check_in"],
                        "check_out": p["check_out"],
                        "adults": p["adults"],
                        "children": p["children"],
                        "rooms": p["rooms"],
                    }
                )
                + "\n"
            )
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as post_paths:
        post_paths.write("/api/v1/bookings/\n")
    body = json.dumps(
        {
            "room_type": room_type.pk,
            "check_in": str(check_in),
            "check_out": str(check_in + timedelta(days=1)),
            "adults": 1,
            "guest": {"first_name": "Bench", "last_name": "Partner", "email": "bench@example.com"},
        }
    )
    headers = {"Authorization": f"Api-Key {key}"}
    with gunicorn(workers=2, extra_env={"PARTNER_API_THROTTLE_RATE": "1000000/min"}) as base:
        wrk(paths.name, base, seconds=3, headers=headers)
        availability = wrk(paths.name, base, seconds=15, headers=headers)
        booking = wrk(post_paths.name, base, seconds=10, headers=headers, method="POST", body=body)
    room_type.bookings.all().delete()
    return [
        ("API availability req/s", f"{availability['rps']:.0f}", ""),
        ("API availability p50 / p95", f"{availability['p50']} / {availability['p95']}", ""),
        ("API availability non-2xx", str(availability["non2xx"]), "0"),
        ("API booking creation req/s", f"{booking['rps']:.0f}", ""),
        ("API booking creation p50 / p95", f"{booking['p50']} / {booking['p95']}", ""),
        ("API booking creation non-2xx", str(booking["non2xx"]), "0"),
    ]
