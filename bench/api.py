"""Partner API under load: availability searches and booking creation (one hot night, rooms to spare, so every\nPOST should make a booking), gunicorn -w 2, wrk (or the Python load tool) with 8 connections."""

import json
import os
import tempfile
from datetime import timedelta
from urllib.parse import urlencode

from bench.booking import _hot_room_type
from bench.common import Row, gunicorn, load_rows, load_run, wrk
from bench.search import search_mix
from partners.models import Partner
from partners.services import partner_key_issue


def run(options) -> list[Row]:
    partner, _ = Partner.objects.get_or_create(name="Bench partner")
    key = partner_key_issue(partner=partner)
    room_type, check_in = _hot_room_type(rooms=30000)
    paths = _availability_paths(count=20 if options.smoke else 60)
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
    seconds = options.seconds
    try:
        # Every answer computed (the availability cache off), then the default 30 s cache with the same questions.
        computed_env = {"PARTNER_API_THROTTLE_RATE": "1000000/min", "PARTNER_AVAILABILITY_CACHE_SECONDS": "0"}
        with gunicorn(workers=2, extra_env=computed_env) as base:
            wrk(paths, base, seconds=min(3, seconds), headers=headers)
            computed = load_run(paths, base, seconds=seconds, headers=headers)
        with gunicorn(workers=2, extra_env={"PARTNER_API_THROTTLE_RATE": "1000000/min"}) as base:
            wrk(paths, base, seconds=min(3, seconds), headers=headers)
            availability = load_run(paths, base, seconds=seconds, headers=headers)
            booking = load_run(post_paths.name, base, seconds=seconds, headers=headers, method="POST", body=body)
        made = room_type.bookings.count()
    finally:
        os.unlink(paths)
        os.unlink(post_paths.name)
        room_type.bookings.all().delete()
    answered = booking["requests"] - booking["non2xx"]
    return [
        Row("API availability req/s, computed (no cache)", f"{computed['rps']:.0f}", ">= 150", computed["rps"] >= 150),
        *load_rows(computed),
        Row("API availability req/s, 30 s cache, same questions", f"{availability['rps']:.0f}"),
        *load_rows(availability),
        Row("API booking creation req/s", f"{booking['rps']:.0f}", ">= 300", booking["rps"] >= 300),
        *load_rows(booking, served="bookings/s"),
        Row(  # wrk does not count the requests still in flight when it stops
            "  bookings in the database / 2xx answers",
            f"{made} / {answered}",
            "equal (wrk: up to 8 more)",
            answered <= made <= answered + 8,
        ),
        Row(f"  (gunicorn -w 2, {booking['tool']}, {seconds} s each)", ""),
    ]


def _availability_paths(count: int) -> str:
    with tempfile.NamedTemporaryFile("w", prefix="bench-api-", suffix=".txt", delete=False) as paths:
        for p in search_mix(count, seed=9):
            query = {k: p[k] for k in ("city", "check_in", "check_out", "adults", "children", "rooms")}
            paths.write("/api/v1/availability/?" + urlencode(query) + "\n")
    return paths.name
