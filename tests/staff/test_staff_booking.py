"""The booking desk of the staff console: bookings taken on the phone, by e-mail or at the desk, scoped to the
staff member's hotels, paid offline with a reference or through a payment link, with a manager's price override."""

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.test import TestCase
from django.urls import reverse

from bookings.models import Booking, OfflinePayment
from hotels.models import NightInventory
from notifications.models import OutboundEmail
from payments.models import Payment
from tests.factories import RoomTypeFactory, open_nights

from .conftest import hotel_today, messages_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]

NEW = reverse("admin:bookings_booking_new")


@pytest.fixture
def rooms_a(two_hotels):
    """At Alpha: a Double (2 adults) and a Family room (2 adults + 2 children), open for 40 nights."""
    alpha = two_hotels[0]
    double = alpha.room_types.first()
    family = RoomTypeFactory(hotel=alpha, name="Family Room", max_adults=2, max_children=2, max_occupancy=4)
    open_nights(family, hotel_today(alpha), 40, price="150.00", rooms=1)
    return double, family


def form(hotel, rooms, *, check_in=5, nights=2, method="cash", reference="CASH-0042", **extra):
    """The desk's form as a browser posts it; ``rooms`` are dicts of a line's fields."""
    today = hotel_today(hotel)
    data = {
        "hotel": hotel.pk,
        "check_in": (today + timedelta(days=check_in)).isoformat(),
        "check_out": (today + timedelta(days=check_in + nights)).isoformat(),
        "room-TOTAL_FORMS": 3,
        "room-INITIAL_FORMS": 0,
        "room-MIN_NUM_FORMS": 0,
        "room-MAX_NUM_FORMS": 9,
        "guest-first_name": "Paula",
        "guest-last_name": "Phone",
        "guest-email": "paula@example.com",
        "guest-phone": "+33 1 00 00 00 00",
        "payment-method": method,
        "payment-reference": reference,
        "create": "Create booking",
        **extra,
    }
    for i, room in enumerate(rooms):
        for key, value in room.items():
            data[f"room-{i}-{key}"] = value
    return data


def line(room_type, adults=2, **extra):
    return {"rate_plan": room_type.rate_plans.get().pk, "adults": adults, **extra}


def test_the_desk_shows_only_the_staff_members_hotels_with_availability_and_prices(
    client, two_hotels, rooms_a, front_desk_a
):
    alpha = two_hotels[0]
    client.force_login(front_desk_a)
    page = client.get(
        NEW, {"hotel": alpha.pk, "check_in": form(alpha, [])["check_in"], "check_out": form(alpha, [])["check_out"]}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Alpha Hotel" in html and "Beta Hotel" not in html
    assert (
        "Family Room" in html and "Rooms left" in html and "305.00 EUR" in html
    )  # 2 nights × 150 + 2.50 city tax × 2 nights
    assert "Price override" not in html  # front desk: no override column


def test_front_desk_books_two_rooms_paid_in_cash_and_the_reference_is_recorded(
    client, two_hotels, rooms_a, front_desk_a
):
    alpha = two_hotels[0]
    double, family = rooms_a
    client.force_login(front_desk_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            NEW,
            form(
                alpha,
                [
                    line(double, guest_name="Paula Phone"),
                    line(family, adults=1, children_ages="7", guest_name="Kim Phone"),
                ],
            ),
        )
    assert response.status_code == 302, response.context and response.context["lines"].errors
    booking = Booking.objects.get(guest_email="paula@example.com")
    assert booking.status == "confirmed" and booking.source == "staff" and booking.customer is None
    assert [
        (x.room_type.name, x.adults, x.children_ages, x.guest_name) for x in booking.lines.order_by("position")
    ] == [
        (double.name, 2, [], "Paula Phone"),
        ("Family Room", 1, [7], "Kim Phone"),
    ]
    paid = OfflinePayment.objects.get(booking=booking)
    assert (paid.method, paid.reference, paid.amount, paid.recorded_by) == (
        "cash",
        "CASH-0042",
        booking.total,
        front_desk_a,
    )
    history = list(booking.status_changes.values_list("to_status", "actor_kind", "actor__email"))
    assert history[0] == ("pending_payment", "staff", front_desk_a.email)
    assert history[-1] == ("confirmed", "staff", front_desk_a.email)
    assert "CASH-0042" in booking.status_changes.last().note
    assert OutboundEmail.objects.filter(booking=booking, kind="booking_confirmed_guest").exists()
    assert not Payment.objects.filter(booking=booking).exists()  # nothing was asked of the bank
    assert client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).status_code == 200


