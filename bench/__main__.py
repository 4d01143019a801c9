"""``make bench``: performance figures printed as a table (recorded by hand in docs/performance.md).

Uses its own database so dev data is never touched: the embedded PostgreSQL's ``staybook_bench`` database, or the
server named by ``DATABASE_URL``. The 10,000-hotel catalogue is built once and reused.
"""

import argparse
import os
import sys
import time


def main():
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", choices=["search", "booking", "api"], action="append")
    parser.add_argument("--hotels", type=int, default=10000)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the search query")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("EMBEDDED_PG_NAME", "staybook_bench")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from hotels.models import Hotel

    call_command("migrate", verbosity=0)
    have = Hotel.objects.count()
    if have < args.hotels:
        started = time.monotonic()
        print(f"Building the catalogue: {args.hotels - have} hotels with a year of nights…", flush=True)
        call_command("seed_demo", hotels=args.hotels - have, no_photos=True, verbosity=0)
        print(f"  built in {time.monotonic() - started:.0f} s", flush=True)

    sections = args.only or ["search", "booking", "api"]
    rows = []
    if "search" in sections:
        from bench import search

        rows += search.run(explain=args.explain)
    if "booking" in sections:
        from bench import booking

        rows += booking.run()
    if "api" in sections:
        from bench import api

        rows += api.run()
    width = max(len(r[0]) for r in rows) + 2
    print()
    print(f"{'measure':<{width}}{'value':>14}   target")
    for name, value, target in rows:
        print(f"{name:<{width}}{value:>14}   {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
