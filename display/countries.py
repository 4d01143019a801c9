"""A country's name in the reader's language, from CLDR through Babel: hotels store their country as typed in the
default language ("Germany"), and a German page says "Deutschland"."""

from functools import cache

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils import translation


@cache
def _codes() -> dict[str, str]:
    """Territory code by its name in the default language, any case ("germany" → "DE")."""
    return {name.casefold(): code for code, name in Locale.parse(settings.LANGUAGE_CODE).territories.items()}


def country_name(name: str, language: str | None = None) -> str:
    """``name`` (a country as written in the default language) in ``language`` (the active one); unchanged when
    CLDR doesn't know it (a misspelling stays as the hotel typed it)."""
    code = _codes().get((name or "").strip().casefold())
    if code is None:
        return name
    try:
        locale = Locale.parse(translation.to_locale(language or translation.get_language() or settings.LANGUAGE_CODE))
    except (UnknownLocaleError, ValueError):
        return name
    return locale.territories.get(code, name)
