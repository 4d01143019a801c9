import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import engines
from django.template.backends.utils import csrf_input
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config.db_router import reads_from_replica
from display.context_processors import SESSION_KEY as CURRENCY_SESSION_KEY

from .basket import BasketLine, BasketLineInvalid, basket_lines_read, basket_plans, basket_price, room_fit_problem
from .cards import CARDS_VERSION_KEY, cards_version
from .cities import city_label, city_labels
from .forms import ResultsFilterForm, SearchForm, StayForm
from .limits import anonymous_browsing_limited
from .models import Hotel, RatePlan
from .offers import HOTEL_PRICING_PREFETCH, hotel_offers
from .results import ResultsPage, results_page
from .search import city_suggestions, known_cities, search_amenities

PAGE_SIZE = 10
MEAL_PLANS = dict(RatePlan.MealPlan.choices)


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
    cities = [label for _city, label in city_labels(known_cities())]  # in the reader's language ("München")
    search_form = _fragment("includes/search_form.html", {"form": form, "cities": cities})
    return render(request, "hotels/home.html", {"form": form, "cities": cities, "search_form": search_form})


@require_GET
def home(request):
    return _home(request, SearchForm(initial=_default_dates()))


@require_GET
@anonymous_browsing_limited
@reads_from_replica
def search(request):
    """The results page. Its content is a function of the query string, the display currency, the language and
    the day only (nothing of the user's: the header is rendered per request around it), so it is cached whole for
    ``SEARCH_CACHE_SECONDS`` (the staleness the results page already allowed), tagged with the hotel cards' version
    so that a change of photos, amenities or taxes shows at once. A query is cached only once its form was valid,
    and the day is in the key because the form's rules are the day's ("check-in can't be in the past"), so a page
    found in the cache needs no form. A page a source could not complete (a supplier late) is not cached."""
    seconds = settings.SEARCH_CACHE_SECONDS
    shown = request.session.get(CURRENCY_SESSION_KEY, "")
    asked = (sorted(request.GET.lists()), shown, translation.get_language(), timezone.now().date())
    key = "results-page:" + hashlib.sha256(repr(asked).encode()).hexdigest()
    version = None
    if seconds:
        found = cache.get_many([key, CARDS_VERSION_KEY])
        version = found.get(CARDS_VERSION_KEY) or cards_version()
        if key in found and found[key][0] == version:
            _, html, city = found[key]
            return _results_page(request, city, _rendered(html), None)
    form = SearchForm(request.GET)
    if not form.is_valid():
        return _home(request, form)
    city = city_label(form.cleaned_data["destination"])  # in the reader's language ("München")
    content, results = _results_content(request, form, shown)
    if seconds and results.complete:
        cache.set(key, (version, str(content), city), seconds)
    return _results_page(request, city, content, results)


def _results_page(request, city: str, content: SafeString, results: ResultsPage | None):
    return render(request, "hotels/results.html", {"city": city, "content": content, "results": results})


def _results_content(request, form, shown: str) -> tuple[SafeString, ResultsPage]:
    """The results page's content for a valid search, and its :class:`ResultsPage`."""
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
            "meal_plans": MEAL_PLANS,
        },
    )
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


def _basket_url(hotel, stay, lines) -> str:
    query = urlencode([*stay.params().items(), *(("room", line.param()) for line in lines)])
    return f"{hotel.get_absolute_url()}?{query}#basket"


def _basket_add(request, hotel, lines) -> tuple[BasketLine | None, str]:
    """The room the guest asked to add (``add_plan``, ``add_adults``, ``add_ages``), or why it can't be added."""
    plan_id, adults = request.GET.get("add_plan", ""), request.GET.get("add_adults", "")
    if not plan_id.isdecimal():
        return None, ""
    if not adults.isdecimal():
        return None, _("Say how many adults will stay in this room.")
    if len(lines) >= settings.BOOKING_MAX_ROOMS:
        return None, _("You can book up to %(count)d rooms at once.") % {"count": settings.BOOKING_MAX_ROOMS}
    try:
        line = BasketLine.build(rate_plan_id=int(plan_id), adults=int(adults), ages=request.GET.get("add_ages", ""))
    except BasketLineInvalid as exc:
        return None, exc.message
    plan = basket_plans(hotel=hotel, plan_ids=[line.rate_plan_id]).get(line.rate_plan_id)
    if plan is None:
        return None, _("That rate is not sold at this hotel.")
    problem = room_fit_problem(plan.room_type, adults=line.adults, children=line.children)
    return (None, problem) if problem else (line, "")


