from datetime import timedelta

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from suppliers.search import SupplierSearch

from .forms import ResultsFilterForm, SearchForm, StayForm
from .models import Hotel
from .offers import hotel_offers
from .policy import cancellation_policy_snapshot, policy_line
from .pricing import stay_total
from .search import city_suggestions, hotel_search_cached, known_cities, search_amenities

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
    amenity_choices = search_amenities()
    filter_form = ResultsFilterForm(request.GET, amenity_choices=amenity_choices)
    filters = filter_form.filters()
    page = _page_number(request)
    offset = (page - 1) * PAGE_SIZE
    # Other sites' hotels (issue 8) on the first page: asked now, so they travel while our own search runs.
    partner_search = SupplierSearch(city=form.cleaned_data["destination"], stay=stay) if page == 1 else None
    hotels = hotel_search_cached(
        city=form.cleaned_data["destination"], stay=stay, limit=PAGE_SIZE, offset=offset, **filters
    )
    total_count = hotels[0].result_count if hotels else 0
    query = "?" + stay.query()
    for hotel in hotels:
        hotel.page_url = hotel.get_absolute_url() + query
        hotel.first_photo = next(iter(hotel.card_photos), None)
        hotel.top_amenities = hotel.card_amenities[:5]
        hotel.stay_total = stay_total(
            room_total=hotel.best_total,
            night_count=stay.nights,
            rooms=stay.rooms,
            people=stay.adults + stay.children,
            taxes=hotel.card_taxes,
        )
        hotel.best_policy = policy_line(cancellation_policy_snapshot(hotel.best_plan, hotel, stay.check_in))
    partners = []
    if partner_search is not None:  # collected within the page's time budget; never an error
        partners = partner_search.offers(own_hotels=hotels)
        for partner in partners:
            partner.is_partner = True
            partner.book_url = (
                reverse("suppliers:book")
                + f"?supplier={partner.supplier_id}&hotel={partner.remote_id}"
                + f"&room_type={partner.best.remote_room_type_id}&rate_plan={partner.best.remote_rate_plan_id or ''}"
                + "&"
                + stay.query()
            )
            partner.best_policy = policy_line(partner.best.policy)
        hotels = _merged(hotels, partners, by_price=filters["sort"] == "price")
    page_count = max(1, -(-total_count // PAGE_SIZE))
    return render(
        request,
        "hotels/results.html",
        {
            "form": form,
            "filter_form": filter_form,
            "stay": stay,
            "city": form.cleaned_data["destination"],
            "hotels": hotels,
            "total_count": total_count,
            "partner_count": len(partners),
            "page": page,
            "page_count": page_count,
            "selected_stars": {str(v) for v in (filters["stars"] or [])},
            "selected_amenities": set(filters["amenities"] or []),
            "has_previous": page > 1,
            "has_next": page < page_count,
            "cities": known_cities(),
        },
    )


def _merged(hotels, partners, *, by_price: bool):
    """Our page of hotels with the partners' among them by total (sorted by price), or after them."""
    if not by_price:
        return list(hotels) + list(partners)
    merged, rest = [], list(partners)
    for hotel in hotels:
        while rest and rest[0].best.total < hotel.stay_total:
            merged.append(rest.pop(0))
        merged.append(hotel)
    return merged + rest


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
