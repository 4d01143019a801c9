from celery import shared_task

from .webhooks import RETRY_SCHEDULE, webhook_deliver


@shared_task(acks_late=True)
def deliver_webhook(partner_id: int, event: dict, attempt: int = 1, booking_id: int | None = None) -> bool:
    """One attempt; on failure the next attempt is scheduled with backoff until the schedule (a day) runs out."""
    delivery = webhook_deliver(partner_id=partner_id, event=event, attempt=attempt, booking_id=booking_id)
    if not delivery.delivered and attempt <= len(RETRY_SCHEDULE):
        deliver_webhook.apply_async(
            args=[partner_id, event, attempt + 1, booking_id], countdown=RETRY_SCHEDULE[attempt - 1]
        )
    return delivery.delivered


@shared_task(acks_late=True)
def idempotency_records_purge() -> int:
    """Periodic: replayed responses are kept at least 24 hours (48 here), then forgotten."""
    from datetime import timedelta

    from django.utils import timezone

    from .models import IdempotencyRecord

    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - timedelta(hours=48)).delete()
    return deleted
