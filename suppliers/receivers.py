"""A supplier booking's life follows ours: paid → placed at the supplier; cancelled here → cancelled there."""

from django.dispatch import receiver

from bookings.models import Booking
from bookings.signals import booking_event

from .tasks import forward_supplier_cancellation, place_supplier_booking


@receiver(booking_event)
def supplier_booking_follow(sender, booking, event, **kwargs):
    if booking.source != Booking.Source.SUPPLIER:
        return
    if event == "confirmed":
        place_supplier_booking.delay(booking.pk)
    elif event == "cancelled":
        forward_supplier_cancellation.delay(booking.pk)
