from django.dispatch import receiver

from bookings.signals import booking_event


@receiver(booking_event)
def issue_receipt_on_confirmation(sender, booking, event, **kwargs):
    if event == "confirmed":
        from .tasks import issue_receipt

        issue_receipt.delay(booking.pk)
