from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from hotels.models import NightInventory
from hotels.offers import hotel_offers
from hotels.search import hotel_search
from hotels.sources import ResoldHotel
from hotels.stay import Stay
from tests.factories import HotelFactory, RatePlanFactory, RoomTypeFactory, TaxFactory, future, open_nights

pytestmark = pytest.mark.django_db


def stay(ci=10, nights=3, **kw):
    return Stay(check_in=future(ci), check_out=future(ci + nights), **{"adults": 2, **kw})


def test_price_is_the_sum_of_the_nights_times_rooms():
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 3, price="100.00")
    NightInventory.objects.filter(room_type=rt, date=future(11)).update(price=Decimal("150.50"))
    [hotel] = hotel_search(city="Paris", stay=stay(rooms=2, adults=2))
    assert hotel.best_total == Decimal("701.00")


def test_room_type_unavailable_on_one_night_is_not_offered():
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 3)
    NightInventory.objects.filter(room_type=rt, date=future(11)).update(rooms_sold=5)
    assert list(hotel_search(city="Paris", stay=stay())) == []


def test_a_missing_night_row_means_not_for_sale():
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 2)
    assert list(hotel_search(city="Paris", stay=stay(nights=3))) == []
    assert len(hotel_search(city="Paris", stay=stay(nights=2))) == 1


def test_stop_sell_on_any_night_hides_the_room_type():
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 3)
    NightInventory.objects.filter(room_type=rt, date=future(12)).update(stop_sell=True)
    assert list(hotel_search(city="Paris", stay=stay())) == []


def test_minimum_stay_of_any_night_must_fit():
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 5)
    NightInventory.objects.filter(room_type=rt, date=future(11)).update(min_stay=3)
    assert list(hotel_search(city="Paris", stay=stay(nights=2))) == []
    assert len(hotel_search(city="Paris", stay=stay(nights=3))) == 1


def test_capacity_counts_adults_children_and_rooms():
    rt = RoomTypeFactory(max_adults=2, max_children=1, max_occupancy=3)
    open_nights(rt, future(10), 3)
    assert len(hotel_search(city="Paris", stay=stay(adults=2, children=1))) == 1
    assert list(hotel_search(city="Paris", stay=stay(adults=3))) == []
    assert list(hotel_search(city="Paris", stay=stay(adults=2, children=2))) == []
    assert len(hotel_search(city="Paris", stay=stay(adults=4, rooms=2))) == 1


def test_not_enough_rooms_left_for_the_party():
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 3, rooms=2)
    assert list(hotel_search(city="Paris", stay=stay(adults=3, rooms=3))) == []


def test_cheapest_room_type_gives_the_hotel_price_and_sorting():
    cheap = RoomTypeFactory(hotel=HotelFactory(name="B cheap", stars=2))
    dear = RoomTypeFactory(hotel=HotelFactory(name="A dear", stars=5))
    RoomTypeFactory(hotel=cheap.hotel, name="Suite")
    open_nights(cheap, future(10), 3, price="80")
    open_nights(cheap.hotel.room_types.get(name="Suite"), future(10), 3, price="300")
    open_nights(dear, future(10), 3, price="200")
    by_price = list(hotel_search(city="Paris", stay=stay()))
    assert [h.name for h in by_price] == ["B cheap", "A dear"]
    assert by_price[0].best_total == Decimal("240.00")
    assert [h.name for h in hotel_search(city="Paris", stay=stay(), sort="stars")] == ["A dear", "B cheap"]
    assert [h.name for h in hotel_search(city="Paris", stay=stay(), sort="name")] == ["A dear", "B cheap"]
    assert [h.name for h in hotel_search(city="Paris", stay=stay(), max_total=Decimal("500"))] == ["B cheap"]
    assert [h.name for h in hotel_search(city="Paris", stay=stay(), stars=[5])] == ["A dear"]


