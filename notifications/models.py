"""The e-mail outbox: every message the business sends is a row first, then sent by a Celery task.

States: ``queued`` (waiting for a worker) → ``sending`` (an attempt started; if its worker died, the next delivery
or the sweep takes over) → ``sent``, or ``failed`` (the last attempt raised; retried with backoff until
``MAX_ATTEMPTS``, then it stays failed and visible in the admin). See ``notifications/services.py``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    class Kind(models.TextChoices):
        BOOKING_CONFIRMED_GUEST = "booking_confirmed_guest", _("Booking confirmed (guest)")
        BOOKING_CONFIRMED_HOTEL = "booking_confirmed_hotel", _("New reservation (hotel)")
        BOOKING_CANCELLED_GUEST = "booking_cancelled_guest", _("Booking cancelled (guest)")
        BOOKING_CANCELLED_HOTEL = "booking_cancelled_hotel", _("Booking cancelled (hotel)")
        PAYMENT_FAILED_GUEST = "payment_failed_guest", _("Payment failed (guest)")
        HOLD_EXPIRED_GUEST = "hold_expired_guest", _("Hold expired (guest)")
        LATE_PAYMENT_REFUNDED_GUEST = "late_payment_refunded_guest", _("Late payment refunded (guest)")
        BOOKING_MODIFIED_GUEST = "booking_modified_guest", _("Booking changed (guest)")
        BOOKING_MODIFIED_HOTEL = "booking_modified_hotel", _("Reservation changed (hotel)")
        PRE_ARRIVAL_REMINDER_GUEST = "pre_arrival_reminder_guest", _("Pre-arrival reminder (guest)")
        CHARGE_RECEIPT_GUEST = "charge_receipt_guest", _("Card charged: receipt (guest)")
        CHARGE_DECLINED_GUEST = "charge_declined_guest", _("Card declined: payment link (guest)")
        PAYMENT_RECEIPT_GUEST = "payment_receipt_guest", _("Payment received: receipt (guest)")
        REFUND_RECEIPT_GUEST = "refund_receipt_guest", _("Refund made: receipt (guest)")
        WELCOME = "welcome", _("Welcome: confirm your e-mail address (account)")
        VERIFY_EMAIL = "verify_email", _("Confirm your e-mail address, again (account)")
        GUEST_LINK = "guest_link", _("Manage-my-booking link (guest without an account)")
        PAYMENT_LINK_GUEST = "payment_link_guest", _("Payment link (guest, staff booking)")
        CHANGE_PAYMENT_LINK_GUEST = "change_payment_link_guest", _("Payment link for a change (guest, staff change)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Addressed to a sign-up account that hasn't verified its address: queued once it is (accounts.verification).
        HELD = "held", _("Held until the address is verified")

    kind = models.CharField(_("type"), max_length=40, choices=Kind.choices)
    booking = models.ForeignKey(
        "bookings.Booking",
        verbose_name=_("booking"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
    )
    user = models.ForeignKey(
        "accounts.User", verbose_name=_("user"), on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    recipient = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Counted before each send is tried (in its own committed transaction), so a worker that dies mid-send counts.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # One message per business event: the same event can't queue the same e-mail twice.
    dedupe_key = models.CharField(_("deduplication key"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name_plural = _("e-mails")
        ordering = ["-created_at"]
        verbose_name = _("e-mail")
        indexes = [models.Index(fields=["status", "created_at"], name="email_status_created_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient}"
