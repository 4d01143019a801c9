"""Changing a sold booking (issue 17): new dates and rooms re-quoted, inventory moved by the difference in one
transaction, the difference charged or refunded through the real sandbox bank, one room cancelled under its own
policy; and every refusal leaves the booking exactly as it was."""

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.core import mail
from django.utils import timezone

from bookings import workflow
from bookings.audit import books_findings
from bookings.changes import LineChange, NotModifiable
from bookings.exceptions import PriceChanged, SoldOut, StayInvalid
from bookings.lines import RoomRequest
from bookings.models import Booking, BookingChange, RoomLine
from bookings.services import Actor, GuestDetails, booking_hold
from hotels.models import NightInventory
from hotels.stay import Stay
from payments.models import Payment, Refund
from tests.factories import HotelFactory, RoomTypeFactory, future, open_nights

from .test_workflow import APPROVE, on_commit, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]

GUEST = GuestDetails(first_name="Ada", last_name="Lovelace", email="ada@example.com")
WEB = {"actor_kind": Actor.CUSTOMER, "channel": Booking.Source.WEBSITE}


def sold(room_type):
    return list(
        NightInventory.objects.filter(room_type=room_type).order_by("date").values_list("rooms_sold", flat=True)
    )


def two_types(**plan):
    hotel = HotelFactory()
    double = RoomTypeFactory(hotel=hotel, name="Double", **{"plan__free_cancellation_days": 2, **plan})
    twin = RoomTypeFactory(hotel=hotel, name="Twin", plan__free_cancellation_days=2)
    open_nights(double, future(10), 6, price="100.00", rooms=3)
    open_nights(twin, future(10), 6, price="80.00", rooms=3)
    return double, twin


def sell(*rooms, nights=2, source="website"):
    booking = booking_hold(
        stay=Stay(check_in=future(10), check_out=future(10 + nights), adults=1),
        guest=GUEST,
        source=source,
        rooms=[RoomRequest(room_type=rt, adults=1, guest_name=f"Guest {i}") for i, rt in enumerate(rooms, 1)],
    )
    if source == "partner":
        return workflow.booking_confirm(booking=booking)
    pay(booking)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    return booking


def state(booking):
    booking.refresh_from_db()
    lines = [(line.room_type_id, line.adults, line.total, line.status) for line in booking.lines.all()]
    return (booking.check_in, booking.check_out, booking.total, booking.price_snapshot, lines)


