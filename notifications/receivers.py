from django.dispatch import receiver

from bookings.signals import booking_event

from .services import booking_emails_for_event


@receiver(booking_event)
def queue_booking_emails(sender, booking, event, **kwargs):
    booking_emails_for_event(booking=booking, event=event)
