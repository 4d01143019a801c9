"""The language of a request, and the language switcher.

- The site's pages (``i18n_patterns`` in ``config/urls.py``) take their language from the URL: English at the root
  (``/hotels/…``), every other language under its prefix (``/fr/hotels/…``), so each language has its own
  addresses for search engines and links keep their language.
- Everything outside them (the partner API, the staff console, the bank's webhook and return page, the probes)
  has no prefix: the language is the account's, else the switcher's cookie, else ``Accept-Language``.
- A first visit to an English address (no language cookie yet) from a browser or an account that prefers
  another shipped language is redirected once to that language's address; choosing English in the switcher sets
  the cookie, so nobody is sent back.
- The switcher (``language_set``) keeps the page: it sends the current path and answers with that path in the
  chosen language (``translate_url``), remembering the choice in the cookie and on the account.
"""

from functools import lru_cache
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import NoReverseMatch, Resolver404, get_script_prefix, get_urlconf, resolve, reverse, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

# Paths served without a language prefix (config/urls.py): their language is never the URL's.
UNPREFIXED = (
    "/api/",
    "/payments/",
    "/display/",
    "/healthz",
    "/readyz",
    "/i18n/",
    "/static/",
    "/media/",
    "/partner-hotels/",
)


def unprefixed(path: str) -> bool:
    return path.startswith(UNPREFIXED) or path.startswith("/" + settings.ADMIN_URL)


def shipped(code: str | None) -> str | None:
    """``code`` as one of ``settings.LANGUAGES`` (``de-AT`` → ``de``), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def preferred_language(request) -> str:
    """The account's language, else the switcher's cookie, else the browser's ``Accept-Language``."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and shipped(getattr(user, "preferred_language", "")):
        return shipped(user.preferred_language)
    return translation.get_language_from_request(request, check_path=False) or settings.LANGUAGE_CODE


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, except outside the prefixed pages, where Django would always pick ``LANGUAGE_CODE``: there the
    cookie and ``Accept-Language`` decide (the API's error messages follow ``Accept-Language``)."""

    def process_request(self, request):
        if unprefixed(request.path_info):
            translation.activate(translation.get_language_from_request(request, check_path=False))
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)

    def process_response(self, request, response):
        if unprefixed(request.path_info):
            patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", translation.get_language())
            return response
        return super().process_response(request, response)


class FirstVisitLanguageMiddleware:
    """After authentication: the account's language for unprefixed requests, and the one-time redirect of an
    English address to the visitor's language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if unprefixed(path):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and shipped(getattr(user, "preferred_language", "")):
                translation.activate(shipped(user.preferred_language))
                request.LANGUAGE_CODE = translation.get_language()
            return self.get_response(request)
        if (
            request.method in ("GET", "HEAD")
            and translation.get_language_from_path(path) is None
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
        ):
            wanted = preferred_language(request)
            if wanted != settings.LANGUAGE_CODE:
                target = translate_url(request.get_full_path(), wanted)
                if urlsplit(target).path != path:
                    response = HttpResponseRedirect(target)
                    patch_vary_headers(response, ("Accept-Language", "Cookie"))
                    return response
        return self.get_response(request)


def page_in_language(url: str, code: str) -> str:
    """``url`` (a path on this site, with its query) in language ``code``; unchanged when it is no page of ours.

    Django's ``translate_url`` (a ``resolve`` and a ``reverse``), with the path's translation remembered: every page
    asks it for its four ``hreflang`` links, and it was a tenth of a cached results page's CPU."""
    parsed = urlsplit(url)
    path = _path_in_language(
        parsed.path,
        translation.get_language_from_path(parsed.path) or settings.LANGUAGE_CODE,
        code,
        get_script_prefix(),
        get_urlconf(),
    )
    return url if path is None else urlunsplit((parsed.scheme, parsed.netloc, path, parsed.query, parsed.fragment))


@lru_cache(maxsize=4096)
def _path_in_language(path: str, language: str, code: str, _prefix: str, urlconf) -> str | None:
    """``translate_url``'s path in ``code`` for ``path`` read in ``language``, or None where it keeps the URL as it
    is; a function of its arguments (the URLconf and script prefix too, as they say what ``reverse`` answers)."""
    with translation.override(language):
        try:
            match = resolve(unquote(path), urlconf)
        except Resolver404:
            return None
    name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    with translation.override(code):
        try:
            return reverse(name, urlconf, args=match.args, kwargs=match.kwargs)
        except NoReverseMatch:
            return None


def languages(request):
    """Template context: the shipped languages for the switcher and ``<link rel=alternate hreflang>``."""
    current = translation.get_language()
    path = request.get_full_path() if request is not None else "/"
    choices = []
    for code, _name in settings.LANGUAGES:
        info = translation.get_language_info(code)
        choices.append(
            {"code": code, "name": info["name_local"], "url": page_in_language(path, code), "current": code == current}
        )
    return {"site_languages": choices, "LANGUAGE_CODE": current}


@require_GET
def language_set(request):
    """The switcher (a GET form like the currency selector: no CSRF token, so cached pages stay shareable): the
    same page (``next``, path and query) in the chosen language; the choice is remembered in
    the cookie and, for a logged-in guest, on the account (their e-mails follow it)."""
    code = shipped(request.GET.get("language"))
    next_url = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
        next_url = "/"
    if code is None:
        return HttpResponseRedirect(next_url)
    response = HttpResponseRedirect(page_in_language(next_url, code))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and getattr(user, "preferred_language", None) != code:
        user.preferred_language = code
        user.save(update_fields=["preferred_language"])
    return response