def pay_change(change, card=APPROVE) -> Payment:
    payment = workflow.booking_change_payment_start(change=change, return_url="http://testserver/r", webhook_url=None)
    requests.post(
        payment.bank_redirect_url,
        data={"card_number": card, "expiry": "12/39", "cvc": "123", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    with on_commit():
        return workflow.payment_sync(payment=payment)


@pytest.mark.other_sales
def test_a_date_change_whose_new_nights_are_sold_out_leaves_the_booking_untouched():
    double, twin = two_types()
    booking = sell(double, twin, source="partner")
    NightInventory.objects.filter(room_type=twin, date=future(12)).update(rooms_sold=3)  # other guests took them
    before, inventory = state(booking), (sold(double), sold(twin))
    with pytest.raises(SoldOut) as exc:
        workflow.booking_modify(booking=booking, check_out=future(13), actor_kind=Actor.PARTNER, channel="partner")
    assert exc.value.details["night"] == future(12)
    assert state(booking) == before and (sold(double), sold(twin)) == inventory
    assert not BookingChange.objects.exists()


def test_moving_the_dates_moves_only_the_nights_that_change_and_keeps_the_last_room():
    double, twin = two_types()
    NightInventory.objects.filter(room_type=double).update(rooms_for_sale=1)  # our double is the last one
    booking = sell(double, twin, source="partner")
    with on_commit():
        change = workflow.booking_modify(
            booking=booking, check_in=future(11), check_out=future(13), actor_kind=Actor.PARTNER, channel="partner"
        )
    booking.refresh_from_db()
    assert (booking.check_in, booking.check_out) == (future(11), future(13))
    assert sold(double) == [0, 1, 1, 0, 0, 0] and sold(twin) == [0, 1, 1, 0, 0, 0]
    assert change.status == "applied" and change.difference == 0 and change.channel == "partner"
    assert booking.status_changes.last().note.startswith("changed: dates")
    # a partner's booking: the hotel hears of it, the guest is the partner's to tell
    assert [m.to for m in mail.outbox if "changed" in m.subject.lower()] == [[double.hotel.reservations_email]]


def test_the_quote_shows_old_and_new_totals_and_changes_nothing():
    double, twin = two_types()
    booking = sell(double, twin, source="partner")
    before = state(booking)
    quote = workflow.booking_change_quote(
        booking=booking, check_out=future(13), changes=[LineChange(room_type=twin, adults=2)]
    )
    assert (quote.old_total, quote.new_total, quote.difference) == (
        Decimal("360.00"),
        Decimal("780.00"),  # 3 nights × (100 + 80 + 80)
        Decimal("420.00"),
    )
    assert state(booking) == before and sold(twin) == [1, 1, 0, 0, 0, 0]


def test_a_price_that_moved_since_the_quote_changes_nothing():
    double, twin = two_types()
    booking = sell(double, source="partner")
    before = state(booking)
    with pytest.raises(PriceChanged):
        workflow.booking_modify(
            booking=booking,
            check_out=future(13),
            expected_total=Decimal("200.00"),
            actor_kind="partner",
            channel="partner",
        )
    assert state(booking) == before and sold(double) == [1, 1, 0, 0, 0, 0]


def test_bad_changes_are_refused_with_a_reason_and_change_nothing():
    double, twin = two_types()
    booking = sell(double, twin, source="partner")
    line = booking.lines.first()
    before = state(booking)
    bad = [
        ({"check_in": future(-1)}, StayInvalid, "past"),
        ({"rooms": [LineChange(line_id=line.pk, adults=5)]}, StayInvalid, "Room 1: Double can't host 5 adults"),
        ({"rooms": [LineChange(line_id=line.pk, adults=0)]}, StayInvalid, "at least one adult"),
        ({"rooms": [LineChange(line_id=999999, adults=1)]}, NotModifiable, "not a booked room"),
        ({"check_in": future(12), "check_out": future(11)}, StayInvalid, "after check-in"),
        ({}, StayInvalid, "Nothing to change"),
    ]
    for kwargs, error, text in bad:
        with pytest.raises(error, match=text):
            workflow.booking_modify(booking=booking, **kwargs, actor_kind="partner", channel="partner")
    assert state(booking) == before


def test_a_non_refundable_room_cannot_be_shortened():
    double, _ = two_types(plan__free_cancellation_days=None)
    booking = sell(double, nights=3, source="partner")
    with pytest.raises(NotModifiable, match="non-refundable"):
        workflow.booking_modify(booking=booking, check_out=future(12), actor_kind="partner", channel="partner")


def test_a_change_after_the_deadline_is_priced_under_the_penalty():
    double, twin = two_types()
    booking = sell(double, twin, source="partner")
    RoomLine.objects.filter(booking=booking).update(
        cancellation_policy={
            **booking.cancellation_policy,
            "free_until": (timezone.now() - timedelta(hours=1)).isoformat(),
            "penalty": "full_stay",
        }
    )
    # the double for one night less would cost 100, but cancelling it now costs its whole 200
    change = workflow.booking_modify(
        booking=booking,
        rooms=[LineChange(line_id=booking.lines.first().pk, room_type=twin)],
        actor_kind="partner",
        channel="partner",
    )
    first = booking.lines.first()
    assert first.room_type == twin and first.total == Decimal("200.00") and change.difference == 0
    assert "free-cancellation deadline" in first.price_snapshot["adjustments"][-1]["name"]


def test_more_nights_are_charged_through_the_bank_and_the_change_waits_for_the_payment(bank):
    double, twin = two_types()
    booking = sell(double, twin)
    before = state(booking)
    change = workflow.booking_modify(booking=booking, check_out=future(13), **WEB)
    assert change.status == "pending_payment" and change.difference == Decimal("180.00")
    assert state(booking) == before  # unchanged until paid, but the new nights are held for it
    assert sold(double) == [1, 1, 1, 0, 0, 0] and books_findings() == []
    payment = pay_change(change)
    change.refresh_from_db()
    booking.refresh_from_db()
    assert payment.status == "paid" and payment.amount == Decimal("180.00")
    assert change.status == "applied" and change.payment == payment
    assert (booking.check_out, booking.total, booking.status) == (future(13), Decimal("540.00"), "confirmed")
    assert [m.to for m in mail.outbox if "has changed" in m.subject] == [["ada@example.com"]]


def test_a_change_whose_payment_is_declined_gives_its_nights_back_and_the_booking_stays(bank):
    double, _ = two_types()
    booking = sell(double)
    before = state(booking)
    change = workflow.booking_modify(booking=booking, check_out=future(13), **WEB)
    pay_change(change, card="4000000000000002")
    change.refresh_from_db()
    assert change.status == "failed" and state(booking) == before and sold(double) == [1, 1, 0, 0, 0, 0]


def test_fewer_nights_are_refunded_through_the_bank(bank):
    double, twin = two_types()
    booking = sell(double, twin, nights=3)
    with on_commit():
        change = workflow.booking_modify(booking=booking, check_out=future(12), **WEB)
    booking.refresh_from_db()
    assert change.status == "applied" and change.difference == Decimal("-180.00")
    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (Decimal("180.00"), "succeeded")
    assert booking.total == Decimal("360.00") and booking.refunded_amount == Decimal("180.00")
    assert sold(double) == [1, 1, 0, 0, 0, 0]


def test_cancelling_one_room_refunds_it_under_its_own_policy(bank):
    double, twin = two_types()
    booking = sell(double, twin)
    twin_line = booking.lines.get(room_type=twin)
    with on_commit():
        booking, change = workflow.room_cancel(booking=booking, line_id=twin_line.pk, **WEB)
    again, none = workflow.room_cancel(booking=booking, line_id=twin_line.pk, **WEB)
    assert none is None  # cancelling twice changes nothing
    twin_line.refresh_from_db()
    assert twin_line.status == "cancelled" and twin_line.cancellation_penalty == 0
    assert booking.total == Decimal("200.00") and booking.status == "confirmed" and booking.rooms == 1
    assert sold(twin) == [0] * 6 and sold(double) == [1, 1, 0, 0, 0, 0]
    assert [r.amount for r in Refund.objects.all()] == [Decimal("160.00")]


def test_cancelling_a_room_past_its_deadline_keeps_its_first_night(bank):
    double, twin = two_types()
    booking = sell(double, twin)
    twin_line = booking.lines.get(room_type=twin)
    RoomLine.objects.filter(pk=twin_line.pk).update(
        cancellation_policy={
            **twin_line.cancellation_policy,
            "free_until": (timezone.now() - timedelta(hours=1)).isoformat(),
        }
    )
    with on_commit():
        booking, change = workflow.room_cancel(booking=booking, line_id=twin_line.pk, **WEB)
    twin_line.refresh_from_db()
    assert twin_line.cancellation_penalty == Decimal("80.00")
    assert booking.total == Decimal("280.00") and change.difference == Decimal("-80.00")
    assert [r.amount for r in Refund.objects.all()] == [Decimal("80.00")]
    # the last room: the whole booking is cancelled, the penalty kept so far stays kept
    with on_commit():
        booking, _ = workflow.room_cancel(booking=booking, line_id=booking.lines.get(room_type=double).pk, **WEB)
    assert booking.status == "cancelled" and booking.cancellation_penalty == Decimal("80.00")
    assert sum(r.amount for r in Refund.objects.all()) == Decimal("280.00")
