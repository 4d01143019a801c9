import logging

from django.dispatch import receiver

from bookings.signals import booking_event

from .services import booking_emails_for_event

logger = logging.getLogger(__name__)


@receiver(booking_event)
def queue_booking_emails(sender, booking, event, **kwargs):
    """``booking_event`` is sent from an on-commit callback: an error here must not stop the receivers after us
    (receipt, partner webhook), and the booking change it reports is committed anyway."""
    try:
        booking_emails_for_event(booking=booking, event=event)
    except Exception:
        logger.exception("could not queue the e-mails of %s for event %s", booking.reference, event)
