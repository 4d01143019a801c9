"""Reads on replicas (config/db_router.py): the site under gunicorn with a real streaming replica of the test
database. Searches, hotel pages and partner availability are served by the replica; bookings are written to and
read back from the primary and sold exactly once; stopping the replica only costs the fallback to the primary.

The replica is frozen (WAL replay paused) while a second hotel is added on the primary: a page that does not show
that hotel was read from the replica, one that shows it was read from the primary."""

import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from django.conf import settings
from django.db import connection

from bookings.models import Booking
from config.embedded_replica import streaming_replica
from hotels.models import NightInventory
from partners.models import Partner
from partners.services import partner_key_issue
from payments.sandbox_bank.testing import free_port
from tests.factories import HotelFactory, RoomTypeFactory, TaxFactory, future, open_nights
from tests.processes import database_env_for_children
from tests.replicas import embedded_primary

ROOT = Path(__file__).resolve().parents[1]
CITY = "Replicaville"


def _embedded() -> bool:
    """Whether the test database is on the embedded server, which this test can replicate (same binaries)."""
    return not os.environ.get("DATABASE_URL") and str(settings.DATABASES["default"]["HOST"]).startswith("/")


def _site(env: dict, port: int) -> subprocess.Popen:
    # DEBUG=0 pages need the static files' manifest, which a fresh checkout doesn't have yet
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    process = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)  # noqa: S310
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def _search_path() -> str:
    stay = {"check_in": future(10), "check_out": future(12), "adults": 1, "children": 0, "rooms": 1}
    return "/search/?" + urlencode({"destination": CITY, **stay})


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_searches_read_from_the_replica_bookings_from_the_primary_and_a_lost_replica_costs_only_the_fallback():
    if not _embedded():
        _run_on_an_embedded_server_of_our_own()
        return
    first = RoomTypeFactory(hotel=HotelFactory(city=CITY, name="Hotel Streamed Early"), total_rooms=5)
    open_nights(first, future(10), 2, rooms=5)
    key = partner_key_issue(partner=Partner.objects.create(name="Replica reader"))
    db = settings.DATABASES["default"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000

    with streaming_replica(primary_socket_dir=db["HOST"], major=major) as replica:
        replica.wait_for(db["NAME"], "SELECT 1 FROM hotels_nightinventory WHERE room_type_id = %s", [first.pk])
        env = database_env_for_children(
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1",
            PARTNER_API_THROTTLE_RATE="100000/min",
            CELERY_TASK_ALWAYS_EAGER="1",
            SEARCH_CACHE_SECONDS="0",
            SEARCH_RATE_ANONYMOUS="",  # the clients below are one IP asking many times: no per-IP limit
            CACHE_URL="",  # each worker's own memory cache: nothing shared with other runs
            DATABASE_REPLICA_URLS=replica.url(db["NAME"]),
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        api = {"Authorization": f"Api-Key {key}"}
        site = _site(env, port)
        try:
            replica.pause_replay(db["NAME"])
            later = RoomTypeFactory(hotel=HotelFactory(city=CITY, name="Hotel Added While Frozen"))
            open_nights(later, future(10), 2, rooms=5)
            TaxFactory(hotel=first.hotel, name="Fee Added While Frozen", kind="per_stay", amount="9.00")

            # Served by the replica: the hotel added on the primary since it froze is not there.
            for _ in range(4):  # both workers
                page = requests.get(base + _search_path(), timeout=30)
                assert page.status_code == 200
                assert "Hotel Streamed Early" in page.text
                assert "Hotel Added While Frozen" not in page.text
            assert requests.get(f"{base}/hotels/{later.hotel.slug}/", timeout=30).status_code == 404
            assert requests.get(f"{base}/hotels/{first.hotel.slug}/", timeout=30).status_code == 200
            availability = requests.get(
                f"{base}/api/v1/availability/",
                params={"city": CITY, "check_in": future(10), "check_out": future(12), "adults": 1},
                headers=api,
                timeout=30,
            )
            assert availability.status_code == 200
            assert [r["hotel"]["id"] for r in availability.json()["results"]] == [first.hotel_id]
            # The offers too (their room types, plans, nights and taxes): no fee added on the primary since.
            taxes = {t["name"] for r in availability.json()["results"] for o in r["offers"] for t in o["taxes"]}
            assert "Fee Added While Frozen" not in taxes

            # Bookings go to the primary, are sold exactly once, and are read back from it at once.
            codes, references = _race_for_the_last_rooms(base, api, room_type=first, attempts=12)
            assert sorted(codes) == [201] * 5 + [409] * 7, codes
            assert set(NightInventory.objects.filter(room_type=first).values_list("rooms_sold", flat=True)) == {5}
            assert Booking.objects.filter(room_type=first).count() == 5
            for reference in references:
                assert requests.get(f"{base}/api/v1/bookings/{reference}/", headers=api, timeout=30).status_code == 200
            assert replica.query(db["NAME"], "SELECT count(*) FROM bookings_booking")[0][0] == 0

            # The replica stops while searches run: none fails, and they now read from the primary.
            statuses, later_seen = _search_while(base, lambda: replica.stop())
            assert set(statuses) == {200}, statuses
            assert later_seen, "after the replica stopped, searches should read from the primary"
            assert requests.get(f"{base}/hotels/{later.hotel.slug}/", timeout=30).status_code == 200
        finally:
            site.terminate()
            site.wait(10)


def _race_for_the_last_rooms(base, headers, *, room_type, attempts):
    body = {
        "room_type": room_type.pk,
        "check_in": future(10).isoformat(),
        "check_out": future(12).isoformat(),
        "adults": 1,
        "guest": {"first_name": "R", "last_name": "Eplica", "email": "r@example.com"},
    }
    codes, references, barrier = [], [], threading.Barrier(attempts)

    def book():
        barrier.wait()
        response = requests.post(
            f"{base}/api/v1/bookings/",
            json=body,
            timeout=30,
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        codes.append(response.status_code)
        if response.status_code == 201:
            references.append(response.json()["reference"])

    threads = [threading.Thread(target=book) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return codes, references


def _search_while(base, action, *, seconds: float = 8):
    """Search continuously from two threads; ``action`` runs after the first second. Returns the statuses and
    whether the hotel added while the replica was frozen appeared after the action."""
    statuses, seen, stop_at = [], [], time.monotonic() + seconds
    acted = threading.Event()

    def search():
        while time.monotonic() < stop_at:
            after = acted.is_set()
            response = requests.get(base + _search_path(), timeout=30)
            statuses.append(response.status_code)
            if after:
                seen.append("Hotel Added While Frozen" in response.text)

    threads = [threading.Thread(target=search) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    action()
    acted.set()
    for thread in threads:
        thread.join(60)
    return statuses, bool(seen) and all(seen)


def _run_on_an_embedded_server_of_our_own():
    """The test database is on a server whose binaries we may not have (DATABASE_URL): run this test again in a
    child pytest on an embedded server of its own, which it can replicate."""
    with embedded_primary() as data_dir:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_ADDOPTS")}
        env["EMBEDDED_PG_DIR"] = str(data_dir)
        node = f"{__file__}::{test_searches_read_from_the_replica_bookings_from_the_primary_and_a_lost_replica_costs_only_the_fallback.__name__}"
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "pytest", node, "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
