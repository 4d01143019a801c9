"""Writes on the catalogue by hotel staff: staff roles and the inventory/rates bulk editor."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .models import HotelStaff, NightInventory, RoomType

ROLE_GROUPS = {HotelStaff.Role.MANAGER: "Hotel manager", HotelStaff.Role.FRONT_DESK: "Front desk"}


class InventoryError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def staff_member_add(*, hotel, user, role: str) -> HotelStaff:
    """Give ``user`` a role at ``hotel``: a staff account in the role's group (Django permissions)."""
    with transaction.atomic():
        member, _ = HotelStaff.objects.update_or_create(user=user, hotel=hotel, defaults={"role": role})
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
    return member


@dataclass
class BulkResult:
    updated: int
    created: int


def inventory_bulk_update(
    *,
    room_type: RoomType,
    start: date,
    end: date,
    weekdays: set[int] | None = None,
    rooms_for_sale: int | None = None,
    price: Decimal | None = None,
    stop_sell: bool | None = None,
    min_stay: int | None = None,
    user=None,
) -> BulkResult:
    """Set rooms, price, stop-sell and/or minimum stay on the nights ``start``..``end`` (inclusive) that fall on
    ``weekdays`` (0 = Monday; all days when empty). Fields left as None are unchanged. Missing nights are created
    when both rooms and price are given. Refuses (``InventoryError``, nothing changed) to set fewer rooms than are
    already sold on any night. Rows are locked in date order, like bookings lock them, so the two can't race.
    """
    if end < start:
        raise InventoryError("The end date must be on or after the start date.")
    if (end - start).days > 730:
        raise InventoryError("Edit at most two years at once.")
    if rooms_for_sale is None and price is None and stop_sell is None and min_stay is None:
        raise InventoryError("Nothing to change: fill in at least one field.")
    if price is not None and price < 0 or rooms_for_sale is not None and rooms_for_sale < 0:
        raise InventoryError("Prices and rooms can't be negative.")
    if min_stay is not None and min_stay < 1:
        raise InventoryError("The minimum stay is at least one night.")
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    days = [d for d in days if not weekdays or d.weekday() in weekdays]
    if not days:
        raise InventoryError("No date in that range falls on the chosen weekdays.")
    try:
        with transaction.atomic():
            rows = {
                n.date: n
                for n in NightInventory.objects.select_for_update()
                .filter(room_type=room_type, date__in=days)
                .order_by("date")
            }
            if rooms_for_sale is not None:
                short = [n.date for n in rows.values() if n.rooms_sold > rooms_for_sale]
                if short:
                    listed = ", ".join(f"{d:%a %d %b %Y}" for d in short[:5]) + (" …" if len(short) > 5 else "")
                    raise InventoryError(f"Can't set {rooms_for_sale} rooms: more are already sold on {listed}.")
            changed = []
            for night in rows.values():
                for field, value in (
                    ("rooms_for_sale", rooms_for_sale),
                    ("price", price),
                    ("stop_sell", stop_sell),
                    ("min_stay", min_stay),
                ):
                    if value is not None:
                        setattr(night, field, value)
                changed.append(night)
            fields = [
                f
                for f, v in (
                    ("rooms_for_sale", rooms_for_sale),
                    ("price", price),
                    ("stop_sell", stop_sell),
                    ("min_stay", min_stay),
                )
                if v is not None
            ]
            if changed:
                bulk_update_with_history(changed, NightInventory, fields, default_user=user, batch_size=500)
            missing = [d for d in days if d not in rows]
            created = []
            if missing and rooms_for_sale is not None and price is not None:
                created = [
                    NightInventory(
                        room_type=room_type,
                        date=d,
                        rooms_for_sale=rooms_for_sale,
                        price=price,
                        stop_sell=bool(stop_sell),
                        min_stay=min_stay or 1,
                    )
                    for d in missing
                ]
                bulk_create_with_history(created, NightInventory, default_user=user, batch_size=500)
    except IntegrityError as exc:  # the CHECK constraint: someone sold a room between our check and the write
        raise InventoryError("Rooms were sold while you edited: fewer rooms than sold is not allowed.") from exc
    return BulkResult(updated=len(changed), created=len(created))
