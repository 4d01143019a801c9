"""Celery tasks of the outbox: thin wrappers around ``notifications.services``, each safe to run twice."""

from celery import shared_task

from .services import email_send, emails_retry_failed, reminders_send


@shared_task(
    # Acknowledged only when done, and requeued if its worker process dies mid-send (also set globally).
    acks_late=True,
    reject_on_worker_lost=True,
    # A refused or timed-out send is retried six times, each after a random delay of up to 30 s, 1, 2, 4, 8 and
    # 16 min (full jitter; never over an hour); then the row stays "failed" and the periodic sweep gives it the
    # attempts left (services.MAX_ATTEMPTS).
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=60,
    time_limit=90,
)
def send_email(email_id: int) -> str:
    """Send one outbox message; a message sent already is skipped, so a redelivered task sends nothing twice."""
    return email_send(email_id=email_id)


@shared_task(acks_late=True)
def retry_failed_emails() -> int:
    """Periodic (config/periodic.py): enqueue again the messages no task will deliver any more."""
    return emails_retry_failed()


@shared_task(acks_late=True)
def send_pre_arrival_reminders() -> int:
    """Periodic (config/periodic.py): queue the reminders of guests arriving in REMINDER_DAYS_BEFORE days."""
    return reminders_send()
