"""``make bench`` (``python -m bench``): performance figures printed as a table, recorded in docs/performance.md.

The bench has its own database, so dev data is never touched: the embedded PostgreSQL's ``staybook_bench``, or,
when ``DATABASE_URL`` is set, that server with ``_bench`` appended to the database name unless the name already
says "bench" (``DATABASE_URL=postgres://postgres@127.0.0.1:5432/staybook_bench make bench``). The catalogue of
``--hotels`` hotels is built once (``seed_demo --no-photos``) and reused while it is big enough.

Sections run in the order of ``SECTIONS``; ``--only NAME`` (repeatable) picks some. A section is a module whose
``run(options)`` (or ``run()``) returns rows (see bench/common.py). Missed targets are printed as "TARGET MISSED"
lines; the exit status is non-zero when a section fails with an error or a row is an error (a load run answered
non-2xx, a room was oversold), never for a missed target.

``--smoke`` (CI, ``.ci/run``) runs every section briefly on a small catalogue in its own database (``…_smoke``;
on the embedded server, in a server of its own under var/postgres-bench-smoke, so the replica section copies it
in seconds): it proves the bench works, in under two minutes; its figures are not judged against targets.
"""

import argparse
import importlib
import inspect
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SECTIONS = [
    ("search", "bench.search", "hotel search: service vs raw SQL, results page under load"),
    ("booking", "bench.booking", "holds under contention (one type, several rooms of two types), receipt PDFs"),
    ("api", "bench.api", "partner API under load"),
    ("suppliers", "bench.suppliers", "results pages with a healthy and a never-answering partner supplier"),
    ("replicas", "bench.replicas", "results page with the catalogue read from a streaming replica"),
]
ROOT = Path(__file__).resolve().parent.parent


def _bench_name(name: str, smoke: bool = False) -> str:
    name = name if "bench" in name else f"{name}_bench"
    return f"{name}_smoke" if smoke and not name.endswith("_smoke") else name


def _use_bench_database(smoke: bool) -> str:
    """Point Django at the bench database before settings load; returns a description for the header."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        if smoke:  # a server of its own: small, so the replica section copies it in seconds
            os.environ.setdefault("EMBEDDED_PG_DIR", str(ROOT / "var" / "postgres-bench-smoke"))
        os.environ["EMBEDDED_PG_NAME"] = _bench_name(os.environ.get("EMBEDDED_PG_NAME", "staybook_bench"), smoke)
        where = os.environ.get("EMBEDDED_PG_DIR") or "var/postgres"
        return f"embedded PostgreSQL in {where}, database {os.environ['EMBEDDED_PG_NAME']}"
    parts = urlsplit(url)
    name = _bench_name(parts.path.lstrip("/") or "staybook", smoke)
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    _create_database(parts, name)
    return f"{parts.hostname}:{parts.port or 5432}, database {name}"


def _create_database(parts, name: str) -> None:
    import psycopg
    from psycopg import sql

    maintenance = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    try:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:  # no maintenance database: Django says so if the bench's is missing
        print(f"Could not check for database {name} ({error}); using it as it is.", file=sys.stderr)


def _use_bench_broker() -> str | None:
    """With the filesystem broker (no ``CELERY_BROKER_URL``), give the bench its own folders, removed at the end,
    so the tasks its bookings enqueue (nobody runs them) do not pile up in var/celery; returns that folder."""
    if os.environ.get("CELERY_BROKER_URL"):
        return None
    folder = tempfile.mkdtemp(prefix="bench-celery-")
    for name in ("queue", "processed", "control"):
        os.mkdir(os.path.join(folder, name))
    os.environ["CELERY_DATA_DIR"] = folder
    return folder


def _catalogue(hotels: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from hotels.models import Hotel

    call_command("migrate", verbosity=0)
    have = Hotel.objects.count()
    if have < hotels:
        print(f"Building the catalogue: {hotels - have} hotels with a year of nights (COPY)…", flush=True)
        started = time.monotonic()
        call_command("seed_demo", hotels=hotels - have, no_photos=True, verbosity=0)
        print(f"  built in {time.monotonic() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(n), count(*), min(n), percentile_disc(0.5) WITHIN GROUP (ORDER BY n), max(n)"
            " FROM (SELECT count(*) AS n FROM hotels_hotel WHERE is_active GROUP BY city) AS per_city"
        )
        count, cities, low, median, high = cursor.fetchone()
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'hotels_nightinventory'")
        (nights,) = cursor.fetchone()
        cursor.execute("SELECT max(date) FROM hotels_nightinventory")
        (last_night,) = cursor.fetchone()
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    print(
        f"Catalogue: {count} active hotels in {cities} cities ({low}/{median}/{high} hotels per city min/median/max),"
        f" ~{nights:,} room-nights up to {last_night}; PostgreSQL {version}"
    )


def main(argv=None) -> int:
    names = [name for name, _, _ in SECTIONS]
    parser = argparse.ArgumentParser(
        prog="python -m bench", epilog="sections: " + "; ".join(f"{n}: {d}" for n, _, d in SECTIONS)
    )
    parser.add_argument("--only", choices=names, action="append", help="run only this section (repeatable)")
    parser.add_argument("--hotels", type=int, help="catalogue size to build or reuse (10000; smoke: 200)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the search")
    parser.add_argument("--runs", type=int, help="searches timed by the search section (300; smoke: 20)")
    parser.add_argument("--seconds", type=int, help="duration of each HTTP load run (15; smoke: 2)")
    parser.add_argument(
        "--smoke", action="store_true", help="every section, briefly, on a small catalogue; targets not judged (CI)"
    )
    options = parser.parse_args(argv)
    for name, full, smoke in (("hotels", 10000, 200), ("runs", 300, 20), ("seconds", 15, 2)):
        if getattr(options, name) is None:
            setattr(options, name, smoke if options.smoke else full)

    import environ

    environ.Env.read_env(ROOT / ".env", overwrite=False)  # as settings will, so a DATABASE_URL there is seen here
    database = _use_bench_database(options.smoke)
    broker_folder = _use_bench_broker()
    try:
        return _run(options, database)
    finally:
        if broker_folder:
            shutil.rmtree(broker_folder, ignore_errors=True)


def _run(options, database: str) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    print(f"Bench database: {database}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    _catalogue(options.hotels)

    from bench.common import Row

    rows, failed = [], []
    for name, module_name, _ in SECTIONS:
        if options.only and name not in options.only:
            continue
        print(f"\n== {name} ==", flush=True)
        started = time.monotonic()
        try:
            run = importlib.import_module(module_name).run
            result = run(options) if inspect.signature(run).parameters else run()
            rows += [Row(*row) for row in result]
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"   ({name}: {time.monotonic() - started:.0f} s)", flush=True)

    if rows:
        width = max(len(r.measure) for r in rows) + 2
        value_width = max(14, *(len(r.value) + 2 for r in rows))
        print(f"\n{'measure':<{width}}{'value':>{value_width}}   target")
        for row in rows:
            print(f"{row.measure:<{width}}{row.value:>{value_width}}   {row.target}")
        print(f"(load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    if options.smoke:
        print("(smoke run: a small catalogue and short runs; targets are judged only by the full bench)")
    else:
        for row in rows:
            if row.ok is False:
                print(f"TARGET MISSED: {row.measure.strip()} = {row.value} (target {row.target})")
    errors = [row for row in rows if row.error]
    for row in errors:
        print(f"ERROR: {row.measure.strip()} = {row.value} (must be {row.target})")
    for name in failed:
        print(f"ERROR: section {name} failed (traceback above)")
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
