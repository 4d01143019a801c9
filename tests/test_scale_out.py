"""Two instances of the site (gunicorn, two workers each) on different ports, one PostgreSQL: partners racing
for the last rooms through both end with exactly as many bookings as rooms."""

import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import requests

from bookings.models import Booking
from hotels.models import NightInventory
from partners.models import Partner
from partners.services import partner_key_issue
from payments.sandbox_bank.testing import free_port
from tests.factories import RoomTypeFactory, future, open_nights
from tests.processes import database_env_for_children

ROOT = Path(__file__).resolve().parents[1]


def start_instance(env, port):
    return subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_instances_sell_the_last_rooms_exactly_once():
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 2, rooms=5)
    key = partner_key_issue(partner=Partner.objects.create(name="Racer"))
    env = database_env_for_children(
        DEBUG="0", ALLOWED_HOSTS="127.0.0.1", PARTNER_API_THROTTLE_RATE="100000/min", CELERY_TASK_ALWAYS_EAGER="1"
    )
    ports = [free_port(), free_port()]
    instances = [start_instance(env, port) for port in ports]
    try:
        for port in ports:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.1)
        body = {
            "room_type": rt.pk,
            "check_in": future(10).isoformat(),
            "check_out": future(12).isoformat(),
            "adults": 1,
            "guest": {"first_name": "R", "last_name": "Acer", "email": "r@example.com"},
        }
        codes, barrier = [], threading.Barrier(30)

        def call(i):
            barrier.wait()
            response = requests.post(
                f"http://127.0.0.1:{ports[i % 2]}/api/v1/bookings/",
                json=body,
                timeout=30,
                headers={"Authorization": f"Api-Key {key}", "Idempotency-Key": uuid.uuid4().hex},
            )
            codes.append(response.status_code)

        threads = [threading.Thread(target=call, args=(i,)) for i in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for process in instances:
            process.terminate()
            process.wait(10)
    assert sorted(codes) == [201] * 5 + [409] * 25, codes
    assert Booking.objects.filter(status="confirmed").count() == 5
    assert set(NightInventory.objects.filter(room_type=rt).values_list("rooms_sold", flat=True)) == {5}
