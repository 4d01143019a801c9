"""Payments as the law asks us to keep them: amount, status, bank ids, card brand and last four — never the PAN."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    """One attempt to take money (or, for a card guarantee, only to save the card) for a booking.

    Every charge, whatever it is for (``kind``), is a row here, settled through ``payments.services``: the guest's
    checkout at the bank's page (the stay in full, a deposit, a card guarantee of 0.00), a saved card charged later
    (the balance, a no-show or late-cancellation fee, a change's difference) or a payment link."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        PENDING = "pending", _("Waiting for the bank")
        PAID = "paid", _("Paid")
        SAVED = "saved", _("Card saved (nothing charged)")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    class Kind(models.TextChoices):
        FULL = "full", _("The stay, in full")
        DEPOSIT = "deposit", _("Deposit")
        GUARANTEE = "guarantee", _("Card guarantee")
        BALANCE = "balance", _("Balance")
        NO_SHOW_FEE = "no_show_fee", _("No-show fee")
        CANCELLATION_FEE = "cancellation_fee", _("Late-cancellation fee")
        CHANGE_DIFFERENCE = "change_difference", _("Change difference")

    # Paid at the guest's checkout (the first of these that is paid pays for the booking; another is a mistake)
    CHECKOUT_KINDS = (Kind.FULL, Kind.DEPOSIT, Kind.GUARANTEE)
    # Taken later, each for one ScheduledCharge, from the saved card or through a payment link
    LATER_KINDS = (Kind.BALANCE, Kind.NO_SHOW_FEE, Kind.CANCELLATION_FEE, Kind.CHANGE_DIFFERENCE)

    booking = models.ForeignKey(
        "bookings.Booking", verbose_name=_("booking"), on_delete=models.PROTECT, related_name="payments"
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.FULL)
    scheduled_charge = models.ForeignKey(
        "payments.ScheduledCharge",
        verbose_name=_("scheduled charge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    gateway = models.CharField(_("gateway"), max_length=120)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CREATED)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    bank_session_id = models.CharField(_("bank session ID"), max_length=80, blank=True, db_index=True)
    bank_redirect_url = models.URLField(_("bank redirect URL"), max_length=500, blank=True)
    bank_transaction_id = models.CharField(_("bank transaction ID"), max_length=80, blank=True)
    authorization_code = models.CharField(_("authorisation code"), max_length=20, blank=True)
    card_brand = models.CharField(_("card brand"), max_length=20, blank=True)
    card_last4 = models.CharField(_("card's last four digits"), max_length=4, blank=True)
    failure_code = models.CharField(_("failure code"), max_length=40, blank=True)
    # Settled refunds, and refunds asked of the bank whose outcome is not settled yet (pending or unknown). Both are
    # changed under this row's lock, and the constraint below makes over-refunding impossible whatever the code does.
    refunded_amount = models.DecimalField(_("refunded amount"), max_digits=12, decimal_places=2, default=0)
    refund_pending_amount = models.DecimalField(_("refund pending amount"), max_digits=12, decimal_places=2, default=0)
    bank_responses = models.JSONField(
        _("bank responses"), default=list, help_text=_("Raw bank responses, in order (never card numbers).")
    )
    # The URLs the first request for this payment gave the bank: a retry with the same idempotency key must send
    # the same request (a signed return URL made a second later differs, and the bank refuses a changed request).
    bank_request = models.JSONField(_("bank request"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "last_checked_at"], name="payment_status_checked_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(kind="guarantee", amount=0), name="payment_amount_positive_or_guarantee"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["balance", "no_show_fee", "cancellation_fee", "change_difference"])
                | Q(scheduled_charge__isnull=True),
                name="payment_scheduled_only_later_kinds",
            ),
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


class SavedCard(models.Model):
    """The card a guest saved at the bank for a booking: the bank's token, brand and last four digits. Never the
    number, the expiry or the CVC (we never see them: the guest types them on the bank's page)."""

    booking = models.OneToOneField(
        "bookings.Booking", verbose_name=_("booking"), on_delete=models.PROTECT, related_name="saved_card"
    )
    gateway = models.CharField(_("gateway"), max_length=120)
    token = models.CharField(_("token"), max_length=120)
    brand = models.CharField(_("brand"), max_length=20, blank=True)
    last4 = models.CharField(_("last four digits"), max_length=4, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved card")
        verbose_name_plural = _("saved cards")

    def __str__(self):
        return f"{self.brand.title()} •••• {self.last4}"


class ScheduledCharge(models.Model):
    """Money a booking owes later, taken from its saved card once: the balance N days before arrival, a no-show or
    late-cancellation fee, a change's difference.

    ``key`` (``<reference>:<purpose>``) is unique, so the same charge can't be owed twice. The beat task claims a
    due charge under its row lock (``SKIP LOCKED``) and creates the attempt's ``Payment`` with a deterministic
    idempotency key in the same transaction, before the bank is called: a second worker skips it, and a retried
    task or a crash asks the bank again with that same key, which the bank answers with its first result. A
    declined attempt is retried on a schedule (the guest is sent a payment link meanwhile); ``payment`` is the one
    payment that settled it (a link paid as well as the card is refunded)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CHARGING = "charging", _("Charging (asking the bank)")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed (gave up)")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.SCHEDULED, Status.CHARGING)

    booking = models.ForeignKey(
        "bookings.Booking", verbose_name=_("booking"), on_delete=models.PROTECT, related_name="scheduled_charges"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Payment.Kind.choices)
    key = models.CharField(_("key"), max_length=120, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    payment = models.OneToOneField(
        Payment,
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settled_charge",
    )
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled charge")
        verbose_name_plural = _("scheduled charges")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="charge_status_next_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="scheduledcharge_amount_positive"),
            models.CheckConstraint(
                condition=Q(purpose__in=["balance", "no_show_fee", "cancellation_fee", "change_difference"]),
                name="scheduledcharge_later_purpose",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(payment__isnull=False), name="scheduledcharge_paid_has_payment"
            ),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.amount} {self.currency} for {self.booking_id} ({self.status})"


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

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    bank_refund_id = models.CharField(_("bank refund ID"), max_length=80, blank=True)
    bank_response = models.JSONField(_("bank response"), default=dict)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_created_idx")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self):
        return f"Refund {self.amount} of {self.payment}"


class ReceiptSequence(models.Model):
    """The last receipt number issued in a year; locked with SELECT … FOR UPDATE so numbers have no gaps."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("receipt sequence")
        verbose_name_plural = _("receipt sequences")

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class Receipt(models.Model):
    booking = models.OneToOneField(
        "bookings.Booking", verbose_name=_("booking"), on_delete=models.PROTECT, related_name="receipt"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("issued at"))
    # The PDF bytes live in the database: an issued receipt never changes, is backed up with everything else and
    # needs no shared media storage when the site runs on several machines.
    pdf = models.BinaryField(_("PDF"))

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [models.UniqueConstraint(fields=["year", "sequence"], name="receipt_year_sequence_unique")]

    def __str__(self):
        return self.number


class LedgerEntry(models.Model):
    """One line of a booking's account: a charge (signed: a cancelled stay is a negative charge), a payment or a
    refund (positive amounts). The balance due is computed from these rows (``payments.ledger``), never stored.

    Each entry is written in the transaction of the change that causes it: the stay's charges when the booking is
    confirmed, a payment when the bank says it is paid, a refund when the bank settles it, the cancelled stay and
    its penalty when the booking is cancelled. A payment and a refund have at most one entry each (unique
    constraints), and the books audit checks that the entries add up to the payments and refunds."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")

    class Category(models.TextChoices):
        STAY = "stay", _("Stay")
        STAY_CANCELLED = "stay_cancelled", _("Stay cancelled")
        CANCELLATION_PENALTY = "cancellation_penalty", _("Cancellation charge")
        NO_SHOW_FEE = "no_show_fee", _("No-show fee")
        CHANGE = "change", _("Change to the booking")
        EXTRA = "extra", _("Extra")
        REDUCTION = "reduction", _("Reduction")
        TAX = "tax", _("Tax or fee")
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")

    class Actor(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Staff")
        PARTNER = "partner", _("Partner")
        SYSTEM = "system", _("System")

    # A booking with money on it can't be deleted (its payments, refunds and invoices protect it); one without (an
    # unpaid or partner booking removed by hand) takes its charges with it.
    booking = models.ForeignKey(
        "bookings.Booking", verbose_name=_("booking"), on_delete=models.CASCADE, related_name="ledger_entries"
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    description = models.CharField(_("description"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    # The VAT component the charge belongs to ("room", "meals"), or "" for a charge outside VAT (a city tax).
    tax_component = models.CharField(_("tax component"), max_length=10, blank=True)
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund = models.ForeignKey(
        Refund, verbose_name=_("refund"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # money staff took at the desk (cash, a bank transfer): a payment outside the bank
    offline_payment = models.ForeignKey(
        "bookings.OfflinePayment",
        verbose_name=_("offline payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    bank_reference = models.CharField(_("bank reference"), max_length=80, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    actor_kind = models.CharField(_("actor kind"), max_length=10, choices=Actor.choices, default=Actor.SYSTEM)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.SET_NULL, null=True, blank=True
    )
    channel = models.CharField(
        _("channel"), max_length=30, help_text=_("Where the change came from: website, api, admin, bank…")
    )
    # Where an entry comes from, unique per booking: a retried change can't write its entries twice.
    key = models.CharField(_("key"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["booking", "occurred_at"], name="ledger_booking_idx")]
        constraints = [
            models.UniqueConstraint(fields=["payment"], name="ledger_one_entry_per_payment"),
            models.UniqueConstraint(fields=["refund"], name="ledger_one_entry_per_refund"),
            models.UniqueConstraint(fields=["offline_payment"], name="ledger_one_entry_per_offline_payment"),
            models.CheckConstraint(
                condition=(
                    Q(kind="charge")
                    & Q(payment__isnull=True)
                    & Q(refund__isnull=True)
                    & Q(offline_payment__isnull=True)
                )
                | (
                    Q(kind="payment")
                    & (
                        (Q(payment__isnull=False) & Q(offline_payment__isnull=True))
                        | (Q(payment__isnull=True) & Q(offline_payment__isnull=False))
                    )
                    & Q(refund__isnull=True)
                    & Q(amount__gt=0)
                )
                | (
                    Q(kind="refund")
                    & (
                        (Q(refund__isnull=False) & Q(offline_payment__isnull=True))
                        | (Q(refund__isnull=True) & Q(offline_payment__isnull=False))  # paid back at the desk
                    )
                    & Q(payment__isnull=True)
                    & Q(amount__gt=0)
                ),
                name="ledger_entry_kind_consistent",
            ),
        ]

    def __str__(self):
        return f"{self.booking_id} {self.kind} {self.amount} {self.currency}"


class BillingDetails(models.Model):
    """The company a guest wants on their invoice (name, address, VAT id), added before or after the stay. An
    invoice copies them when it is issued; changing them later changes the next document only."""

    booking = models.OneToOneField(
        "bookings.Booking", verbose_name=_("booking"), on_delete=models.CASCADE, related_name="billing_details"
    )
    company_name = models.CharField(_("company name"), max_length=200)
    address = models.TextField(_("address"), max_length=500)
    vat_id = models.CharField(_("VAT id"), max_length=40, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("billing details")
        verbose_name_plural = _("billing details")

    def __str__(self):
        return self.company_name


class InvoiceSequence(models.Model):
    """The last number of one kind of document (invoice, credit note) a legal entity issued in a year; locked with
    SELECT … FOR UPDATE in the issuing transaction, so numbers have no gaps and no duplicates."""

    entity = models.ForeignKey(
        "hotels.LegalEntity", verbose_name=_("entity"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("type"), max_length=12)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice sequence")
        verbose_name_plural = _("invoice sequences")
        constraints = [
            models.UniqueConstraint(fields=["entity", "kind", "year"], name="invoicesequence_entity_kind_year_unique")
        ]

    def __str__(self):
        return f"{self.entity_id} {self.kind} {self.year}: {self.last_number}"


class IssuedDocumentError(Exception):
    """An issued invoice or credit note was about to be changed or deleted."""


class Invoice(models.Model):
    """An invoice or a credit note, as issued: immutable. The seller's and buyer's details, the lines, the VAT
    breakdown and the PDF are copied in when it is issued; a database trigger (migration) refuses any UPDATE or
    DELETE, and :meth:`save` refuses to write an existing row. A credit note (``kind=credit_note``) corrects an
    invoice (``corrects``), and its amounts are positive numbers that are taken off."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    entity = models.ForeignKey(
        "hotels.LegalEntity", verbose_name=_("entity"), on_delete=models.PROTECT, related_name="invoices"
    )
    booking = models.ForeignKey(
        "bookings.Booking", verbose_name=_("booking"), on_delete=models.PROTECT, related_name="invoices"
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrected invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    refund = models.OneToOneField(
        Refund, verbose_name=_("refund"), on_delete=models.PROTECT, null=True, blank=True, related_name="credit_note"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=40)
    issued_at = models.DateTimeField(_("issued at"))
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    seller = models.JSONField(_("seller"))
    buyer = models.JSONField(_("buyer"))
    lines = models.JSONField(_("lines"), help_text=_("One object per charge: description, amount."))
    vat_breakdown = models.JSONField(_("VAT breakdown"), help_text=_("One object per VAT rate: rate, net, vat, gross."))
    pdf = models.BinaryField(_("PDF"))

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "kind", "year", "sequence"], name="invoice_number_unique"),
            models.CheckConstraint(condition=Q(total__gt=0), name="invoice_total_positive"),
            models.CheckConstraint(
                condition=(Q(kind="invoice") & Q(corrects__isnull=True))
                | (Q(kind="credit_note") & Q(corrects__isnull=False)),
                name="credit_note_corrects_an_invoice",
            ),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise IssuedDocumentError(f"{self.number} is issued and can't be changed: issue a credit note instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise IssuedDocumentError(f"{self.number} is issued and can't be deleted.")

    @property
    def signed_total(self):
        return self.total if self.kind == self.Kind.INVOICE else -self.total

    @property
    def is_advance(self) -> bool:
        """An advance invoice: a deposit invoiced when paid, deducted by the booking's final invoice."""
        return self.kind == self.Kind.INVOICE and any(line.get("category") == "advance" for line in self.lines)


class PaymentReceipt(models.Model):
    """The receipt of one payment taken after the checkout (a balance, a fee, a change's difference) or of one
    refund: numbered in the receipts' own gap-free series (``ReceiptSequence``, shared with the booking's
    receipt), rendered once to PDF in the booking's language and kept as issued. Exactly one of ``payment`` and
    ``refund`` is set, and each has at most one receipt."""

    booking = models.ForeignKey(
        "bookings.Booking", verbose_name=_("booking"), on_delete=models.PROTECT, related_name="payment_receipts"
    )
    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, null=True, blank=True, related_name="receipt"
    )
    refund = models.OneToOneField(
        Refund, verbose_name=_("refund"), on_delete=models.PROTECT, null=True, blank=True, related_name="receipt"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("issued at"))
    pdf = models.BinaryField(_("PDF"))

    class Meta:
        verbose_name = _("payment receipt")
        verbose_name_plural = _("payment receipts")
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="paymentreceipt_year_sequence_unique"),
            models.CheckConstraint(
                condition=Q(payment__isnull=False, refund__isnull=True) | Q(payment__isnull=True, refund__isnull=False),
                name="paymentreceipt_payment_or_refund",
            ),
        ]

    def __str__(self):
        return self.number