def test_another_hotels_id_is_refused_and_holds_nothing(client, two_hotels, rooms_a, front_desk_a):
    beta = two_hotels[1]
    beta_room = beta.room_types.first()
    client.force_login(front_desk_a)
    before = list(NightInventory.objects.filter(room_type=beta_room).values_list("rooms_sold", flat=True))
    response = client.post(NEW, form(beta, [line(beta_room)]))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Beta Hotel" not in response.content.decode()
    assert not Booking.objects.filter(guest_email="paula@example.com").exists()
    assert list(NightInventory.objects.filter(room_type=beta_room).values_list("rooms_sold", flat=True)) == before
    # A rate of Beta's slipped into Alpha's form is not one of the choices either.
    response = client.post(NEW, form(two_hotels[0], [line(beta_room)]))
    assert response.status_code == 200 and not Booking.objects.filter(guest_email="paula@example.com").exists()


def test_staff_without_the_role_get_a_403(client, two_hotels):
    from tests.factories import UserFactory

    outsider = UserFactory(email="nobody@example.com", is_staff=True)
    client.force_login(outsider)
    assert client.get(NEW).status_code == 403


def test_price_override_needs_a_manager_and_a_reason(client, two_hotels, rooms_a, manager_a, front_desk_a):
    alpha = two_hotels[0]
    double, _ = rooms_a
    client.force_login(manager_a)
    no_reason = client.post(NEW, form(alpha, [line(double, price="150.00")]))
    assert no_reason.status_code == 200
    assert "Say why this room is sold at another price." in no_reason.content.decode()
    assert not Booking.objects.filter(guest_email="paula@example.com").exists()

    client.force_login(front_desk_a)
    desk = client.post(NEW, form(alpha, [line(double, price="150.00", price_reason="regular guest")]))
    assert desk.status_code == 200 and "Only a manager of this hotel may change a room" in desk.content.decode()
    assert not Booking.objects.filter(guest_email="paula@example.com").exists()

    client.force_login(manager_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        ok = client.post(NEW, form(alpha, [line(double, price="150.00", price_reason="regular guest")]))
    assert ok.status_code == 302
    booking = Booking.objects.get(guest_email="paula@example.com")
    room = booking.lines.get()
    assert booking.total == room.total == Decimal("150.00")
    assert Decimal(booking.price_snapshot["total"]) == Decimal("150.00")
    assert any("regular guest" in a["name"] for a in room.price_snapshot["adjustments"])
    assert booking.status_changes.filter(actor=manager_a, note__contains="regular guest").exists()
    assert OfflinePayment.objects.get(booking=booking).amount == Decimal("150.00")


@pytest.mark.parametrize(
    ("room", "message"),
    [
        ({"adults": 5}, "hosts at most 2 adults"),
        ({"adults": 0}, "Each room needs at least one adult."),
        ({"adults": "", "guest_name": "Nobody"}, "Each room needs at least one adult."),
        ({"adults": 1, "children_ages": "4, x"}, "Ages are whole numbers"),
    ],
)
def test_bad_rooms_get_form_errors(client, two_hotels, rooms_a, front_desk_a, room, message):
    double, _ = rooms_a
    client.force_login(front_desk_a)
    response = client.post(NEW, form(two_hotels[0], [{**line(double), **room}]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Booking.objects.filter(guest_email="paula@example.com").exists()


def test_past_dates_and_missing_reference_get_form_errors(client, two_hotels, rooms_a, front_desk_a):
    double, _ = rooms_a
    client.force_login(front_desk_a)
    past = client.post(NEW, form(two_hotels[0], [line(double)], check_in=-3))
    assert past.status_code == 200 and "in the past" in past.content.decode()
    no_ref = client.post(NEW, form(two_hotels[0], [line(double)], reference=""))
    assert no_ref.status_code == 200 and "Give the reference of an offline payment." in no_ref.content.decode()
    no_rooms = client.post(NEW, form(two_hotels[0], []))
    assert no_rooms.status_code == 200 and "Add at least one room." in no_rooms.content.decode()
    assert not Booking.objects.filter(guest_email="paula@example.com").exists()


def test_payment_link_is_emailed_and_paying_it_confirms_the_booking(client, bank, two_hotels, rooms_a, front_desk_a):
    double, _ = rooms_a
    client.force_login(front_desk_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(NEW, form(two_hotels[0], [line(double)], method="link", reference=""))
    assert response.status_code == 302
    booking = Booking.objects.get(guest_email="paula@example.com")
    assert booking.status == "pending_payment"
    assert booking.hold_expires_at - booking.created_at > timedelta(hours=12)
    payment = Payment.objects.get(booking=booking)
    email = OutboundEmail.objects.get(booking=booking, kind="payment_link_guest")
    assert email.recipient == "paula@example.com"
    from django.core import mail

    sent = [m for m in mail.outbox if m.to == ["paula@example.com"]]
    assert sent and payment.bank_redirect_url in sent[0].body
    answer = requests.post(
        payment.bank_redirect_url,
        data={"card_number": "4242424242424242", "expiry": "12/39", "cvc": "123", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    from urllib.parse import parse_qs, urlparse

    back = urlparse(answer.headers["Location"])
    client.get(back.path, parse_qs(back.query))
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def desk_booking(client, alpha, double, family):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(NEW, form(alpha, [line(double), line(family, adults=1, children_ages="7")]))
    assert response.status_code == 302
    return Booking.objects.get(guest_email="paula@example.com")


def test_staff_change_dates_and_cancel_a_room_from_the_booking_page(client, two_hotels, rooms_a, manager_a):
    alpha = two_hotels[0]
    double, family = rooms_a
    client.force_login(manager_a)
    booking = desk_booking(client, alpha, double, family)
    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()
    url = reverse("admin:bookings_booking_staff_change", args=[booking.pk])
    assert url in page
    lines = list(booking.lines.order_by("position"))
    rooms = {
        "room-TOTAL_FORMS": 2,
        "room-INITIAL_FORMS": 2,
        **{f"room-{i}-rate_plan": x.rate_plan_id for i, x in enumerate(lines)},
        **{f"room-{i}-adults": x.adults for i, x in enumerate(lines)},
        "room-1-children_ages": "7",
    }
    today = hotel_today(alpha)
    longer = {
        **rooms,
        "check_in": (today + timedelta(days=5)).isoformat(),
        "check_out": (today + timedelta(days=8)).isoformat(),
    }
    quote = client.post(url, longer)
    html = quote.content.decode()
    assert quote.status_code == 200 and "Price of the change" in html
    booking.refresh_from_db()
    assert booking.nights == 2  # only priced
    new_total = quote.context["quote"].new_total
    assert new_total > booking.total
    done = client.post(url, {**longer, "expected_total": str(new_total), "confirm": "1"})
    assert done.status_code == 302
    booking.refresh_from_db()
    assert booking.nights == 3 and booking.total == new_total
    change = booking.changes.get()
    assert (change.channel, change.actor, change.actor_kind) == ("staff", manager_a, "staff")

    family_line = booking.lines.get(room_type=family)
    cancel = client.get(url).context["cancel_quotes"]
    penalty = {x.pk: p for x, p, token in cancel}[family_line.pk]
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(url, {"cancel_line": family_line.pk, "quoted_penalty": str(penalty)})
    family_line.refresh_from_db()
    assert family_line.status == "cancelled"
    assert booking.changes.filter(kind="cancel_room", channel="staff", actor=manager_a).exists()

    # paid in cash: what the change and the cancelled room moved is settled at the desk (then the audit is clean)
    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    settlement = page.context["desk_settlement"]
    booking.refresh_from_db()
    assert settlement.received == Decimal("0") + OfflinePayment.objects.get(booking=booking).amount
    assert settlement.owed == booking.total and not settlement.settled
    direction = "collected" if settlement.to_collect else "paid_back"
    amount = settlement.to_collect or settlement.to_pay_back
    done = client.post(
        reverse("admin:bookings_booking_settle", args=[booking.pk]),
        {"direction": direction, "method": "cash", "amount": str(amount), "reference": "CASH-0043"},
        follow=True,
    )
    assert "CASH-0043" in messages_of(done)
    assert done.context["desk_settlement"].settled


def test_staff_change_page_of_another_hotels_booking_is_a_404(client, two_hotels, manager_a):
    beta_booking = two_hotels[3]
    client.force_login(manager_a)
    url = reverse("admin:bookings_booking_staff_change", args=[beta_booking.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"cancel_line": beta_booking.lines.first().pk, "quoted_penalty": "0"}).status_code == 404
    assert beta_booking.lines.first().status == "active"


def test_a_bank_that_cannot_be_reached_leaves_the_rooms_held_and_says_so(
    client, settings, bank, two_hotels, rooms_a, front_desk_a
):
    double, _ = rooms_a
    settings.PAYMENT_GATEWAY_OPTIONS = {**settings.PAYMENT_GATEWAY_OPTIONS, "base_url": "http://127.0.0.1:9"}
    client.force_login(front_desk_a)
    response = client.post(NEW, form(two_hotels[0], [line(double)], method="link", reference=""), follow=True)
    booking = Booking.objects.get(guest_email="paula@example.com")
    assert booking.status == "pending_payment" and booking.lines.get().nights_held
    assert "the payment link could not be sent" in response.content.decode()
    assert not OutboundEmail.objects.filter(booking=booking, kind="payment_link_guest").exists()
    settings.PAYMENT_GATEWAY_OPTIONS = {**settings.PAYMENT_GATEWAY_OPTIONS, "base_url": bank.url}
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse("admin:bookings_booking_changelist"),
            {"action": "send_payment_link", "_selected_action": [booking.pk]},
        )
    assert OutboundEmail.objects.filter(booking=booking, kind="payment_link_guest").exists()
    assert Booking.objects.filter(guest_email="paula@example.com").count() == 1
