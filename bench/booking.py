"""Holds under contention and receipt rendering (issue: booking and payment).

Holds: 20 client processes hammer one hot night of one room type.
- Phase 1 (throughput), holding one room, then two rooms, at a time: the night has more rooms than the clients
  can take in the time box, so every "sold out" answer would be false; prints holds/s, the CPU per hold of the
  clients and of PostgreSQL, oversold count and false sold-out count (those two fail the bench when not 0).
- Phase 2 (exactness): 400 attempts for 200 rooms (smoke: 80 for 40); exactly 200 must succeed and the counter
  must equal the number of holding bookings (fails the bench otherwise).
Every client process reports its result or its traceback; the parent reads with timeouts (bench.common.collect).
Multi-room holds (issue 17): the same 20 clients each book a double and a twin at once (all or nothing): rooms/s,
oversold (0) and false sold-out (0); then the last 200 twins (smoke: 40) with doubles to spare: exactly that many
bookings, each holding its double and its twin.
Receipts: p50/p95 of rendering one receipt PDF with xhtml2pdf.
"""

import logging
import multiprocessing
import os
import statistics
import time
import traceback
from datetime import timedelta

from bench.common import Row, collect, process_cpu_seconds, stop
from bench.common import percentile as _percentile

CLIENTS = 20
GRACE_SECONDS = 30  # beyond a race's deadline: time for the last holds and the processes' exit


def _client(queue, **race):
    """One client process; always puts one message on ``queue``: ``("ok", holds, sold_out, cpu, postgres_cpu)``
    or ``("error", traceback)``, so the parent learns of a crash instead of waiting for a result."""
    try:
        queue.put(("ok", *_hold_until(**race)))
    except BaseException:
        queue.put(("error", traceback.format_exc()))


def _hold_until(*, room_type_id, check_in, rooms, deadline, max_attempts, other_type_id=None):
    """Hold ``rooms`` rooms for the night ``check_in`` until ``deadline`` or ``max_attempts``; returns the holds,
    the sold-out answers and the CPU seconds this process and its PostgreSQL backend used meanwhile. With
    ``other_type_id``, each booking is one room of each of the two types (room lines, issue 17), asked in either
    order by turns."""
    import django
    from django.db import connection

    django.setup()
    from bookings.exceptions import SoldOut
    from bookings.lines import RoomRequest
    from bookings.services import GuestDetails, booking_hold
    from hotels.models import RoomType
    from hotels.stay import Stay

    room_type = RoomType.objects.select_related("hotel").get(pk=room_type_id)
    lines = None
    if other_type_id is not None:
        other = RoomType.objects.select_related("hotel").get(pk=other_type_id)
        lines = [RoomRequest(room_type=room_type), RoomRequest(room_type=other)]
    guest = GuestDetails(first_name="Bench", last_name="Client", email="bench@example.com")
    stay = Stay(check_in=check_in, check_out=check_in + timedelta(days=1), adults=rooms, rooms=rooms)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    cpu, postgres_cpu = time.process_time(), process_cpu_seconds(backend)
    ok = sold_out = attempts = 0
    while time.monotonic() < deadline and attempts < max_attempts:
        attempts += 1
        try:
            if lines is None:
                booking_hold(room_type=room_type, stay=stay, guest=guest, source="staff", actor_kind="system")
            else:
                lines.reverse()
                booking_hold(rooms=lines, stay=stay, guest=guest, source="staff", actor_kind="system")
            ok += 1
        except SoldOut:
            sold_out += 1
    cpu, postgres_cpu = time.process_time() - cpu, process_cpu_seconds(backend) - postgres_cpu
    connection.close()
    return ok, sold_out, cpu, postgres_cpu


