"""Travel agencies and other sites that sell our hotels through the partner API."""

import secrets

from django.db import models


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Partner(models.Model):
    name = models.CharField(max_length=120, unique=True)
    is_active = models.BooleanField(default=True)
    is_test = models.BooleanField(
        default=False, help_text="Test partners may send the Test header to simulate outcomes."
    )
    hotels = models.ManyToManyField(
        "hotels.Hotel",
        blank=True,
        related_name="partners",
        help_text="Leave empty to let the partner sell every hotel.",
    )
    webhook_url = models.URLField(blank=True)
    webhook_secret = models.CharField(max_length=80, default=new_webhook_secret)
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
