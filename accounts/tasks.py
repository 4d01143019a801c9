"""Celery tasks of accounts: thin wrappers around ``accounts.privacy``, safe to run twice."""

from celery import shared_task

from .privacy import retention_anonymise


@shared_task(acks_late=True)
def anonymise_expired_guest_data() -> int:
    """Periodic (config/periodic.py): anonymise guest data of stays over GUEST_DATA_RETENTION_DAYS after check-out."""
    return retention_anonymise()
