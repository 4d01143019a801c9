"""Other sites whose hotels our search shows and sells (issue 8). A supplier speaks our own partner API protocol,
so any instance of this site can supply another.

A supplier's hotel is mirrored as an inactive local Hotel / RoomType / RatePlan when a guest books it, so a
Booking keeps its usual foreign keys; inactive hotels never appear in our own search or hotel pages.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Supplier(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    base_url = models.URLField(
        _("base URL"), help_text=_("Where its partner API lives, e.g. https://partner.example (no /api/v1).")
    )
    api_key = models.CharField(
        _("API key"), max_length=200, help_text=_("The partner API key this site was given by the supplier.")
    )
    timeout_ms = models.PositiveIntegerField(
        _("timeout (ms)"), default=700, help_text=_("Read timeout of one request.")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    # Circuit breaker: after SUPPLIER_BREAKER_FAILURES failures in a row, skipped until open_until.
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0, editable=False)
    open_until = models.DateTimeField(_("circuit open until"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=255, blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last success at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_open(self) -> bool:
        """True while the breaker keeps this supplier out of searches."""
        return self.open_until is not None and self.open_until > timezone.now()


class SupplierHotel(models.Model):
    """The local mirror of a supplier's hotel, made when a guest books it."""

    hotel = models.OneToOneField(
        "hotels.Hotel", verbose_name=_("hotel"), on_delete=models.CASCADE, related_name="supplier_link"
    )
    supplier = models.ForeignKey(Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="hotels")
    remote_id = models.PositiveBigIntegerField(_("remote ID"))

    class Meta:
        verbose_name = _("supplier hotel")
        verbose_name_plural = _("supplier hotels")
        constraints = [models.UniqueConstraint(fields=["supplier", "remote_id"], name="supplierhotel_remote_unique")]

    def __str__(self):
        return f"{self.hotel.name} via {self.supplier}"


class SupplierBooking(models.Model):
    """Our booking of a supplier's hotel and what the supplier said about it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for payment or for the supplier")
        PLACED = "placed", _("Placed at the supplier")
        REFUSED = "refused", _("Refused by the supplier (refunded)")
        CANCELLED = "cancelled", _("Cancelled at the supplier")

    booking = models.OneToOneField(
        "bookings.Booking", verbose_name=_("booking"), on_delete=models.CASCADE, related_name="supplier_booking"
    )
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="bookings"
    )
    remote_room_type_id = models.PositiveBigIntegerField(_("remote room type ID"))
    remote_rate_plan_id = models.PositiveBigIntegerField(_("remote rate plan ID"), null=True, blank=True)
    remote_reference = models.CharField(_("remote reference"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("supplier booking")
        verbose_name_plural = _("supplier bookings")

    def __str__(self):
        return f"{self.booking} at {self.supplier} ({self.get_status_display()})"

    @property
    def idempotency_key(self) -> str:
        """Derived from our booking: placing it again can never make a second booking at the supplier."""
        return f"staybook-{self.booking.reference}"
