"""Results pages with suppliers (issue 8): no supplier, one healthy sandbox supplier, one that never
answers. One client asks for the pages one after another, so each latency is one page's own time (with several
clients on two sync workers, a waiting page would also queue the next ones, which is not what the budget is
about). Result and supplier caches are off and the circuit breaker never opens, so every page asks the supplier:
the worst case the budget has to bound."""

import os
import statistics
import time
import urllib.request

from django.conf import settings

from bench.common import Row, Server, cpu_used, gunicorn, percentile, server_cpu
from bench.search import _paths, search_mix

MARGIN_MS = 250  # what a page may take beyond the budget: our own search and rendering


def _timed_pages(base: Server, paths: list[str]) -> tuple[list[float], int, dict[str, float]]:
    """Latencies, pages showing supplier hotels, and the server's CPU milliseconds per page."""
    for path in paths[:5]:  # warm the workers
        urllib.request.urlopen(base + path, timeout=30).read()
    before = server_cpu(base)
    times, supplier_pages = [], 0
    for path in paths:
        started = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=30) as response:
            body = response.read().decode()
        times.append((time.perf_counter() - started) * 1000)
        supplier_pages += "from suppliers" in body
    return times, supplier_pages, {k: v * 1000 / len(paths) for k, v in cpu_used(before, server_cpu(base)).items()}


def run(options) -> list[Row]:
    from suppliers.models import Supplier
    from suppliers.sandbox_supplier import API_KEY, run_sandbox_supplier

    budget = settings.SUPPLIER_BUDGET_MS
    count = 4 if options.smoke else 60
    url_file = _paths(
        [p for p in search_mix(1500, seed=11) if p["city"] in ("Paris", "London", "Berlin", "Rome")][:count]
    )
    with open(url_file) as f:
        paths = f.read().split()
    os.unlink(url_file)
    rows = []
    for label, mode in (
        ("no supplier", None),
        ("one healthy supplier", "ok"),
        ("one supplier that never answers", "hang"),
    ):
        Supplier.objects.filter(name="Bench supplier").delete()
        server = None
        if mode:
            server = run_sandbox_supplier(mode=mode)
            Supplier.objects.create(name="Bench supplier", base_url=server.url, api_key=API_KEY, timeout_ms=2000)
        env = {"SEARCH_CACHE_SECONDS": "0", "SUPPLIER_CACHE_SECONDS": "0", "SUPPLIER_BREAKER_FAILURES": "1000000"}
        try:
            with gunicorn(workers=2, extra_env=env) as base:
                times, supplier_pages, cpu = _timed_pages(base, paths)
        finally:
            if server:
                server.shutdown()
            Supplier.objects.filter(name="Bench supplier").delete()
        p95 = percentile(times, 95)
        target, ok = "", None
        if mode == "hang":
            target, ok = f"<= {budget + MARGIN_MS} (budget {budget} + {MARGIN_MS})", p95 <= budget + MARGIN_MS
        rows.append(
            Row(f"results page p50 / p95 (ms), {label}", f"{statistics.median(times):.0f} / {p95:.0f}", target, ok)
        )
        rows.append(Row("  pages showing supplier hotels", f"{supplier_pages}/{len(paths)}"))
        rows.append(Row("  CPU ms per page: workers / postgres", f"{cpu['worker']:.1f} / {cpu['postgres']:.1f}"))
    rows.append(Row(f"  ({len(paths)} searches in Paris, London, Berlin, Rome, one client, gunicorn -w 2)", ""))
    return rows