# Where the hotel page's cached content takes the request's own CSRF field (an HTML comment: escaped data never
# contains "<").
CSRF_MARK = "<!--csrf-input-->"


@require_GET
@anonymous_browsing_limited
@reads_from_replica
def hotel_detail(request, slug):
    """The hotel page. Its content is a function of the hotel, the query string (the stay and the basket), the
    display currency and the language, like the results page's, so it is cached whole for ``SEARCH_CACHE_SECONDS`` (prices and
    rooms left may be that old; the booking flow prices again under lock), tagged with the hotel cards' version
    (hotels/signals.py: a change to the hotel, its photos, amenities, taxes, room types, rate plans or child bands
    shows at once). The CSRF field, the one per-user part, is put in per request. Adding or removing a basket room
    (a redirect, or the form with its message) is never cached."""
    seconds = settings.SEARCH_CACHE_SECONDS if not ("add_plan" in request.GET or "remove" in request.GET) else 0
    shown = request.session.get(CURRENCY_SESSION_KEY, "")
    asked = (slug, sorted(request.GET.lists()), shown, translation.get_language())  # content per language too
    key = "hotel-page:" + hashlib.sha256(repr(asked).encode()).hexdigest()
    found = cache.get_many([key, CARDS_VERSION_KEY]) if seconds else {}
    version = (found.get(CARDS_VERSION_KEY) or cards_version()) if seconds else None
    if key in found and found[key][0] == version:
        _, html, page = found[key]
        return _hotel_page(request, html, page)
    hotel = get_object_or_404(
        Hotel.objects.prefetch_related("photos", "amenities", *HOTEL_PRICING_PREFETCH), slug=slug, is_active=True
    )
    stay_form = StayForm(request.GET if "check_in" in request.GET else None, initial=_default_dates())
    offers = []
    stay = None
    lines, basket_problem = basket_lines_read(request.GET.getlist("room"))
    add_error, add_plan = "", request.GET.get("add_plan", "")
    if stay_form.is_bound and stay_form.is_valid():
        stay = stay_form.stay
        # Adding or removing a room answers with the basket's own address, so reloading or going back is harmless.
        if add_plan:
            line, add_error = _basket_add(request, hotel, lines)
            if line is not None:
                return redirect(_basket_url(hotel, stay, [*lines, line]))
        if request.GET.get("remove", "").isdecimal():
            index = int(request.GET["remove"])
            return redirect(_basket_url(hotel, stay, [line for i, line in enumerate(lines) if i != index]))
        offers = hotel_offers(hotel=hotel, stay=stay)
    basket = basket_price(hotel=hotel, stay=stay, lines=lines) if stay and lines else None
    html = (
        engines["jinja2"]
        .get_template("hotels/detail.html")
        .render(
            {
                "hotel": hotel,
                "stay_form": stay_form,
                "stay": stay,
                "offers_by_room": _by_room_type(offers),
                "display_currency": shown,
                "csrf_input": _rendered(CSRF_MARK),
                "basket": basket,
                "basket_problem": basket_problem,
                "basket_params": [line.param() for line in lines],
                "remove_urls": [
                    _basket_url(hotel, stay, [other for j, other in enumerate(lines) if j != i])
                    for i in range(len(lines))
                ]
                if stay
                else [],
                "add_error": add_error,
                "add_plan": add_plan,
                "add_adults": request.GET.get("add_adults", ""),
                "add_ages": request.GET.get("add_ages", "")[:40],
            }
        )
    )
    # What the page around the content reads of the hotel (title, description).
    page = {"hotel": {"name": hotel.name, "city": hotel.city, "description": hotel.description}}
    if seconds:
        cache.set(key, (version, html, page), seconds)
    return _hotel_page(request, html, page)


def _hotel_page(request, html: str, page: dict):
    content = _rendered(html.replace(CSRF_MARK, str(csrf_input(request))))
    return render(request, "hotels/detail.html", {**page, "content": content})
