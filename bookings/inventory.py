"""Taking and giving back room-nights. The only code that moves ``NightInventory.rooms_sold``.

Rows are locked in date order (``ORDER BY date FOR UPDATE``) so two stays that overlap can't deadlock, and the
UPDATE is conditional, so PostgreSQL re-checks the condition on the latest row version under contention: a night
is either taken or reported unavailable, never oversold and never falsely sold out. The CHECK constraint
``night_never_oversold`` makes it true whatever any other code does.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection

TAKE_SQL = """
WITH wanted AS (
    SELECT id FROM hotels_nightinventory
    WHERE room_type_id = %(room_type)s AND date >= %(start)s AND date < %(end)s
    ORDER BY date
    FOR UPDATE
)
UPDATE hotels_nightinventory AS n SET rooms_sold = n.rooms_sold + %(rooms)s
FROM wanted
WHERE n.id = wanted.id AND NOT n.stop_sell AND n.rooms_sold + %(rooms)s <= n.rooms_for_sale
RETURNING n.date, n.price, n.min_stay
"""

CHECK_SQL = """
SELECT date, price, min_stay, rooms_for_sale, rooms_sold, stop_sell FROM hotels_nightinventory
WHERE room_type_id = %(room_type)s AND date >= %(start)s AND date < %(end)s
ORDER BY date
"""

GIVE_BACK_SQL = """
WITH held AS (
    SELECT id FROM hotels_nightinventory
    WHERE room_type_id = %(room_type)s AND date >= %(start)s AND date < %(end)s
    ORDER BY date
    FOR UPDATE
)
UPDATE hotels_nightinventory AS n SET rooms_sold = GREATEST(n.rooms_sold - %(rooms)s, 0)
FROM held WHERE n.id = held.id
"""


class NightsUnavailable(Exception):
    def __init__(self, night: date | None, reason: str):
        super().__init__(reason)
        self.night = night
        self.reason = reason
        self.room_type_id = None  # set by rooms_take


def nights_take(*, room_type_id: int, check_in: date, check_out: date, rooms: int) -> list[tuple[date, Decimal]]:
    """Take ``rooms`` rooms on every night of the stay; return (date, price per room) by date.

    Must run inside a transaction; raises :class:`NightsUnavailable` naming the first night that could not be
    taken, and the caller's transaction rolls back so nothing stays held.
    """
    nights = (check_out - check_in).days
    with connection.cursor() as cursor:
        cursor.execute(TAKE_SQL, {"room_type": room_type_id, "start": check_in, "end": check_out, "rooms": rooms})
        taken = sorted(cursor.fetchall())
    if len(taken) < nights:
        taken_dates = {row[0] for row in taken}
        missing = next(
            check_in + timedelta(days=i) for i in range(nights) if check_in + timedelta(days=i) not in taken_dates
        )
        raise NightsUnavailable(missing, "not enough rooms left")
    longest_min_stay = max(row[2] for row in taken)
    if longest_min_stay > nights:
        raise NightsUnavailable(None, f"a minimum stay of {longest_min_stay} nights applies to these dates")
    return [(row[0], row[1]) for row in taken]


def nights_check(*, room_type_id: int, check_in: date, check_out: date, rooms: int) -> list[tuple[date, Decimal]]:
    """Read (without locking) whether the stay can be taken now, and at what prices per room, by date.

    Lets the caller price the stay and write the booking before :func:`nights_take` locks the hot rows, so
    the lock is held only for the UPDATE and the COMMIT. Raises :class:`NightsUnavailable` as ``nights_take``.
    """
    with connection.cursor() as cursor:
        cursor.execute(CHECK_SQL, {"room_type": room_type_id, "start": check_in, "end": check_out})
        rows = cursor.fetchall()
    by_date = {row[0]: row for row in rows}
    nights = (check_out - check_in).days
    for i in range(nights):
        night = by_date.get(check_in + timedelta(days=i))
        if night is None or night[5] or night[3] - night[4] < rooms:
            raise NightsUnavailable(check_in + timedelta(days=i), "not enough rooms left")
    longest_min_stay = max(row[2] for row in rows)
    if longest_min_stay > nights:
        raise NightsUnavailable(None, f"a minimum stay of {longest_min_stay} nights applies to these dates")
    return [(row[0], row[1]) for row in rows]


def nights_give_back(*, room_type_id: int, check_in: date, check_out: date, rooms: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(GIVE_BACK_SQL, {"room_type": room_type_id, "start": check_in, "end": check_out, "rooms": rooms})


def rooms_take(*, rooms_by_type: dict[int, int], check_in: date, check_out: date) -> dict[int, list]:
    """Take every night of several room types at once (a booking of several rooms): ``rooms_by_type`` maps a room
    type's id to how many of its rooms; returns each type's (date, price per room) by date.

    The types are taken in id order and each type's nights in date order, so every caller locks rows in the same
    global order (room type, date) and two multi-room bookings can't deadlock. Must run inside a transaction: when
    one night of one type is missing, :class:`NightsUnavailable` names it and the caller's rollback gives back
    what was already taken, so the booking gets all of its rooms or none."""
    taken = {}
    for room_type_id, rooms in sorted(rooms_by_type.items()):
        if rooms:
            try:
                taken[room_type_id] = nights_take(
                    room_type_id=room_type_id, check_in=check_in, check_out=check_out, rooms=rooms
                )
            except NightsUnavailable as exc:
                exc.room_type_id = room_type_id
                raise
    return taken


def rooms_give_back(*, rooms_by_type: dict[int, int], check_in: date, check_out: date) -> None:
    """Give back several room types' nights, in the same (room type, date) order as :func:`rooms_take`."""
    for room_type_id, rooms in sorted(rooms_by_type.items()):
        if rooms:
            nights_give_back(room_type_id=room_type_id, check_in=check_in, check_out=check_out, rooms=rooms)


