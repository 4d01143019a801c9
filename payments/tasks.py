from celery import shared_task

from . import currency
from .currency import RatesUnavailable
from .services import refund_send


@shared_task(acks_late=True)
def send_refund(refund_id: int) -> str:
    """Send a pending refund to the bank (or ask again about an unknown one) with its own idempotency key."""
    refund = refund_send(refund_id=refund_id)
    return refund.status if refund else "missing"


@shared_task(acks_late=True, autoretry_for=(RatesUnavailable,), retry_backoff=300, max_retries=6)
def exchange_rates_refresh() -> int:
    """Daily: store the display-currency provider's rates (retried for about half a day if it is unavailable;
    the previous rates stay meanwhile)."""
    return currency.exchange_rates_refresh()
