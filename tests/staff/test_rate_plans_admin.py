"""Rate plans in the staff console: the room type page's plans, the bulk editor and the calendar per rate, child
bands, all scoped to the staff member's hotels."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from hotels.models import ChildAgeBand, RatePlan, RatePlanNight
from hotels.services import InventoryError, rate_plan_nights_update
from tests.factories import RatePlanFactory, RoomTypeFactory, standard_plan
from tests.staff.conftest import hotel_today, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(two_hotels):
    """Alpha's room type sold as Flexible (its standard plan) and Non-refundable (−10%); Beta's likewise."""
    result = {}
    for hotel in two_hotels[:2]:
        rt = hotel.room_types.get()
        flexible = standard_plan(rt)
        derived = RatePlanFactory(
            room_type=rt,
            name="Non-refundable",
            parent=flexible,
            derivation="percent",
            derivation_value=Decimal("-10"),
            free_cancellation_days=None,
            position=1,
        )
        result[hotel.name] = (rt, flexible, derived)
    return result


def day(hotel, n):
    return hotel_today(hotel) + timedelta(days=n)


def inline_post(rt, plans_data):
    """The room type change form with its rate plan inline rows (photos untouched)."""
    data = {
        "hotel": rt.hotel_id,
        "name_en": rt.name,  # names and descriptions per language (hotels/translation.py); English is required
        "description_en": rt.description,
        "max_adults": rt.max_adults,
        "max_children": rt.max_children,
        "max_occupancy": rt.max_occupancy,
        "base_occupancy": rt.base_occupancy,
        "extra_adult_price": rt.extra_adult_price,
        "beds_en": rt.beds,
        "total_rooms": rt.total_rooms,
        "is_active": "on",
        "photos-TOTAL_FORMS": 0,
        "photos-INITIAL_FORMS": 0,
        "rate_plans-TOTAL_FORMS": len(plans_data),
        "rate_plans-INITIAL_FORMS": sum(1 for p in plans_data if p.get("id")),
    }
    for i, plan in enumerate(plans_data):
        defaults = {
            "room_type": rt.pk,
            "meal_plan": "room_only",
            "position": i,
            "is_active": "on",
            "free_cancellation_days": 2,
            "cancellation_penalty": "first_night",
            "cancellation_penalty_percent": "100",
            "derivation": "",
            "derivation_value": "0",
            "min_stay": 1,
            "max_stay": "",
            "parent": "",
        }
        for key, value in {**defaults, **plan}.items():
            data[f"rate_plans-{i}-{'name_en' if key == 'name' else key}"] = value
    return data


class TestRoomTypePage:
    def test_a_manager_adds_a_derived_breakfast_rate(self, client, manager_a, plans):
        rt, flexible, derived = plans["Alpha Hotel"]
        client.force_login(manager_a)
        url = reverse("admin:hotels_roomtype_change", args=[rt.pk])
        page = client.get(url).content.decode()
        assert "Non-refundable" in page and "Rate plan" in page
        rows = [
            {"id": flexible.pk, "name": "Flexible"},
            {
                "id": derived.pk,
                "name": "Non-refundable",
                "parent": flexible.pk,
                "derivation": "percent",
                "derivation_value": "-10",
                "free_cancellation_days": "",
            },
            {
                "name": "Breakfast included",
                "meal_plan": "breakfast",
                "parent": flexible.pk,
                "derivation": "amount",
                "derivation_value": "24.00",
            },
        ]
        response = client.post(url, inline_post(rt, rows))
        assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
        breakfast = RatePlan.objects.get(room_type=rt, name="Breakfast included")
        assert breakfast.parent == flexible and breakfast.derivation_value == Decimal("24.00")

    @pytest.mark.parametrize(
        "bad, message",
        [
            ({"parent": "DERIVED", "derivation": "percent", "derivation_value": "-5"}, "Select a valid choice"),
            ({"parent": "FLEXIBLE", "derivation": ""}, "Say how this plan"),
            ({"derivation": "amount", "derivation_value": "5"}, "Choose the plan this one is derived from"),
            ({"min_stay": 3, "max_stay": 2}, "maximum stay can"),
        ],
    )
    def test_rate_mistakes_are_shown_on_the_form(self, client, manager_a, plans, bad, message):
        rt, flexible, derived = plans["Alpha Hotel"]
        client.force_login(manager_a)
        ids = {"DERIVED": derived.pk, "FLEXIBLE": flexible.pk}
        bad = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in bad.items()}
        rows = [
            {"id": flexible.pk, "name": "Flexible"},
            {
                "id": derived.pk,
                "name": "Non-refundable",
                "parent": flexible.pk,
                "derivation": "percent",
                "derivation_value": "-10",
            },
            {"name": "New rate", **bad},
        ]
        response = client.post(reverse("admin:hotels_roomtype_change", args=[rt.pk]), inline_post(rt, rows))
        assert response.status_code == 200 and message in response.content.decode()
        assert not RatePlan.objects.filter(name="New rate").exists()

    def test_a_new_room_type_gets_a_standard_rate(self, client, superuser, two_hotels):
        client.force_login(superuser)
        rt = RoomTypeFactory.build(hotel=two_hotels[0], name="Loft")
        data = inline_post(rt, [])
        response = client.post(reverse("admin:hotels_roomtype_add"), data)
        assert response.status_code == 302
        loft = two_hotels[0].room_types.get(name="Loft")
        assert [p.name for p in loft.rate_plans.all()] == ["Standard rate"]

    def test_a_plan_with_bookings_is_not_deleted_but_explained(self, client, manager_a, plans, two_hotels):
        rt, flexible, derived = plans["Alpha Hotel"]
        RatePlan.objects.filter(pk=derived.pk).delete()
        client.force_login(manager_a)
        url = reverse("admin:hotels_rateplan_delete", args=[flexible.pk])
        response = client.post(url, {"post": "yes"}, follow=True)
        assert response.status_code == 200
        assert RatePlan.objects.filter(pk=flexible.pk).exists()

    def test_staff_see_and_edit_only_their_hotels_rates(self, client, manager_a, front_desk_a, plans):
        rt_b, flexible_b, _ = plans["Beta Hotel"]
        rt_a, flexible_a, _ = plans["Alpha Hotel"]
        client.force_login(manager_a)
        listing = client.get(reverse("admin:hotels_rateplan_changelist")).content.decode()
        assert "Alpha Hotel" in listing and "Beta Hotel" not in listing
        assert client.get(reverse("admin:hotels_rateplan_change", args=[flexible_b.pk])).status_code in (302, 404)
        assert client.get(reverse("admin:hotels_roomtype_bulk", args=[rt_b.pk])).status_code == 404
        assert client.get(reverse("admin:hotels_roomtype_calendar", args=[rt_b.pk])).status_code == 404
        client.force_login(front_desk_a)
        assert client.get(reverse("admin:hotels_rateplan_changelist")).status_code == 200
        response = client.post(reverse("admin:hotels_rateplan_change", args=[flexible_a.pk]), {"name": "Hacked"})
        assert response.status_code == 403 and RatePlan.objects.get(pk=flexible_a.pk).name != "Hacked"
        assert client.get(reverse("admin:hotels_roomtype_bulk", args=[rt_a.pk])).status_code == 403

    def test_child_bands_on_the_hotel_page(self, client, superuser, two_hotels):
        hotel = two_hotels[0]
        ChildAgeBand.objects.create(hotel=hotel, min_age=0, max_age=2, price=0)
        client.force_login(superuser)
        page = client.get(reverse("admin:hotels_hotel_change", args=[hotel.pk])).content.decode()
        assert "Children&#x27;s prices by age" in page or "Children's prices by age" in page


class TestBulkEditorPerRate:
    def test_closures_and_rules_on_chosen_weekdays_only(self, plans, two_hotels, manager_a):
        hotel = two_hotels[0]
        _, _, derived = plans["Alpha Hotel"]
        weekday = day(hotel, 1).weekday()
        result = rate_plan_nights_update(
            rate_plan=derived,
            start=day(hotel, 1),
            end=day(hotel, 14),
            weekdays={weekday},
            closed_to_arrival=True,
            min_stay=2,
            user=manager_a,
        )
        assert result.created == 2
        rows = RatePlanNight.objects.filter(rate_plan=derived)
        assert {r.date.weekday() for r in rows} == {weekday}
        assert all(r.closed_to_arrival and r.min_stay == 2 and r.price is None for r in rows)
        assert rows.first().history.first().history_user == manager_a
        derived.refresh_from_db()
        assert derived.nights_from == day(hotel, 1) and derived.nights_to == day(hotel, 8)  # kept by the trigger

    def test_a_derived_rate_has_no_price_of_its_own(self, plans, two_hotels):
        hotel = two_hotels[0]
        _, _, derived = plans["Alpha Hotel"]
        with pytest.raises(InventoryError, match="its prices follow"):
            rate_plan_nights_update(rate_plan=derived, start=day(hotel, 1), end=day(hotel, 2), price=Decimal("50"))
        assert not RatePlanNight.objects.exists()

    def test_reset_returns_a_rate_to_its_defaults(self, plans, two_hotels):
        hotel = two_hotels[0]
        _, flexible, _ = plans["Alpha Hotel"]
        rate_plan_nights_update(rate_plan=flexible, start=day(hotel, 1), end=day(hotel, 5), price=Decimal("150"))
        rate_plan_nights_update(rate_plan=flexible, start=day(hotel, 2), end=day(hotel, 3), reset=True)
        assert sorted(RatePlanNight.objects.values_list("date", flat=True)) == [
            day(hotel, 1),
            day(hotel, 4),
            day(hotel, 5),
        ]
        with pytest.raises(InventoryError):
            rate_plan_nights_update(rate_plan=flexible, start=day(hotel, 1), end=day(hotel, 1))

    def test_the_bulk_page_applies_to_a_rate_and_refuses_room_counts_there(self, client, plans, two_hotels, manager_a):
        hotel = two_hotels[0]
        rt, flexible, derived = plans["Alpha Hotel"]
        client.force_login(manager_a)
        url = reverse("admin:hotels_roomtype_bulk", args=[rt.pk])
        page = client.get(url).content.decode()
        assert "Rate: Non-refundable (derived from Standard rate)" in page
        response = client.post(
            url, {"target": flexible.pk, "start": day(hotel, 1), "end": day(hotel, 1), "rooms_for_sale": 3}
        )
        assert response.status_code == 200 and "shared by all the rates" in response.content.decode()
        response = client.post(url, {"target": derived.pk, "start": day(hotel, 1), "end": day(hotel, 1), "price": "10"})
        assert response.status_code == 200 and "its prices follow" in response.content.decode()
        response = client.post(
            url, {"target": "", "start": day(hotel, 1), "end": day(hotel, 1), "closed_to_arrival": "1"}
        )
        assert response.status_code == 200 and "a rate&#x27;s rule" in response.content.decode()
        response = client.post(
            url,
            {
                "target": flexible.pk,
                "start": day(hotel, 3),
                "end": day(hotel, 3),
                "price": "140.00",
                "closed_to_departure": "1",
            },
            follow=True,
        )
        assert "1 created" in messages_of(response)
        night = RatePlanNight.objects.get(rate_plan=flexible)
        assert night.price == Decimal("140.00") and night.closed_to_departure

    def test_the_calendar_shows_each_rates_price_and_rules(
        self, client, plans, two_hotels, manager_a, django_assert_max_num_queries
    ):
        hotel = two_hotels[0]
        rt, flexible, derived = plans["Alpha Hotel"]
        night = rt.nights.get(date=day(hotel, 5))
        night.price = Decimal("101.50")
        night.save()
        rate_plan_nights_update(rate_plan=derived, start=day(hotel, 5), end=day(hotel, 5), closed_to_arrival=True)
        rate_plan_nights_update(rate_plan=flexible, start=day(hotel, 6), end=day(hotel, 6), price=Decimal("120.00"))
        RatePlanFactory(room_type=rt, name="Extra plan 1", position=5)
        RatePlanFactory(room_type=rt, name="Extra plan 2", position=6)
        client.force_login(manager_a)
        url = reverse("admin:hotels_roomtype_calendar", args=[rt.pk])
        with django_assert_max_num_queries(14):
            response = client.get(url, {"month": f"{day(hotel, 5):%Y-%m}"})
        cells = {c["date"]: c for week in response.context["weeks"] for c in week if c}
        if day(hotel, 6) not in cells:  # the next day is in the next month
            following = client.get(url, {"month": f"{day(hotel, 6):%Y-%m}"})
            cells.update({c["date"]: c for week in following.context["weeks"] for c in week if c})
        rates = {r["plan"].name: r for r in cells[day(hotel, 5)]["plans"]}
        assert rates["Standard rate"]["price"] == Decimal("101.50")
        assert rates["Non-refundable"]["price"] == Decimal("91.35")  # 101.50 − 10.15
        assert rates["Non-refundable"]["flags"] == ["no arrival"]
        next_day = {r["plan"].name: r for r in cells[day(hotel, 6)]["plans"]}
        assert next_day["Standard rate"]["price"] == Decimal("120.00") and next_day["Standard rate"]["own_price"]
        assert next_day["Non-refundable"]["price"] == Decimal("108.00")  # follows its parent's own price
        assert "no arrival" in response.content.decode()
