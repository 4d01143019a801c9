"""The hotel page's basket: several rooms, each with its own party, chosen before "Reserve" (no JavaScript)."""

import pytest

from tests.factories import RoomTypeFactory, future, open_nights

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_types(db):
    double = RoomTypeFactory(name="Garden Double", max_adults=2, max_children=0, max_occupancy=2)
    family = RoomTypeFactory(
        hotel=double.hotel, name="Family Suite", max_adults=2, max_children=2, max_occupancy=4, plan__name="Family rate"
    )
    open_nights(double, future(10), 2, price="100.00", rooms=2)
    open_nights(family, future(10), 2, price="150.00", rooms=1)
    return double, family


def page(client, hotel, **params):
    query = {"check_in": future(10).isoformat(), "check_out": future(12).isoformat(), "adults": 2, "rooms": 1, **params}
    return client.get(hotel.get_absolute_url(), query)


def add(client, hotel, plan, adults, ages="", rooms=()):
    response = page(client, hotel, room=list(rooms), add_plan=plan.pk, add_adults=adults, add_ages=ages)
    return response


def test_guest_puts_two_rooms_of_two_types_in_the_basket(client, two_types):
    double, family = two_types
    hotel = double.hotel
    first = add(client, hotel, double.rate_plans.get(), 2)
    assert first.status_code == 302 and first["Location"].endswith("#basket")
    lines = [f"{double.rate_plans.get().pk}:2:"]
    assert f"room={lines[0].replace(':', '%3A')}" in first["Location"]
    second = add(client, hotel, family.rate_plans.get(), 1, ages="7", rooms=lines)
    assert second.status_code == 302
    shown = client.get(second["Location"])
    html = shown.content.decode()
    assert "Your rooms (2)" in html
    assert "Room 1: Garden Double, Standard rate" in html and "2 adults" in html
    assert "Room 2: Family Suite, Family rate" in html and "1 adult, 1 child (aged 7)" in html
    assert "€200.00" in html and "€300.00" in html and "€500.00" in html  # 2 × 100 + 2 × 150
    assert "Reserve these 2 rooms" in html and "disabled" not in html.split("Reserve these")[0][-200:]


def test_a_room_for_five_in_a_room_for_two_is_refused_with_a_message(client, two_types):
    double, _ = two_types
    response = add(client, double.hotel, double.rate_plans.get(), 5)
    assert response.status_code == 200
    assert "A Garden Double hosts at most 2 adults." in response.content.decode()
    assert "Your rooms" not in response.content.decode()


@pytest.mark.parametrize(
    ("adults", "ages", "message"),
    [
        ("0", "", "Each room needs at least one adult."),
        ("", "", "Say how many adults will stay in this room."),
        ("1", "4, x", "Ages are whole numbers from 0 to 17"),
        ("1", "4, 5, 6", "A Family Suite hosts at most 2 children."),
    ],
)
def test_bad_rooms_get_a_form_message(client, two_types, adults, ages, message):
    _, family = two_types
    response = add(client, family.hotel, family.rate_plans.get(), adults, ages=ages)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_more_rooms_of_a_type_than_are_left_blocks_reserve(client, two_types):
    _, family = two_types
    plan = family.rate_plans.get()
    response = page(client, family.hotel, room=[f"{plan.pk}:2:", f"{plan.pk}:1:3"])
    html = response.content.decode()
    assert "Only 1 Family Suite is left for these dates." in html
    assert "disabled>Reserve these 2 rooms" in html


def test_removing_a_room_and_garbage_lines(client, two_types):
    double, family = two_types
    lines = [f"{double.rate_plans.get().pk}:2:", f"{family.rate_plans.get().pk}:1:7"]
    removed = page(client, double.hotel, room=lines, remove="0")
    assert removed.status_code == 302 and "Family" not in removed["Location"]
    shown = client.get(removed["Location"]).content.decode()
    assert "Your rooms (1)" in shown and "Family Suite, Family rate" in shown
    garbage = page(client, double.hotel, room=["x:y", "999999:2:"])
    assert garbage.status_code == 200
    assert "That room choice isn&#x27;t valid any more" in garbage.content.decode()
    assert "This rate is not sold any more" in garbage.content.decode()
