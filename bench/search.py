"""Search: the service against the same SQL through the driver, and the results page under load with gunicorn.

Targets (issue "Performance"): service p95 < 25 ms at 10,000 hotels and within 1.5x of the raw SQL's p95; the
results page >= 150 requests/s with gunicorn -w 2. The page target is judged with the result cache off, every
request a search; the cached figure (the default 30 s cache, 50 searches repeated) is printed beside it.
"""

import os
import random
import statistics
import tempfile
import time
import urllib.request
from datetime import timedelta
from urllib.parse import urlencode

from django.db import connection
from django.utils import timezone

from bench.common import Row, gunicorn, load_rows, load_run, percentile, wrk
from hotels.models import Hotel
from hotels.search import SORTS, hotel_search, hotel_search_sql, known_cities
from hotels.stay import Stay

WARM_UP = 30
PAGE_SIZE = 10  # hotels.views.PAGE_SIZE


def search_mix(count: int, seed: int = 42) -> list[dict]:
    """``count`` city searches from a fixed seed: 1–14 nights over the next 300 days, 1–4 adults, 0–2 children
    aged 0–15, 1–2 rooms (never more rooms than adults), every sort."""
    rng = random.Random(seed)
    cities = [c for c in known_cities() if c != "Benchville"]  # bench/booking.py's hot hotel
    today = timezone.now().date()
    mix = []
    for _ in range(count):
        adults = rng.randint(1, 4)
        children = rng.choice([0, 0, 0, 1, 2])
        check_in = today + timedelta(days=rng.randint(1, 300))
        mix.append(
            {
                "city": rng.choice(cities),
                "check_in": check_in,
                "check_out": check_in + timedelta(days=rng.randint(1, 14)),
                "adults": adults,
                "children": children,
                "children_ages": tuple(rng.randint(0, 15) for _ in range(children)),
                "rooms": rng.randint(1, min(2, adults)),
                "sort": rng.choice(list(SORTS)),
            }
        )
    return mix


def _stay(params) -> Stay:
    return Stay.from_params(params)


def _service(params, prefetch=False):
    """The first page as the results page asks for it (``prefetch`` adds its photos, amenities and taxes)."""
    return hotel_search(
        city=params["city"], stay=_stay(params), sort=params["sort"], limit=PAGE_SIZE, prefetch=prefetch
    )


def _sql(params):
    return hotel_search_sql(city=params["city"], stay=_stay(params), sort=params["sort"], limit=PAGE_SIZE)


def _nights(params) -> int:
    return (params["check_out"] - params["check_in"]).days


def _people(params) -> int:
    return params["adults"] + params["children"]


def _describe(params) -> str:
    return (
        f"{params['city']}, {params['check_in']} for {_nights(params)} nights,"
        f" {params['adults']} adults {params['children']} children {params['rooms']} room(s), sort {params['sort']}"
    )


def _check_same_sql(params):
    """The bench's raw SQL must be exactly what the service sends, or the ratio means nothing."""
    sent = []

    def capture(execute, sql, sql_params, many, context):
        sent.append((sql, sql_params))
        return execute(sql, sql_params, many, context)

    with connection.execute_wrapper(capture):
        _service(params)
    if sent[:1] != [_sql(params)]:
        raise AssertionError("hotel_search() did not send the SQL of hotel_search_sql(); the bench compares both")