def test_other_cities_are_not_returned():
    open_nights(RoomTypeFactory(hotel=HotelFactory(city="Lyon")), future(10), 3)
    assert list(hotel_search(city="Paris", stay=stay())) == []


def test_hotel_offers_list_nightly_rows_cheapest_first():
    hotel = HotelFactory()
    a = RoomTypeFactory(hotel=hotel, name="Deluxe")
    b = RoomTypeFactory(hotel=hotel, name="Standard")
    open_nights(a, future(10), 3, price="150")
    open_nights(b, future(10), 3, price="90")
    offers = hotel_offers(hotel=hotel, stay=stay())
    assert [o.room_type.name for o in offers] == ["Standard", "Deluxe"]
    assert [n.date for n in offers[0].quote.nights] == [future(10), future(11), future(12)]


def _search_url(**params):
    base = {
        "destination": "Paris",
        "check_in": future(10).isoformat(),
        "check_out": future(13).isoformat(),
        "adults": 2,
        "children": 0,
        "rooms": 1,
    }
    base.update(params)
    return reverse("hotels:search"), base


def test_results_page_shows_total_with_added_taxes(client):
    rt = RoomTypeFactory(hotel=HotelFactory(name="Hôtel Lumière"))
    TaxFactory(hotel=rt.hotel, amount=Decimal("2.50"))
    open_nights(rt, future(10), 3, price="100")
    url, params = _search_url()
    response = client.get(url, params)
    assert response.status_code == 200
    # 300 rooms + 2.50 × 2 guests × 3 nights
    assert "€315.00" in response.content.decode()
    assert "Hôtel Lumière" in response.content.decode()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"check_out": future(5).isoformat()}, "Check-out must be after check-in."),
        (
            {"check_in": future(-5).isoformat(), "check_out": future(-3).isoformat()},
            "Check-in can&#x27;t be in the past.",
        ),
        ({"check_out": future(50).isoformat()}, "Stays are limited to 30 nights."),
        ({"adults": 0}, "Ensure this value is greater than or equal to 1."),
        ({"destination": "Atlantis"}, "We have no hotels in that city yet."),
        ({"check_in": "2026-02-31"}, "Enter a valid date."),
        ({"adults": "lots"}, "Enter a whole number."),
        ({"rooms": 3, "adults": 2}, "Each room needs at least one adult."),
        ({"party": "2; 0"}, "Room 2 needs at least one adult."),
        ({"party": "2;" * 9}, "At most 8 rooms per search."),
        ({"party": "2; 1 + 30"}, "Room 2: children&#x27;s ages are whole numbers from 0 to 17."),
        ({"party": "two adults"}, "Room 1: give the adults, then each child&#x27;s age"),
        # digits to str.isdigit() that int() refuses, and digits of other scripts: a message, never a 500
        ({"children": 1, "children_ages": "²"}, "Ages are whole numbers from 0 to 17"),
        ({"children": 1, "children_ages": "٣"}, "Ages are whole numbers from 0 to 17"),
        ({"party": "2; 1 + ²"}, "Room 2"),
        ({"party": "2; 1+7", "check_out": future(5).isoformat()}, "Check-out must be after check-in."),
    ],
)
def test_bad_search_input_gets_a_message_on_the_form(client, params, message):
    HotelFactory()
    url, query = _search_url(**params)
    response = client.get(url, query)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_garbage_query_strings_never_500(client):
    HotelFactory()
    url, query = _search_url(page="x", sort="'; drop", stars="nine", min_price="-5", amenities="\x00")
    assert client.get(url, query).status_code == 200
    assert client.get(url, {"destination": "x" * 5000}).status_code == 200


