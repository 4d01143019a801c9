from celery import shared_task

from bookings.models import Booking

from . import currency
from .currency import RatesUnavailable
from .receipts import receipt_issue
from .services import payments_reconcile


@shared_task(acks_late=True)
def reconcile_payments() -> int:
    """Periodic: ask the bank about payments whose outcome we don't know yet."""
    return payments_reconcile()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def issue_receipt(booking_id: int) -> None:
    """Issue a confirmed booking's receipt (idempotent: issued once)."""
    booking = Booking.objects.filter(pk=booking_id, confirmed_at__isnull=False).first()
    if booking is not None:
        receipt_issue(booking=booking)


@shared_task(acks_late=True, autoretry_for=(RatesUnavailable,), retry_backoff=300, max_retries=6)
def exchange_rates_refresh() -> int:
    """Daily: store the display-currency provider's rates (retried for about half a day if it is unavailable;
    the previous rates stay meanwhile)."""
    return currency.exchange_rates_refresh()
