from celery import shared_task

from bookings.models import Booking

from .client import SupplierError
from .services import supplier_booking_cancel_forward, supplier_booking_place


@shared_task(acks_late=True, autoretry_for=(SupplierError,), retry_backoff=30, retry_backoff_max=1800, max_retries=12)
def place_supplier_booking(booking_id: int) -> str:
    """Place a paid booking at its supplier; retried with the same Idempotency-Key while it doesn't answer."""
    return supplier_booking_place(booking=Booking.objects.get(pk=booking_id)).status


@shared_task(acks_late=True, autoretry_for=(SupplierError,), retry_backoff=30, retry_backoff_max=1800, max_retries=12)
def forward_supplier_cancellation(booking_id: int) -> str:
    return supplier_booking_cancel_forward(booking=Booking.objects.get(pk=booking_id)).status
