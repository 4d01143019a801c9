"""Days as guests read them, formatted by Babel from CLDR for the current language (``5 déc. 2026`` in French,
``05.12.2026`` in German, ``Dec 5, 2026`` in English), beside ``display.money`` for amounts, so the documents and
e-mails that print a date in a sentence (a payment term, an invoice line) write it the locale's way."""

from datetime import date, datetime

from babel.dates import format_date, format_interval
from django.utils import timezone

from .money import babel_locale


def format_day(day, language: str | None = None, length: str = "medium") -> str:
    """``day`` (a ``date``, a ``datetime`` read in the site's time zone, or an ISO string) for ``language`` (the active one by default); the input unchanged
    when it is not a date."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            return day
    if isinstance(day, datetime) and timezone.is_aware(day):
        day = timezone.localtime(day)
    if not isinstance(day, date):
        return "" if day is None else str(day)
    return format_date(day, format=length, locale=babel_locale(language))


def format_stay(check_in: date, check_out: date, language: str | None = None) -> str:
    """A stay's dates as one interval the locale's way (``5–8 déc. 2026``, ``Dec 5 – 8, 2026``), for ``language``
    (the active one by default)."""
    return format_interval(check_in, check_out, "yMMMd", locale=babel_locale(language))
