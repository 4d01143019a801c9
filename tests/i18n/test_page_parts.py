"""The header and footer rendered once per language (config/page_parts.py: ``{% memo %}``) and the hreflang links'
paths remembered (config/i18n.py: ``page_in_language``): every page must be the one Django renders without them."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.template import engines
from django.test import RequestFactory
from django.urls import translate_url
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import User
from config.i18n import page_in_language

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
# A page of the site: its own block reads base.html's `login_url`, as the guest booking page does.
CHILD = "{% extends base %}{% block title %}T{% endblock %}{% block content %}[{{ login_url }}]{% endblock %}"
PATHS = [
    "/",
    "/fr/",
    "/accounts/login/",
    "/de/accounts/login/",
    "/bookings/",
    "/es/bookings/",
    "/search/?destination=Paris&a=%3Cb%3E&c=%22d%22&e=%27&f=%C3%A9",
    "/fr/hotels/h%C3%B4tel-x/?check_in=2027-01-02",
    "/no/such/page/",
    "/api/v1/availability/?city=Paris",
]


def _plain_base():
    """base.html as Django renders it without the memo: its source with the {% memo %} tags taken out."""
    source = engines["django"].engine.find_template("base.html")[0].source
    return engines["django"].from_string(re.sub(r"{% (end)?memo[^%]*%}", "", source))


def _render(base, path: str, user, currency: str, language: str) -> str:
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    if currency:
        request.session["display_currency"] = currency
    request._messages = FallbackStorage(request)
    with translation.override(language):
        html = engines["django"].from_string(CHILD).render({"base": base, "login_url": "/view/"}, request)
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', html)


@pytest.mark.parametrize("language", ["en", "fr", "de", "es"])
@pytest.mark.parametrize("logged_in", [False, True])
@pytest.mark.parametrize("currency", ["", "USD"])
def test_pages_with_the_memo_equal_pages_without_it(language, logged_in, currency):
    memo_base, plain_base = engines["django"].get_template("base.html"), _plain_base()
    user = User(email="guest@example.com") if logged_in else AnonymousUser()
    for path in PATHS:
        expected = _render(plain_base, path, user, currency, language)
        assert _render(memo_base, path, user, currency, language) == expected, path  # rendered, or reused
        assert _render(memo_base, path, user, currency, language) == expected, path  # reused
    # What the memo depends on shows: the menu's current page, the language, the visitor, the currency.
    assert 'aria-current="page"' in _render(
        memo_base, "/bookings/" if language == "en" else f"/{language}/bookings/", user, currency, language
    )
    html = _render(memo_base, "/search/", user, currency, language)
    assert ("guest@example.com" in html) is logged_in
    assert ('<option value="USD" selected>' in html) is bool(currency)
    assert f'<html lang="{language}">' in html


PATH_PARTS = st.sampled_from(
    [
        "",
        "fr",
        "de",
        "es",
        "hotels",
        "search",
        "accounts",
        "login",
        "bookings",
        "x",
        "%C3%A9",
        "h\u00f4tel",
        "a b",
        "..",
        "api",
        "v1",
        "legal",
        "privacy",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(PATH_PARTS, max_size=4),
    slash=st.booleans(),
    query=st.sampled_from(["", "?a=1", "?next=/fr/&b=%22", "?", "#top", "?a=1#x"]),
    code=st.sampled_from(["en", "fr", "de", "es"]),
    active=st.sampled_from(["en", "fr", "de", "es"]),
)
def test_page_in_language_is_translate_url(parts, slash, query, code, active):
    url = "/" + "/".join(parts) + ("/" if slash and parts else "") + query
    with translation.override(active):
        # The language of the path as a URL parser reads it: "///fr/" is the path "/fr/" (empty authority).
        path_language = translation.get_language_from_path(urlsplit(url).path) or "en"
        with translation.override(path_language):
            expected = translate_url(url, code)
        assert page_in_language(url, code) == expected
        assert page_in_language(url, code) == expected  # remembered


@pytest.mark.parametrize("languages", [["en", "fr", "de", "es", "en"], ["de", "en", "de"]])
def test_fragment_phrases_dates_and_counts_follow_the_language(languages):
    """The fragments remember phrases, counts and dates per language (config/jinja2.py): each render says what
    Django's own gettext, ngettext and date filter say in the active language, whatever was rendered before."""
    from datetime import date

    from django.template import defaultfilters
    from django.utils.html import escape
    from django.utils.translation import gettext, ngettext

    template = engines["jinja2"].from_string(
        '{{ _("Search") }}|{{ _("Price details") }}|{{ counted("nights", 3) }}|{{ day|date(_("D j M")) }}'
        '|{{ _("%(n)s, then", n=counted("rooms", 1)) }}|{{ stamp|date("j F Y") }}'
    )
    day = date(2027, 3, 5)
    for language in languages:
        with translation.override(language):
            expected = "|".join(
                [
                    gettext("Search"),
                    gettext("Price details"),
                    ngettext("%(n)s night", "%(n)s nights", 3) % {"n": 3},
                    defaultfilters.date(day, gettext("D j M")),
                    gettext("%(n)s, then") % {"n": ngettext("%(n)s room", "%(n)s rooms", 1) % {"n": 1}},
                    defaultfilters.date(day, "j F Y"),
                ]
            )
            assert template.render({"day": day, "stamp": day}) == str(escape(expected)), language