class OneResoldHotel:
    """An offer source (``SEARCH_OFFER_SOURCES``) with one hotel at 250.00, for the results page's tests."""

    def __init__(self, *, city, stay):
        self.city, self.stay = city, stay

    def hotels(self, *, own_hotels):
        return [
            ResoldHotel(
                seller="Elsewhere Travel",
                name=f"Resold {self.city}",
                city=self.city,
                address="2 Quai Ouest",
                stars=4,
                total=Decimal("250.00"),
                currency="EUR",
                room_type_name="Double",
                rate_plan_name="Saver",
                policy={"free_until": None, "timezone": "UTC", "penalty": "full_stay", "penalty_percent": "100"},
                book_url=f"/elsewhere/?{self.stay.query()}",
            )
        ]


def test_the_results_page_shows_the_configured_offer_sources_by_total_on_the_first_page_only(client, settings):
    settings.SEARCH_OFFER_SOURCES = ["tests.hotels.test_search.OneResoldHotel"]
    for n, price in enumerate(["60", "100", "30", "40", "50", "70", "80", "90", "110", "120", "130"]):
        open_nights(RoomTypeFactory(hotel=HotelFactory(name=f"H{n}")), future(10), 3, price=price)
    url, query = _search_url()
    first = client.get(url, query)
    names = [h.name for h in first.context["results"].hotels]
    assert names[5:8] == ["H6", "Resold Paris", "H7"] and len(names) == 11  # 3 nights: 240 < 250 < 270
    body = first.content.decode()
    assert "+ 1 from suppliers" in body and "via Elsewhere Travel" in body and "€250.00" in body
    assert f'href="/elsewhere/?{stay().query()}"'.replace("&", "&amp;") in body and "Non-refundable" in body
    second = client.get(url, {**query, "page": 2})
    assert [h.name for h in second.context["results"].hotels] == ["H10"]


def test_results_page_query_count_does_not_grow_with_hotels(client, django_assert_max_num_queries):
    for n in range(12):
        rt = RoomTypeFactory(hotel=HotelFactory(name=f"H{n}"))
        open_nights(rt, future(10), 3)
        TaxFactory(hotel=rt.hotel)
    url, query = _search_url()
    with django_assert_max_num_queries(8):
        response = client.get(url, query)
    assert response.context["results"].total_count == 12
    assert len(response.context["results"].hotels) == 10


def test_pagination_second_page(client):
    for n in range(12):
        open_nights(RoomTypeFactory(hotel=HotelFactory(name=f"H{n:02d}")), future(10), 3)
    url, query = _search_url(page=2, sort="name")
    response = client.get(url, query)
    assert [h.name for h in response.context["results"].hotels] == ["H10", "H11"]


def test_hotel_page_shows_rooms_and_breakdown(client):
    rt = RoomTypeFactory(name="Garden Double")
    open_nights(rt, future(10), 3, price="120")
    response = client.get(
        rt.hotel.get_absolute_url(), {"check_in": future(10), "check_out": future(12), "adults": 2, "rooms": 1}
    )
    body = response.content.decode()
    assert "Garden Double" in body and "€240.00" in body and "€120.00" in body


def test_hotel_page_query_count_does_not_grow_with_rooms_and_rates(client, django_assert_max_num_queries):
    hotel = HotelFactory()
    TaxFactory(hotel=hotel)
    for n in range(4):
        rt = RoomTypeFactory(hotel=hotel, name=f"Room {n}")
        RatePlanFactory(room_type=rt, name="Non-refundable", free_cancellation_days=None)
        open_nights(rt, future(10), 3, price="120")
    stay = {"check_in": future(10), "check_out": future(12), "adults": 2, "rooms": 1}
    with django_assert_max_num_queries(8):
        body = client.get(hotel.get_absolute_url(), stay).content.decode()
    assert body.count('class="room-card room-card--plans"') == 4 and body.count('class="rate"') == 8


def test_unknown_hotel_is_404(client):
    assert client.get("/hotels/nope/").status_code == 404


def test_city_suggestions(client):
    HotelFactory(city="Paris")
    HotelFactory(city="Prague")
    HotelFactory(city="Lyon")
    assert client.get(reverse("hotels:destinations"), {"q": "p"}).json() == {"cities": ["Paris", "Prague"]}


