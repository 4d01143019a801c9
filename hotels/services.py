"""Writes on the catalogue by hotel staff: staff roles, the inventory/rates bulk editor, rate plans."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .models import HotelStaff, NightInventory, RatePlan, RatePlanNight, RoomType
from .staff import ROLE_GROUPS, staff_scope_forget

MAX_BULK_DAYS = 731


class StaffError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InventoryError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _role_groups_sync(user) -> None:
    """Put ``user`` in exactly the role groups of the roles they hold somewhere (other groups are left alone)."""
    held = set(HotelStaff.objects.filter(user=user).values_list("role", flat=True))
    groups = {g.name: g for g in Group.objects.filter(name__in=ROLE_GROUPS.values())}
    missing = [name for name in ROLE_GROUPS.values() if name not in groups]
    if missing:
        raise StaffError(f"The staff groups are missing ({', '.join(missing)}): run the migrations.")
    user.groups.add(*(groups[ROLE_GROUPS[role]] for role in held))
    user.groups.remove(*(groups[name] for role, name in ROLE_GROUPS.items() if role not in held))
    staff_scope_forget(user)


def staff_member_add(*, hotel, user, role: str) -> HotelStaff:
    """Give ``user`` ``role`` at ``hotel`` (replacing any role they had there): a staff account, in the role's
    group, whose permissions the console narrows to the hotels where the role is held. Raises ``StaffError``."""
    if role not in ROLE_GROUPS:
        raise StaffError(f"Unknown role {role!r}.")
    if not user.is_active:
        raise StaffError(f"{user.email} is a disabled account.")
    with transaction.atomic():
        member, _ = HotelStaff.objects.update_or_create(user=user, hotel=hotel, defaults={"role": role})
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        _role_groups_sync(user)
    return member


def staff_member_invite(*, hotel, email: str, role: str) -> HotelStaff:
    """Give the account with ``email`` a role at ``hotel``, opening one if there is none (with no password: the
    new colleague sets one with "forgot password"). Raises ``StaffError``."""
    User = get_user_model()
    email = User.objects.normalize_email(email).lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first() or User.objects.create_user(email=email)
        return staff_member_add(hotel=hotel, user=user, role=role)


def staff_member_remove(*, member: HotelStaff) -> None:
    """Take a role away: the user leaves the role's group unless they hold the role at another hotel. Their
    account and ``is_staff`` stay as they are; with no hotel left, the console shows them nothing."""
    user = member.user
    with transaction.atomic():
        member.delete()
        _role_groups_sync(user)


@dataclass
class BulkResult:
    updated: int
    created: int


def _nights_listed(nights: list[NightInventory]) -> str:
    shown = ", ".join(
        _("%(night)s (%(sold)s sold)") % {"night": formats.date_format(n.date, "D j M Y"), "sold": n.rooms_sold}
        for n in nights[:5]
    )
    more = len(nights) - 5
    if more > 0:
        shown += " " + ngettext("and %(count)s more night", "and %(count)s more nights", more) % {"count": more}
    return shown


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
    ``weekdays`` (0 = Monday; every day when empty). Fields left as None are unchanged. Missing nights are
    created when both rooms and price are given (others are left off sale).

    Refuses with ``InventoryError``, changing nothing, to sell fewer rooms on a night than are already sold there
    (the message names the nights). Rows are locked in date order, as bookings
    lock them, so the check and the write can't race a booking; the ``night_never_oversold`` CHECK constraint is
    the backstop. Every changed or created night gets a history record by ``user``.
    """
    changes = {
        field: value
        for field, value in (
            ("rooms_for_sale", rooms_for_sale),
            ("price", price),
            ("stop_sell", stop_sell),
            ("min_stay", min_stay),
        )
        if value is not None
    }
    if not changes:
        raise InventoryError(_("Nothing to change: fill in at least one field."))
    if end < start:
        raise InventoryError(_("The end date must be on or after the start date."))
    if (end - start).days >= MAX_BULK_DAYS:
        raise InventoryError(_("Edit at most two years at once."))
    if (price is not None and price < 0) or (rooms_for_sale is not None and rooms_for_sale < 0):
        raise InventoryError(_("Prices and rooms can't be negative."))
    if min_stay is not None and min_stay < 1:
        raise InventoryError(_("The minimum stay is at least one night."))
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    days = [d for d in days if not weekdays or d.weekday() in weekdays]
    if not days:
        raise InventoryError(_("No date in that range falls on the chosen weekdays."))
    try:
        with transaction.atomic():
            nights = list(
                NightInventory.objects.select_for_update().filter(room_type=room_type, date__in=days).order_by("date")
            )
            if rooms_for_sale is not None:
                short = [n for n in nights if n.rooms_sold > rooms_for_sale]
                if short:
                    raise InventoryError(
                        _("Can't set %(rooms)s rooms for sale: more are already sold on %(nights)s.")
                        % {"rooms": rooms_for_sale, "nights": _nights_listed(short)}
                    )
            for night in nights:
                for field, value in changes.items():
                    setattr(night, field, value)
            if nights:
                bulk_update_with_history(nights, NightInventory, list(changes), default_user=user, batch_size=500)
            created = []
            if rooms_for_sale is not None and price is not None:
                existing = {n.date for n in nights}
                created = [
                    NightInventory(
                        room_type=room_type,
                        date=d,
                        rooms_for_sale=rooms_for_sale,
                        price=price,
                        stop_sell=bool(stop_sell),
                        min_stay=min_stay or 1,
                    )
                    for d in days
                    if d not in existing
                ]
                if created:
                    bulk_create_with_history(created, NightInventory, default_user=user, batch_size=500)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
        if constraint == "night_never_oversold":  # a booking between our check and the write: can't happen, locked
            raise InventoryError(_("Rooms were sold while you edited: fewer rooms than sold is not allowed.")) from exc
        if constraint == "night_roomtype_date_unique":
            raise InventoryError(_("Someone else opened some of these nights at the same time: try again.")) from exc
        raise
    return BulkResult(updated=len(nights), created=len(created))


