"""Amounts as guests read them: formatted by Babel from CLDR for the current language (``1 234,50 €`` in French,
``1.234,50 €`` in German, ``€1,234.50`` in English, ``¥1,235`` with no decimals for the yen).

One small module used by the pages (the ``money`` filter and ``price`` tag of ``hotels/templatetags/staybook``),
the Jinja2 fragments, the e-mails and the receipt PDF, so an amount reads the same wherever it appears. It only
formats: amounts are computed and rounded elsewhere (``hotels.pricing``, ``payments``)."""

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency
from django.utils import translation
from django.utils.html import format_html

MINUS = "\u2212"  # a real minus sign, as the site has always written a negative amount


def babel_locale(language: str | None = None) -> str:
    """Django's language code (``pt-br``) as a CLDR locale (``pt_BR``); English is ``en`` (CLDR's en_US)."""
    return translation.to_locale(language or translation.get_language() or "en")


def format_money(amount, currency: str, language: str | None = None) -> str:
    """``amount`` in ``currency`` for ``language`` (the active one by default); "" for no amount."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if not currency:
        return ""
    return _formatted(value, currency.upper(), babel_locale(language))


# A hotel page formats a hundred amounts, most of them the same few nightly prices, and Babel applies the locale's
# pattern anew each time: an amount's text is a function of its value, currency and locale only, so each is made
# once per process (equal Decimals such as 10.0 and 10.00 read the same once rounded to the currency's digits).
@lru_cache(maxsize=65536)
def _formatted(value: Decimal, currency: str, locale: str) -> str:
    text = format_currency(abs(value), currency, locale=locale)
    return f"{MINUS}{text}" if value < 0 else text


def price_html(amount, currency: str, shown: str = "") -> str:
    """An amount in its own currency and, when the guest chose another display currency ``shown``, the indicative
    conversion beside it: ``€208.00 <span>≈ $225.68</span>``."""
    from django.template.defaultfilters import date as date_filter
    from django.utils.translation import gettext

    from .currency import convert, rates_date

    own = format_money(amount, currency)
    if not shown or shown == currency or amount in (None, ""):
        return own
    converted = convert(amount, currency, shown)
    if converted is None:
        return own
    day = rates_date()
    if day:
        title = gettext("Indicative, at the rate of %(date)s") % {"date": date_filter(day, "j F Y")}
        hidden = gettext("indicative, at the rate of %(date)s") % {"date": date_filter(day, "j F Y")}
    else:
        title, hidden = gettext("Indicative"), gettext("indicative")
    return format_html(
        '{} <span class="price__converted" title="{}">≈ {}<span class="visually-hidden"> ({})</span></span>',
        own,
        title,
        format_money(converted, shown),
        hidden,
    )
