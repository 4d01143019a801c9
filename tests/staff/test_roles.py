"""Roles are Django groups: assigning a role puts the user in its group, and only a hotel's managers manage its
staff, from the hotel's page or the staff list."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from hotels.models import HotelStaff
from hotels.services import StaffError, staff_member_add, staff_member_remove
from tests.factories import HotelFactory, UserFactory

pytestmark = pytest.mark.django_db


def groups(user):
    return set(user.groups.values_list("name", flat=True))


def test_the_migration_gives_each_role_its_permissions():
    manager = set(Group.objects.get(name="Hotel manager").permissions.values_list("codename", flat=True))
    desk = set(Group.objects.get(name="Front desk").permissions.values_list("codename", flat=True))
    assert {"refund_booking", "view_booking_prices", "change_nightinventory", "add_hotelstaff"} <= manager
    assert {"view_booking", "change_booking", "mark_booking"} <= desk
    assert not desk & {"refund_booking", "view_booking_prices", "view_nightinventory", "view_payment", "view_hoteltax"}


def test_a_role_puts_the_user_in_its_group_and_follows_changes():
    a, b = HotelFactory(), HotelFactory()
    user = UserFactory()
    staff_member_add(hotel=a, user=user, role=HotelStaff.Role.MANAGER)
    user.refresh_from_db()
    assert user.is_staff and groups(user) == {"Hotel manager"}
    staff_member_add(hotel=b, user=user, role=HotelStaff.Role.FRONT_DESK)
    assert groups(user) == {"Hotel manager", "Front desk"}
    staff_member_add(hotel=a, user=user, role=HotelStaff.Role.FRONT_DESK)  # demoted at Alpha
    assert groups(user) == {"Front desk"} and HotelStaff.objects.filter(user=user).count() == 2
    staff_member_remove(member=HotelStaff.objects.get(user=user, hotel=a))
    assert groups(user) == {"Front desk"}
    staff_member_remove(member=HotelStaff.objects.get(user=user, hotel=b))
    assert groups(user) == set()


def test_unknown_roles_and_disabled_accounts_are_refused():
    with pytest.raises(StaffError):
        staff_member_add(hotel=HotelFactory(), user=UserFactory(), role="owner")
    with pytest.raises(StaffError):
        staff_member_add(hotel=HotelFactory(), user=UserFactory(is_active=False), role=HotelStaff.Role.MANAGER)


def inline_data(hotel, rows, existing=()):
    """POST data for the hotel page with its staff inline (the other inlines left as they are)."""
    data = {
        "name_en": hotel.name,  # per language (hotels/translation.py); English is required
        "slug": hotel.slug,
        "city": hotel.city,
        "country": hotel.country,
        "address": hotel.address,
        "stars": hotel.stars,
        "check_in_time": "15:00",
        "check_out_time": "11:00",
        "timezone": hotel.timezone,
        "reservations_email": hotel.reservations_email,
        "currency": hotel.currency,
        "is_active": "on",
    }
    for prefix, model_rows in (
        ("room_types", list(hotel.room_types.all())),
        ("child_bands", list(hotel.child_bands.all())),
        ("taxes", list(hotel.taxes.all())),
        ("photos", []),
    ):
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = len(model_rows)
        for i, obj in enumerate(model_rows):
            data[f"{prefix}-{i}-id"] = obj.pk
            data[f"{prefix}-{i}-hotel"] = hotel.pk
            for field in (
                "name",
                "max_adults",
                "max_children",
                "max_occupancy",
                "base_occupancy",
                "extra_adult_price",
                "beds",
                "total_rooms",
                "kind",
            ):
                if hasattr(obj, field):
                    data[f"{prefix}-{i}-{field}"] = getattr(obj, field)
            if prefix in ("room_types", "taxes"):  # translated names: the English one is required
                data[f"{prefix}-{i}-name_en"] = obj.name
            if prefix == "room_types":  # the beds are per language too
                data[f"{prefix}-{i}-beds_en"] = obj.beds
            if hasattr(obj, "amount"):
                data[f"{prefix}-{i}-amount"] = obj.amount
            data[f"{prefix}-{i}-is_active"] = "on"
    data["staff-TOTAL_FORMS"] = len(existing) + len(rows)
    data["staff-INITIAL_FORMS"] = len(existing)
    for i, (member, role, delete) in enumerate(existing):
        data[f"staff-{i}-id"] = member.pk
        data[f"staff-{i}-hotel"] = hotel.pk
        data[f"staff-{i}-role"] = role
        if delete:
            data[f"staff-{i}-DELETE"] = "on"
    for j, (email, role) in enumerate(rows, start=len(existing)):
        data[f"staff-{j}-hotel"] = hotel.pk
        data[f"staff-{j}-email"] = email
        data[f"staff-{j}-role"] = role
    return data


def test_manager_adds_changes_and_removes_staff_on_the_hotel_page(client, two_hotels, manager_a):
    a = two_hotels[0]
    client.force_login(manager_a)
    url = reverse("admin:hotels_hotel_change", args=[a.pk])
    assert "boss@alpha.example" in client.get(url).content.decode()
    me = HotelStaff.objects.get(user=manager_a)
    response = client.post(url, inline_data(a, [("New.Desk@Alpha.example", "front_desk")], [(me, "manager", False)]))
    assert response.status_code == 302, response.context["errors"] if response.context else response
    member = HotelStaff.objects.get(hotel=a, user__email="new.desk@alpha.example")
    assert member.role == "front_desk" and member.user.is_staff and groups(member.user) == {"Front desk"}
    client.post(url, inline_data(a, [], [(me, "manager", False), (member, "manager", False)]))
    member.refresh_from_db()
    assert member.role == "manager" and groups(member.user) == {"Hotel manager"}
    client.post(url, inline_data(a, [], [(me, "manager", False), (member, "manager", True)]))
    assert not HotelStaff.objects.filter(pk=member.pk).exists() and groups(member.user) == set()


def test_front_desk_does_not_see_the_staff_of_their_hotel(client, two_hotels, front_desk_a, manager_a):
    client.force_login(front_desk_a)
    page = client.get(reverse("admin:hotels_hotel_change", args=[two_hotels[0].pk])).content.decode()
    assert "boss@alpha.example" not in page
    assert client.get(reverse("admin:hotels_hotelstaff_changelist")).status_code == 403


def test_manager_adds_a_colleague_by_email_only_at_their_hotels(client, two_hotels, manager_a):
    a, b = two_hotels[0], two_hotels[1]
    client.force_login(manager_a)
    url = reverse("admin:hotels_hotelstaff_add")
    response = client.post(url, {"hotel": a.pk, "role": "front_desk", "email": "new.desk@alpha.example"})
    assert response.status_code == 302
    member = HotelStaff.objects.get(user__email="new.desk@alpha.example")
    assert member.hotel == a and groups(member.user) == {"Front desk"}
    refused = client.post(url, {"hotel": b.pk, "role": "manager", "email": "evil@alpha.example"})
    assert refused.status_code == 200 and not HotelStaff.objects.filter(hotel=b).exists()
    change = reverse("admin:hotels_hotelstaff_change", args=[member.pk])
    client.post(change, {"role": "manager", "email": "someone.else@example.com", "hotel": b.pk})
    member.refresh_from_db()
    assert member.role == "manager" and member.hotel == a and member.user.email == "new.desk@alpha.example"
    client.post(reverse("admin:hotels_hotelstaff_delete", args=[member.pk]), {"post": "yes"})
    assert not HotelStaff.objects.filter(pk=member.pk).exists() and groups(member.user) == set()
