"""``booking_event`` is sent after the transaction that changed a booking commits, so receivers (e-mails,
partner webhooks) never act on a change that rolled back. Events: held, confirmed, payment_failed, expired,
cancelled, modified, refunded, late_payment_refunded, checked_in, checked_out, no_show."""

from django.dispatch import Signal

booking_event = Signal()  # kwargs: booking, event, actor_kind
