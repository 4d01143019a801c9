from celery import shared_task

from .services import idempotency_records_purge as purge
from .webhooks import webhook_deliver, webhook_retry_countdown


@shared_task(acks_late=True)
def deliver_webhook(partner_id: int, event: dict, attempt: int = 1, booking_id: int | None = None) -> bool:
    """One attempt; after a failure the next one is scheduled with backoff until the schedule (a day) runs out.
    Safe to run twice: an attempt already made is not made again, and the next one is claimed once."""
    delivery = webhook_deliver(partner_id=partner_id, event=event, attempt=attempt, booking_id=booking_id)
    countdown = webhook_retry_countdown(delivery)
    if countdown is not None:
        deliver_webhook.apply_async(args=[partner_id, event, attempt + 1, booking_id], countdown=countdown)
    return delivery.delivered


@shared_task(acks_late=True)
def idempotency_records_purge() -> int:
    """Periodic: stored responses are replayed for at least 24 hours (kept 48), then forgotten."""
    return purge()