def _bulk_days(start: date, end: date, weekdays) -> list[date]:
    if end < start:
        raise InventoryError(_("The end date must be on or after the start date."))
    if (end - start).days >= MAX_BULK_DAYS:
        raise InventoryError(_("Edit at most two years at once."))
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    days = [d for d in days if not weekdays or d.weekday() in weekdays]
    if not days:
        raise InventoryError(_("No date in that range falls on the chosen weekdays."))
    return days


def rate_plan_nights_update(
    *,
    rate_plan: RatePlan,
    start: date,
    end: date,
    weekdays: set[int] | None = None,
    price: Decimal | None = None,
    closed_to_arrival: bool | None = None,
    closed_to_departure: bool | None = None,
    stop_sell: bool | None = None,
    min_stay: int | None = None,
    max_stay: int | None = None,
    reset: bool = False,
    user=None,
) -> BulkResult:
    """Set one rate plan's own terms on the nights ``start``..``end`` (inclusive) that fall on ``weekdays``: its own
    price (not for a derived plan: its prices follow its parent), closed to arrival / departure, stop-sell, and the
    minimum / maximum stay for arrivals that day. None leaves a field as it is; ``reset`` removes the plan's own
    terms on those nights (back to the room type's price and the plan's defaults). Rooms are not a plan's: they are
    the room type's, shared by its plans (``inventory_bulk_update``). Every change is in the history, by ``user``.
    """
    changes = {
        field: value
        for field, value in (
            ("price", price),
            ("closed_to_arrival", closed_to_arrival),
            ("closed_to_departure", closed_to_departure),
            ("stop_sell", stop_sell),
            ("min_stay", min_stay),
            ("max_stay", max_stay),
        )
        if value is not None
    }
    if reset and changes:
        raise InventoryError(_("Either reset the nights to the plan's defaults or change them, not both."))
    if not reset and not changes:
        raise InventoryError(_("Nothing to change: fill in at least one field."))
    if price is not None and rate_plan.parent_id:
        raise InventoryError(
            _(
                "%(plan)s is derived from %(parent)s: its prices follow that plan. "
                "Change the parent's price, or the derivation on the plan."
            )
            % {"plan": rate_plan.name, "parent": rate_plan.parent.name}
        )
    if price is not None and price < 0:
        raise InventoryError(_("Prices can't be negative."))
    if (min_stay is not None and min_stay < 1) or (max_stay is not None and max_stay < 1):
        raise InventoryError(_("A stay is at least one night."))
    if min_stay is not None and max_stay is not None and max_stay < min_stay:
        raise InventoryError(_("The maximum stay can't be shorter than the minimum."))
    days = _bulk_days(start, end, weekdays)
    with transaction.atomic():
        existing = {
            n.date: n
            for n in RatePlanNight.objects.select_for_update()
            .filter(rate_plan=rate_plan, date__in=days)
            .order_by("date")
        }
        if reset:
            for night in existing.values():
                night._history_user = user
                night.delete()
            return BulkResult(updated=len(existing), created=0)
        for night in existing.values():
            for field, value in changes.items():
                setattr(night, field, value)
        if existing:
            bulk_update_with_history(
                list(existing.values()), RatePlanNight, list(changes), default_user=user, batch_size=500
            )
        created = [RatePlanNight(rate_plan=rate_plan, date=d, **changes) for d in days if d not in existing]
        if created:
            bulk_create_with_history(created, RatePlanNight, default_user=user, batch_size=500)
    return BulkResult(updated=len(existing), created=len(created))


def room_type_default_plan_ensure(*, room_type: RoomType) -> RatePlan | None:
    """A room type with no rate plan can't be sold: give it a "Standard rate" (free cancellation until two days
    before arrival, then the first night). Returns the plan created, or None when it had one."""
    if room_type.rate_plans.exists():
        return None
    return RatePlan.objects.create(room_type=room_type, name="Standard rate")
