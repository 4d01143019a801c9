"""The transactional outbox of booking side effects: how a :class:`~bookings.models.BookingEffect` written in a
booking change's transaction is carried out afterwards, exactly once in effect.

1. ``effect_write`` (inside the change's transaction) inserts the row with a deterministic key, so the same change
   never writes it twice, and asks for a dispatch once the transaction commits. If the broker is down then, nothing
   is lost: the row waits for the sweep.
2. ``effect_run`` (the dispatcher task) counts the attempt in a short committed transaction, then runs the handler
   while holding the row's lock, and marks the row done *in the handler's own transaction*: the database writes a
   handler makes (a receipt, a supplier reference) commit together with "done", or not at all. A worker killed
   mid-run rolls all of it back and the row is run again; every handler is idempotent (receipts are issued once,
   webhooks carry a deterministic event id, suppliers get an idempotency key), so running one again does not do
   its work twice.
3. ``effects_sweep`` (beat, every minute) dispatches every pending row whose time has come: the ones whose task the
   broker lost, and the retries, which are scheduled here in the row (``next_attempt_at``) rather than as broker
   countdowns longer than the broker's visibility timeout.

Which effects follow which change, and what each handler does, is ``bookings.workflow``'s business: it registers
the handlers with :func:`handler`.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone

from config.celery import enqueue_on_commit

from .models import Booking, BookingEffect

logger = logging.getLogger("staybook.outbox")
Status = BookingEffect.Status

# Seconds before the next attempt after failed attempt n (the last value repeats); an effect that keeps failing is
# retried for about two days, then left "failed" in the admin, where staff can run it again.
RETRY_SCHEDULE = [30, 60, 300, 900, 1800, 3600]
MAX_ATTEMPTS = 50
DISPATCH_GRACE = timedelta(seconds=30)  # a fresh row is left to its own dispatch task this long


@dataclass(frozen=True)
class Retry:
    """A handler's answer meaning "not done, try again later", with what went wrong. Unlike an exception, what the
    handler wrote before answering (a record of the attempt) is kept."""

    error: str
    schedule: list[int] | None = None  # its own retry schedule (partner webhooks keep their published one)
    give_up: bool = False  # no point in trying again


HANDLERS: dict[str, Callable[[BookingEffect], Retry | None]] = {}


def handler(kind: str):
    """Register the function that carries out effects of ``kind``: it gets the locked row and returns None when
    done or a :class:`Retry`; raising also means retry, with its writes rolled back."""

    def register(func):
        HANDLERS[kind] = func
        return func

    return register


def effect_write(*, booking: Booking, kind: str, key: str, payload: dict | None = None) -> BookingEffect | None:
    """Write an effect in the caller's transaction (which must be the booking change's); None if this key exists
    already, i.e. the same change asked for it before."""
    from .tasks import run_effect

    effect, created = BookingEffect.objects.get_or_create(
        key=key[:120],
        defaults={"booking": booking, "kind": kind, "payload": payload or {}, "next_attempt_at": timezone.now()},
    )
    if not created:
        return None
    enqueue_on_commit(run_effect, effect.pk)
    return effect


def effects_write(*, booking: Booking, effects: list[tuple[str, str, dict]]) -> list[BookingEffect]:
    """Write several effects of one change, ``(kind, key, payload)`` each, as :func:`effect_write` would one by
    one (a key that exists already is skipped), in two queries: the keys found, then one insert of the others.
    The caller holds the booking's row lock (every change in ``bookings.workflow`` does), so nobody else writes
    these keys meanwhile; returns the effects written."""
    from .tasks import run_effect

    wanted = {key[:120]: (kind, payload) for kind, key, payload in effects}
    if not wanted:
        return []
    found = set(BookingEffect.objects.filter(key__in=wanted).order_by().values_list("key", flat=True))
    now = timezone.now()
    written = BookingEffect.objects.bulk_create(
        [
            BookingEffect(booking=booking, kind=kind, key=key, payload=payload or {}, next_attempt_at=now)
            for key, (kind, payload) in wanted.items()
            if key not in found
        ]
    )
    for effect in written:
        enqueue_on_commit(run_effect, effect.pk)
    return written


def _claim(effect_id: int) -> bool:
    """Count the attempt, committed on its own, so that a handler that kills its worker still stops at the limit."""
    with transaction.atomic():
        effect = BookingEffect.objects.select_for_update(skip_locked=True).filter(pk=effect_id).first()
        if effect is None or effect.status != Status.PENDING:
            return False  # done, given up, or being run right now by another worker
        if effect.attempts >= MAX_ATTEMPTS:
            effect.status = Status.FAILED
            effect.last_error = effect.last_error or "the worker was lost during the last attempt"
            effect.save(update_fields=["status", "last_error"])
            return False
        effect.attempts += 1
        effect.save(update_fields=["attempts"])
    return True


def _next_attempt(effect: BookingEffect, schedule: list[int] | None) -> timedelta:
    schedule = schedule or RETRY_SCHEDULE
    return timedelta(seconds=schedule[min(effect.attempts, len(schedule)) - 1])


def effect_run(*, effect_id: int) -> str:
    """Carry out one effect if it is still due. Returns "done", "retry", "failed" or "skipped" (done already, or
    another worker has it). Safe to call twice or concurrently."""
    if not _claim(effect_id):
        return "skipped"
    with transaction.atomic():
        effect = (
            BookingEffect.objects.select_for_update(skip_locked=True)
            .select_related("booking")
            .filter(pk=effect_id, status=Status.PENDING)
            .first()
        )
        if effect is None:
            return "skipped"
        try:
            with transaction.atomic():
                outcome = HANDLERS[effect.kind](effect)
        except Exception as exc:  # noqa: BLE001 - any failure of a handler is retried; its writes rolled back
            logger.warning("effect %s (%s) failed: %s", effect.pk, effect.kind, exc, exc_info=True)
            outcome = Retry(f"{type(exc).__name__}: {exc}"[:2000])
        if outcome is None:
            effect.status, effect.done_at, effect.last_error = Status.DONE, timezone.now(), ""
        elif (
            outcome.give_up
            or effect.attempts >= MAX_ATTEMPTS
            or (outcome.schedule is not None and effect.attempts > len(outcome.schedule))
        ):
            effect.status, effect.last_error = Status.FAILED, outcome.error
        else:
            effect.last_error = outcome.error
            effect.next_attempt_at = timezone.now() + _next_attempt(effect, outcome.schedule)
        effect.save(update_fields=["status", "done_at", "last_error", "next_attempt_at"])
    return {Status.DONE: "done", Status.FAILED: "failed"}.get(effect.status, "retry")


def effects_sweep(*, now=None) -> int:
    """The periodic sweep: dispatch every pending effect whose time has come (a lost task, a retry that is due).
    Returns how many were dispatched. Running an effect is idempotent, so a dispatch too many does nothing."""
    from .tasks import run_effect

    now = now or timezone.now()
    due = BookingEffect.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=now, created_at__lt=now - DISPATCH_GRACE
    )
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:500])
    for pk in ids:
        run_effect.delay(pk)
    return len(ids)


def effect_retry_now(*, effect: BookingEffect) -> None:
    """Staff asked to run a failed (or waiting) effect again now: one more attempt, numbered after the last (a
    webhook's attempts are recorded by number), and after that its usual retries if it fails again."""
    with transaction.atomic():
        updated = BookingEffect.objects.filter(pk=effect.pk, status__in=[Status.FAILED, Status.PENDING]).update(
            status=Status.PENDING,
            next_attempt_at=timezone.now(),
            attempts=Least(F("attempts"), MAX_ATTEMPTS - 1),
        )
        if updated:
            from .tasks import run_effect

            enqueue_on_commit(run_effect, effect.pk)
