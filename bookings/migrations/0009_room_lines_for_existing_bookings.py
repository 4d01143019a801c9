"""Every existing booking becomes room lines: one line per room. A booking of N identical rooms becomes N lines whose
party is the booking's spread over the rooms and whose prices are the booking's one quote split to the cent, so
the lines add up exactly to the stored total; the booking's own total, snapshot, receipt and e-mails are not touched.

The helpers are copied here (not imported from ``bookings.lines``) so this migration does what it did on the day it
ran, whatever the app's code becomes."""

from decimal import Decimal

from django.db import migrations

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def _split(amount, parts):
    cents = int((Decimal(amount) / CENT).to_integral_value())
    base, odd = divmod(abs(cents), parts)
    sign = -1 if cents < 0 else 1
    return [sign * Decimal(base + (1 if i < odd else 0)) * CENT for i in range(parts)]


def _fill(amount, caps):
    left, shares = Decimal(amount), []
    for cap in caps:
        share = min(left, Decimal(cap))
        shares.append(share)
        left -= share
    return shares


def _party(adults, ages, parts):
    base, odd = divmod(max(adults, parts), parts)
    rooms = [(base + (1 if i < odd else 0), []) for i in range(parts)]
    for i, age in enumerate(ages):
        rooms[i % parts][1].append(age)
    return rooms


def _snapshot_split(snapshot, parts):
    if parts == 1:
        return [dict(snapshot)]
    shares = [
        {k: v for k, v in snapshot.items() if k not in ("nights", "adjustments", "extras", "taxes")}
        for _ in range(parts)
    ]
    for share in shares:
        share.update(nights=[], adjustments=[], extras=[], taxes=[], split_from_rooms=parts)
    for night in snapshot.get("nights", []):
        for i, amount in enumerate(_split(night["amount"], parts)):
            shares[i]["nights"].append({**night, "rooms": 1, "amount": str(amount)})
    for key in ("adjustments", "extras", "taxes"):
        for item in snapshot.get(key, []):
            for i, amount in enumerate(_split(item["amount"], parts)):
                shares[i][key].append({**item, "amount": str(amount)})
    first_nights = _split(snapshot.get("first_night", "0"), parts)
    for i, share in enumerate(shares):
        room_total = sum((Decimal(x["amount"]) for k in ("nights", "adjustments", "extras") for x in share[k]), ZERO)
        added_taxes = sum((Decimal(t["amount"]) for t in share["taxes"] if not t.get("included")), ZERO)
        share["room_total"] = str(room_total)
        share["first_night"] = str(min(first_nights[i], room_total))
        share["total"] = str(room_total + added_taxes)
    return shares


def lines_create(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    RoomLine = apps.get_model("bookings", "RoomLine")
    batch = []
    for booking in Booking.objects.filter(lines__isnull=True).iterator(chunk_size=500):
        parts = max(booking.rooms, 1)
        ages = list(booking.children_ages or [])[: booking.children] or [None] * booking.children
        ages += [None] * (booking.children - len(ages))
        shares = _snapshot_split(booking.price_snapshot or {"total": str(booking.total)}, parts)
        totals = [Decimal(share["total"]) for share in shares]
        if sum(totals, ZERO) != booking.total:  # the stored total wins over a snapshot that disagrees
            totals = _split(booking.total, parts)
            for share, total in zip(shares, totals):
                share["total"] = str(total)
        cancelled = booking.status == "cancelled"
        penalties = _fill(booking.cancellation_penalty or 0, totals) if cancelled else [None] * parts
        name = f"{booking.guest_first_name} {booking.guest_last_name}".strip()[:200]
        for i, ((adults, child_ages), share) in enumerate(zip(_party(booking.adults, ages, parts), shares)):
            if parts > 1:
                share["children_ages"] = child_ages
            batch.append(
                RoomLine(
                    booking_id=booking.pk,
                    position=i + 1,
                    room_type_id=booking.room_type_id,
                    rate_plan_id=booking.rate_plan_id,
                    adults=adults,
                    children_ages=child_ages,
                    guest_name=name,
                    status="cancelled" if cancelled else "active",
                    currency=booking.currency,
                    total=totals[i],
                    price_snapshot=share,
                    cancellation_policy=booking.cancellation_policy,
                    nights_held=booking.nights_held and not cancelled,
                    cancellation_penalty=penalties[i],
                    cancelled_at=booking.cancelled_at if cancelled else None,
                )
            )
        if len(batch) >= 1000:
            RoomLine.objects.bulk_create(batch)
            batch = []
    RoomLine.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0008_room_lines")]

    operations = [migrations.RunPython(lines_create, migrations.RunPython.noop, elidable=False)]
