"""A booking of two rooms, one on deposit terms (a balance to charge later on the saved card) and one paid at the
hotel (a card guarantee): cancelling the room paid at the hotel takes nothing off the card. The kept room still owes
its whole balance on its date, the guest is refunded nothing of its deposit, and the books add up."""

import re
from decimal import Decimal

import pytest
from django.test import TestCase
from django.urls import reverse

from bookings.audit import books_findings
from payments.models import Payment, ScheduledCharge
from payments.selectors import booking_payment_terms
from tests.factories import HotelFactory, RoomTypeFactory, UserFactory, future, open_nights, standard_plan

from .test_balances_per_date import ARRIVAL, book, deposit_type, due, run_charges

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


@pytest.fixture
def deposit_and_hotel(db):
    """Two nights at 100.00 in each room: the deposit room pays 60.00 now and 140.00 on the card 7 days before;
    the guaranteed room pays its 200.00 at the hotel (free to cancel until 3 days before)."""
    hotel = HotelFactory(name="Hôtel du Parc", city="Lyon")
    deposit = deposit_type(hotel, "Garden Double", 7)
    guaranteed = RoomTypeFactory(hotel=hotel, name="Family Suite", max_adults=2, max_occupancy=2)
    open_nights(guaranteed, future(ARRIVAL - 2), 6, price="100.00", rooms=3)
    plan = standard_plan(guaranteed)
    plan.payment_terms, plan.free_cancellation_days = "guarantee", 3
    plan.save()
    return deposit, guaranteed


def open_balance(booking) -> Decimal:
    charges = ScheduledCharge.objects.filter(booking=booking, purpose="balance", status__in=ScheduledCharge.OPEN)
    return sum(charges.values_list("amount", flat=True), Decimal("0.00"))


def refunded(booking) -> Decimal:
    return sum(
        (p.refunded_amount + p.refund_pending_amount for p in Payment.objects.filter(booking=booking)),
        Decimal("0.00"),
    )


def terms_line(client, booking) -> str:
    page = client.get(reverse("bookings:detail", kwargs={"reference": booking.reference})).content.decode()
    return re.sub(r"\s+", " ", re.search(r"Payment terms:([^<]*)</p>", page).group(1)).strip()


def test_a_room_paid_at_the_hotel_cancelled_on_the_website_leaves_the_card_balance_whole(
    client, bank, deposit_and_hotel
):
    deposit, guaranteed = deposit_and_hotel
    guest = UserFactory()
    booking = book(deposit, guaranteed, customer=guest)
    assert open_balance(booking) == Decimal("140.00")
    client.force_login(guest)
    assert terms_line(client, booking).startswith("Pay €60.00 now, €140.00 on")
    hotel_line = booking.lines.get(room_type=guaranteed)
    url = reverse("bookings:cancel_room", kwargs={"reference": booking.reference, "position": hotel_line.position})
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(url, {"quoted_penalty": "0.00"}, follow=True)
    page = re.sub(r"\s+", " ", answer.content.decode())
    assert f"Room {hotel_line.position} is cancelled." in page and "refunded to your card" not in page
    booking.refresh_from_db()
    assert booking.total == Decimal("200.00")
    # the kept room still owes its 140.00 balance on its own date; nothing of the 60.00 deposit comes back
    [balance] = ScheduledCharge.objects.filter(booking=booking, purpose="balance", status__in=ScheduledCharge.OPEN)
    assert (balance.amount, balance.due_at) == (Decimal("140.00"), due(deposit, 7))
    assert refunded(booking) == Decimal("0.00")
    terms = booking.price_snapshot["payment_terms"]
    assert (terms["total"], terms["due_now"], terms["due_later"]) == ("200.00", "60.00", "140.00")
    assert terms_line(client, booking).startswith("Pay €60.00 now, €140.00 on")
    assert booking_payment_terms(booking)["balance_due"] == "140.00"
    assert books_findings() == []

    run_charges(at=due(deposit, 7))
    balance.refresh_from_db()
    assert (balance.status, balance.payment.amount) == ("paid", Decimal("140.00"))
    assert books_findings() == []


def test_a_room_paid_at_the_hotel_cancelled_late_leaves_its_penalty_to_the_hotel_and_the_card_balance_whole(
    client, bank, deposit_and_hotel
):
    deposit, guaranteed = deposit_and_hotel
    plan = standard_plan(guaranteed)
    plan.free_cancellation_days, plan.cancellation_penalty, plan.cancellation_penalty_percent = 45, "percent", 25
    plan.save()
    guest = UserFactory()
    booking = book(deposit, guaranteed, customer=guest)
    client.force_login(guest)
    hotel_line = booking.lines.get(room_type=guaranteed)
    url = reverse("bookings:cancel_room", kwargs={"reference": booking.reference, "position": hotel_line.position})
    confirm = re.sub(r"\s+", " ", client.get(url).content.decode())
    assert "€50.00" in confirm
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(url, {"quoted_penalty": "50.00"})
    booking.refresh_from_db()
    assert booking.total == Decimal("250.00") and open_balance(booking) == Decimal("140.00")
    assert refunded(booking) == Decimal("0.00")
    terms = booking.price_snapshot["payment_terms"]
    assert (terms["due_now"], terms["due_later_card"], terms["due_at_hotel"]) == ("60.00", "140.00", "50.00")
    assert books_findings() == []
