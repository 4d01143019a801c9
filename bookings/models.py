"""Bookings: a stay sold to a guest, its price snapshot, and the record of every state change."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Crockford-like alphabet: no 0/O, 1/I/L confusion when read over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    return "HB-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        CONFIRMED = "confirmed", _("Confirmed")
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")
        CHECKED_IN = "checked_in", _("Checked in")
        CHECKED_OUT = "checked_out", _("Checked out")
        NO_SHOW = "no_show", _("No-show")

    class Source(models.TextChoices):
        WEBSITE = "website", _("Website")
        PARTNER = "partner", _("Partner API")
        STAFF = "staff", _("Staff")
        SUPPLIER = "supplier", _("Website, partner hotel")  # paid here, placed at a supplier (suppliers app)

    class Inventory(models.TextChoices):
        HOTEL = "hotel", _("Our hotel's inventory")
        SUPPLIER = "supplier", _("The supplier's inventory")

    # States in which the booking's nights are taken from inventory.
    HOLDING_STATUSES = (Status.PENDING_PAYMENT, Status.CONFIRMED, Status.CHECKED_IN)

    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    hotel = models.ForeignKey("hotels.Hotel", on_delete=models.PROTECT, related_name="bookings")
    room_type = models.ForeignKey("hotels.RoomType", on_delete=models.PROTECT, related_name="bookings")
    rate_plan = models.ForeignKey(
        "hotels.RatePlan", on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEBSITE)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    partner_reference = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT)

    check_in = models.DateField()
    check_out = models.DateField()
    adults = models.PositiveSmallIntegerField()
    children = models.PositiveSmallIntegerField(default=0)
    children_ages = models.JSONField(default=list, blank=True, help_text=_("Ages as given; null where not given."))
    rooms = models.PositiveSmallIntegerField(default=1)

    guest_first_name = models.CharField(max_length=100)
    guest_last_name = models.CharField(max_length=100)
    guest_email = models.EmailField()
    guest_phone = models.CharField(max_length=32, blank=True)
    special_requests = models.TextField(blank=True, max_length=1000)
    # The language the booking was made in (a code of settings.LANGUAGES): every e-mail and PDF about it uses it.
    language = models.CharField(max_length=8, default="en")

    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    price_snapshot = models.JSONField(
        help_text=_("Nightly lines, taxes and total as quoted when the booking was made.")
    )
    cancellation_policy = models.JSONField(help_text=_("The policy as agreed when the booking was made."))

    # Whose rooms these are: ours (counted in NightInventory, taken again by a late payment) or a supplier's (held
    # and sold there; nothing is counted here).
    inventory = models.CharField(max_length=10, choices=Inventory.choices, default=Inventory.HOTEL)
    # True while the booking's room-nights are counted in NightInventory.rooms_sold; flipped in the same
    # transaction as the counters, so releasing twice is a no-op.
    nights_held = models.BooleanField(default=False)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_penalty = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("view_booking_prices", "Can see the prices and payments of bookings"),
            ("refund_booking", "Can refund bookings"),
            ("cancel_booking", "Can cancel bookings"),
            ("mark_booking", "Can check guests in and out"),
        ]
        indexes = [
            models.Index(fields=["hotel", "check_in"], name="booking_hotel_checkin_idx"),
            models.Index(fields=["status", "hold_expires_at"], name="booking_status_hold_idx"),
            models.Index(fields=["customer", "-check_in"], name="booking_customer_idx"),
            models.Index(fields=["partner", "-created_at"], name="booking_partner_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(check_out__gt=F("check_in")), name="booking_checkout_after_checkin"),
            models.CheckConstraint(condition=Q(rooms__gte=1), name="booking_rooms_positive"),
            models.CheckConstraint(condition=Q(adults__gte=1), name="booking_adults_positive"),
            models.CheckConstraint(condition=Q(total__gte=0), name="booking_total_non_negative"),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("bookings:detail", kwargs={"reference": self.reference})

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    @property
    def guest_name(self) -> str:
        return f"{self.guest_first_name} {self.guest_last_name}".strip()


class RoomLine(models.Model):
    """One room of a booking: its room type and rate, the party staying in it, the guest's name, its own prices
    (``hotels.pricing.Quote.as_snapshot()`` for one room) and cancellation policy, and its own status.

    One line is one room (never a count): each room has its own party, guest name, price and policy, and a room
    is cancelled or changed on its own. All lines of a booking share its dates. ``Booking.total`` is the sum of
    its lines' charges (:attr:`charge`: the total of a line that is sold, the penalty kept on a cancelled one);
    the services keep it so and the books audit checks it. ``nights_held`` says whether this line's nights are
    counted in ``NightInventory.rooms_sold`` (flipped in the same transaction as the counters)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Booked"
        CANCELLED = "cancelled", "Cancelled"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(help_text="1, 2, … in the order the rooms were booked.")
    room_type = models.ForeignKey("hotels.RoomType", on_delete=models.PROTECT, related_name="room_lines")
    rate_plan = models.ForeignKey(
        "hotels.RatePlan", on_delete=models.PROTECT, null=True, blank=True, related_name="room_lines"
    )
    adults = models.PositiveSmallIntegerField()
    children_ages = models.JSONField(default=list, blank=True, help_text="One entry per child; null where not given.")
    guest_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    price_snapshot = models.JSONField(help_text="This room's nightly lines, taxes and total as sold.")
    cancellation_policy = models.JSONField(help_text="This room's policy as agreed when it was booked or changed.")
    nights_held = models.BooleanField(default=False)
    cancellation_penalty = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["booking", "position"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "position"], name="roomline_booking_position_unique"),
            models.CheckConstraint(condition=Q(adults__gte=1), name="roomline_adults_positive"),
            models.CheckConstraint(condition=Q(total__gte=0), name="roomline_total_non_negative"),
            models.CheckConstraint(
                condition=Q(cancellation_penalty__isnull=True) | Q(cancellation_penalty__lte=F("total")),
                name="roomline_penalty_within_total",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled", nights_held=True), name="roomline_cancelled_holds_nothing"
            ),
        ]

    def __str__(self):
        return f"{self.booking_id} room {self.position}"

    @property
    def children(self) -> int:
        return len(self.children_ages or [])

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def charge(self):
        """What this line costs the guest: its total while sold, the penalty kept once cancelled."""
        return self.total if self.is_active else (self.cancellation_penalty or 0)


