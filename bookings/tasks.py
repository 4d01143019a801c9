from celery import shared_task

from .services import holds_expire


@shared_task(acks_late=True)
def release_expired_holds() -> int:
    """Periodic: give back the nights of every unpaid hold that ran out. Safe to run twice or concurrently."""
    return holds_expire()
