"""The staff console: each member sees and changes only their own hotels; actions go through the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from bookings.models import Booking
from bookings.services import GuestDetails, booking_confirm, booking_hold
from hotels.models import HotelStaff, NightInventory
from hotels.selectors import Stay
from hotels.services import InventoryError, inventory_bulk_update, staff_member_add
from payments.models import Payment
from tests.factories import HotelFactory, RoomTypeFactory, UserFactory, future, open_nights

pytestmark = pytest.mark.django_db


def booking_at(hotel, *, email="guest@example.com", confirm=True):
    rt = hotel.room_types.first() or RoomTypeFactory(hotel=hotel)
    if not rt.nights.exists():
        open_nights(rt, future(1), 40, rooms=50)
    booking = booking_hold(
        room_type=rt,
        stay=Stay(check_in=future(10), check_out=future(12), adults=2),
        guest=GuestDetails(first_name="Guest", last_name=hotel.name, email=email),
    )
    return booking_confirm(booking=booking) if confirm else booking


@pytest.fixture
def two_hotels():
    a, b = HotelFactory(name="Alpha Hotel"), HotelFactory(name="Beta Hotel")
    return a, b, booking_at(a, email="alpha-guest@example.com"), booking_at(b, email="beta-guest@example.com")


def staff(hotel, role, email):
    user = UserFactory(email=email)
    staff_member_add(hotel=hotel, user=user, role=role)
    return user


@pytest.fixture
def front_desk_a(two_hotels):
    return staff(two_hotels[0], HotelStaff.Role.FRONT_DESK, "desk@alpha.example")


@pytest.fixture
def manager_a(two_hotels):
    return staff(two_hotels[0], HotelStaff.Role.MANAGER, "boss@alpha.example")


CHANGELISTS = [
    "bookings_booking",
    "hotels_hotel",
    "hotels_roomtype",
    "hotels_nightinventory",
    "hotels_hoteltax",
    "payments_payment",
    "notifications_outboundemail",
    "hotels_hotelstaff",
]


@pytest.mark.parametrize("who", ["front_desk_a", "manager_a"])
def test_lists_show_only_own_hotel(client, two_hotels, who, request):
    a, b, booking_a, booking_b = two_hotels
    client.force_login(request.getfixturevalue(who))
    for name in CHANGELISTS:
        response = client.get(reverse(f"admin:{name}_changelist"))
        assert response.status_code in (200, 403), name
        body = response.content.decode()
        assert "Beta Hotel" not in body and booking_b.reference not in body and "beta-guest" not in body, name
    body = client.get(reverse("admin:bookings_booking_changelist")).content.decode()
    assert booking_a.reference in body


def test_other_hotels_objects_are_404_by_url(client, two_hotels, manager_a):
    a, b, booking_a, booking_b = two_hotels
    client.force_login(manager_a)
    rt_b = b.room_types.first()
    night_b = NightInventory.objects.filter(room_type=rt_b).first()
    payment_b = Payment.objects.create(
        booking=booking_b, gateway="x", amount=Decimal("1"), currency="EUR", idempotency_key="k", status="paid"
    )
    urls = [
        reverse("admin:bookings_booking_change", args=[booking_b.pk]),
        reverse("admin:bookings_booking_history", args=[booking_b.pk]),
        reverse("admin:hotels_hotel_change", args=[b.pk]),
        reverse("admin:hotels_roomtype_change", args=[rt_b.pk]),
        reverse("admin:hotels_nightinventory_change", args=[night_b.pk]),
        reverse("admin:hotels_roomtype_calendar", args=[rt_b.pk]),
        reverse("admin:hotels_roomtype_bulk", args=[rt_b.pk]),
        reverse("admin:bookings_booking_refund", args=[booking_b.pk]),
        reverse("admin:bookings_booking_receipt", args=[booking_b.pk]),
        reverse("admin:payments_payment_change", args=[payment_b.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("admin:bookings_booking_change", args=[booking_a.pk])).status_code == 200


def test_actions_cannot_touch_other_hotels(client, two_hotels, manager_a):
    a, b, booking_a, booking_b = two_hotels
    client.force_login(manager_a)
    client.post(
        reverse("admin:bookings_booking_changelist"),
        {"action": "cancel_without_penalty", "_selected_action": [booking_b.pk]},
    )
    booking_b.refresh_from_db()
    assert booking_b.status == "confirmed"


def test_filters_and_autocomplete_are_scoped(client, two_hotels, manager_a):
    client.force_login(manager_a)
    body = client.get(reverse("admin:bookings_booking_changelist")).content.decode()
    assert "Alpha Hotel" in body and "Beta Hotel" not in body
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "hotels", "model_name": "roomtype", "field_name": "room_type", "term": ""},
    )
    assert "Beta" not in response.content.decode()


def test_exports_are_scoped(client, two_hotels, manager_a):
    a, b, booking_a, booking_b = two_hotels
    client.force_login(manager_a)
    response = client.get(reverse("admin:bookings_booking_export"), {"start": future(0).isoformat()})
    body = b"".join(response.streaming_content).decode()
    assert booking_a.reference in body and booking_b.reference not in body


def test_front_desk_sees_no_prices_or_refunds(client, two_hotels, front_desk_a):
    a, b, booking_a, _ = two_hotels
    client.force_login(front_desk_a)
    body = client.get(reverse("admin:bookings_booking_change", args=[booking_a.pk])).content.decode()
    assert str(booking_a.total) not in body and "Refund" not in body
    assert client.get(reverse("admin:bookings_booking_refund", args=[booking_a.pk])).status_code == 403
    assert client.get(reverse("admin:bookings_booking_receipt", args=[booking_a.pk])).status_code == 403
    assert client.get(reverse("admin:hotels_roomtype_bulk", args=[a.room_types.first().pk])).status_code == 403
    assert client.get(reverse("admin:payments_payment_changelist")).status_code == 403


def test_front_desk_checks_guests_in_and_out(client, two_hotels, front_desk_a):
    booking_a = two_hotels[2]
    client.force_login(front_desk_a)
    url = reverse("admin:bookings_booking_changelist")
    client.post(url, {"action": "mark_checked_in", "_selected_action": [booking_a.pk]})
    booking_a.refresh_from_db()
    assert booking_a.status == "checked_in"
    assert booking_a.status_changes.last().actor == front_desk_a
    client.post(url, {"action": "cancel_with_penalty", "_selected_action": [booking_a.pk]})
    booking_a.refresh_from_db()
    assert booking_a.status == "checked_in"  # front desk has no cancel permission, and checked-in can't be cancelled


def test_manager_cancel_releases_nights(client, two_hotels, manager_a):
    booking_a = two_hotels[2]
    client.force_login(manager_a)
    client.post(
        reverse("admin:bookings_booking_changelist"),
        {"action": "cancel_without_penalty", "_selected_action": [booking_a.pk]},
    )
    booking_a.refresh_from_db()
    assert booking_a.status == "cancelled" and not booking_a.nights_held
    assert NightInventory.objects.filter(room_type=booking_a.room_type, rooms_sold__gt=0).count() == 0
    assert booking_a.status_changes.last().actor_kind == "staff"


def test_refund_reaches_the_bank(client, bank, two_hotels, manager_a):
    from payments.gateways import get_gateway

    booking_a = two_hotels[2]
    gateway = get_gateway()
    session = gateway.create_session(
        amount=booking_a.total,
        currency="EUR",
        reference=booking_a.reference,
        return_url="http://testserver/x",
        webhook_url=None,
        idempotency_key="admin-test",
    )
    import requests

    requests.post(
        session.redirect_url,
        data={"card_number": "4242424242424242", "expiry": "12/39", "cvc": "123", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    status = gateway.get_status(session.session_id)
    Payment.objects.create(
        booking=booking_a,
        gateway="sandbox",
        amount=booking_a.total,
        currency="EUR",
        idempotency_key="admin-test",
        bank_session_id=session.session_id,
        status="paid",
        bank_transaction_id=status.transaction_id,
    )
    client.force_login(manager_a)
    url = reverse("admin:bookings_booking_refund", args=[booking_a.pk])
    too_much = client.post(url, {"amount": "100000", "reason": "test"})
    assert "at most" in too_much.content.decode()
    response = client.post(url, {"amount": "50.00", "reason": "noisy room"})
    assert response.status_code == 302
    payment = Payment.objects.get(booking=booking_a)
    assert payment.refunded_amount == Decimal("50.00") and payment.status == "partially_refunded"
    assert payment.refunds.get().bank_refund_id.startswith("re_")


def test_today_dashboard(client, two_hotels, manager_a):
    client.force_login(manager_a)
    response = client.get(reverse("admin:bookings_booking_today"))
    assert response.status_code == 200
    assert len(response.context["days"]) == 30
    assert response.context["revenue_total"] == two_hotels[2].total - sum(
        Decimal(t["amount"]) for t in two_hotels[2].price_snapshot["taxes"] if not t["included"]
    )


def test_booking_list_query_count_does_not_grow(client, two_hotels, manager_a, django_assert_max_num_queries):
    a = two_hotels[0]
    for i in range(15):
        booking_at(a, email=f"g{i}@example.com")
    client.force_login(manager_a)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("admin:bookings_booking_changelist"))
    assert response.status_code == 200


class TestBulkEditor:
    def test_sets_price_on_chosen_weekdays_and_leaves_the_rest(self):
        rt = RoomTypeFactory()
        start = future(1)
        open_nights(rt, start, 14, price="100.00")
        result = inventory_bulk_update(
            room_type=rt, start=start, end=start + timedelta(days=13), weekdays={5, 6}, price=Decimal("150.00")
        )
        assert result.updated == 4
        for night in NightInventory.objects.filter(room_type=rt):
            assert night.price == (Decimal("150.00") if night.date.weekday() in (5, 6) else Decimal("100.00"))
            assert night.rooms_for_sale == 5

    def test_refuses_fewer_rooms_than_sold(self):
        booking = booking_at(HotelFactory())
        with pytest.raises(InventoryError, match="already sold"):
            inventory_bulk_update(room_type=booking.room_type, start=future(1), end=future(30), rooms_for_sale=0)
        assert not NightInventory.objects.filter(rooms_for_sale=0).exists()

    def test_creates_missing_nights_only_with_rooms_and_price(self):
        rt = RoomTypeFactory()
        assert inventory_bulk_update(room_type=rt, start=future(1), end=future(3), stop_sell=True).created == 0
        result = inventory_bulk_update(
            room_type=rt, start=future(1), end=future(3), rooms_for_sale=4, price=Decimal("80")
        )
        assert result.created == 3 and NightInventory.objects.filter(room_type=rt).count() == 3

    def test_overlapping_edits_apply_in_order(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(1), 10, price="100")
        inventory_bulk_update(room_type=rt, start=future(1), end=future(6), price=Decimal("120"))
        inventory_bulk_update(room_type=rt, start=future(4), end=future(10), price=Decimal("90"))
        prices = list(NightInventory.objects.filter(room_type=rt).order_by("date").values_list("price", flat=True))
        assert prices == [Decimal("120")] * 3 + [Decimal("90")] * 7

    def test_bad_ranges_are_refused(self):
        rt = RoomTypeFactory()
        with pytest.raises(InventoryError):
            inventory_bulk_update(room_type=rt, start=future(5), end=future(1), price=Decimal("1"))
        with pytest.raises(InventoryError):
            inventory_bulk_update(room_type=rt, start=future(1), end=future(5))

    def test_bulk_page_shows_the_error_and_history_is_kept(self, client, two_hotels, manager_a):
        a = two_hotels[0]
        rt = a.room_types.first()
        client.force_login(manager_a)
        url = reverse("admin:hotels_roomtype_bulk", args=[rt.pk])
        bad = client.post(url, {"start": future(1), "end": future(30), "rooms_for_sale": 0})
        assert "already sold" in bad.content.decode()
        ok = client.post(url, {"start": future(1), "end": future(3), "price": "99.00"})
        assert ok.status_code == 302
        night = NightInventory.objects.get(room_type=rt, date=future(1))
        assert night.price == Decimal("99.00")
        assert night.history.first().history_user == manager_a
        calendar = client.get(reverse("admin:hotels_roomtype_calendar", args=[rt.pk]), {"month": f"{future(1):%Y-%m}"})
        assert calendar.status_code == 200 and "99.00" in calendar.content.decode()


def test_manager_adds_a_colleague_by_email(client, two_hotels, manager_a):
    a, b = two_hotels[0], two_hotels[1]
    client.force_login(manager_a)
    response = client.post(
        reverse("admin:hotels_hotelstaff_add"), {"hotel": a.pk, "role": "front_desk", "email": "new.desk@alpha.example"}
    )
    assert response.status_code == 302
    member = HotelStaff.objects.get(user__email="new.desk@alpha.example")
    assert member.hotel == a and member.user.is_staff and member.user.groups.filter(name="Front desk").exists()
    refused = client.post(
        reverse("admin:hotels_hotelstaff_add"), {"hotel": b.pk, "role": "manager", "email": "evil@alpha.example"}
    )
    assert refused.status_code == 200 and not HotelStaff.objects.filter(hotel=b).exists()


def test_superuser_sees_everything(client, two_hotels):
    client.force_login(UserFactory(email="root@example.com", is_staff=True, is_superuser=True))
    body = client.get(reverse("admin:bookings_booking_changelist")).content.decode()
    assert two_hotels[2].reference in body and two_hotels[3].reference in body
    assert Booking.objects.count() == 2