class BookingChange(models.Model):
    """One change of a sold booking (new dates, rooms changed or added, a room cancelled): who made it, through
    which channel, what it was before and after, and what it cost or gave back.

    A change that costs more than was paid by card waits for the difference (``pending_payment``): it holds the
    nights it adds (``nights_taken``: ``[[room_type_id, "YYYY-MM-DD", rooms], …]``, counted in ``rooms_sold`` and
    by the books audit) until its ``payment`` is paid (then it is ``applied`` and the nights it gives up are
    released) or its hold lapses or the payment fails (then those nights go back on sale and the booking stays
    as it was). Everything else is applied at once."""

    class Kind(models.TextChoices):
        MODIFY = "modify", "Changed"
        CANCEL_ROOM = "cancel_room", "Room cancelled"

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Waiting for the difference"
        APPLIED = "applied", "Applied"
        EXPIRED = "expired", "Expired unpaid"
        FAILED = "failed", "Payment failed"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    actor_kind = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    channel = models.CharField(max_length=20, choices=Booking.Source.choices)
    summary = models.CharField(max_length=255)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict, help_text="The booking's dates and rooms once the change applies.")
    currency = models.CharField(max_length=3)
    old_total = models.DecimalField(max_digits=12, decimal_places=2)
    new_total = models.DecimalField(max_digits=12, decimal_places=2)
    difference = models.DecimalField(max_digits=12, decimal_places=2)
    nights_taken = models.JSONField(default=list, blank=True)
    payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="booking_change"
    )
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "hold_expires_at"], name="change_status_hold_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(difference=F("new_total") - F("old_total")), name="change_difference_adds_up"
            ),
            models.UniqueConstraint(
                fields=["booking"], condition=Q(status="pending_payment"), name="change_one_pending_per_booking"
            ),
        ]

    def __str__(self):
        return f"{self.booking_id}: {self.summary}"