@pytest.mark.parametrize("cache_seconds", [0, 30])
def test_the_results_page_price_follows_a_tax_change_at_once(client, settings, cache_seconds):
    """Hotel cards (photos, amenities, taxes) are cached for the results page, and with the result cache on, the
    page itself; changing a tax drops the card and the pages built from cards."""
    settings.SEARCH_CACHE_SECONDS = cache_seconds
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 3, price="100.00")
    tax = TaxFactory(hotel=rt.hotel, amount=Decimal("2.00"))
    params = {
        "destination": "Paris",
        "check_in": future(10).isoformat(),
        "check_out": future(12).isoformat(),
        "adults": 2,
        "children": 0,
        "rooms": 1,
    }
    assert "€208.00" in client.get(reverse("hotels:search"), params).content.decode()
    tax.amount = Decimal("3.00")
    tax.save()
    assert "€212.00" in client.get(reverse("hotels:search"), params).content.decode()
    tax.delete()
    assert "€200.00" in client.get(reverse("hotels:search"), params).content.decode()


def test_a_repeated_search_is_served_from_the_result_cache_without_a_query(client, settings, django_assert_num_queries):
    settings.SEARCH_CACHE_SECONDS = 30
    open_nights(RoomTypeFactory(hotel=HotelFactory(name="Hôtel Lumière")), future(10), 3, price="100")
    url, params = _search_url()
    first = client.get(url, params).content.decode()
    with django_assert_num_queries(0):
        again = client.get(url, params).content.decode()
    assert again == first and "Hôtel Lumière" in again
    settings.SEARCH_CACHE_SECONDS = 0  # the same page, computed afresh
    assert client.get(url, params).content.decode() == first


def test_a_cached_results_page_is_not_served_once_its_dates_have_passed(client, settings):
    """A page found in the result cache skips the search form; the next day the form decides again (a check-in
    now in the past is an error, not yesterday's cached results)."""
    settings.SEARCH_CACHE_SECONDS = 30
    open_nights(RoomTypeFactory(hotel=HotelFactory(name="Hôtel Lumière")), future(0), 3, price="100")
    url, params = _search_url(check_in=future(0).isoformat(), check_out=future(2).isoformat())
    assert "Hôtel Lumière" in client.get(url, params).content.decode()
    two_days_later = timezone.now() + timedelta(days=2)
    with mock.patch("django.utils.timezone.now", return_value=two_days_later):
        page = client.get(url, params).content.decode()
    assert "Hôtel Lumière" not in page and "Check-in can" in page


def test_sorting_and_price_filters_use_the_total_with_added_taxes():
    """A cheaper room with a heavy added tax costs the guest more: it sorts after, and the filter sees its total."""
    cheap_room = RoomTypeFactory(hotel=HotelFactory(name="Cheap room, heavy tax"))
    open_nights(cheap_room, future(10), 3, price="100.00")
    TaxFactory(hotel=cheap_room.hotel, kind="per_person_night", amount=Decimal("20.00"))  # 2 × 2 × 20 = 80
    dear_room = RoomTypeFactory(hotel=HotelFactory(name="Dearer room, no tax"))
    open_nights(dear_room, future(10), 3, price="130.00")
    found = hotel_search(city="Paris", stay=stay(nights=2), sort="price")
    assert [h.name for h in found] == ["Dearer room, no tax", "Cheap room, heavy tax"]
    assert [h.grand_total for h in found] == [Decimal("260.00"), Decimal("280.00")]
    assert [h.name for h in hotel_search(city="Paris", stay=stay(nights=2), max_total=Decimal("270"))] == [
        "Dearer room, no tax"
    ]


