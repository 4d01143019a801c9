"""A booking's payment terms (what is due now, what later, and who collects it) after a change: a shorter stay, a
longer one, a room added, a room cancelled. Every reader of them says what the booking is now: the guest's
booking page, the partner API's ``payment_terms``, the balances on the saved card and the books audit."""

import re
import uuid
from decimal import Decimal

import pytest
import requests
from django.test import TestCase
from django.urls import reverse

from bookings import workflow
from bookings.audit import books_findings
from bookings.changes import LineChange
from bookings.models import Booking
from bookings.services import Actor
from hotels.models import RatePlan
from payments.models import ScheduledCharge
from tests.factories import UserFactory, future, open_nights

from ..api.test_modify_api import booked as partner_booked  # noqa: F401 - the fixture, reused
from ..api.test_modify_api import modify, twin  # noqa: F401
from ..payments.test_payment_terms import APPROVE, ARRIVAL, GUEST, deposit_room, pay_at_bank, room
from .test_balances_per_date import book, two_dates  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]

WEB = {"actor_kind": Actor.CUSTOMER, "channel": Booking.Source.WEBSITE}


def on_commit():
    return TestCase.captureOnCommitCallbacks(execute=True)


def booked_by(customer, rt) -> Booking:
    from bookings.services import booking_hold
    from hotels.stay import Stay
    from payments.services import payment_start

    booking = booking_hold(
        room_type=rt,
        stay=Stay(check_in=future(ARRIVAL), check_out=future(ARRIVAL + 3), adults=2),
        guest=GUEST,
        customer=customer,
    )
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    pay_at_bank(payment.bank_redirect_url)
    with on_commit():
        workflow.payment_sync(payment=payment)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    return booking


def terms_line(client, booking) -> str:
    client.force_login(booking.customer)
    page = client.get(reverse("bookings:detail", kwargs={"reference": booking.reference})).content.decode()
    return re.sub(r"\s+", " ", re.search(r"Payment terms:([^<]*)</p>", page).group(1)).strip()


def terms(booking) -> dict:
    booking.refresh_from_db()
    return booking.price_snapshot["payment_terms"]


def open_balance(booking) -> Decimal:
    charges = ScheduledCharge.objects.filter(booking=booking, purpose="balance", status__in=ScheduledCharge.OPEN)
    return sum(charges.values_list("amount", flat=True), Decimal("0.00"))


def pay_change(change):
    payment = workflow.booking_change_payment_start(change=change, return_url="http://testserver/r", webhook_url=None)
    requests.post(
        payment.bank_redirect_url,
        data={"card_number": APPROVE, "expiry": "12/39", "cvc": "123", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    with on_commit():
        workflow.payment_sync(payment=payment)


def test_a_shorter_stay_on_deposit_terms_says_the_lower_balance_on_the_guests_page(client, bank):
    """Three nights at 120.00, 30 % now (108.00), 252.00 later; one night less takes 120.00 off the balance."""
    booking = booked_by(UserFactory(), deposit_room())
    assert terms_line(client, booking).startswith("Pay €108.00 now, €252.00 on")
    url = reverse("bookings:change_dates", kwargs={"reference": booking.reference})
    new = {"check_in": future(ARRIVAL).isoformat(), "check_out": future(ARRIVAL + 2).isoformat()}
    with on_commit():
        answer = client.post(url, {**new, "expected_total": "240.00", "confirm": "1"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    booking.refresh_from_db()
    assert booking.total == Decimal("240.00") and open_balance(booking) == Decimal("132.00")
    assert terms_line(client, booking).startswith("Pay €108.00 now, €132.00 on")
    assert (terms(booking)["total"], terms(booking)["due_now"], terms(booking)["due_later"]) == (
        "240.00",
        "108.00",
        "132.00",
    )


def test_a_longer_stay_paid_at_the_hotel_is_owed_at_the_hotel_and_the_books_add_up(bank):
    """A card guarantee: nothing is charged; a fourth night is owed at the hotel, which the books audit reads from
    the room's terms."""
    rt = room(payment_terms="guarantee")
    open_nights(rt, future(ARRIVAL + 3), 1, price="120.00", rooms=3)
    booking = booked_by(UserFactory(), rt)
    with on_commit():
        workflow.booking_modify(booking=booking, check_out=future(ARRIVAL + 4), **WEB)
    booking.refresh_from_db()
    assert booking.total == Decimal("480.00")
    assert (terms(booking)["due_now"], terms(booking)["due_later"], terms(booking)["due_later_by"]) == (
        "0.00",
        "480.00",
        "hotel",
    )
    assert books_findings() == []


def test_a_room_added_and_paid_with_the_change_is_due_now(client, bank):
    rt = deposit_room()
    booking = booked_by(UserFactory(), rt)
    plan = RatePlan.objects.get(room_type=rt)
    with on_commit():
        change = workflow.booking_modify(
            booking=booking, rooms=[LineChange(line_id=None, room_type=rt, rate_plan=plan, adults=1)], **WEB
        )
    assert change.status == "pending_payment" and change.difference == Decimal("360.00")
    pay_change(change)
    booking.refresh_from_db()
    assert booking.total == Decimal("720.00") and booking.rooms == 2
    current = terms(booking)
    assert (current["total"], current["due_now"], current["due_later"], current["due_later_card"]) == (
        "720.00",
        "468.00",
        "252.00",
        "252.00",
    )
    assert open_balance(booking) == Decimal("252.00")
    assert terms_line(client, booking).startswith("Pay €468.00 now, €252.00 on")


def test_a_room_cancelled_takes_its_part_off_the_balance_first(client, bank, two_dates):  # noqa: F811
    """Two rooms at 200.00, each 60.00 now and 140.00 on its own date; cancelling the late one (free) takes its
    200.00 off the balances: 80.00 is left on the early room's date and the 120.00 paid stays paid."""
    early, late = two_dates
    booking = book(early, late, customer=UserFactory())
    late_line = booking.lines.get(room_type=late)
    with on_commit():
        workflow.room_cancel(booking=booking, line_id=late_line.pk, **WEB)
    booking.refresh_from_db()
    assert booking.total == Decimal("200.00") and open_balance(booking) == Decimal("80.00")
    current = terms(booking)
    assert (current["total"], current["due_now"], current["due_later"]) == ("200.00", "120.00", "80.00")
    assert terms_line(client, booking).startswith("Pay €120.00 now, €80.00 on")


def test_the_partner_api_shows_the_terms_of_the_changed_booking(api, room, twin, partner_booked):  # noqa: F811
    reference = partner_booked["reference"]
    before = api.get(f"/api/v1/bookings/{reference}/").json()["payment_terms"]
    assert (before["total"], before["due_now"]) == ("372.00", "372.00")
    answer = modify(api, reference, {"check_out": future(13).isoformat()})
    assert answer.status_code == 200, answer.json()
    after = api.get(f"/api/v1/bookings/{reference}/").json()
    assert after["total"] == "558.00"
    terms_now = after["payment_terms"]
    assert (terms_now["total"], terms_now["due_now"], terms_now["due_later"]) == ("558.00", "558.00", "0.00")
    room_line = after["rooms"][1]["id"]
    with_one_room = api.post(
        f"/api/v1/bookings/{reference}/rooms/{room_line}/cancel/",
        {},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert with_one_room.status_code == 200, with_one_room.json()
    final = api.get(f"/api/v1/bookings/{reference}/").json()
    assert final["payment_terms"]["total"] == final["total"]
