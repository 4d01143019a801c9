"""Celery tasks of the booking workflow: thin wrappers, each safe to run twice or concurrently."""

from celery import shared_task

from . import workflow
from .outbox import effect_run, effects_sweep


@shared_task(acks_late=True)
def release_expired_holds() -> int:
    """Periodic: give back the nights of every unpaid hold that ran out. Safe to run twice or concurrently."""
    return workflow.holds_expire()


@shared_task(acks_late=True)
def run_effect(effect_id: int) -> str:
    """Carry out one booking effect (receipt, partner webhook, supplier placement or cancellation); its retries are
    scheduled in its row and dispatched by ``sweep_effects``, never as long broker countdowns."""
    return effect_run(effect_id=effect_id)


@shared_task(acks_late=True)
def sweep_effects() -> int:
    """Periodic: dispatch the booking effects that are due (a lost task, a broker that was down, a retry)."""
    return effects_sweep()


@shared_task(acks_late=True)
def reconcile_payments() -> int:
    """Periodic: ask the bank about payments whose outcome we don't know yet, and apply what it says."""
    return workflow.payments_reconcile()


@shared_task(acks_late=True)
def reconcile_refunds() -> int:
    """Periodic: ask the bank again, with the same keys, about refunds still pending or unknown, and ask once more
    for what a refused refund left owing."""
    return workflow.refunds_reconcile()


@shared_task(acks_late=True)
def audit_books() -> int:
    """Daily: check that inventory, payments and refunds add up (``bookings.audit``); returns the findings."""
    from .audit import books_audit

    return len(books_audit().findings)
