"""A city's names in every language: the search matches hotels by the city's own name (``Hotel.city``), so a name
typed in any language ("München", "Venezia") is resolved to it first, and pages show the city in the reader's
language. Names are ``CityName`` rows, edited in the admin and seeded for the demo cities."""

import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from .models import CityName

CACHE_KEY = "hotels:city-names"


def _names() -> list[tuple[str, str, str]]:
    names = cache.get(CACHE_KEY)
    if names is None:
        names = list(CityName.objects.values_list("city", "language", "name"))
        cache.set(CACHE_KEY, names, 300)
    return names


def city_for_name(typed: str, cities: list[str]) -> str | None:
    """The city of ``cities`` called ``typed`` (any case and spacing) in its own name or in any language."""
    wanted = " ".join(typed.split()).casefold()
    for city in cities:
        if city.casefold() == wanted:
            return city
    known = {city.casefold(): city for city in cities}
    for city, _language, name in _names():
        if name.casefold() == wanted and city.casefold() in known:
            return known[city.casefold()]
    return None


def city_label(city: str, language: str | None = None) -> str:
    """``city`` as written in ``language`` (the active one), or as hotels spell it when no name is known."""
    language = (language or translation.get_language() or "").split("-")[0]
    if language == settings.LANGUAGE_CODE:
        return city  # hotels spell their city in the default language: no lookup on the default pages
    for canonical, code, name in _names():
        if canonical == city and code == language:
            return name
    return city


def city_labels(cities: list[str]) -> list[tuple[str, str]]:
    """(city as hotels spell it, its name in the active language) for each of ``cities``, in the reader's
    alphabetical order: what the home page's destinations and the search's suggestions show."""
    return sorted(((city, city_label(city)) for city in cities), key=lambda pair: _sort_key(pair[1]))


def _sort_key(name: str) -> str:
    """Alphabetical as readers expect it: "Édimbourg" among the E's, not after the Z's."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()
