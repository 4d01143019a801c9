"""The inventory and rates bulk editor (a service and its page) and the month calendar."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.urls import reverse

from hotels.models import NightInventory
from hotels.services import InventoryError, inventory_bulk_update
from tests.factories import HotelFactory, RoomTypeFactory, future, open_nights

from .conftest import booking_at

pytestmark = pytest.mark.django_db


def nights(rt):
    return list(NightInventory.objects.filter(room_type=rt).order_by("date"))


def test_price_on_chosen_weekdays_only_other_fields_unchanged():
    rt = RoomTypeFactory()
    start = future(1)
    open_nights(rt, start, 14, price="100.00", min_stay=2)
    result = inventory_bulk_update(
        room_type=rt, start=start, end=start + timedelta(days=13), weekdays={5, 6}, price=Decimal("150.00")
    )
    assert result.updated == 4 and result.created == 0
    for night in nights(rt):
        assert night.price == (Decimal("150.00") if night.date.weekday() in (5, 6) else Decimal("100.00"))
        assert (night.rooms_for_sale, night.stop_sell, night.min_stay) == (5, False, 2)


def test_blank_fields_stay_as_they_were():
    rt = RoomTypeFactory()
    open_nights(rt, future(1), 3, price="90.00", rooms=4)
    inventory_bulk_update(room_type=rt, start=future(1), end=future(3), stop_sell=True)
    assert [(n.price, n.rooms_for_sale, n.stop_sell) for n in nights(rt)] == [(Decimal("90.00"), 4, True)] * 3
    inventory_bulk_update(room_type=rt, start=future(1), end=future(3), min_stay=3, stop_sell=False)
    assert [(n.min_stay, n.stop_sell, n.price) for n in nights(rt)] == [(3, False, Decimal("90.00"))] * 3


def test_fewer_rooms_than_sold_is_refused_naming_the_nights_and_nothing_changes():
    booking = booking_at(HotelFactory(), check_in=10, nights=2)
    rt = booking.room_type
    with pytest.raises(InventoryError) as refused:
        inventory_bulk_update(room_type=rt, start=future(1), end=future(30), rooms_for_sale=0, price=Decimal("1"))
    message = refused.value.message
    first, second = booking.check_in, booking.check_in + timedelta(days=1)
    assert f"{first:%a %d %b %Y}" in message and f"{second:%a %d %b %Y}" in message
    assert f"{booking.check_out:%d %b %Y}" not in message
    assert not NightInventory.objects.filter(room_type=rt, rooms_for_sale=0).exists()
    assert not NightInventory.objects.filter(room_type=rt, price=Decimal("1")).exists()  # all or nothing
    inventory_bulk_update(room_type=rt, start=first, end=second, rooms_for_sale=1)  # as many as sold: allowed


def test_the_database_refuses_overselling_whatever_the_code_does():
    booking = booking_at(HotelFactory())
    with pytest.raises(IntegrityError):
        NightInventory.objects.filter(room_type=booking.room_type, date=booking.check_in).update(rooms_for_sale=0)


def test_missing_nights_are_opened_only_with_rooms_and_price():
    rt = RoomTypeFactory()
    assert inventory_bulk_update(room_type=rt, start=future(1), end=future(3), stop_sell=True).created == 0
    assert inventory_bulk_update(room_type=rt, start=future(1), end=future(3), price=Decimal("80")).created == 0
    result = inventory_bulk_update(
        room_type=rt, start=future(1), end=future(3), rooms_for_sale=4, price=Decimal("80"), min_stay=2
    )
    assert result.created == 3
    assert [(n.rooms_for_sale, n.price, n.min_stay, n.stop_sell) for n in nights(rt)] == [
        (4, Decimal("80.00"), 2, False)
    ] * 3


def test_overlapping_edits_apply_in_order():
    rt = RoomTypeFactory()
    open_nights(rt, future(1), 10, price="100")
    inventory_bulk_update(room_type=rt, start=future(1), end=future(6), price=Decimal("120"))
    inventory_bulk_update(room_type=rt, start=future(4), end=future(10), price=Decimal("90"), rooms_for_sale=3)
    assert [n.price for n in nights(rt)] == [Decimal("120")] * 3 + [Decimal("90")] * 7
    assert [n.rooms_for_sale for n in nights(rt)] == [5] * 3 + [3] * 7


def test_partly_existing_range_updates_some_nights_and_opens_the_rest():
    rt = RoomTypeFactory()
    open_nights(rt, future(3), 2, price="100")
    result = inventory_bulk_update(room_type=rt, start=future(1), end=future(6), rooms_for_sale=2, price=Decimal("70"))
    assert (result.updated, result.created) == (2, 4)
    assert {n.price for n in nights(rt)} == {Decimal("70")} and len(nights(rt)) == 6


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": 5, "end": 1, "price": Decimal("1")},  # backwards
        {"start": 1, "end": 5},  # nothing to change
        {"start": 1, "end": 800, "price": Decimal("1")},  # too long
        {"start": 1, "end": 5, "price": Decimal("-1")},
        {"start": 1, "end": 5, "min_stay": 0},
        {"start": 1, "end": 1, "price": Decimal("1"), "weekdays": "another day"},  # no night of the range on it
    ],
)
def test_bad_requests_are_refused(kwargs):
    rt = RoomTypeFactory()
    kwargs = {**kwargs, "start": future(kwargs["start"]), "end": future(kwargs["end"])}
    if kwargs.get("weekdays") == "another day":
        kwargs["weekdays"] = {(kwargs["start"].weekday() + 1) % 7}
    with pytest.raises(InventoryError):
        inventory_bulk_update(room_type=rt, **kwargs)


def test_every_change_is_in_the_history_with_who_made_it(manager_a, two_hotels):
    rt = two_hotels[0].room_types.get()
    inventory_bulk_update(room_type=rt, start=future(1), end=future(2), price=Decimal("99"), user=manager_a)
    night = NightInventory.objects.get(room_type=rt, date=future(1))
    record = night.history.first()
    assert record.history_user == manager_a and record.price == Decimal("99") and record.history_type == "~"


class TestPages:
    def test_bulk_page_prefills_shows_refusals_and_applies(self, client, two_hotels, manager_a):
        rt = two_hotels[0].room_types.get()
        client.force_login(manager_a)
        url = reverse("admin:hotels_roomtype_bulk", args=[rt.pk])
        form = client.get(url, {"start": future(4).isoformat(), "end": future(4).isoformat()}).context["form"]
        assert form.initial["start"] == future(4) == form.initial["end"]
        bad = client.post(url, {"start": future(1), "end": future(30), "rooms_for_sale": 0})
        assert bad.status_code == 200 and "already sold on" in bad.content.decode()
        weekday = future(1).weekday()
        ok = client.post(
            url, {"start": future(1), "end": future(14), "price": "99.00", "weekdays": [weekday], "stop_sell": ""}
        )
        assert ok.status_code == 302
        changed = NightInventory.objects.filter(room_type=rt, price=Decimal("99.00"))
        assert {n.date.weekday() for n in changed} == {weekday} and changed.count() == 2

    def test_bulk_page_reports_bad_input_without_a_server_error(self, client, two_hotels, manager_a):
        rt = two_hotels[0].room_types.get()
        client.force_login(manager_a)
        url = reverse("admin:hotels_roomtype_bulk", args=[rt.pk])
        for data in (
            {"start": "garbage", "end": future(2)},
            {"start": future(3), "end": future(1), "price": "1"},
            {"start": future(1), "end": future(2), "price": "-5"},
            {"start": future(1), "end": future(2)},
        ):
            response = client.post(url, data)
            assert response.status_code == 200 and response.context["form"].errors, data

    def test_calendar_shows_a_month_with_sold_available_price_and_stop_sell(self, client, two_hotels, manager_a):
        a, _, booking_a, _ = two_hotels
        rt = a.room_types.get()
        NightInventory.objects.filter(room_type=rt, date=booking_a.check_in).update(stop_sell=True, price="123.45")
        client.force_login(manager_a)
        url = reverse("admin:hotels_roomtype_calendar", args=[rt.pk])
        response = client.get(url, {"month": f"{booking_a.check_in:%Y-%m}"})
        body = response.content.decode()
        assert response.status_code == 200 and "123.45" in body and "stop-sell" in body and "1 sold" in body
        cells = [c for week in response.context["weeks"] for c in week if c]
        assert len(cells) == len({c["date"] for c in cells}) and all(c["date"].day for c in cells)
        assert f"?month={response.context['next']}" in body and f"?month={response.context['previous']}" in body
        for month in ("9999-12", "0001-01", "2026-13", "x"):
            assert client.get(url, {"month": month}).status_code == 200

    def test_calendar_and_bulk_editor_take_few_queries(
        self, client, two_hotels, manager_a, django_assert_max_num_queries
    ):
        rt = two_hotels[0].room_types.get()
        client.force_login(manager_a)
        with django_assert_max_num_queries(12):
            client.get(reverse("admin:hotels_roomtype_calendar", args=[rt.pk]))
        with django_assert_max_num_queries(12):
            client.get(reverse("admin:hotels_roomtype_bulk", args=[rt.pk]))