def _race(room_type, check_in, *, seconds, max_attempts, rooms=1, other=None):
    """``CLIENTS`` processes holding rooms at once; returns holds, sold-out answers, seconds, and the CPU
    milliseconds per hold of the clients and of their PostgreSQL backends."""
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start = time.monotonic()
    deadline = start + seconds
    procs = [
        ctx.Process(
            target=_client,
            args=(queue,),
            kwargs={
                "room_type_id": room_type.pk,
                "check_in": check_in,
                "rooms": rooms,
                "deadline": deadline,
                "max_attempts": max_attempts,
                "other_type_id": other.pk if other else None,
            },
        )
        for _ in range(CLIENTS)
    ]
    for p in procs:
        p.start()
    try:
        results = collect(queue, procs, deadline=deadline + GRACE_SECONDS)
    finally:
        stop(procs)
    elapsed = time.monotonic() - start
    ok, sold_out, cpu, postgres_cpu = (sum(r[i] for r in results) for i in range(4))
    attempts = max(ok + sold_out, 1)
    return ok, sold_out, elapsed, (cpu * 1000 / attempts, postgres_cpu * 1000 / attempts)


def _hot_room_type(rooms, name="Hot Double"):
    from django.utils import timezone

    from hotels.models import Hotel, NightInventory, RatePlan, RoomType

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
        hotel=hotel, name=name, defaults={"beds": "1 double", "total_rooms": 30000}
    )
    # Every sale is under a rate plan (issue 11); the room type's own night price is the plan's.
    RatePlan.objects.get_or_create(room_type=room_type, name="Flexible", defaults={"free_cancellation_days": 2})
    check_in = timezone.now().date() + timedelta(days=30)
    hotel.bookings.all().delete()
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


