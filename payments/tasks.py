from celery import shared_task

from .services import refund_send


@shared_task(acks_late=True)
def send_refund(refund_id: int) -> str:
    """Send a pending refund to the bank (or ask again about an unknown one) with its own idempotency key."""
    refund = refund_send(refund_id=refund_id)
    return refund.status if refund else "missing"


@shared_task(acks_late=True)
def charge_scheduled(charge_id: int) -> str:
    """Charge one due balance or fee to the saved card (safe to run twice: the claim makes it once)."""
    from bookings.workflow import scheduled_charge_run

    payment = scheduled_charge_run(charge_id=charge_id)
    return payment.status if payment else "not due or claimed"


@shared_task(acks_late=True)
def charge_due() -> int:
    """Beat: charge every balance and fee that is due, each exactly once."""
    from bookings.workflow import scheduled_charges_run

    return scheduled_charges_run()
