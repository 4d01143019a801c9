"""Payments as the law asks us to keep them: amount, status, bank ids, card brand and last four — never the PAN."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        PENDING = "pending", _("Waiting for the bank")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    booking = models.ForeignKey("bookings.Booking", on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=120)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    idempotency_key = models.CharField(max_length=80, unique=True)
    bank_session_id = models.CharField(max_length=80, blank=True, db_index=True)
    bank_redirect_url = models.URLField(max_length=500, blank=True)
    bank_transaction_id = models.CharField(max_length=80, blank=True)
    authorization_code = models.CharField(max_length=20, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    failure_code = models.CharField(max_length=40, blank=True)
    # Settled refunds, and refunds asked of the bank whose outcome is not settled yet (pending or unknown). Both are
    # changed under this row's lock, and the constraint below makes over-refunding impossible whatever the code does.
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    refund_pending_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    bank_responses = models.JSONField(default=list, help_text=_("Raw bank responses, in order (never card numbers)."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "last_checked_at"], name="payment_status_checked_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refund_pending_amount__gte=0)
                & Q(refunded_amount__lte=F("amount") - F("refund_pending_amount")),
                name="payment_refunds_within_amount",
            ),
        ]

    def __str__(self):
        return f"{self.booking} {self.amount} {self.currency} ({self.status})"

    @property
    def card_display(self) -> str:
        return f"{self.card_brand.title()} •••• {self.card_last4}" if self.card_last4 else ""


class Refund(models.Model):
    """Money sent back through the bank: an asynchronous bank operation, like a payment.

    ``pending`` (its amount reserved on the payment, the bank not answered yet) → ``succeeded``; or ``failed``
    only when the bank explicitly refused it; or ``unknown`` when the answer was lost (timeout, 5xx, connection
    reset): reconciliation asks the bank again with the same idempotency key until it settles. A new try after a
    refusal is a new refund with a new key."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Refused by the bank")
        UNKNOWN = "unknown", _("Outcome unknown (asking the bank)")

    UNSETTLED = (Status.PENDING, Status.UNKNOWN)

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=80, unique=True)
    bank_refund_id = models.CharField(max_length=80, blank=True)
    bank_response = models.JSONField(default=dict)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_created_idx")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self):
        return f"Refund {self.amount} of {self.payment}"


class ReceiptSequence(models.Model):
    """The last receipt number issued in a year; locked with SELECT … FOR UPDATE so numbers have no gaps."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class Receipt(models.Model):
    booking = models.OneToOneField("bookings.Booking", on_delete=models.PROTECT, related_name="receipt")
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=20, unique=True)
    issued_at = models.DateTimeField()
    # The PDF bytes live in the database: an issued receipt never changes, is backed up with everything else and
    # needs no shared media storage when the site runs on several machines.
    pdf = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "sequence"], name="receipt_year_sequence_unique")]

    def __str__(self):
        return self.number
