"""A real Celery worker process on the configured broker (filesystem by default, Redis in CI's second run)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from bookings.services import GuestDetails, booking_confirm, booking_hold
from config.celery import app
from hotels.selectors import Stay
from notifications.models import OutboundEmail
from notifications.services import emails_retry_failed
from tests.factories import RoomTypeFactory, future, open_nights

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(tmp_path):
    """Point this process and the workers at the same broker; filesystem folders are private to the test."""
    env = {
        **os.environ,
        "EMAIL_BACKEND": "tests.notifications.backends.SlowFileBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "LOG_LEVEL": "WARNING",
        "SECURE_SSL_REDIRECT": "0",
    }
    (tmp_path / "mail").mkdir()
    db = settings.DATABASES["default"]
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["EMBEDDED_PG_NAME"] = db["NAME"]
    previous = dict(app.conf.broker_transport_options or {})
    if app.conf.broker_url.startswith("filesystem"):
        env["CELERY_DATA_DIR"] = str(tmp_path / "celery")
        options = {
            key: str(tmp_path / "celery" / sub)
            for key, sub in (
                ("data_folder_in", "queue"),
                ("data_folder_out", "queue"),
                ("processed_folder", "processed"),
                ("control_folder", "control"),
            )
        }
        for folder in set(options.values()):
            Path(folder).mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {**options, "store_processed": False}
    app.conf.task_always_eager = False
    reset_connections()
    yield env, tmp_path / "mail"
    app.conf.task_always_eager = True
    app.conf.broker_transport_options = previous
    reset_connections()


def reset_connections():
    """Make the app pick its broker connections again, for the current transport options."""
    app._pool = None
    app.amqp._producer_pool = None


def start_worker(env):
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(predicate, seconds=45):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def confirmed_booking():
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 2)
    booking = booking_hold(
        room_type=rt,
        stay=Stay(check_in=future(10), check_out=future(12), adults=2),
        guest=GuestDetails(first_name="Ada", last_name="Worker", email="ada@example.com"),
    )
    return booking_confirm(booking=booking)


def test_a_real_worker_sends_the_confirmation_emails(broker):
    env, mail = broker
    env["SLOW_EMAIL_SECONDS"] = "0"
    worker = start_worker(env)
    try:
        confirmed_booking()
        assert wait_for(lambda: OutboundEmail.objects.filter(status="sent").count() == 2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    assert len(list(mail.glob("mail-*.eml"))) == 2


def test_a_worker_killed_mid_send_loses_nothing_and_sends_once(broker):
    env, mail = broker
    env["SLOW_EMAIL_SECONDS"] = "4"
    worker = start_worker(env)
    try:
        confirmed_booking()
        assert wait_for(lambda: any(mail.glob("started-*")))
        os.killpg(worker.pid, signal.SIGKILL)  # mid-send: the first message is being written
        worker.wait(10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert not any(mail.glob("mail-*.eml"))
    assert OutboundEmail.objects.filter(status="sent").count() == 0
    env["SLOW_EMAIL_SECONDS"] = "0"
    worker = start_worker(env)
    try:
        time.sleep(3)  # Redis: past the visibility timeout, the unacknowledged task is delivered again
        emails_retry_failed(stale_after=__import__("datetime").timedelta(0))  # the outbox sweep (beat, every 10 min)
        assert wait_for(lambda: OutboundEmail.objects.filter(status="sent").count() == 2)
        time.sleep(2)  # let any duplicate delivery run: it must be skipped
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    assert len(list(mail.glob("mail-*.eml"))) == 2
    assert sorted(OutboundEmail.objects.values_list("attempts", flat=True)) in ([1, 1], [1, 2], [2, 2])
