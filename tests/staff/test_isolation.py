"""Tenants: a staff member of Alpha never sees or changes anything of Beta, by list, URL, search, filter,
autocomplete, history, action or export; and a role at one hotel grants nothing at another."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from hotels.models import Hotel, HotelStaff, HotelTax, NightInventory
from notifications.models import OutboundEmail
from notifications.services import email_resend
from payments.models import Payment, Receipt, Refund
from tests.factories import future

from .conftest import messages_of, staff

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "bookings_booking",
    "hotels_hotel",
    "hotels_roomtype",
    "hotels_nightinventory",
    "hotels_hoteltax",
    "hotels_hotelstaff",
    "payments_payment",
    "payments_refund",
    "payments_receipt",
    "notifications_outboundemail",
]


@pytest.fixture
def beta_objects(two_hotels):
    """One of everything at Beta."""
    a, b, _, booking_b = two_hotels
    payment = Payment.objects.create(
        booking=booking_b, gateway="x", amount=Decimal("10"), currency="EUR", idempotency_key="kb", status="paid"
    )
    refund = Refund.objects.create(payment=payment, amount=Decimal("1"), reason="x", idempotency_key="kb-r1")
    receipt = Receipt.objects.create(
        booking=booking_b, year=2026, sequence=1, number="R2026-BETA01", pdf=b"%PDF", issued_at=timezone.now()
    )
    tax = HotelTax.objects.get(hotel=b)
    tax.amount = Decimal("3.00")
    tax.save()  # a second history record, so there is something to revert to
    colleague = staff(b, HotelStaff.Role.FRONT_DESK, "desk@beta.example")
    return {
        "booking": booking_b,
        "hotel": b,
        "room_type": b.room_types.get(),
        "night": NightInventory.objects.filter(room_type__hotel=b).first(),
        "tax": tax,
        "staff": HotelStaff.objects.get(user=colleague),
        "payment": payment,
        "refund": refund,
        "receipt": receipt,
        "email": email_resend(booking=booking_b),
    }


def beta_urls(o):
    tax_version = o["tax"].history.last().history_id
    return [
        reverse("admin:bookings_booking_change", args=[o["booking"].pk]),
        reverse("admin:bookings_booking_history", args=[o["booking"].pk]),
        reverse("admin:bookings_booking_refund", args=[o["booking"].pk]),
        reverse("admin:bookings_booking_receipt", args=[o["booking"].pk]),
        reverse("admin:hotels_hotel_change", args=[o["hotel"].pk]),
        reverse("admin:hotels_hotel_history", args=[o["hotel"].pk]),
        reverse("admin:hotels_hotel_delete", args=[o["hotel"].pk]),
        reverse("admin:hotels_roomtype_change", args=[o["room_type"].pk]),
        reverse("admin:hotels_roomtype_history", args=[o["room_type"].pk]),
        reverse("admin:hotels_roomtype_delete", args=[o["room_type"].pk]),
        reverse("admin:hotels_roomtype_calendar", args=[o["room_type"].pk]),
        reverse("admin:hotels_roomtype_bulk", args=[o["room_type"].pk]),
        reverse("admin:hotels_nightinventory_change", args=[o["night"].pk]),
        reverse("admin:hotels_nightinventory_history", args=[o["night"].pk]),
        reverse("admin:hotels_hoteltax_change", args=[o["tax"].pk]),
        reverse("admin:hotels_hoteltax_history", args=[o["tax"].pk]),
        reverse("admin:hotels_hoteltax_simple_history", args=[o["tax"].pk, tax_version]),
        reverse("admin:hotels_hoteltax_delete", args=[o["tax"].pk]),
        reverse("admin:hotels_hotelstaff_change", args=[o["staff"].pk]),
        reverse("admin:hotels_hotelstaff_delete", args=[o["staff"].pk]),
        reverse("admin:payments_payment_change", args=[o["payment"].pk]),
        reverse("admin:payments_refund_change", args=[o["refund"].pk]),
        reverse("admin:payments_receipt_change", args=[o["receipt"].pk]),
        reverse("admin:notifications_outboundemail_change", args=[o["email"].pk]),
    ]


BETA_MARKERS = ["Beta Hotel", "beta-guest@example.com", "desk@beta.example", "Beta city tax", "R2026-BETA01"]


def assert_no_beta(body: str, where: str, o=None):
    for marker in BETA_MARKERS + ([o["booking"].reference] if o else []):
        assert marker not in body, f"{marker} leaked on {where}"


@pytest.mark.parametrize("who", ["front_desk_a", "manager_a", "manager_a_desk_b"])
def test_beta_objects_are_not_found_by_url(client, beta_objects, who, request):
    client.force_login(request.getfixturevalue(who))
    urls = beta_urls(beta_objects)
    if who == "manager_a_desk_b":  # works at Beta's front desk: sees its bookings and hotel, with no money or rates
        urls = [u for u in urls if not u.endswith(("/change/", "/history/")) or "tax" in u or "payment" in u]
        urls = [u for u in urls if "/bookings/booking/" not in u or "refund" in u or "receipt" in u]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert_no_beta(response.content.decode(), url)


@pytest.mark.parametrize("who", ["front_desk_a", "manager_a"])
def test_beta_objects_cannot_be_changed_by_post(client, two_hotels, beta_objects, who, request):
    a = two_hotels[0]
    client.force_login(request.getfixturevalue(who))
    o = beta_objects
    tax_version = o["tax"].history.last().history_id
    posts = {
        reverse("admin:hotels_hoteltax_change", args=[o["tax"].pk]): {
            "name": "Taken",
            "kind": "per_stay",
            "amount": "1",
            "hotel": a.pk,
        },
        reverse("admin:hotels_hoteltax_simple_history", args=[o["tax"].pk, tax_version]): {
            "name": "Taken",
            "kind": "per_stay",
            "amount": "1",
            "hotel": a.pk,
        },
        reverse("admin:hotels_hoteltax_delete", args=[o["tax"].pk]): {"post": "yes"},
        reverse("admin:hotels_hotelstaff_delete", args=[o["staff"].pk]): {"post": "yes"},
        reverse("admin:hotels_roomtype_bulk", args=[o["room_type"].pk]): {
            "start": future(1),
            "end": future(3),
            "price": "1.00",
        },
        reverse("admin:bookings_booking_refund", args=[o["booking"].pk]): {"amount": "1.00", "reason": "x"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code in (403, 404), url
    o["tax"].refresh_from_db()
    assert o["tax"].hotel_id == o["hotel"].pk and o["tax"].name == "Beta city tax"
    assert HotelStaff.objects.filter(pk=o["staff"].pk).exists()
    assert not NightInventory.objects.filter(room_type=o["room_type"], price=Decimal("1.00")).exists()
    assert not Refund.objects.filter(payment__booking=o["booking"]).exclude(pk=o["refund"].pk).exists()


@pytest.mark.parametrize("who", ["front_desk_a", "manager_a"])
def test_lists_searches_and_filters_show_only_alpha(client, two_hotels, beta_objects, who, request):
    client.force_login(request.getfixturevalue(who))
    for name in CHANGELISTS:
        url = reverse(f"admin:{name}_changelist")
        for params in ({}, {"q": "beta"}, {"q": beta_objects["booking"].reference}, {"hotel": two_hotels[1].pk}):
            response = client.get(url, params)
            assert response.status_code in (200, 302, 403), (name, params)
            if response.status_code != 200:  # no permission, or no hotel filter on this list (?e=1)
                continue
            if "q" in params:  # the search box repeats the term: look at the rows
                assert not response.context["cl"].result_list, (name, params)
            else:
                assert_no_beta(response.content.decode(), f"{name} {params}", beta_objects)
    body = client.get(reverse("admin:bookings_booking_changelist")).content.decode()
    assert two_hotels[2].reference in body and "Alpha Hotel" in body  # the filter offers Alpha


@pytest.mark.parametrize("who", ["front_desk_a", "manager_a"])
def test_autocomplete_offers_only_alpha(client, two_hotels, who, request):
    client.force_login(request.getfixturevalue(who))
    for app_label, model_name, field_name in [
        ("hotels", "roomtype", "hotel"),
        ("hotels", "hoteltax", "hotel"),
        ("bookings", "booking", "room_type"),
        ("hotels", "nightinventory", "room_type"),
    ]:
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": ""},
        )
        body = response.content.decode()
        assert "Beta" not in body, (model_name, field_name)
        if response.status_code == 200:
            assert [r["text"] for r in json.loads(body)["results"]], (model_name, field_name)
    manager = request.getfixturevalue("manager_a") if who == "manager_a" else None
    if manager:
        results = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "hotels", "model_name": "roomtype", "field_name": "hotel", "term": "hotel"},
        ).json()["results"]
        assert [r["text"] for r in results] == ["Alpha Hotel (Paris)"]


def test_actions_cannot_touch_beta(client, two_hotels, manager_a):
    booking_b = two_hotels[3]
    client.force_login(manager_a)
    for action in ["cancel_without_penalty", "mark_checked_in", "mark_no_show", "resend_confirmation"]:
        client.post(
            reverse("admin:bookings_booking_changelist"), {"action": action, "_selected_action": [booking_b.pk]}
        )
    booking_b.refresh_from_db()
    assert booking_b.status == "confirmed" and booking_b.status_changes.count() == 2
    assert not OutboundEmail.objects.filter(booking=booking_b, dedupe_key__contains=":resend-").exists()


@pytest.mark.parametrize("who", ["front_desk_a", "manager_a"])
def test_exports_hold_only_alpha(client, two_hotels, beta_objects, who, request):
    client.force_login(request.getfixturevalue(who))
    params = {"start": future(0).isoformat(), "end": future(60).isoformat()}
    response = client.get(reverse("admin:bookings_booking_export"), params)
    body = b"".join(response.streaming_content).decode()
    assert two_hotels[2].reference in body
    assert_no_beta(body, "bookings.csv", beta_objects)
    payments = client.get(reverse("admin:bookings_payment_export"), params)
    if who == "front_desk_a":
        assert payments.status_code == 403
    else:
        assert_no_beta(b"".join(payments.streaming_content).decode(), "payments.csv", beta_objects)


def test_today_dashboard_refuses_beta(client, two_hotels, front_desk_a):
    client.force_login(front_desk_a)
    response = client.get(reverse("admin:bookings_booking_today"), {"hotel": two_hotels[1].pk})
    assert response.context["hotel"] == two_hotels[0]
    assert "Beta Hotel" not in response.content.decode()


def test_front_desk_sees_no_prices_rates_or_refunds(client, two_hotels, front_desk_a):
    a, _, booking_a, _ = two_hotels
    client.force_login(front_desk_a)
    detail = client.get(reverse("admin:bookings_booking_change", args=[booking_a.pk])).content.decode()
    assert str(booking_a.total) not in detail and "Refund" not in detail and "Receipt" not in detail
    listing = client.get(reverse("admin:bookings_booking_changelist")).content.decode()
    assert str(booking_a.total) not in listing
    today = client.get(reverse("admin:bookings_booking_today"))
    assert today.status_code == 200 and "revenue" not in today.content.decode().lower().replace("revenue)", "")
    rt = a.room_types.get()
    for url in [
        reverse("admin:bookings_booking_refund", args=[booking_a.pk]),
        reverse("admin:bookings_booking_receipt", args=[booking_a.pk]),
        reverse("admin:bookings_payment_export"),
        reverse("admin:hotels_roomtype_bulk", args=[rt.pk]),
        reverse("admin:hotels_roomtype_calendar", args=[rt.pk]),
        reverse("admin:hotels_nightinventory_changelist"),
        reverse("admin:hotels_hoteltax_changelist"),
        reverse("admin:hotels_hotelstaff_changelist"),
        reverse("admin:payments_payment_changelist"),
        reverse("admin:payments_refund_changelist"),
    ]:
        assert client.get(url).status_code == 403, url
    hotel_page = client.get(reverse("admin:hotels_hotel_change", args=[a.pk])).content.decode()
    assert "Alpha city tax" not in hotel_page and "boss@" not in hotel_page  # no taxes, no staff inline


def test_front_desk_cannot_revert_their_hotel_from_its_history(client, two_hotels, front_desk_a):
    a = two_hotels[0]
    a.name = "Alpha Hotel Renamed"
    a.save()
    old = a.history.last().history_id
    client.force_login(front_desk_a)
    assert client.get(reverse("admin:hotels_hotel_history", args=[a.pk])).status_code == 200
    url = reverse("admin:hotels_hotel_simple_history", args=[a.pk, old])
    assert client.post(url, {}).status_code == 403
    a.refresh_from_db()
    assert a.name == "Alpha Hotel Renamed"


class TestOneRoleAtEachHotel:
    """Manager at Alpha, front desk at Beta: the permissions of each role apply at its own hotel only."""

    def test_money_and_rates_only_at_alpha(self, client, two_hotels, manager_a_desk_b):
        a, b, booking_a, booking_b = two_hotels
        client.force_login(manager_a_desk_b)
        detail_a = client.get(reverse("admin:bookings_booking_change", args=[booking_a.pk])).content.decode()
        detail_b = client.get(reverse("admin:bookings_booking_change", args=[booking_b.pk])).content.decode()
        refund_a = reverse("admin:bookings_booking_refund", args=[booking_a.pk])
        refund_b = reverse("admin:bookings_booking_refund", args=[booking_b.pk])
        assert "Price (as agreed" in detail_a and refund_a in detail_a
        assert "Price (as agreed" not in detail_b and refund_b not in detail_b and "card_last4" not in detail_b
        assert client.get(reverse("admin:bookings_booking_refund", args=[booking_b.pk])).status_code == 404
        assert client.get(reverse("admin:bookings_booking_receipt", args=[booking_b.pk])).status_code == 404
        rt_b = b.room_types.get()
        assert client.get(reverse("admin:hotels_roomtype_calendar", args=[rt_b.pk])).status_code == 404
        assert client.get(reverse("admin:hotels_roomtype_bulk", args=[rt_b.pk])).status_code == 404
        assert client.get(reverse("admin:hotels_roomtype_bulk", args=[a.room_types.get().pk])).status_code == 200
        rows = {b.pk: b for b in client.get(reverse("admin:bookings_booking_changelist")).context["cl"].result_list}
        assert rows[booking_a.pk].sees_prices and not rows[booking_b.pk].sees_prices

    def test_actions_follow_the_role_at_each_hotel(self, client, two_hotels, manager_a_desk_b):
        a, b, booking_a, booking_b = two_hotels
        client.force_login(manager_a_desk_b)
        url = reverse("admin:bookings_booking_changelist")
        response = client.post(
            url, {"action": "cancel_without_penalty", "_selected_action": [booking_a.pk, booking_b.pk]}, follow=True
        )
        assert f"Not allowed at these bookings' hotels: {booking_b.reference}" in messages_of(response)
        booking_a.refresh_from_db(), booking_b.refresh_from_db()
        assert booking_a.status == "cancelled" and booking_b.status == "confirmed"
        client.post(url, {"action": "mark_checked_in", "_selected_action": [booking_b.pk]})
        booking_b.refresh_from_db()
        assert booking_b.status == "checked_in"  # front desk work at Beta is theirs to do

    def test_hotel_beta_is_read_only_and_its_staff_hidden(self, client, two_hotels, manager_a_desk_b):
        a, b = two_hotels[0], two_hotels[1]
        client.force_login(manager_a_desk_b)
        page = client.get(reverse("admin:hotels_hotel_change", args=[b.pk]))
        assert page.status_code == 200 and not page.context["has_change_permission"]
        assert "Beta city tax" not in page.content.decode()
        assert "both@alpha.example" not in page.content.decode()  # no staff inline at Beta
        client.post(reverse("admin:hotels_hotel_change", args=[b.pk]), {"name": "Mine now"})
        assert Hotel.objects.get(pk=b.pk).name == "Beta Hotel"
        members = client.get(reverse("admin:hotels_hotelstaff_changelist")).context["cl"].result_list
        assert {m.hotel_id for m in members} == {a.pk}


def test_superuser_sees_every_hotel(client, two_hotels, superuser):
    client.force_login(superuser)
    body = client.get(reverse("admin:bookings_booking_changelist")).content.decode()
    assert two_hotels[2].reference in body and two_hotels[3].reference in body
    assert client.get(reverse("admin:hotels_hotel_change", args=[two_hotels[1].pk])).status_code == 200
    assert Booking.objects.count() == 2
