import logging

from django.dispatch import receiver

from bookings.signals import booking_event

from .webhooks import webhook_event_build

logger = logging.getLogger(__name__)


@receiver(booking_event)
def send_partner_webhook(sender, booking, event, **kwargs):
    """booking_event is sent after commit, so the webhook never announces a change that rolled back. The change
    is made whatever happens here: a broker that is down is logged, never raised into the caller."""
    try:
        payload = webhook_event_build(booking=booking, event=event)
        if payload is not None:
            from .tasks import deliver_webhook

            deliver_webhook.delay(booking.partner_id, payload, 1, booking.pk)
    except Exception:
        logger.exception("partner webhook not queued", extra={"booking": booking.reference, "event": event})
