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

    reference = models.CharField(_("reference"), max_length=12, unique=True, default=new_reference, editable=False)
    hotel = models.ForeignKey(
        "hotels.Hotel", verbose_name=_("hotel"), on_delete=models.PROTECT, related_name="bookings"
    )
    room_type = models.ForeignKey(
        "hotels.RoomType", verbose_name=_("room type"), on_delete=models.PROTECT, related_name="bookings"
    )
    rate_plan = models.ForeignKey(
        "hotels.RatePlan",
        verbose_name=_("rate plan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.WEBSITE)
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
    )
    partner_reference = models.CharField(_("partner reference"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT)

    check_in = models.DateField(_("check-in"))
    check_out = models.DateField(_("check-out"))
    adults = models.PositiveSmallIntegerField(_("adults"))
    children = models.PositiveSmallIntegerField(_("children"), default=0)
    children_ages = models.JSONField(
        _("children ages"), default=list, blank=True, help_text=_("Ages as given; null where not given.")
    )
    rooms = models.PositiveSmallIntegerField(_("rooms"), default=1)

    guest_first_name = models.CharField(_("guest's first name"), max_length=100)
    guest_last_name = models.CharField(_("guest's last name"), max_length=100)
    guest_email = models.EmailField(_("guest's e-mail"))
    guest_phone = models.CharField(_("guest's phone"), max_length=32, blank=True)
    special_requests = models.TextField(_("special requests"), blank=True, max_length=1000)
    # The language the booking was made in (a code of settings.LANGUAGES): every e-mail and PDF about it uses it.
    language = models.CharField(_("language"), max_length=8, default="en")

    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    price_snapshot = models.JSONField(
        _("price snapshot"), help_text=_("Nightly lines, taxes and total as quoted when the booking was made.")
    )
    cancellation_policy = models.JSONField(
        _("cancellation policy"), help_text=_("The policy as agreed when the booking was made.")
    )

    # Whose rooms these are: ours (counted in NightInventory, taken again by a late payment) or a supplier's (held
    # and sold there; nothing is counted here).
    inventory = models.CharField(_("inventory"), max_length=10, choices=Inventory.choices, default=Inventory.HOTEL)
    # True while the booking's room-nights are counted in NightInventory.rooms_sold; flipped in the same
    # transaction as the counters, so releasing twice is a no-op.
    nights_held = models.BooleanField(_("nights held"), default=False)
    hold_expires_at = models.DateTimeField(_("hold expires at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_penalty = models.DecimalField(
        _("cancellation penalty"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    refunded_amount = models.DecimalField(_("refunded amount"), max_digits=12, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
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

    guest_name.fget.short_description = _("guest")  # the admin's column title


class RoomLine(models.Model):
    """One room of a booking: its room type and rate, the party staying in it, the guest's name, its own prices
    (``hotels.pricing.Quote.as_snapshot()`` for one room) and cancellation policy, and its own status.

    One line is one room (never a count): each room has its own party, guest name, price and policy, and a room
    is cancelled or changed on its own. All lines of a booking share its dates. ``Booking.total`` is the sum of
    its lines' charges (:attr:`charge`: the total of a line that is sold, the penalty kept on a cancelled one);
    the services keep it so and the books audit checks it. ``nights_held`` says whether this line's nights are
    counted in ``NightInventory.rooms_sold`` (flipped in the same transaction as the counters)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")

    booking = models.ForeignKey(Booking, verbose_name=_("booking"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(
        _("position"), help_text=_("1, 2, … in the order the rooms were booked.")
    )
    room_type = models.ForeignKey(
        "hotels.RoomType", verbose_name=_("room type"), on_delete=models.PROTECT, related_name="room_lines"
    )
    rate_plan = models.ForeignKey(
        "hotels.RatePlan",
        verbose_name=_("rate plan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="room_lines",
    )
    adults = models.PositiveSmallIntegerField(_("adults"))
    children_ages = models.JSONField(
        _("children ages"), default=list, blank=True, help_text=_("One entry per child; null where not given.")
    )
    guest_name = models.CharField(_("guest's name"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    price_snapshot = models.JSONField(
        _("price snapshot"), help_text=_("This room's nightly lines, taxes and total as sold.")
    )
    cancellation_policy = models.JSONField(
        _("cancellation policy"), help_text=_("This room's policy as agreed when it was booked or changed.")
    )
    nights_held = models.BooleanField(_("nights held"), default=False)
    cancellation_penalty = models.DecimalField(
        _("cancellation penalty"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("room line")
        verbose_name_plural = _("room lines")
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
        return _("%(booking)s, room %(position)s") % {"booking": self.booking_id, "position": self.position}

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
        MODIFY = "modify", _("Changed")
        CANCEL_ROOM = "cancel_room", _("Room cancelled")

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Waiting for the difference")
        APPLIED = "applied", _("Applied")
        EXPIRED = "expired", _("Expired unpaid")
        FAILED = "failed", _("Payment failed")

    booking = models.ForeignKey(Booking, verbose_name=_("booking"), on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    actor_kind = models.CharField(_("actor kind"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.SET_NULL, null=True, blank=True
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Booking.Source.choices)
    summary = models.CharField(_("summary"), max_length=255)
    before = models.JSONField(_("before the change"), default=dict)
    after = models.JSONField(
        _("after the change"), default=dict, help_text=_("The booking's dates and rooms once the change applies.")
    )
    currency = models.CharField(_("currency"), max_length=3)
    old_total = models.DecimalField(_("old total"), max_digits=12, decimal_places=2)
    new_total = models.DecimalField(_("new total"), max_digits=12, decimal_places=2)
    difference = models.DecimalField(_("difference"), max_digits=12, decimal_places=2)
    nights_taken = models.JSONField(_("nights taken"), default=list, blank=True)
    payment = models.OneToOneField(
        "payments.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="booking_change",
    )
    hold_expires_at = models.DateTimeField(_("hold expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("booking change")
        verbose_name_plural = _("booking changes")
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

    booking = models.ForeignKey(
        Booking, verbose_name=_("booking"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from status"), max_length=20, blank=True, choices=Booking.Status.choices)
    to_status = models.CharField(_("to status"), max_length=20, choices=Booking.Status.choices)
    actor_kind = models.CharField(_("actor kind"), max_length=20, choices=Actor.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("booking status change")
        verbose_name_plural = _("booking status changes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.booking}: {self.get_from_status_display() or '—'} → {self.get_to_status_display()}"


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

    booking = models.ForeignKey(Booking, verbose_name=_("booking"), on_delete=models.CASCADE, related_name="effects")
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=120, unique=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # Counted in its own committed transaction before each run, so a worker that dies mid-run counts too.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name_plural = _("side effects")
        ordering = ["created_at", "id"]
        verbose_name = _("side effect")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="effect_status_next_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.booking_id} ({self.status})"


class BooksAudit(models.Model):
    """One run of the books audit (``bookings/audit.py``): what it found, shown on the staff dashboard."""

    ran_at = models.DateTimeField(_("run at"), auto_now_add=True)
    findings = models.JSONField(
        _("findings"), default=list, help_text=_("One object per discrepancy: check, subject, detail.")
    )

    class Meta:
        verbose_name_plural = _("books audits")
        ordering = ["-ran_at"]
        verbose_name = _("books audit")

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
        COLLECTED = "collected", _("Collected")
        PAID_BACK = "paid_back", _("Paid back")

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        PAY_AT_HOTEL = "pay_at_hotel", _("Pay at the hotel")

    booking = models.ForeignKey(
        Booking, verbose_name=_("booking"), on_delete=models.PROTECT, related_name="offline_payments"
    )
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.COLLECTED)
    reference = models.CharField(_("reference"), max_length=80)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name_plural = _("offline payments")
        ordering = ["recorded_at", "id"]
        verbose_name = _("offline payment")
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
