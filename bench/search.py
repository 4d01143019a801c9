"""Search: the service vs the same SQL through the driver, and the results page under wrk with gunicorn."""

import random
import statistics
import tempfile
import time
from datetime import timedelta
from urllib.parse import urlencode

from django.db import connection
from django.utils import timezone

from bench.common import gunicorn, percentile, wrk
from hotels.selectors import SORTS, Stay, hotel_search, hotel_search_sql, known_cities

RUNS = 300


def search_mix(count: int, seed: int = 42) -> list[dict]:
    rng = random.Random(seed)
    cities = [c for c in known_cities() if c != "Benchville"]
    today = timezone.now().date()
    mix = []
    for _ in range(count):
        adults = rng.randint(1, 4)
        check_in = today + timedelta(days=rng.randint(1, 300))
        mix.append(
            {
                "city": rng.choice(cities),
                "check_in": check_in,
                "check_out": check_in + timedelta(days=rng.randint(1, 14)),
                "adults": adults,
                "children": rng.choice([0, 0, 0, 1, 2]),
                "rooms": rng.randint(1, min(2, adults)),
                "sort": rng.choice(list(SORTS)),
            }
        )
    return mix


def _stay(params):
    return Stay(
        check_in=params["check_in"],
        check_out=params["check_out"],
        adults=params["adults"],
        children=params["children"],
        rooms=params["rooms"],
    )


def _service(params):
    # The page query itself; photos/amenities/taxes are fetched per page by the view (3 small queries).
    return hotel_search(city=params["city"], stay=_stay(params), sort=params["sort"], limit=10, prefetch=False)


def _sql(params):
    return hotel_search_sql(city=params["city"], stay=_stay(params), sort=params["sort"], limit=10)


def run(explain: bool = False) -> list[tuple[str, str, str]]:
    mix = search_mix(RUNS)
    for params in mix[:30]:  # warm caches and plans
        _service(params)
    service, raw = [], []
    raw_conn = connection.connection
    for params in mix:
        started = time.perf_counter()
        _service(params)
        service.append((time.perf_counter() - started) * 1000)
        sql, sql_params = _sql(params)
        with raw_conn.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql, sql_params)
            cursor.fetchall()
            raw.append((time.perf_counter() - started) * 1000)
    if explain:
        sql, sql_params = _sql(mix[0])
        with raw_conn.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, sql_params)
            print("\n".join(row[0] for row in cursor.fetchall()))
    rows = [
        ("search service p50 (ms)", f"{statistics.median(service):.1f}", ""),
        ("search service p95 (ms)", f"{percentile(service, 95):.1f}", "< 25"),
        ("same SQL via driver p50 (ms)", f"{statistics.median(raw):.1f}", ""),
        ("same SQL via driver p95 (ms)", f"{percentile(raw, 95):.1f}", ""),
        ("service / raw SQL (p95)", f"{percentile(service, 95) / percentile(raw, 95):.2f}", "<= 1.5"),
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as paths:
        for params in mix[:60]:
            query = {
                "destination": params["city"],
                "check_in": params["check_in"],
                "check_out": params["check_out"],
                "adults": params["adults"],
                "children": params["children"],
                "rooms": params["rooms"],
                "sort": params["sort"],
            }
            paths.write("/search/?" + urlencode(query) + "\n")
    for label, cache_seconds in (("", "30"), (", no result cache", "0")):
        with gunicorn(workers=2, extra_env={"SEARCH_CACHE_SECONDS": cache_seconds}) as base:
            wrk(paths.name, base, seconds=3)  # warm-up
            result = wrk(paths.name, base, seconds=15)
        rows += [
            (
                f"results page req/s (gunicorn -w 2, wrk -c 8{label})",
                f"{result['rps']:.0f}",
                ">= 150" if not label else "",
            ),
            (f"results page p50 / p95{label}", f"{result['p50']} / {result['p95']}", ""),
            (f"results page non-2xx{label}", str(result["non2xx"]), "0"),
        ]
    return rows
