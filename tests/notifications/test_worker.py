"""The outbox's delivery guarantees: its state machine, retries, the sweep, concurrent sends, and real Celery
worker processes on the configured broker (filesystem by default, Redis when CELERY_BROKER_URL says so), including
workers killed with SIGKILL in the middle of a send."""

import email
import email.message
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from bookings.services import GuestDetails, booking_hold
from bookings.workflow import booking_confirm
from config.celery import app
from hotels.stay import Stay
from notifications.models import OutboundEmail
from notifications.services import FAILED_GRACE, MAX_ATTEMPTS, SENDING_GRACE, email_send, emails_retry_failed
from notifications.tasks import send_email
from payments.models import Receipt
from payments.receipts import receipt_issue
from tests.factories import RoomTypeFactory, future, open_nights
from tests.notifications.backends import SlowLocmemBackend
from tests.processes import database_env_for_children

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT = 2  # Redis: seconds before a task a dead worker never acknowledged is delivered again


def confirmed_booking(email_address="ada@example.com"):
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 2)
    booking = booking_hold(
        room_type=rt,
        stay=Stay(check_in=future(10), check_out=future(12), adults=2),
        guest=GuestDetails(first_name="Ada", last_name="Worker", email=email_address),
    )
    return booking_confirm(booking=booking)


def outbox_row(booking, kind="booking_confirmed_hotel", **fields):
    return OutboundEmail.objects.create(
        kind=kind, booking=booking, recipient="x@example.com", subject="s", dedupe_key=uuid.uuid4().hex, **fields
    )


# --- The state machine, in this process -------------------------------------------------------------------------


