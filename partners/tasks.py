from celery import shared_task

from .services import idempotency_records_purge as purge
from .webhooks import webhook_deliver


@shared_task(acks_late=True)
def deliver_webhook(partner_id: int, event: dict, attempt: int = 1, booking_id: int | None = None) -> bool:
    """One more attempt of an event, asked for by staff ("Redeliver now" in the admin); the automatic attempts and
    their retries are run by the booking outbox (``bookings.outbox``). Safe to run twice: an attempt already made
    is not made again."""
    return webhook_deliver(partner_id=partner_id, event=event, attempt=attempt, booking_id=booking_id).delivered


@shared_task(acks_late=True)
def idempotency_records_purge() -> int:
    """Periodic: stored responses are replayed for at least 24 hours (kept 48), then forgotten."""
    return purge()