def test_a_hotel_page_with_a_stay_is_served_from_the_cache_with_each_visitors_own_csrf_token(
    client, settings, django_assert_num_queries
):
    """The hotel page's content is cached per (hotel, stay, currency) like the results page's; the CSRF field of
    each "Reserve" form is the visitor's own, and a change to a rate plan shows at once."""
    import re

    from django.test import Client

    settings.SEARCH_CACHE_SECONDS = 30
    rt = RoomTypeFactory(name="Garden Double")
    plan = RatePlanFactory(room_type=rt, name="Flexible rate")
    open_nights(rt, future(10), 3, price="120")
    url, query = rt.hotel.get_absolute_url(), {"check_in": future(10), "check_out": future(12), "adults": 2, "rooms": 1}
    first = client.get(url, query).content.decode()
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    with django_assert_num_queries(0):
        again = client.get(url, query).content.decode()
    other_visitor = Client().get(url, query).content.decode()
    assert "Flexible rate" in first and "€240.00" in first
    assert token.sub("", again) == token.sub("", first) == token.sub("", other_visitor)
    assert len(set(token.findall(first))) == 1 and token.findall(other_visitor)[0] != token.findall(first)[0]
    settings.SEARCH_CACHE_SECONDS = 0  # computed afresh: the same page
    assert token.sub("", client.get(url, query).content.decode()) == token.sub("", first)
    settings.SEARCH_CACHE_SECONDS = 30
    plan.name = "Flexible, breakfast on us"
    plan.save()
    assert "Flexible, breakfast on us" in client.get(url, query).content.decode()


def test_a_room_configuration_only_finds_hotels_that_can_host_each_room(client, settings):
    """ "2 rooms: 2 adults; 1 adult + 1 child aged 7": each room needs a room type of its own size with enough rooms
    left for the count of rooms of that type; the card shows each room's line and the sum of their totals."""
    settings.SEARCH_CACHE_SECONDS = 0
    family_only = RoomTypeFactory(hotel=HotelFactory(name="One family room left"), name="Family", max_children=1)
    open_nights(family_only, future(10), 3, price="100", rooms=1)  # fits either room, but only one is left
    doubles = RoomTypeFactory(hotel=HotelFactory(name="Doubles and a family room"), name="Double", max_children=0)
    open_nights(doubles, future(10), 3, price="90", rooms=5)
    family = RoomTypeFactory(hotel=doubles.hotel, name="Family", max_children=1)
    open_nights(family, future(10), 3, price="120", rooms=1)
    two_doubles = RoomTypeFactory(hotel=HotelFactory(name="Only doubles"), name="Double", max_children=0)
    open_nights(two_doubles, future(10), 3, price="50", rooms=9)  # no room takes the child

    url, query = _search_url(check_out=future(12).isoformat(), party="2; 1 + 7")
    response = client.get(url, query)
    hotels = response.context["results"].hotels
    assert [h.name for h in hotels] == ["Doubles and a family room"]
    assert [(line.room_type_name, line.party.adults, line.party.ages) for line in hotels[0].lines] == [
        ("Double", 2, ()),
        ("Family", 1, (7,)),
    ]
    two_rooms = [
        hotel_offers(hotel=doubles.hotel, stay=stay(nights=2, adults=adults, children=len(ages), children_ages=ages))
        for adults, ages in ((2, ()), (1, (7,)))
    ]
    expected = min(o.total for o in two_rooms[0] if o.room_type == doubles) + min(
        o.total for o in two_rooms[1] if o.room_type == family
    )
    assert hotels[0].stay_total == expected == Decimal("420.00")
    body = response.content.decode()
    assert "€420.00" in body and "Double · Standard rate" in body and "Family · Standard rate" in body
    # The link to the hotel page carries the configuration, and the same search reads back from it.
    assert "party=2;1%2B7" in hotels[0].page_url
    assert "adults=3&amp;children=1&amp;children_ages=7&amp;rooms=2" in body

    # The old query string (a pooled party) still searches as before: three people in two identical rooms.
    url, query = _search_url(check_out=future(12).isoformat(), adults=3, children=0, rooms=2)
    names = {h.name for h in client.get(url, query).context["results"].hotels}
    assert names == {"Doubles and a family room", "Only doubles"}
