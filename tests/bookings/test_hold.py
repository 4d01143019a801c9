import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from bookings.exceptions import InvalidTransition, PriceChanged, SoldOut, StayInvalid
from bookings.models import Booking
from bookings.services import Actor, GuestDetails, booking_hold, booking_mark, booking_payment_failed
from bookings.workflow import booking_cancel, booking_confirm, booking_expire, holds_expire
from hotels.models import NightInventory
from hotels.stay import Stay
from tests.factories import RoomTypeFactory, TaxFactory, UserFactory, future, open_nights

GUEST = GuestDetails(first_name="Ada", last_name="Lovelace", email="ada@example.com")


def stay(ci=10, nights=2, **kw):
    return Stay(check_in=future(ci), check_out=future(ci + nights), **{"adults": 2, **kw})


def sold(room_type):
    return list(
        NightInventory.objects.filter(room_type=room_type).order_by("date").values_list("rooms_sold", flat=True)
    )


@pytest.mark.django_db
class TestHold:
    def test_hold_takes_every_night_and_snapshots_the_price(self):
        rt = RoomTypeFactory()
        TaxFactory(hotel=rt.hotel, amount=Decimal("2.00"))
        open_nights(rt, future(10), 3, price="100.00")
        booking = booking_hold(room_type=rt, stay=stay(rooms=2, adults=2), guest=GUEST)
        assert booking.status == Booking.Status.PENDING_PAYMENT
        assert sold(rt) == [2, 2, 0]
        assert booking.total == Decimal("408.00")  # 2 nights × 2 rooms × 100 + 2.00 × 2 guests × 2 nights
        assert booking.price_snapshot["total"] == "408.00"
        assert [n["amount"] for n in booking.price_snapshot["nights"]] == ["200.00", "200.00"]
        assert booking.hold_expires_at > timezone.now() + timedelta(minutes=14)
        assert booking.reference.startswith("HB-") and len(booking.reference) == 9
        assert booking.status_changes.get().to_status == "pending_payment"

    def test_unavailable_night_is_named_and_nothing_is_held(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(10), 3, rooms=1)
        NightInventory.objects.filter(room_type=rt, date=future(11)).update(rooms_sold=1)
        with pytest.raises(SoldOut) as exc:
            booking_hold(room_type=rt, stay=stay(nights=3), guest=GUEST)
        assert exc.value.details["night"] == future(11)
        assert sold(rt) == [0, 1, 0]
        assert not Booking.objects.exists()

    def test_stop_sell_and_min_stay_refuse_the_hold(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(10), 3)
        NightInventory.objects.filter(room_type=rt, date=future(10)).update(min_stay=3)
        with pytest.raises(SoldOut):
            booking_hold(room_type=rt, stay=stay(nights=2), guest=GUEST)
        NightInventory.objects.filter(room_type=rt).update(min_stay=1, stop_sell=True)
        with pytest.raises(SoldOut):
            booking_hold(room_type=rt, stay=stay(nights=2), guest=GUEST)
        assert sold(rt) == [0, 0, 0]

    def test_price_changed_since_the_guest_saw_it(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(10), 2, price="100.00")
        with pytest.raises(PriceChanged) as exc:
            booking_hold(room_type=rt, stay=stay(), guest=GUEST, expected_total=Decimal("150.00"))
        assert exc.value.details["total"] == Decimal("200.00")
        assert sold(rt) == [0, 0]

    @pytest.mark.parametrize(
        "bad, message",
        [
            ({"ci": -2}, "past"),
            ({"nights": 31}, "30 nights"),
            ({"adults": 1, "rooms": 2}, "at least one adult"),
            ({"adults": 5}, "can.t host"),
        ],
    )
    def test_invalid_stays_are_refused(self, bad, message):
        rt = RoomTypeFactory()
        open_nights(rt, future(-5), 60)
        kw = {k: v for k, v in bad.items() if k not in ("ci", "nights")}
        with pytest.raises(StayInvalid, match=message):
            booking_hold(room_type=rt, stay=stay(ci=bad.get("ci", 10), nights=bad.get("nights", 2), **kw), guest=GUEST)

    def test_database_refuses_oversell_whatever_the_code_does(self):
        rt = RoomTypeFactory()
        [night] = open_nights(rt, future(10), 1, rooms=2)
        with pytest.raises(IntegrityError), transaction.atomic():
            NightInventory.objects.filter(pk=night.pk).update(rooms_sold=3)


