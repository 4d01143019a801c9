"""Reads on a replica (config/db_router.py): the uncached results page of the search section again, with the site
reading its catalogue from a streaming replica of the bench database (``pg_basebackup -R`` of the embedded server,
config/embedded_replica.py). On one machine the replica shares the cores, so the figure to read is where the
PostgreSQL time goes: per page, almost all of it on the replica and next to none on the primary, which is what lets
replicas on other machines multiply search capacity while the primary keeps its cores for bookings.
"""

import os
import time

from django.conf import settings
from django.db import connection

from bench.common import Row, gunicorn, load_rows, load_run, wrk
from bench.search import _paths, _results_pages, search_mix
from config.embedded_replica import streaming_replica


def _caught_up(replica, database: str, timeout: float = 600) -> None:
    """Wait until the replica has replayed everything the primary had written when we asked."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    sql = "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"
    while not replica.query(database, sql, [target])[0][0]:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the replica did not catch up with the primary in {timeout:.0f} s")
        time.sleep(0.2)


def run(options) -> list[Row]:
    db = settings.DATABASES["default"]
    if os.environ.get("DATABASE_URL") or not str(db["HOST"]).startswith("/"):
        return [Row("replica section: skipped, it replicates the embedded server (run without DATABASE_URL)", "-")]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
    searches = 20 if options.smoke else 300
    url_file = _paths(search_mix(searches, seed=7))  # the search section's uncached run
    print("Copying the bench's PostgreSQL into a streaming replica (pg_basebackup)…", flush=True)
    started = time.monotonic()
    try:
        with streaming_replica(primary_socket_dir=str(db["HOST"]), major=major) as replica:
            _caught_up(replica, db["NAME"])
            copied = time.monotonic() - started
            env = {"SEARCH_CACHE_SECONDS": "0", "DATABASE_REPLICA_URLS": replica.url(db["NAME"])}
            with gunicorn(workers=2, extra_env=env) as base:
                pages = _results_pages(base, url_file)
                wrk(url_file, base, seconds=min(3, options.seconds))  # warm-up
                result = load_run(url_file, base, seconds=options.seconds)
    finally:
        os.unlink(url_file)
    on_replica = result["cpu_ms"]["replica"] > result["cpu_ms"]["postgres"]
    return [
        Row(f"results page req/s, reads on a replica, {searches} different searches", f"{result['rps']:.0f}"),
        *load_rows(result),
        Row("  paths rendering results", f"{pages}/{searches}", "all", pages == searches),
        Row(
            "  search reads served by the replica (its CPU above the primary's)",
            "yes" if on_replica else "no",
            "yes",
            on_replica,
            error=not on_replica,
        ),
        Row(f"  (replica made and caught up in {copied:.0f} s; gunicorn -w 2, {result['tool']})", ""),
    ]
