"""The e-mail outbox: every message the business sends is a row first, then sent by a Celery task.

States: ``queued`` (waiting for a worker) → ``sending`` (an attempt started; if its worker died, the next delivery
or the sweep takes over) → ``sent``, or ``failed`` (the last attempt raised; retried with backoff until
``MAX_ATTEMPTS``, then it stays failed and visible in the admin). See ``notifications/services.py``.
"""

from django.db import models


class OutboundEmail(models.Model):
    class Kind(models.TextChoices):
        BOOKING_CONFIRMED_GUEST = "booking_confirmed_guest", "Booking confirmed (guest)"
        BOOKING_CONFIRMED_HOTEL = "booking_confirmed_hotel", "New reservation (hotel)"
        BOOKING_CANCELLED_GUEST = "booking_cancelled_guest", "Booking cancelled (guest)"
        BOOKING_CANCELLED_HOTEL = "booking_cancelled_hotel", "Booking cancelled (hotel)"
        PAYMENT_FAILED_GUEST = "payment_failed_guest", "Payment failed (guest)"
        HOLD_EXPIRED_GUEST = "hold_expired_guest", "Hold expired (guest)"
        LATE_PAYMENT_REFUNDED_GUEST = "late_payment_refunded_guest", "Late payment refunded (guest)"
        BOOKING_MODIFIED_GUEST = "booking_modified_guest", "Booking changed (guest)"
        BOOKING_MODIFIED_HOTEL = "booking_modified_hotel", "Reservation changed (hotel)"
        PRE_ARRIVAL_REMINDER_GUEST = "pre_arrival_reminder_guest", "Pre-arrival reminder (guest)"
        WELCOME = "welcome", "Welcome: confirm your e-mail address (account)"
        VERIFY_EMAIL = "verify_email", "Confirm your e-mail address, again (account)"
        GUEST_LINK = "guest_link", "Manage-my-booking link (guest without an account)"
        PAYMENT_LINK_GUEST = "payment_link_guest", "Payment link (guest, staff booking)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Addressed to a sign-up account that hasn't verified its address: queued once it is (accounts.verification).
        HELD = "held", "Held until the address is verified"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, null=True, blank=True, related_name="emails")
    recipient = models.EmailField()
    subject = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Counted before each send is tried (in its own committed transaction), so a worker that dies mid-send counts.
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # One message per business event: the same event can't queue the same e-mail twice.
    dedupe_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "e-mail"
        indexes = [models.Index(fields=["status", "created_at"], name="email_status_created_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient}"