def bench_holds(seconds=10, last_rooms=200):
    rows = []
    for rooms in (1, 2):
        room_type, check_in = _hot_room_type(rooms=30000)
        race = _race(room_type, check_in, seconds=seconds, max_attempts=10**9, rooms=rooms)
        ok, sold_out, elapsed, (cpu, postgres_cpu) = race
        night, holding = _audit(room_type, check_in)
        oversold = max(0, night.rooms_sold - night.rooms_for_sale) + abs(night.rooms_sold - rooms * holding)
        each = "one room" if rooms == 1 else f"{rooms} rooms"
        rows += [
            Row(
                f"holds/s, {CLIENTS} clients, one hot night, {each} each",
                f"{ok / elapsed:.0f}",
                ">= 300" * (rooms == 1),
                ok / elapsed >= 300 if rooms == 1 else None,
            ),
            Row("  CPU ms per hold: clients / postgres", f"{cpu:.1f} / {postgres_cpu:.1f}"),
            Row(
                f"  holds/s the {os.cpu_count()} CPUs could serve at that CPU cost",
                f"{(os.cpu_count() or 1) * 1000 / (cpu + postgres_cpu):.0f}",
            ),
            Row("  oversold room-nights", str(oversold), "0", oversold == 0, error=oversold > 0),
            Row("  false 'sold out' answers (rooms were free)", str(sold_out), "0", sold_out == 0, error=sold_out > 0),
        ]

    room_type, check_in = _hot_room_type(rooms=last_rooms)
    ok, sold_out, _, _ = _race(room_type, check_in, seconds=60, max_attempts=2 * last_rooms // CLIENTS)
    night, holding = _audit(room_type, check_in)
    exact = ok == night.rooms_sold == holding == last_rooms and sold_out == last_rooms
    rows.append(
        Row(
            f"last {last_rooms} rooms, {2 * last_rooms} attempts: holds / sold-out",
            f"{ok} / {sold_out}",
            f"{last_rooms} / {last_rooms}",
            exact,
            error=not exact,
        )
    )
    rows.append(Row("  counter vs holding bookings", f"{night.rooms_sold} vs {holding}", f"equal, <= {last_rooms}"))
    room_type.hotel.bookings.all().delete()
    return rows


def _lines_holding(room_type):
    from bookings.models import RoomLine

    return RoomLine.objects.filter(room_type=room_type, nights_held=True, booking__nights_held=True).count()


def bench_multi_room_holds(seconds=10, last_rooms=200):
    """Bookings of two rooms of two types (a double and a twin): every night of every line in one transaction."""
    double, check_in = _hot_room_type(rooms=30000)
    twin, _ = _hot_room_type(rooms=30000, name="Hot Twin")
    ok, sold_out, elapsed, (cpu, postgres_cpu) = _race(
        double, check_in, seconds=seconds, max_attempts=10**9, other=twin
    )
    oversold = 0
    for room_type in (double, twin):
        night, _ = _audit(room_type, check_in)
        oversold += max(0, night.rooms_sold - night.rooms_for_sale) + abs(night.rooms_sold - _lines_holding(room_type))
    rows = [
        Row(
            f"multi-room holds, {CLIENTS} clients, 2 room types per booking: rooms/s",
            f"{2 * ok / elapsed:.0f}",
        ),
        Row("  bookings/s (two rooms each)", f"{ok / elapsed:.0f}"),
        Row("  CPU ms per booking: clients / postgres", f"{cpu:.1f} / {postgres_cpu:.1f}"),
        Row("  oversold room-nights", str(oversold), "0", oversold == 0, error=oversold > 0),
        Row("  false 'sold out' answers (rooms were free)", str(sold_out), "0", sold_out == 0, error=sold_out > 0),
    ]
    # The last twins: each booking gets its double and its twin, or neither.
    double, check_in = _hot_room_type(rooms=30000)
    twin, _ = _hot_room_type(rooms=last_rooms, name="Hot Twin")
    ok, sold_out, _, _ = _race(double, check_in, seconds=60, max_attempts=2 * last_rooms // CLIENTS, other=twin)
    twin_night, _ = _audit(twin, check_in)
    double_night, _ = _audit(double, check_in)
    exact = ok == twin_night.rooms_sold == double_night.rooms_sold == _lines_holding(twin) == last_rooms
    rows.append(
        Row(
            f"last {last_rooms} twins, {2 * last_rooms} two-room attempts: bookings / doubles / twins held",
            f"{ok} / {double_night.rooms_sold} / {twin_night.rooms_sold}",
            f"{last_rooms} / {last_rooms} / {last_rooms}",
            exact,
            error=not exact,
        )
    )
    double.hotel.bookings.all().delete()
    return rows


def bench_receipts(runs=60):
    from django.utils import timezone

    from bookings.services import GuestDetails, booking_confirm, booking_hold
    from hotels.stay import Stay
    from payments.receipts import receipt_render

    logging.getLogger("xhtml2pdf").setLevel(logging.ERROR)  # a warning per receipt about CSS it ignores
    room_type, check_in = _hot_room_type(rooms=10)
    booking = booking_hold(
        room_type=room_type,
        stay=Stay(check_in=check_in, check_out=check_in + timedelta(days=1), adults=1),
        guest=GuestDetails(first_name="Bench", last_name="Receipt", email="bench@example.com"),
        source="staff",
        actor_kind="system",
    )
    booking_confirm(booking=booking)
    times, cpu_times = [], []
    for n in range(runs + 5):
        started, cpu_started = time.perf_counter(), time.process_time()
        receipt_render(booking=booking, number=f"R-BENCH-{n}", issued_at=timezone.now(), payment=None)
        if n >= 5:
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu_started) * 1000)
    room_type.bookings.all().delete()
    p95 = _percentile(times, 95)
    return [
        Row("receipt PDF p50 (ms)", f"{statistics.median(times):.1f}"),
        Row("receipt PDF p95 (ms)", f"{p95:.1f}", "< 100", p95 < 100),
        Row("  CPU ms per receipt p50 / p95", f"{statistics.median(cpu_times):.1f} / {_percentile(cpu_times, 95):.1f}"),
    ]


def run(options):
    if options.smoke:
        return (
            bench_holds(seconds=2, last_rooms=40)
            + bench_multi_room_holds(seconds=2, last_rooms=40)
            + bench_receipts(runs=10)
        )
    return bench_holds() + bench_multi_room_holds() + bench_receipts()
