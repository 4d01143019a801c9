"""Shared helpers of the attack tests (reusing the project's own fixtures and helpers)."""

import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from bookings.models import Booking


def penalty_applies_now(booking: Booking) -> None:
    """Move the booking's free-cancellation deadline into the past, so cancelling now costs the policy's penalty
    (the factories' standard rate: the first night)."""
    policy = {**booking.cancellation_policy, "free_until": (timezone.now() - timedelta(days=1)).isoformat()}
    Booking.objects.filter(pk=booking.pk).update(cancellation_policy=policy)
    booking.refresh_from_db()


def in_other_connection(func):
    """Run ``func`` to completion in another thread (so on another database connection, committing on its own),
    while the caller waits: an interleaving of two requests, made deterministic."""
    result, error = [], []

    def run():
        try:
            result.append(func())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            error.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the other request is blocked (deadlock?)"
    if error:
        raise error[0]
    return result[0]


class HeldSends:
    """Refunds are sent by a task queued after the commit: hold those sends (a busy broker), to run them later."""

    def __init__(self, monkeypatch):
        from payments import tasks

        self.ids = []
        monkeypatch.setattr(tasks.send_refund, "delay", lambda refund_id: self.ids.append(refund_id))

    def run(self):
        from payments.services import refund_send

        for refund_id in self.ids:
            refund_send(refund_id=refund_id)
