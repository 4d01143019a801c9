"""Bookings of several rooms: one line per room, each priced on its own, all held or none, and the migration that
gave existing bookings their lines."""

import importlib
import threading
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection

from bookings.audit import books_findings
from bookings.exceptions import SoldOut, StayInvalid
from bookings.lines import RoomRequest
from bookings.models import Booking, RoomLine
from bookings.services import Actor, GuestDetails, booking_hold
from bookings.workflow import booking_cancel, booking_confirm
from hotels.models import NightInventory
from hotels.stay import Stay
from tests.factories import HotelFactory, RoomTypeFactory, TaxFactory, future, open_nights

GUEST = GuestDetails(first_name="Ada", last_name="Lovelace", email="ada@example.com")


def dates(ci=10, nights=2, **kw):
    return Stay(check_in=future(ci), check_out=future(ci + nights), **{"adults": 1, **kw})


def sold(room_type):
    return list(
        NightInventory.objects.filter(room_type=room_type).order_by("date").values_list("rooms_sold", flat=True)
    )


def two_types(rooms_twin=5):
    hotel = HotelFactory()
    double = RoomTypeFactory(hotel=hotel, name="Double")
    twin = RoomTypeFactory(hotel=hotel, name="Twin", max_adults=2, max_children=2, max_occupancy=4)
    open_nights(double, future(10), 2, price="100.00")
    open_nights(twin, future(10), 2, price="80.00", rooms=rooms_twin)
    return double, twin


@pytest.mark.django_db
@pytest.mark.usefixtures("audited")
class TestSeveralRooms:
    def test_each_room_is_a_line_priced_on_its_own_and_the_total_is_their_sum(self):
        double, twin = two_types()
        TaxFactory(hotel=double.hotel, amount=Decimal("2.00"))
        booking = booking_hold(
            stay=dates(),
            guest=GUEST,
            rooms=[
                RoomRequest(room_type=double, adults=2, guest_name="Ada Lovelace"),
                RoomRequest(room_type=twin, adults=1, children_ages=(7,), guest_name="Charles Babbage"),
            ],
        )
        lines = list(booking.lines.all())
        assert [(line.position, line.room_type, line.adults, line.children_ages) for line in lines] == [
            (1, double, 2, []),
            (2, twin, 1, [7]),
        ]
        assert [line.guest_name for line in lines] == ["Ada Lovelace", "Charles Babbage"]
        # 2 × 100 + 2 guests × 2 nights × 2.00 city tax; 2 × 80 + 2 × 2 × 2.00
        assert [line.total for line in lines] == [Decimal("208.00"), Decimal("168.00")]
        assert booking.total == Decimal("376.00") and booking.price_snapshot["total"] == "376.00"
        assert (booking.rooms, booking.adults, booking.children) == (2, 3, 1)
        assert all(line.nights_held for line in lines) and booking.nights_held
        assert sold(double) == [1, 1] and sold(twin) == [1, 1]
        assert lines[0].cancellation_policy["free_until"] and lines[1].price_snapshot["rate_plan"]["name"]

    def test_the_older_order_of_n_rooms_is_priced_as_before_and_becomes_n_lines(self):
        rt = RoomTypeFactory()
        TaxFactory(hotel=rt.hotel, amount=Decimal("2.00"))
        open_nights(rt, future(10), 2, price="100.00")
        booking = booking_hold(room_type=rt, stay=dates(rooms=3, adults=4, children=1, children_ages=(5,)), guest=GUEST)
        assert booking.total == Decimal("620.00")  # 3 rooms × 2 nights × 100 + 5 guests × 2 nights × 2.00
        lines = list(booking.lines.all())
        assert [line.adults for line in lines] == [2, 1, 1] and [line.children_ages for line in lines] == [[5], [], []]
        assert sum(line.total for line in lines) == booking.total
        assert sold(rt) == [3, 3]

    def test_a_room_for_more_people_than_its_type_sleeps_is_refused_naming_the_room(self):
        double, twin = two_types()
        with pytest.raises(StayInvalid, match="Room 2: Double can't host 5 adults"):
            booking_hold(
                stay=dates(),
                guest=GUEST,
                rooms=[RoomRequest(room_type=twin, adults=1), RoomRequest(room_type=double, adults=5)],
            )
        with pytest.raises(StayInvalid, match="needs at least one adult"):
            booking_hold(stay=dates(), guest=GUEST, rooms=[RoomRequest(room_type=twin, adults=0)])
        with pytest.raises(StayInvalid, match="past"):
            booking_hold(stay=dates(ci=-3), guest=GUEST, rooms=[RoomRequest(room_type=twin, adults=1)])
        assert not Booking.objects.exists() and sold(twin) == [0, 0]

    def test_rooms_of_two_hotels_are_refused(self):
        double, _ = two_types()
        elsewhere = RoomTypeFactory()
        with pytest.raises(StayInvalid, match="same hotel"):
            booking_hold(
                stay=dates(), guest=GUEST, rooms=[RoomRequest(room_type=double), RoomRequest(room_type=elsewhere)]
            )

    def test_one_room_sold_out_means_none_is_held(self):
        double, twin = two_types(rooms_twin=1)
        NightInventory.objects.filter(room_type=twin, date=future(11)).update(rooms_sold=1)
        with pytest.raises(SoldOut) as exc:
            booking_hold(stay=dates(), guest=GUEST, rooms=[RoomRequest(room_type=double), RoomRequest(room_type=twin)])
        assert exc.value.details["night"] == future(11)
        assert sold(double) == [0, 0] and not Booking.objects.exists()
        NightInventory.objects.filter(room_type=twin).update(rooms_sold=0)

    def test_cancelling_gives_back_every_room(self):
        double, twin = two_types()
        booking = booking_confirm(
            booking=booking_hold(
                stay=dates(),
                guest=GUEST,
                source="partner",
                rooms=[RoomRequest(room_type=double), RoomRequest(room_type=twin), RoomRequest(room_type=twin)],
            )
        )
        booking = booking_cancel(booking=booking, actor_kind=Actor.PARTNER)
        assert sold(double) == [0, 0] and sold(twin) == [0, 0]
        assert set(booking.lines.values_list("status", flat=True)) == {"cancelled"}
        assert booking.cancellation_penalty == 0


