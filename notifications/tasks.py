from celery import shared_task

from .services import email_send, emails_retry_failed, reminders_send


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=60,
    time_limit=90,
)
def send_email(self, email_id: int) -> str:
    """Send one outbox message; safe to run twice (a sent message is skipped)."""
    return email_send(email_id=email_id)


@shared_task(acks_late=True)
def retry_failed_emails() -> int:
    return emails_retry_failed()


@shared_task(acks_late=True)
def send_pre_arrival_reminders() -> int:
    return reminders_send()
