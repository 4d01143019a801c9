from datetime import timedelta

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .forms import ResultsFilterForm, SearchForm, StayForm
from .models import Hotel
from .offers import hotel_offers
from .results import results_page
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


@require_GET
def home(request):
    form = SearchForm(initial=_default_dates())
    return render(request, "hotels/home.html", {"form": form, "cities": known_cities()})


@require_GET
def search(request):
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(request, "hotels/home.html", {"form": form, "cities": known_cities()}, status=200)
    stay = form.stay
    filter_form = ResultsFilterForm(request.GET, amenity_choices=search_amenities())
    filters = filter_form.filters()
    city = form.cleaned_data["destination"]
    results = results_page(city=city, stay=stay, page=_page_number(request), page_size=PAGE_SIZE, **filters)
    return render(
        request,
        "hotels/results.html",
        {
            "form": form,
            "filter_form": filter_form,
            "stay": stay,
            "city": city,
            "results": results,
            "selected_stars": {str(v) for v in (filters["stars"] or [])},
            "selected_amenities": set(filters["amenities"] or []),
            "cities": known_cities(),
        },
    )


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
def hotel_detail(request, slug):
    hotel = get_object_or_404(
        Hotel.objects.prefetch_related("photos", "amenities", "taxes", "child_bands"), slug=slug, is_active=True
    )
    stay_form = StayForm(request.GET if "check_in" in request.GET else None, initial=_default_dates())
    offers = []
    stay = None
    if stay_form.is_bound and stay_form.is_valid():
        stay = stay_form.stay
        offers = hotel_offers(hotel=hotel, stay=stay)
    return render(
        request,
        "hotels/detail.html",
        {
            "hotel": hotel,
            "stay_form": stay_form,
            "stay": stay,
            "offers_by_room": _by_room_type(offers),
        },
    )