@pytest.mark.django_db
class TestOutbox:
    def test_queued_then_failed_then_sent(self, settings):
        booking = confirmed_booking()
        mail.outbox.clear()
        email_row = outbox_row(booking)
        assert email_row.status == "queued" and email_row.attempts == 0

        settings.EMAIL_BACKEND = "tests.notifications.backends.BrokenBackend"
        with pytest.raises(ConnectionRefusedError):
            email_send(email_id=email_row.pk)
        email_row.refresh_from_db()
        assert (email_row.status, email_row.attempts, email_row.sent_at) == ("failed", 1, None)
        assert email_row.last_error == "ConnectionRefusedError: SMTP is down" and email_row.last_attempt_at

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert email_send(email_id=email_row.pk) == "sent"
        email_row.refresh_from_db()
        assert (email_row.status, email_row.attempts, email_row.last_error) == ("sent", 2, "")
        assert email_row.sent_at and len(mail.outbox) == 1

    def test_the_send_task_run_twice_sends_once(self):
        booking = confirmed_booking()
        mail.outbox.clear()
        email_row = outbox_row(booking)
        assert send_email.apply(args=[email_row.pk]).get() == "sent"
        assert send_email.apply(args=[email_row.pk]).get() == "skipped"
        assert len(mail.outbox) == 1
        email_row.refresh_from_db()
        assert email_row.attempts == 1

    def test_a_send_left_by_a_dead_worker_is_taken_over(self):
        booking = confirmed_booking()
        mail.outbox.clear()
        email_row = outbox_row(booking, status="sending", attempts=1, last_attempt_at=timezone.now())
        assert email_send(email_id=email_row.pk) == "sent"
        email_row.refresh_from_db()
        assert (email_row.status, email_row.attempts, len(mail.outbox)) == ("sent", 2, 1)

    def test_a_rendering_error_is_recorded_and_retried(self, monkeypatch):
        booking = confirmed_booking()
        email_row = outbox_row(booking)
        monkeypatch.setattr("notifications.services.policy_summary", lambda policy: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            email_send(email_id=email_row.pk)
        email_row.refresh_from_db()
        assert email_row.status == "failed" and email_row.last_error.startswith("ZeroDivisionError")

    def test_retries_with_backoff_then_the_message_stays_failed(self, settings, django_capture_on_commit_callbacks):
        assert (send_email.max_retries, send_email.retry_backoff, send_email.retry_backoff_max) == (6, 30, 3600)
        assert send_email.acks_late and send_email.reject_on_worker_lost
        settings.EMAIL_BACKEND = "tests.notifications.backends.BrokenBackend"
        with django_capture_on_commit_callbacks(execute=True):
            booking = confirmed_booking()
        email_row = OutboundEmail.objects.get(kind="booking_confirmed_guest")
        # eager mode runs the retries at once: the first try and six retries
        assert (email_row.status, email_row.attempts) == ("failed", 1 + 6)
        assert "SMTP is down" in email_row.last_error

        # The sweep leaves it to Celery's own retries for an hour, then gives it the attempts that are left.
        assert emails_retry_failed() == 0
        later = email_row.last_attempt_at + FAILED_GRACE + timedelta(minutes=1)
        assert emails_retry_failed(now=later) == 2  # the hotel's message failed too
        email_row.refresh_from_db()
        assert (email_row.status, email_row.attempts) == ("failed", MAX_ATTEMPTS)
        assert emails_retry_failed(now=later + FAILED_GRACE * 2) == 0
        assert email_send(email_id=email_row.pk) == "gave_up"
        assert not mail.outbox

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        from notifications.services import email_resend  # staff can still send it: a new message

        with django_capture_on_commit_callbacks(execute=True):
            email_resend(booking=booking)
        assert len(mail.outbox) == 1

    def test_a_message_that_keeps_killing_its_worker_stops_at_the_limit(self):
        booking = confirmed_booking()
        mail.outbox.clear()
        email_row = outbox_row(booking, status="sending", attempts=MAX_ATTEMPTS, last_attempt_at=timezone.now())
        assert email_send(email_id=email_row.pk) == "gave_up"
        email_row.refresh_from_db()
        assert email_row.status == "failed" and "worker was lost" in email_row.last_error
        assert not mail.outbox

    def test_the_sweep_requeues_what_no_task_will_deliver(self):
        booking = confirmed_booking()
        mail.outbox.clear()
        now = timezone.now()
        lost = outbox_row(booking)
        OutboundEmail.objects.filter(pk=lost.pk).update(created_at=now - timedelta(minutes=6))
        orphan = outbox_row(booking, status="sending", attempts=1, last_attempt_at=now - SENDING_GRACE * 2)
        outbox_row(booking)  # just queued: its task is on its way
        outbox_row(booking, status="sending", attempts=1, last_attempt_at=now)  # a worker is on it
        outbox_row(booking, status="failed", attempts=2, last_attempt_at=now)  # Celery will retry it
        assert emails_retry_failed(now=now) == 2
        assert set(OutboundEmail.objects.filter(status="sent").values_list("pk", flat=True)) == {lost.pk, orphan.pk}
        assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_message_at_once_send_it_once(settings):
    booking = confirmed_booking()
    mail.outbox.clear()
    email_row = outbox_row(booking)
    settings.EMAIL_BACKEND = "tests.notifications.backends.SlowLocmemBackend"
    SlowLocmemBackend.seconds = 0.5
    results, barrier = [], threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            results.append(email_send(email_id=email_row.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["sent", "skipped"]
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_slow_mail_server_does_not_hold_up_receipts(settings):
    """The guest confirmation issues the receipt; the receipt counter lock must be released before the SMTP
    conversation starts, or every receipt of the site would wait for the slowest mail server."""
    first, second = confirmed_booking("ada@example.com"), confirmed_booking("bob@example.com")
    Receipt.objects.all().delete()  # as if the receipt task had not run yet
    email_row = outbox_row(first, kind="booking_confirmed_guest")
    settings.EMAIL_BACKEND = "tests.notifications.backends.SlowLocmemBackend"
    SlowLocmemBackend.seconds, SlowLocmemBackend.started = 3, threading.Event()

    def send():
        try:
            email_send(email_id=email_row.pk)
        finally:
            connection.close()

    sender = threading.Thread(target=send)
    sender.start()
    try:
        assert SlowLocmemBackend.started.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            receipt = receipt_issue(booking=second)  # would raise "canceling statement due to lock timeout"
    finally:
        sender.join()
    assert receipt.number and Receipt.objects.count() == 2
    email_row.refresh_from_db()
    assert email_row.status == "sent"


# --- Real worker processes ----------------------------------------------------------------------------------------


class Workers:
    """Celery workers started as processes (``celery -A config worker``) on this test's broker, queue and database,
    writing their e-mails as files."""

    def __init__(self, env: dict, queue: str, folder: Path):
        self.env, self.queue, self.folder = env, queue, folder
        self.mail = folder / "mail"
        self.processes: list[subprocess.Popen] = []

    def start(self, *, pool="solo", slow_seconds=0.0) -> subprocess.Popen:
        number = len(self.processes) + 1
        log = open(self.folder / f"worker-{number}.log", "wb")  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", pool, "--concurrency", "1"]
            + ["--queues", self.queue, "--hostname", f"{self.queue}-{number}@%h", "--loglevel", "INFO"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT,
            env={**self.env, "SLOW_EMAIL_SECONDS": str(slow_seconds)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches the pool's children too
        )
        log.close()
        self.processes.append(process)
        return process

    def kill(self, process, sig=signal.SIGKILL):
        if process.poll() is None:
            os.killpg(process.pid, sig)
        process.wait(30)

    def stop_all(self):
        for process in self.processes:
            try:
                self.kill(process, signal.SIGTERM)
            except subprocess.TimeoutExpired:
                self.kill(process)

    def wait_for(self, predicate, seconds=60) -> bool:
        """Poll ``predicate``; give up early if the newest worker exited (it logs why, e.g. an import error)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return True
            if self.processes and self.processes[-1].poll() is not None:
                return False
            time.sleep(0.2)
        return False

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-8000:] for p in sorted(self.folder.glob("worker-*.log")))

    def sent_files(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in self.mail.glob("mail-*.eml")
        ]

    def started_sends(self) -> list[int]:
        """Process ids of the sends begun so far (the slow backend's markers)."""
        return [int(p.name.split("-")[1]) for p in self.mail.glob("started-*")]


def sent_count():
    return OutboundEmail.objects.filter(status="sent").count()


def _reset_broker_connections():
    """Producers of this process pick their connection pool again, for the transport options now in force (kombu
    keeps one pool per set of connection parameters, shared by the whole process: never close it)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def workers(settings, tmp_path):
    """This process publishes for real (not eagerly) to a queue private to the test; the filesystem broker also
    gets private folders. The workers use the test database and write e-mails to files."""
    queue = f"notifications-test-{uuid.uuid4().hex[:8]}"
    (tmp_path / "mail").mkdir()
    env = database_env_for_children(
        EMAIL_BACKEND="tests.notifications.backends.SlowFileBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        CELERY_TASK_ALWAYS_EAGER="0",
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
    )
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        env["CELERY_DATA_DIR"] = str(tmp_path / "celery")
        folders = {"data_folder_in": "queue", "data_folder_out": "queue", "processed_folder": "processed"}
        folders["control_folder"] = "control"
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
            **{key: str(tmp_path / "celery" / sub) for key, sub in folders.items()},
            "store_processed": False,
        }
        for sub in set(folders.values()):
            (tmp_path / "celery" / sub).mkdir(parents=True)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    _reset_broker_connections()
    running = Workers(env, queue, tmp_path)
    try:
        yield running
    finally:
        running.stop_all()
        if not settings.CELERY_BROKER_URL.startswith("filesystem"):
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
        _reset_broker_connections()


def is_redis():
    return app.conf.broker_url.startswith("redis")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_confirmation_emails(workers):
    workers.start()
    booking = confirmed_booking()
    assert workers.wait_for(lambda: sent_count() == 2), workers.logs()
    files = workers.sent_files()
    assert sorted(m["To"] for m in files) == sorted(["ada@example.com", booking.hotel.reservations_email])
    guest = next(m for m in files if m["To"] == "ada@example.com")
    [receipt] = list(guest.iter_attachments())
    assert receipt.get_content_type() == "application/pdf" and receipt.get_content().startswith(b"%PDF")
    assert guest.get_body(("html",)) is not None and booking.reference in guest.get_body(("plain",)).get_content()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_pool_process_killed_mid_send_is_replaced_and_the_message_sent_once(workers):
    """SIGKILL of the pool process running the task: the worker sees it lost (WorkerLostError), rejects the
    message with requeue (reject_on_worker_lost), and a new pool process sends it. Works on every broker."""
    worker = workers.start(pool="prefork", slow_seconds=2)
    confirmed_booking()
    assert workers.wait_for(lambda: workers.started_sends()), workers.logs()
    [child] = workers.started_sends()
    assert child != worker.pid
    os.kill(child, signal.SIGKILL)  # mid-send: the slow server hasn't answered yet

    assert workers.wait_for(lambda: sent_count() == 2), workers.logs()
    assert worker.poll() is None  # the worker itself lived on
    assert len(workers.sent_files()) == 2
    assert sorted(OutboundEmail.objects.values_list("attempts", flat=True)) == [1, 2]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_loses_nothing_and_sends_once(workers):
    """SIGKILL of the whole worker (as when a machine dies). The task was never acknowledged: Redis delivers it
    again after the visibility timeout; kombu's filesystem transport has already deleted it, and the outbox sweep
    (``retry_failed_emails``, every 10 minutes) enqueues it again."""
    first = workers.start(slow_seconds=60)
    confirmed_booking()
    assert workers.wait_for(lambda: workers.started_sends()), workers.logs()
    workers.kill(first)
    assert not workers.sent_files() and sent_count() == 0
    killed = OutboundEmail.objects.get(status="sending")  # claimed and counted, then its worker died
    assert killed.attempts == 1

    if is_redis():
        time.sleep(VISIBILITY_TIMEOUT + 1)  # past the visibility timeout: the next worker restores it
        workers.start()
    else:
        workers.start()
        assert workers.wait_for(lambda: sent_count() == 1), workers.logs()  # the other message was still in the queue
        time.sleep(1)
        assert OutboundEmail.objects.get(pk=killed.pk).status == "sending"  # lost by the broker
        assert emails_retry_failed(now=timezone.now() + SENDING_GRACE + timedelta(minutes=1)) == 1
    assert workers.wait_for(lambda: sent_count() == 2), workers.logs()
    time.sleep(1)  # room for a duplicate delivery, which must find the message sent
    assert len(workers.sent_files()) == 2
    killed.refresh_from_db()
    assert killed.status == "sent" and killed.attempts == 2
