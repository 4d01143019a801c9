"""Travel agencies and other sites that sell our hotels through the partner API."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Partner(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_test = models.BooleanField(
        _("test partner"), default=False, help_text=_("Test partners may send the Test header to simulate outcomes.")
    )
    hotels = models.ManyToManyField(
        "hotels.Hotel",
        verbose_name=_("hotels"),
        blank=True,
        related_name="partners",
        help_text=_("Leave empty to let the partner sell every hotel."),
    )
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=80, default=new_webhook_secret)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # DRF treats the authenticated principal as a user; a partner authenticated by its API key is one.
    is_authenticated = True
    is_anonymous = False

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PartnerAPIKey(AbstractAPIKey):
    """A partner's key: shown once, stored hashed (djangorestframework-api-key), revocable; several may be live
    during a rotation."""

    # The library's fields, declared again only to give them translated labels (same columns, same options).
    id = models.CharField(_("ID"), max_length=150, unique=True, primary_key=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    hashed_key = models.CharField(_("hashed key"), max_length=150, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    name = models.CharField(
        _("name"), max_length=50, blank=False, default=None, help_text=_("What the key is for; need not be unique.")
    )
    revoked = models.BooleanField(
        _("revoked"),
        blank=True,
        default=False,
        help_text=_("A revoked key no longer works. This cannot be undone."),
    )
    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name_plural = _("partner API keys")
        verbose_name = _("partner API key")


class IdempotencyRecord(models.Model):
    """The first response to (partner, Idempotency-Key), replayed to retries for at least 24 hours.

    The row is committed "in_progress" before any work starts (the unique constraint decides which of two
    concurrent requests proceeds), then locked by the request doing the work and marked "done" in the same
    transaction as the booking."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True)
    response_body = models.JSONField(_("response body"), null=True)
    booking = models.ForeignKey(
        "bookings.Booking",
        verbose_name=_("booking"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The booking this key made, set in the booking's own transaction."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["partner", "key"], name="idempotency_partner_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self):
        return f"{self.partner}: {self.key}"


class WebhookDelivery(models.Model):
    """One attempt to deliver one event to a partner's webhook URL."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    booking = models.ForeignKey(
        "bookings.Booking", verbose_name=_("booking"), on_delete=models.CASCADE, null=True, related_name="webhooks"
    )
    event_id = models.CharField(_("event ID"), max_length=40)
    event_type = models.CharField(_("event type"), max_length=40)
    payload = models.JSONField(_("payload"))
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    delivered = models.BooleanField(_("delivered"), default=False)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        ordering = ["-created_at"]
        verbose_name_plural = _("webhook deliveries")
        constraints = [models.UniqueConstraint(fields=["event_id", "attempt"], name="webhook_event_attempt_unique")]

    def __str__(self):
        return f"{self.event_type} {self.event_id} #{self.attempt}"
