"""Holds under contention and receipt rendering (issue: booking and payment).

Holds: 20 client processes hammer one hot night of one room type.
- Phase 1 (throughput): the night has more rooms than the clients can take in the time box, so every "sold out"
  answer would be false; prints holds/s, oversold count and false sold-out count.
- Phase 2 (exactness): 400 attempts for 200 rooms; exactly 200 must succeed and the counter must equal the
  number of holding bookings.
Receipts: p50/p95 of rendering one receipt PDF with xhtml2pdf.
"""

import multiprocessing
import statistics
import time
from datetime import timedelta

from bench.common import percentile as _percentile

CLIENTS = 20


def _client(room_type_id, check_in, deadline, max_attempts, queue):
    import django
    from django.db import connection

    django.setup()
    from bookings.exceptions import SoldOut
    from bookings.services import GuestDetails, booking_hold
    from hotels.models import RoomType
    from hotels.stay import Stay

    room_type = RoomType.objects.select_related("hotel").get(pk=room_type_id)
    guest = GuestDetails(first_name="Bench", last_name="Client", email="bench@example.com")
    stay = Stay(check_in=check_in, check_out=check_in + timedelta(days=1), adults=1)
    ok = sold_out = attempts = 0
    while time.monotonic() < deadline and attempts < max_attempts:
        attempts += 1
        try:
            booking_hold(room_type=room_type, stay=stay, guest=guest, source="staff", actor_kind="system")
            ok += 1
        except SoldOut:
            sold_out += 1
    connection.close()
    queue.put((ok, sold_out))


def _race(room_type, check_in, *, seconds, max_attempts):
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start = time.monotonic()
    deadline = start + seconds
    procs = [
        ctx.Process(target=_client, args=(room_type.pk, check_in, deadline, max_attempts, queue))
        for _ in range(CLIENTS)
    ]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - start
    return sum(r[0] for r in results), sum(r[1] for r in results), elapsed


def _hot_room_type(rooms):
    from django.utils import timezone

    from hotels.models import Hotel, NightInventory, RoomType

    hotel, _ = Hotel.objects.get_or_create(
        slug="bench-hot-hotel",
        defaults={
            "name": "Bench Hot Hotel",
            "city": "Benchville",
            "country": "Nowhere",
            "address": "1 Bench Road",
            "stars": 3,
            "reservations_email": "bench@hotel.example",
        },
    )
    room_type, _ = RoomType.objects.get_or_create(
        hotel=hotel, name="Hot Double", defaults={"beds": "1 double", "total_rooms": 30000}
    )
    check_in = timezone.now().date() + timedelta(days=30)
    room_type.bookings.all().delete()
    NightInventory.objects.update_or_create(
        room_type=room_type, date=check_in, defaults={"rooms_for_sale": rooms, "rooms_sold": 0, "price": 100}
    )
    return room_type, check_in


def _audit(room_type, check_in):
    from bookings.models import Booking
    from hotels.models import NightInventory

    night = NightInventory.objects.get(room_type=room_type, date=check_in)
    holding = Booking.objects.filter(room_type=room_type, nights_held=True).count()
    return night, holding


def bench_holds(seconds=10):
    rows = []
    room_type, check_in = _hot_room_type(rooms=30000)
    ok, sold_out, elapsed = _race(room_type, check_in, seconds=seconds, max_attempts=10**9)
    night, holding = _audit(room_type, check_in)
    oversold = max(0, night.rooms_sold - night.rooms_for_sale) + abs(night.rooms_sold - holding)
    rows.append(("holds/s, 20 clients, one hot night", f"{ok / elapsed:.0f}", ">= 300"))
    rows.append(("oversold room-nights", str(oversold), "0"))
    rows.append(("false 'sold out' answers (rooms were free)", str(sold_out), "0"))

    room_type, check_in = _hot_room_type(rooms=200)
    ok, sold_out, _ = _race(room_type, check_in, seconds=60, max_attempts=20)
    night, holding = _audit(room_type, check_in)
    rows.append(("last 200 rooms, 400 attempts: holds / sold-out", f"{ok} / {sold_out}", "200 / 200"))
    rows.append(("counter vs holding bookings", f"{night.rooms_sold} vs {holding}", "equal, <= 200"))
    room_type.bookings.all().delete()
    return rows


def bench_receipts(runs=60):
    from django.utils import timezone

    from bookings.services import GuestDetails, booking_confirm, booking_hold
    from hotels.stay import Stay
    from payments.receipts import receipt_render

    room_type, check_in = _hot_room_type(rooms=10)
    booking = booking_hold(
        room_type=room_type,
        stay=Stay(check_in=check_in, check_out=check_in + timedelta(days=1), adults=1),
        guest=GuestDetails(first_name="Bench", last_name="Receipt", email="bench@example.com"),
        source="staff",
        actor_kind="system",
    )
    booking_confirm(booking=booking)
    times = []
    for n in range(runs + 5):
        started = time.perf_counter()
        receipt_render(booking=booking, number=f"R-BENCH-{n}", issued_at=timezone.now(), payment=None)
        if n >= 5:
            times.append((time.perf_counter() - started) * 1000)
    room_type.bookings.all().delete()
    return [
        ("receipt PDF p50 (ms)", f"{statistics.median(times):.1f}", ""),
        ("receipt PDF p95 (ms)", f"{_percentile(times, 95):.1f}", "< 100"),
    ]


def run(options=None):
    return bench_holds() + bench_receipts()
