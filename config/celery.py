import logging
import os
import time

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("staybook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

task_logger = logging.getLogger("staybook.task")
logger = logging.getLogger("staybook.celery")


def enqueue_on_commit(task, *args) -> None:
    """Start ``task(*args)`` once the current transaction commits, and never raise.

    Only for work already written down in the same transaction (an outbox row: an e-mail, a booking effect, a
    refund): a broker that is down at that moment delays it until the beat sweep finds the row, so it must not
    turn a committed change (a paid booking, a new account) into an error page."""
    from django.db import transaction

    def publish():
        try:
            task.delay(*args)
        except Exception:  # noqa: BLE001 - kombu, redis and amqp raise many kinds; the sweep covers them all
            logger.warning("could not queue %s%r now; the periodic sweep will", task.name, args, exc_info=True)

    transaction.on_commit(publish)


_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id=None, **kwargs):
    _started[task_id] = time.monotonic()


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    """One structured line per task run (name, id, outcome, duration); arguments are ids, never personal data."""
    started = _started.pop(task_id, None)
    task_logger.info(
        "task %s %s",
        task.name if task else "?",
        state,
        extra={
            "task": task.name if task else None,
            "task_id": task_id,
            "outcome": state,
            "duration_ms": round((time.monotonic() - started) * 1000, 1) if started else None,
        },
    )