@pytest.mark.django_db(transaction=True)
def test_a_booking_of_two_room_types_gets_both_or_neither_in_a_race_for_the_last_twin():
    """10 threads each want a double (plenty left) and a twin (one left): one booking gets both rooms, every other
    gets neither, and no double stays taken by a booking that lost the twin."""
    double, twin = two_types(rooms_twin=1)
    NightInventory.objects.filter(room_type=double).update(rooms_for_sale=20)
    results = []
    barrier = threading.Barrier(10)

    def attempt(i):
        requests = [RoomRequest(room_type=double), RoomRequest(room_type=twin)]
        if i % 2:  # half of them ask in the other order: the locks are still taken in one order
            requests.reverse()
        try:
            barrier.wait()
            booking_hold(stay=dates(), guest=GUEST, rooms=requests)
            results.append("ok")
        except SoldOut:
            results.append("sold_out")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok"] + ["sold_out"] * 9
    assert sold(twin) == [1, 1] and sold(double) == [1, 1]
    assert Booking.objects.count() == 1 and RoomLine.objects.filter(nights_held=True).count() == 2
    assert books_findings() == []


@pytest.mark.django_db
def test_the_migration_gives_existing_bookings_lines_that_add_up_to_their_stored_totals():
    rt = RoomTypeFactory(max_adults=3, max_occupancy=4)
    TaxFactory(hotel=rt.hotel, amount=Decimal("1.15"))
    open_nights(rt, future(10), 3, price="99.99")
    one = booking_hold(room_type=rt, stay=dates(nights=3, adults=2), guest=GUEST)
    three = booking_hold(room_type=rt, stay=dates(nights=3, adults=5, rooms=3, children=1), guest=GUEST)
    cancelled = booking_confirm(booking=booking_hold(room_type=rt, stay=dates(rooms=1, adults=1), guest=GUEST))
    cancelled = booking_cancel(booking=cancelled, actor_kind=Actor.STAFF)
    before = {b.pk: (b.total, b.price_snapshot, b.cancellation_penalty, b.status) for b in Booking.objects.all()}
    RoomLine.objects.all().delete()  # as they were before lines existed
    Booking.objects.update(nights_held=False)
    Booking.objects.filter(pk__in=[one.pk, three.pk]).update(nights_held=True)

    importlib.import_module("bookings.migrations.0009_room_lines_for_existing_bookings").lines_create(apps, None)

    after = {b.pk: (b.total, b.price_snapshot, b.cancellation_penalty, b.status) for b in Booking.objects.all()}
    assert after == before
    assert three.lines.count() == 3 and one.lines.count() == 1
    assert sum(line.total for line in three.lines.all()) == three.total
    assert sorted(line.adults for line in three.lines.all()) == [1, 2, 2]
    assert one.lines.get().price_snapshot == one.price_snapshot
    assert cancelled.lines.get().status == "cancelled"
    assert books_findings() == []


@pytest.mark.django_db
def test_the_books_audit_reports_a_total_that_is_not_its_lines():
    double, twin = two_types()
    booking = booking_hold(
        stay=dates(), guest=GUEST, rooms=[RoomRequest(room_type=double), RoomRequest(room_type=twin)]
    )
    assert books_findings() == []
    RoomLine.objects.filter(booking=booking, position=2).update(total=Decimal("1.00"))
    [finding] = books_findings()
    assert (
        finding.check == "room_lines" and finding.subject == booking.reference and "add up to 201.00" in finding.detail
    )