def service_vs_sql(runs: int, explain: bool) -> list[Row]:
    mix = search_mix(WARM_UP + runs)
    _check_same_sql(mix[0])
    raw_conn = connection.connection  # the psycopg connection under Django's, same cursor class and binding

    def raw(params):
        sql, sql_params = _sql(params)
        with raw_conn.cursor() as cursor:
            cursor.execute(sql, sql_params)
            return cursor.fetchall()

    for params in mix[:WARM_UP]:
        _service(params)
        raw(params)
    service, driver, page, found = [], [], [], []
    for n, params in enumerate(mix[WARM_UP:]):
        for measure in (("service", "raw") if n % 2 else ("raw", "service")) + ("page",):
            started = time.perf_counter()
            if measure == "service":
                hotels = _service(params)
            elif measure == "raw":
                raw(params)
            else:
                _service(params, prefetch=True)
            elapsed = (time.perf_counter() - started) * 1000
            {"service": service, "raw": driver, "page": page}[measure].append(elapsed)
        found.append(hotels[0].result_count if hotels else 0)

    if explain:
        by_time = sorted(range(runs), key=lambda i: driver[i])
        heaviest = max(range(runs), key=lambda i: (_nights(mix[WARM_UP + i]), -_people(mix[WARM_UP + i])))
        for label, index in (("typical (median time)", by_time[runs // 2]), ("heaviest (most room-nights)", heaviest)):
            params = mix[WARM_UP + index]
            sql, sql_params = _sql(params)
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, sql_params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"\nEXPLAIN (ANALYZE, BUFFERS), {label} search: {_describe(params)}\n{plan}\n", flush=True)

    service_p95, driver_p95 = percentile(service, 95), percentile(driver, 95)
    ratio = service_p95 / driver_p95
    with_results = sum(1 for f in found if f)
    return [
        Row(f"searches that find hotels (median found: {statistics.median(found):.0f})", f"{with_results}/{runs}"),
        Row("search service p50 (ms)", f"{statistics.median(service):.1f}"),
        Row("search service p95 (ms)", f"{service_p95:.1f}", "< 25", service_p95 < 25),
        Row("same SQL via driver p50 (ms)", f"{statistics.median(driver):.1f}"),
        Row("same SQL via driver p95 (ms)", f"{driver_p95:.1f}"),
        Row("service / raw SQL (p95)", f"{ratio:.2f}", "<= 1.5", ratio <= 1.5),
        Row("service + page prefetches p50 / p95 (ms)", f"{statistics.median(page):.1f} / {percentile(page, 95):.1f}"),
        Row("  (service + prefetches) / raw SQL (p95)", f"{percentile(page, 95) / driver_p95:.2f}"),
    ]


def _paths(mix) -> str:
    with tempfile.NamedTemporaryFile("w", prefix="bench-search-", suffix=".txt", delete=False) as paths:
        for params in mix:
            query = {
                "destination": params["city"],
                "check_in": params["check_in"],
                "check_out": params["check_out"],
                "adults": params["adults"],
                "children": params["children"],
                "children_ages": ",".join(map(str, params["children_ages"])),
                "rooms": params["rooms"],
                "sort": params["sort"],
            }
            paths.write("/search/?" + urlencode(query) + "\n")
    return paths.name


def _results_pages(base, url_file) -> int:
    """Fetch every path once (warming the workers) and count those that render a results page; a search
    form sent back with errors is a 200 too, and would be a cheaper page."""
    pages = 0
    with open(url_file) as paths:
        for path in paths.read().split():
            with urllib.request.urlopen(base + path, timeout=30) as response:
                body = response.read().decode()
            pages += response.status == 200 and 'class="results-toolbar"' in body
    return pages


def results_page(seconds: int, searches: int = 300, repeated: int = 50) -> list[Row]:
    rows = []
    runs = [
        (f"no result cache, {searches} different searches", "0", search_mix(searches, seed=7), True),
        (f"30 s result cache, {repeated} searches repeated", "30", search_mix(repeated, seed=7), False),
    ]
    for label, cache_seconds, mix, judged in runs:
        url_file = _paths(mix)
        with gunicorn(workers=2, extra_env={"SEARCH_CACHE_SECONDS": cache_seconds}) as base:
            pages = _results_pages(base, url_file)
            wrk(url_file, base, seconds=min(3, seconds))  # warm-up
            result = load_run(url_file, base, seconds=seconds)
        os.unlink(url_file)
        ok = result["rps"] >= 150 if judged else None
        rows += [
            Row(f"results page req/s, {label}", f"{result['rps']:.0f}", ">= 150" if judged else "", ok),
            *load_rows(result),
            Row("  paths rendering results", f"{pages}/{len(mix)}", "all", pages == len(mix)),
        ]
    rows.append(Row(f"  (gunicorn -w 2, {result['tool']}, {seconds} s each)", ""))
    return rows


def _hotel_paths(mix, seed: int = 11) -> str:
    """One hotel page per search of ``mix``: a hotel of its city, for its stay (as a card's link gives it)."""
    rng = random.Random(seed)
    slugs = {}
    for slug, city in Hotel.objects.filter(is_active=True).values_list("slug", "city"):
        slugs.setdefault(city, []).append(slug)
    with tempfile.NamedTemporaryFile("w", prefix="bench-hotel-", suffix=".txt", delete=False) as paths:
        for params in mix:
            slug = rng.choice(sorted(slugs[params["city"]]))
            paths.write(f"/hotels/{slug}/?{_stay(params).query()}\n")
    return paths.name


def hotel_pages(seconds: int, pages: int = 300, repeated: int = 50) -> list[Row]:
    """The hotel page with a stay (its offers, every rate's price breakdown), computed and from its cache."""
    rows = []
    for label, cache_seconds, mix in (
        (f"computed, {pages} different (hotel, stay)", "0", search_mix(pages, seed=13)),
        (f"30 s page cache, {repeated} pages repeated", "30", search_mix(repeated, seed=13)),
    ):
        url_file = _hotel_paths(mix)
        with gunicorn(workers=2, extra_env={"SEARCH_CACHE_SECONDS": cache_seconds}) as base:
            wrk(url_file, base, seconds=min(3, seconds))  # warm-up
            result = load_run(url_file, base, seconds=seconds)
        os.unlink(url_file)
        rows += [Row(f"hotel page with a stay req/s, {label}", f"{result['rps']:.0f}"), *load_rows(result)]
    return rows


def run(options) -> list[Row]:
    searches, repeated = (20, 10) if options.smoke else (300, 50)
    return (
        service_vs_sql(options.runs, options.explain)
        + results_page(options.seconds, searches, repeated)
        + hotel_pages(options.seconds, searches, repeated)
    )
