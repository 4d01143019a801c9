from django.dispatch import receiver

from bookings.signals import booking_event

from .webhooks import webhook_event_build


@receiver(booking_event)
def send_partner_webhook(sender, booking, event, **kwargs):
    """booking_event is sent after commit, so the webhook never announces a change that rolled back."""
    payload = webhook_event_build(booking=booking, event=event)
    if payload is not None:
        from .tasks import deliver_webhook

        deliver_webhook.delay(booking.partner_id, payload, 1, booking.pk)