LOCK_NIGHTS_SQL = """
SELECT id FROM hotels_nightinventory
WHERE room_type_id = %(room_type)s AND date = ANY(%(dates)s)
ORDER BY date
FOR UPDATE
"""

TAKE_NIGHT_SQL = """
UPDATE hotels_nightinventory SET rooms_sold = rooms_sold + %(rooms)s
WHERE room_type_id = %(room_type)s AND date = %(date)s AND NOT stop_sell AND rooms_sold + %(rooms)s <= rooms_for_sale
"""

GIVE_BACK_NIGHT_SQL = """
UPDATE hotels_nightinventory SET rooms_sold = GREATEST(rooms_sold - %(rooms)s, 0)
WHERE room_type_id = %(room_type)s AND date = %(date)s
"""


def nights_shift(*, deltas: dict[tuple[int, date], int]) -> None:
    """Move a sold booking's nights in one go: ``deltas`` maps (room type id, night) to the rooms to take (> 0) or
    give back (< 0). A change of dates or rooms moves only the difference, so a room kept across the change is
    never released and taken again (and can't be lost to another guest in between).

    Every row concerned is locked first, in (room type, date) order as :func:`rooms_take` does; then the takes are
    conditional as in :func:`nights_take`. Must run inside a transaction: a night that can't be taken raises
    :class:`NightsUnavailable` (with ``room_type_id``) and the caller's rollback undoes the rest."""
    by_type: dict[int, list[date]] = {}
    for (room_type_id, night), rooms in deltas.items():
        if rooms:
            by_type.setdefault(room_type_id, []).append(night)
    with connection.cursor() as cursor:
        for room_type_id in sorted(by_type):
            cursor.execute(LOCK_NIGHTS_SQL, {"room_type": room_type_id, "dates": sorted(by_type[room_type_id])})
        for room_type_id in sorted(by_type):
            for night in sorted(by_type[room_type_id]):
                rooms = deltas[(room_type_id, night)]
                params = {"room_type": room_type_id, "date": night, "rooms": abs(rooms)}
                if rooms > 0:
                    cursor.execute(TAKE_NIGHT_SQL, params)
                    if cursor.rowcount != 1:
                        exc = NightsUnavailable(night, "not enough rooms left")
                        exc.room_type_id = room_type_id
                        raise exc
                else:
                    cursor.execute(GIVE_BACK_NIGHT_SQL, params)


def nights_free(*, deltas: dict[tuple[int, date], int]) -> None:
    """Read (without locking) whether the nights ``deltas`` would take are free now; raises
    :class:`NightsUnavailable` naming the first that is not (the quote before a change)."""
    wanted = {key: rooms for key, rooms in deltas.items() if rooms > 0}
    with connection.cursor() as cursor:
        for room_type_id, night in sorted(wanted):
            cursor.execute(
                "SELECT rooms_for_sale - rooms_sold, stop_sell FROM hotels_nightinventory "
                "WHERE room_type_id = %s AND date = %s",
                [room_type_id, night],
            )
            row = cursor.fetchone()
            if row is None or row[1] or row[0] < wanted[(room_type_id, night)]:
                exc = NightsUnavailable(night, "not enough rooms left")
                exc.room_type_id = room_type_id
                raise exc


def nights_prices(*, room_type_id: int, check_in: date, check_out: date) -> list[tuple[date, Decimal]]:
    """The room type's price per room on each night of the stay, whether or not a room is free (a change prices
    nights the booking already holds); raises :class:`NightsUnavailable` for a night not on sale at all or a
    minimum stay."""
    with connection.cursor() as cursor:
        cursor.execute(CHECK_SQL, {"room_type": room_type_id, "start": check_in, "end": check_out})
        rows = cursor.fetchall()
    by_date = {row[0]: row for row in rows}
    nights = (check_out - check_in).days
    for i in range(nights):
        if check_in + timedelta(days=i) not in by_date:
            raise NightsUnavailable(check_in + timedelta(days=i), "not on sale")
    longest_min_stay = max(row[2] for row in rows)
    if longest_min_stay > nights:
        raise NightsUnavailable(None, f"a minimum stay of {longest_min_stay} nights applies to these dates")
    return [(row[0], row[1]) for row in rows]
