"""Finding 3: staff who may not see prices at every hotel in their scope can't filter or sort bookings by money,
and the admin's "view on site" shortcut answers only for objects in the user's scope."""

import pytest
from django.contrib.contenttypes.models import ContentType

from bookings.models import Booking
from hotels.models import Hotel
from tests.staff.conftest import (  # noqa: F401 - fixtures
    front_desk_a,
    manager_a,
    manager_a_desk_b,
    superuser,
    two_hotels,
)

pytestmark = pytest.mark.django_db
LIST = "/admin/bookings/booking/"
MONEY_LOOKUPS = [
    "total__gte=100",
    "total=208.00",
    "price_snapshot__total=208.00",
    "price_snapshot__nights__0__unit_price__gte=50",
    "refunded_amount__gt=0",
    "cancellation_penalty__gt=0",
    "payments__amount__gte=1",
]


@pytest.mark.parametrize("lookup", MONEY_LOOKUPS)
def test_front_desk_cannot_filter_bookings_by_money(client, front_desk_a, lookup):  # noqa: F811
    client.force_login(front_desk_a)
    assert client.get(LIST).status_code == 200
    assert client.get(f"{LIST}?{lookup}").status_code == 400


@pytest.mark.parametrize("lookup", ["total__gte=100", "refunded_amount__gt=0"])
def test_seeing_prices_at_one_hotel_of_two_is_not_enough_to_filter_by_them(client, manager_a_desk_b, lookup):  # noqa: F811
    client.force_login(manager_a_desk_b)
    assert client.get(f"{LIST}?{lookup}").status_code == 400


def test_a_manager_who_sees_every_price_in_scope_may_filter_and_sort_by_total(client, manager_a, two_hotels):  # noqa: F811
    client.force_login(manager_a)
    page = client.get(f"{LIST}?total__gte=1")
    assert page.status_code == 200 and list(page.context["cl"].result_list) == [two_hotels[2]]
    column = page.context["cl"].list_display.index("total_display")
    assert "total" in str(client.get(f"{LIST}?o={column}").context["cl"].queryset.query.order_by)


def test_totals_hidden_at_some_hotels_are_never_a_sort_key(client, manager_a_desk_b):  # noqa: F811
    client.force_login(manager_a_desk_b)
    page = client.get(LIST)
    display = page.context["cl"].list_display
    assert "total_display" not in display and "total_unsorted" in display
    for column in range(len(display)):
        ordering = client.get(f"{LIST}?o={column}").context["cl"].queryset.query.order_by
        assert not any("total" in str(field) for field in ordering), (display[column], ordering)


def shortcut(model, pk):
    return f"/admin/r/{ContentType.objects.get_for_model(model).pk}/{pk}/"


def test_view_on_site_does_not_walk_other_hotels_bookings(client, front_desk_a, two_hotels):  # noqa: F811
    client.force_login(front_desk_a)
    other_booking = two_hotels[3]
    response = client.get(shortcut(Booking, other_booking.pk))
    assert response.status_code == 404
    assert other_booking.reference not in response.get("Location", "")
    assert client.get(shortcut(Booking, two_hotels[2].pk)).status_code == 404  # a booking's page is its customer's


def test_view_on_site_still_opens_a_hotel_in_scope(client, front_desk_a, two_hotels):  # noqa: F811
    alpha, beta = two_hotels[0], two_hotels[1]
    client.force_login(front_desk_a)
    assert client.get(shortcut(Hotel, beta.pk)).status_code == 404
    response = client.get(shortcut(Hotel, alpha.pk))
    assert response.status_code == 302 and response["Location"].endswith(alpha.get_absolute_url())
    assert client.get(shortcut(Hotel, "abc")).status_code == 404
    assert client.get("/admin/r/abc/1/").status_code == 404
