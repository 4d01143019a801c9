from celery import shared_task

from . import currency
from .currency import RatesUnavailable


@shared_task(acks_late=True, autoretry_for=(RatesUnavailable,), retry_backoff=300, max_retries=6)
def exchange_rates_refresh() -> int:
    """Daily: store the display-currency provider's rates (retried for about half a day if it is unavailable;
    the previous rates stay meanwhile)."""
    return currency.exchange_rates_refresh()