@pytest.mark.django_db
class TestLifecycle:
    def test_expired_hold_gives_the_nights_back_once(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(10), 2)
        booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST)
        Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
        assert holds_expire() == 1
        assert holds_expire() == 0
        booking_expire(booking=booking)
        booking.refresh_from_db()
        assert booking.status == "expired" and not booking.nights_held
        assert sold(rt) == [0, 0]

    def test_a_live_hold_is_not_expired(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(10), 2)
        booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST)
        assert booking_expire(booking=booking).status == "pending_payment"
        assert sold(rt) == [1, 1]

    def test_confirm_is_idempotent_and_recorded(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(10), 2)
        booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST)
        booking_confirm(booking=booking)
        booking_confirm(booking=booking)
        booking.refresh_from_db()
        assert booking.status == "confirmed"
        assert [c.to_status for c in booking.status_changes.all()] == ["pending_payment", "confirmed"]
        assert sold(rt) == [1, 1]

    def test_late_payment_retakes_free_nights(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(10), 2, rooms=1)
        booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST)
        Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
        holds_expire()
        assert sold(rt) == [0, 0]
        assert booking_confirm(booking=booking).status == "confirmed"
        assert sold(rt) == [1, 1]

    def test_late_payment_when_the_room_was_resold_is_refused(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(10), 2, rooms=1)
        booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST)
        Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
        holds_expire()
        booking_hold(room_type=rt, stay=stay(), guest=GUEST)
        with pytest.raises(SoldOut):
            booking_confirm(booking=booking)
        booking.refresh_from_db()
        assert booking.status == "expired"
        assert sold(rt) == [1, 1]

    def test_payment_failed_releases(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(10), 2)
        booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST)
        booking_payment_failed(booking=booking)
        booking_payment_failed(booking=booking)
        assert sold(rt) == [0, 0]
        assert Booking.objects.get().status == "payment_failed"

    def test_cancel_partner_booking_twice_releases_once(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(10), 2)
        booking = booking_confirm(booking=booking_hold(room_type=rt, stay=stay(), guest=GUEST, source="partner"))
        booking_cancel(booking=booking, actor_kind=Actor.PARTNER)
        again = booking_cancel(booking=booking, actor_kind=Actor.PARTNER)
        assert again.status == "cancelled"
        assert sold(rt) == [0, 0]

    def test_front_desk_transitions(self):
        rt = RoomTypeFactory()
        open_nights(rt, future(10), 2)
        booking = booking_confirm(booking=booking_hold(room_type=rt, stay=stay(), guest=GUEST))
        with pytest.raises(InvalidTransition):
            booking_mark(booking=booking, to="checked_out", actor=UserFactory())
        assert booking_mark(booking=booking, to="checked_in").status == "checked_in"
        assert booking_mark(booking=booking, to="checked_out").status == "checked_out"
        with pytest.raises(InvalidTransition):
            booking_cancel(booking=booking, actor_kind=Actor.CUSTOMER)


@pytest.mark.django_db(transaction=True)
def test_last_rooms_cannot_be_sold_twice_under_concurrency():
    """20 threads, each on its own connection, race for 5 rooms over 3 nights: exactly 5 holds succeed."""
    rt = RoomTypeFactory(total_rooms=5)
    open_nights(rt, future(10), 3, rooms=5)
    results = []
    barrier = threading.Barrier(20)

    def attempt():
        try:
            barrier.wait()
            booking_hold(room_type=rt, stay=stay(nights=3, adults=1), guest=GUEST)
            results.append("ok")
        except SoldOut:
            results.append("sold_out")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 5
    assert results.count("sold_out") == 15
    assert sold(rt) == [5, 5, 5]
    assert Booking.objects.count() == 5
