"""Exchange rates for display: indicative amounts in a guest's currency, never charged."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExchangeRate(models.Model):
    """How many units of ``quote`` one unit of ``base`` buys, as the configured provider last said
    (``display.currency``). Only for showing guests indicative amounts: nothing is charged in these."""

    base = models.CharField(_("base currency"), max_length=3)
    quote = models.CharField(_("quoted currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=10)
    as_of = models.DateField(_("rate date"), help_text=_("The provider's date for the rate."))
    source = models.CharField(_("source"), max_length=40)
    fetched_at = models.DateTimeField(_("fetched at"), auto_now=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        db_table = "payments_exchangerate"  # the table it had in payments, before display currency moved here
        ordering = ["base", "quote"]
        constraints = [
            models.UniqueConstraint(fields=["base", "quote"], name="exchangerate_pair_unique"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchangerate_rate_positive"),
        ]

    def __str__(self):
        return f"1 {self.base} = {self.rate} {self.quote} ({self.as_of})"
