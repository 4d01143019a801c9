import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template import engines
from django.template.backends.utils import csrf_input
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from config.db_router import reads_from_replica
from display.context_processors import SESSION_KEY as CURRENCY_SESSION_KEY

from .cards import CARDS_VERSION_KEY, cards_version
from .cities import city_label
from .forms import ResultsFilterForm, SearchForm, StayForm
from .limits import anonymous_browsing_limited
from .models import Hotel
from .offers import HOTEL_PRICING_PREFETCH, hotel_offers
from .results import ResultsPage, results_page
from .search import city_suggestions, known_cities, search_amenities

PAGE_SIZE = 10


def _default_dates():
    today = timezone.now().date()
    return {
        "check_in": today + timedelta(days=14),
        "check_out": today + timedelta(days=16),
        "adults": 2,
        "children": 0,
        "rooms": 1,
    }


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 10_000))
    except (TypeError, ValueError):
        return 1


def _fragment(name: str, context: dict) -> SafeString:
    """A Jinja2 fragment of a page (``fragments/``, config/jinja2.py): it escapes every value as Django does."""
    return _rendered(engines["jinja2"].get_template(name).render(context))


def _rendered(html: str) -> SafeString:
    """A fragment rendered by the autoescaping Jinja2 environment (now, or earlier and cached)."""
    return SafeString(html)  # nosec B703 - output of an autoescaping template


def _home(request, form):
    cities = known_cities()
    search_form = _fragment("includes/search_form.html", {"form": form, "cities": cities})
    return render(request, "hotels/home.html", {"form": form, "cities": cities, "search_form": search_form})


@require_GET
def home(request):
    return _home(request, SearchForm(initial=_default_dates()))


@require_GET
@anonymous_browsing_limited
@reads_from_replica
def search(request):
    form = SearchForm(request.GET)
    if not form.is_valid():
        return _home(request, form)
    content, results = _results_content(request, form)
    return render(
        request,
        "hotels/results.html",
        {"city": city_label(form.cleaned_data["destination"]), "content": content, "results": results},
    )


def _results_content(request, form) -> tuple[SafeString, ResultsPage | None]:
    """The results page's content for a valid search, and its :class:`ResultsPage` when it was computed.

    The content is a function of the query string, the display currency and the language only (nothing of the user's: the
    header is rendered per request around it), so it is cached whole for ``SEARCH_CACHE_SECONDS`` (the staleness
    the results page already allowed), tagged with the hotel cards' version so that a change of photos,
    amenities or taxes shows at once. A page a source could not complete (a supplier late) is not cached.
    """
    seconds = settings.SEARCH_CACHE_SECONDS
    shown = request.session.get(CURRENCY_SESSION_KEY, "")
    language = translation.get_language()
    key = "results-page:" + hashlib.sha256(repr((sorted(request.GET.lists()), shown, language)).encode()).hexdigest()
    version = None
    if seconds:
        found = cache.get_many([key, CARDS_VERSION_KEY])
        version = found.get(CARDS_VERSION_KEY) or cards_version()
        if key in found and found[key][0] == version:
            return _rendered(found[key][1]), None
    filter_form = ResultsFilterForm(request.GET, amenity_choices=search_amenities())
    filters = filter_form.filters()
    city, stay = form.cleaned_data["destination"], form.stay
    results = results_page(city=city, stay=stay, page=_page_number(request), page_size=PAGE_SIZE, **filters)
    content = _fragment(
        "hotels/results.html",
        {
            "form": form,
            "filter_form": filter_form,
            "stay": stay,
            "city": city_label(city),  # in the reader's language ("München"); the search used the hotels' name
            "results": results,
            "selected_stars": {str(v) for v in (filters["stars"] or [])},
            "selected_amenities": set(filters["amenities"] or []),
            "cities": known_cities(),
            "query": request.GET,
            "display_currency": shown,
        },
    )
    if seconds and results.complete:
        cache.set(key, (version, str(content)), seconds)
    return content, results


@require_GET
def destination_suggestions(request):
    return JsonResponse({"cities": city_suggestions(request.GET.get("q", "")[:100])})


def _by_room_type(offers):
    """[(room type, its offers)], room types in the order of their cheapest offer; offers come cheapest first."""
    grouped = {}
    for offer in offers:
        grouped.setdefault(offer.room_type.pk, (offer.room_type, []))[1].append(offer)
    return list(grouped.values())


@require_GET
@anonymous_browsing_limited
@reads_from_replica
def hotel_detail(request, slug):
    hotel = get_object_or_404(
        Hotel.objects.prefetch_related("photos", "amenities", *HOTEL_PRICING_PREFETCH), slug=slug, is_active=True
    )
    stay_form = StayForm(request.GET if "check_in" in request.GET else None, initial=_default_dates())
    offers = []
    stay = None
    if stay_form.is_bound and stay_form.is_valid():
        stay = stay_form.stay
        offers = hotel_offers(hotel=hotel, stay=stay)
    content = _fragment(
        "hotels/detail.html",
        {
            "hotel": hotel,
            "stay_form": stay_form,
            "stay": stay,
            "offers_by_room": _by_room_type(offers),
            "display_currency": request.session.get(CURRENCY_SESSION_KEY, ""),
            "csrf_input": csrf_input(request),
        },
    )
    return render(request, "hotels/detail.html", {"hotel": hotel, "stay": stay, "content": content})
