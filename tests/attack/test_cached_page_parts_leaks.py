"""The header and footer rendered once per language ({% memo %}) and the results page served from the result cache
before its form: one visitor's e-mail, CSRF token, message or language never shows in another's page."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import HotelFactory, RoomTypeFactory, UserFactory, future, open_nights


def url(name: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name)


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def paris(db, settings):
    settings.SEARCH_CACHE_SECONDS = 30
    open_nights(RoomTypeFactory(hotel=HotelFactory(name="Hôtel Lumière", city="Paris")), future(10), 3)
    return {
        "destination": "Paris",
        "check_in": future(10).isoformat(),
        "check_out": future(12).isoformat(),
        "adults": 2,
        "children": 0,
        "rooms": 1,
    }


def test_one_visitors_header_never_shows_in_anothers_page(paris):
    alice = UserFactory(email="alice.secret@example.com")
    french = Client()
    french.force_login(alice)
    french.cookies["django_language"] = "fr"
    hers = french.get(url("hotels:search", "fr"), paris).content.decode()
    assert "alice.secret@example.com" in hers and '<html lang="fr">' in hers
    [her_token] = TOKEN.findall(hers)

    for path in (url("hotels:search"), url("hotels:search", "fr")):
        stranger = Client().get(path, paris)
        page = stranger.content.decode()
        assert stranger.status_code == 200 and "Hôtel Lumière" in page
        assert "alice.secret" not in page and her_token not in page

    english = Client().get(url("hotels:search"), paris).content.decode()
    assert '<html lang="en">' in english and "Se connecter" not in english and "Find a stay" in english

    bob = UserFactory(email="bob@example.com")
    other = Client()
    other.force_login(bob)
    his = other.get(url("hotels:search"), paris).content.decode()
    assert "bob@example.com" in his and "alice.secret" not in his
    assert TOKEN.findall(his) and her_token not in TOKEN.findall(his)


def test_one_visitors_display_currency_is_not_in_the_cached_page_of_the_next(paris):
    first = Client()
    first.get(url("display:currency"), {"currency": "USD", "next": url("hotels:home")})
    theirs = first.get(url("hotels:search"), paris).content.decode()
    assert "≈" in theirs and '<option value="USD" selected>' in theirs
    fresh = Client().get(url("hotels:search"), paris).content.decode()
    assert "≈" not in fresh and '<option value="USD" selected>' not in fresh
