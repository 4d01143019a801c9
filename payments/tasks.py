from celery import shared_task

from .services import refund_send


@shared_task(acks_late=True)
def send_refund(refund_id: int) -> str:
    """Send a pending refund to the bank (or ask again about an unknown one) with its own idempotency key."""
    refund = refund_send(refund_id=refund_id)
    return refund.status if refund else "missing"