class BookingStatusChange(models.Model):
    """One transition of a booking: from, to, who (customer, staff, partner or system) and when."""

    class Actor(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Staff")
        PARTNER = "partner", _("Partner")
        SYSTEM = "system", _("System")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor_kind = models.CharField(max_length=20, choices=Actor.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.booking}: {self.from_status or '—'} → {self.to_status}"


class BookingEffect(models.Model):
    """Something that must follow a booking's change, written in the same transaction as the change (a
    transactional outbox): the receipt, a partner webhook, placing or cancelling the booking at its supplier.

    ``key`` is deterministic (``<reference>:<event>:<kind>``), so the same change can't write the same effect
    twice. A dispatcher task runs it after the commit and the beat sweep runs whatever is left behind (a crashed
    process, a broker that was down); every handler is idempotent, so running one twice does it once. E-mails are
    rows of their own outbox (``notifications.OutboundEmail``), written in the same transaction too.
    See ``bookings/outbox.py`` and ``bookings/workflow.py``."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Issue the receipt")
        INVOICE = "invoice", _("Issue the invoice or credit note")
        PARTNER_WEBHOOK = "partner_webhook", _("Tell the partner (webhook)")
        SUPPLIER_PLACE = "supplier_place", _("Place the booking at the supplier")
        SUPPLIER_CANCEL = "supplier_cancel", _("Cancel the booking at the supplier")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Gave up")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="effects")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Counted in its own committed transaction before each run, so a worker that dies mid-run counts too.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "side effect"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="effect_status_next_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.booking_id} ({self.status})"


class BooksAudit(models.Model):
    """One run of the books audit (``bookings/audit.py``): what it found, shown on the staff dashboard."""

    ran_at = models.DateTimeField(auto_now_add=True)
    findings = models.JSONField(default=list, help_text=_("One object per discrepancy: check, subject, detail."))

    class Meta:
        ordering = ["-ran_at"]
        verbose_name = "books audit"

    def __str__(self):
        return f"{self.ran_at:%Y-%m-%d %H:%M}: {len(self.findings)} finding(s)"

    @property
    def ok(self) -> bool:
        return not self.findings


class OfflinePayment(models.Model):
    """Money staff took for a booking outside the bank (cash, a bank transfer) or agreed to take at the hotel,
    recorded with its reference when the staff booking is confirmed, and what the desk settles after a change of
    such a booking (``bookings.settlement``): the difference collected, or money paid back (``direction``
    ``paid_back``: cash handed back, a transfer sent). Nothing of it ever goes through the bank."""

    class Direction(models.TextChoices):
        COLLECTED = "collected", "Collected"
        PAID_BACK = "paid_back", "Paid back"

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        PAY_AT_HOTEL = "pay_at_hotel", "Pay at the hotel"

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="offline_payments")
    method = models.CharField(max_length=20, choices=Method.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.COLLECTED)
    reference = models.CharField(max_length=80)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = "offline payment"
        permissions = [("override_booking_price", "Can sell a room of a staff booking at another price")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="offlinepayment_amount_non_negative"),
            models.CheckConstraint(condition=~Q(reference=""), name="offlinepayment_reference_given"),
            # a promise to pay at the hotel is never "paid back": nothing was received
            models.CheckConstraint(
                condition=~Q(direction="paid_back", method="pay_at_hotel"), name="offlinepayment_paid_back_money"
            ),
        ]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount} {self.currency} ({self.reference})"
