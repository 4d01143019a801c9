"""Changing a sold booking: new dates, rooms changed or added (:func:`booking_change_quote`, :func:`booking_modify`),
one room cancelled (:func:`room_line_cancel`). State changes only, like ``bookings.services``: the money (charging
the difference through the bank, refunding it), e-mails and webhooks are ``bookings.workflow``'s.

Rules (issue 17): only a confirmed booking of our own inventory changes; each room affected is re-quoted with
``stay_quote`` (through its rate plan); a room past its free-cancellation deadline is charged at least what
cancelling it now would cost (the change is priced under the policy's penalty) and keeps its policy (a change never
reopens free cancellation); a non-refundable room's stay can't be shortened. Inventory moves by the difference,
night by night (``inventory.nights_shift``), in one transaction: the new nights are taken while the old are still
held, so a change that can't get its new nights leaves the booking exactly as it was.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from hotels.models import RatePlan, RoomType
from hotels.offers import rate_plan_quote
from hotels.payment_terms import payment_terms_combine, payment_terms_rebase, payment_terms_snapshot
from hotels.policy import cancellation_policy_snapshot
from hotels.pricing import RateClosed
from hotels.stay import Stay

from .balances import balance_shift
from .exceptions import BookingError, InvalidTransition, PriceChanged, StayInvalid
from .inventory import NightsUnavailable, nights_free, nights_prices, nights_shift
from .lines import RoomRequest, snapshot_combine, strictest_policy
from .models import Booking, BookingChange, BookingStatusChange, RoomLine
from .services import _plan_for, _plan_info, _sold_out, line_cancel_quote, rooms_validate

ZERO = Decimal("0.00")
Status = Booking.Status
LATE_CHANGE = _("Change after the free-cancellation deadline")


class NotModifiable(BookingError):
    code = "not_modifiable"


@dataclass(frozen=True)
class LineChange:
    """A room to change (``line_id`` of one of the booking's rooms; fields left None stay as they are) or to add
    (``line_id`` None; ``room_type`` and ``adults`` then required)."""

    line_id: int | None = None
    room_type: RoomType | None = None
    rate_plan: RatePlan | None = None
    adults: int | None = None
    children_ages: tuple | None = None
    guest_name: str | None = None


@dataclass
class ChangeQuote:
    """What a change would cost, before anything is changed: shown to the guest (and the partner) to confirm."""

    check_in: date
    check_out: date
    currency: str
    old_total: Decimal
    new_total: Decimal
    summary: str
    plan: dict = field(repr=False)
    deltas: dict = field(repr=False)

    @property
    def difference(self) -> Decimal:
        return self.new_total - self.old_total


def change_waiting(booking: Booking) -> BookingChange | None:
    """The booking's change waiting for its difference (at most one: a constraint holds it), with its payment."""
    return booking.changes.filter(status=BookingChange.Status.PENDING_PAYMENT).select_related("payment").first()


def change_waiting_for_bank(change: BookingChange | None) -> bool:
    """Was the difference of this waiting change paid or not? The bank has not told us (its answer was lost, or it
    did not answer when asked): the change waits until reconciliation hears the answer, however long its hold."""
    return change is not None and change.payment is not None and change.payment.status == "unknown"


def _no_change_waiting(booking: Booking) -> None:
    waiting = change_waiting(booking)
    if waiting is None:
        return
    if change_waiting_for_bank(waiting):
        raise NotModifiable(
            _(
                "A change to this booking is waiting for the bank's answer about its payment. We ask the bank "
                "again every few minutes; please try again later."
            )
        )
    raise NotModifiable(_("A change to this booking is waiting for payment; pay it or let it lapse first."))


def _nights(check_in: date, check_out: date):
    return [check_in + timedelta(days=i) for i in range((check_out - check_in).days)]


def _held(check_in: date, check_out: date, room_type_ids) -> Counter:
    held = Counter()
    for room_type_id in room_type_ids:
        for night in _nights(check_in, check_out):
            held[(room_type_id, night)] += 1
    return held


def _line_plan(line: RoomLine) -> dict:
    return {
        "id": line.pk,
        "room_type_id": line.room_type_id,
        "rate_plan_id": line.rate_plan_id,
        "adults": line.adults,
        "children_ages": list(line.children_ages),
        "guest_name": line.guest_name,
        "total": str(line.total),
        "snapshot": line.price_snapshot,
        "policy": line.cancellation_policy,
    }


def without_guest_names(state: dict) -> dict:
    """A change's ``before``/``after`` with the rooms' guest names blanked (the guests' data is anonymised)."""
    return {**state, "lines": [{**line, "guest_name": ""} for line in state.get("lines", [])]}


def _booking_state(booking: Booking, lines) -> dict:
    return {
        "check_in": booking.check_in.isoformat(),
        "check_out": booking.check_out.isoformat(),
        "total": str(booking.total),
        "lines": [_line_plan(line) for line in lines if line.is_active],
    }


def _reprice(request: RoomRequest, check_in: date, check_out: date, base_cache: dict) -> tuple[RatePlan, dict]:
    plan = _plan_for(request)
    type_id = request.room_type.pk
    if type_id not in base_cache:
        try:
            base_cache[type_id] = nights_prices(room_type_id=type_id, check_in=check_in, check_out=check_out)
        except NightsUnavailable as exc:
            raise _sold_out(request.room_type, exc) from exc
    stay = Stay(
        check_in=check_in,
        check_out=check_out,
        adults=request.adults,
        children=request.children,
        children_ages=tuple(request.children_ages),
    )
    try:
        quote = rate_plan_quote(rate_plan=plan, stay=stay, base_prices=base_cache[type_id])
    except RateClosed as exc:
        raise StayInvalid(exc.message) from exc
    snapshot = {**quote.as_snapshot(), "rate_plan": _plan_info(plan), "children_ages": list(request.children_ages)}
    return plan, snapshot


def _floor_at_penalty(snapshot: dict, penalty: Decimal, language: str) -> dict:
    """A room changed past its deadline costs at least its cancellation penalty: the shortfall is a line of its
    own, so the room's lines still add up to its total. Its name is stored in the booking's language, like the
    e-mails and receipt that show it."""
    total = Decimal(snapshot["total"])
    if total >= penalty:
        return snapshot
    extra = penalty - total
    with translation.override(language):
        name = str(LATE_CHANGE)
    return {
        **snapshot,
        "adjustments": [*snapshot.get("adjustments", []), {"name": name, "amount": str(extra)}],
        "room_total": str(Decimal(snapshot["room_total"]) + extra),
        "total": str(penalty),
    }


def booking_change_quote(
    *, booking: Booking, check_in: date | None = None, check_out: date | None = None, changes=(), at=None
) -> ChangeQuote:
    """Price a change of ``booking`` without changing anything: new dates (either or both) and/or ``changes``
    (:class:`LineChange`). Raises :class:`NotModifiable` (the policy or the booking's state forbids it, with the
    reason), :class:`StayInvalid` (bad dates or rooms), :class:`SoldOut` (a new night is not free)."""
    at = at or timezone.now()
    if booking.status != Status.CONFIRMED:
        raise NotModifiable(_("Only a confirmed booking can be changed."))
    if booking.inventory != Booking.Inventory.HOTEL:
        raise NotModifiable(_("A booking at a partner hotel can't be changed; cancel it and book again."))
    _no_change_waiting(booking)
    lines = list(booking.lines.select_related("room_type__hotel", "rate_plan"))
    active = [line for line in lines if line.is_active]
    by_id = {line.pk: line for line in active}
    new_in, new_out = check_in or booking.check_in, check_out or booking.check_out
    dates_changed = (new_in, new_out) != (booking.check_in, booking.check_out)
    asked, adds = {}, []
    for change in changes:
        if change.line_id is None:
            if change.room_type is None or change.adults is None:
                raise StayInvalid(_("A room to add needs a room type and at least one adult."))
            adds.append(change)
        elif change.line_id not in by_id:
            raise NotModifiable(_("Room %(id)s is not a booked room of this booking.") % {"id": change.line_id})
        elif change.line_id in asked:
            raise StayInvalid(_("Each room can be changed once per request."))
        else:
            asked[change.line_id] = change
    if not (dates_changed or asked or adds):
        raise StayInvalid(_("Nothing to change: give new dates or rooms."))
    requests = []
    for line in active:
        change = asked.get(line.pk) or LineChange(line_id=line.pk)
        room_type = change.room_type or line.room_type
        same_type = room_type.pk == line.room_type_id
        requests.append(
            (
                line,
                RoomRequest(
                    room_type=room_type,
                    rate_plan=change.rate_plan or (line.rate_plan if same_type else None),
                    adults=line.adults if change.adults is None else change.adults,
                    children_ages=tuple(line.children_ages if change.children_ages is None else change.children_ages),
                    guest_name=line.guest_name if change.guest_name is None else change.guest_name,
                ),
            )
        )
    for change in adds:
        requests.append(
            (
                None,
                RoomRequest(
                    room_type=change.room_type,
                    rate_plan=change.rate_plan,
                    adults=change.adults,
                    children_ages=tuple(change.children_ages or ()),
                    guest_name=change.guest_name if change.guest_name is not None else booking.guest_name,
                ),
            )
        )
    if any(r.room_type.hotel_id != booking.hotel_id for _, r in requests):
        # the rooms are compared with each other below, not with the booking: one room moved elsewhere would pass
        raise StayInvalid(_("A booking's rooms can only be changed to rooms of its own hotel."))
    rooms_validate(requests=[r for _, r in requests], stay=Stay(check_in=new_in, check_out=new_out, adults=1))
    base_cache: dict = {}
    planned, notes = [], []
    if dates_changed:
        notes.append(
            f"dates {booking.check_in:%-d %b} – {booking.check_out:%-d %b} → {new_in:%-d %b} – {new_out:%-d %b %Y}"
        )
    for line, request in requests:
        repriced = (
            line is None
            or dates_changed
            or request.room_type.pk != line.room_type_id
            or (request.rate_plan and request.rate_plan.pk != line.rate_plan_id)
            or request.adults != line.adults
            or list(request.children_ages) != list(line.children_ages)
        )
        if not repriced:
            entry = _line_plan(line)
            if request.guest_name != line.guest_name:
                entry["guest_name"] = request.guest_name
                notes.append(f"room {line.position}: guest's name")
            planned.append(entry)
            continue
        plan, snapshot = _reprice(request, new_in, new_out, base_cache)
        policy = cancellation_policy_snapshot(plan, request.room_type.hotel, new_in)
        if line is not None:
            penalty = line_cancel_quote(line=line, at=at)
            if penalty > 0:  # past the deadline: priced under the policy's penalty, and the policy stays
                if not line.cancellation_policy.get("free_until") and (new_out - new_in).days < booking.nights:
                    raise NotModifiable(
                        _("Room %(n)s has a non-refundable rate: its stay can't be shortened.") % {"n": line.position}
                    )
                snapshot = _floor_at_penalty(snapshot, penalty, booking.language)
                policy = line.cancellation_policy
            if request.room_type.pk != line.room_type_id:
                notes.append(f"room {line.position}: {line.room_type.name} → {request.room_type.name}")
            if (request.adults, list(request.children_ages)) != (line.adults, list(line.children_ages)):
                notes.append(f"room {line.position}: party {request.adults}+{len(request.children_ages)}")
        else:
            notes.append(f"added a {request.room_type.name}")
        planned.append(
            {
                "id": None if line is None else line.pk,
                "room_type_id": request.room_type.pk,
                "rate_plan_id": plan.pk,
                "adults": request.adults,
                "children_ages": list(request.children_ages),
                "guest_name": request.guest_name,
                "total": snapshot["total"],
                "snapshot": snapshot,
                "policy": policy,
            }
        )
    kept = sum((line.charge for line in lines if not line.is_active), ZERO)
    new_total = kept + sum((Decimal(entry["total"]) for entry in planned), ZERO)
    old = _held(booking.check_in, booking.check_out, [line.room_type_id for line in active if line.nights_held])
    new = _held(new_in, new_out, [entry["room_type_id"] for entry in planned])
    deltas = {key: new[key] - old[key] for key in set(old) | set(new) if new[key] != old[key]}
    try:
        nights_free(deltas=deltas)
    except NightsUnavailable as exc:
        room_type = next(r.room_type for _, r in requests if r.room_type.pk == exc.room_type_id)
        raise _sold_out(room_type, exc) from exc
    return ChangeQuote(
        check_in=new_in,
        check_out=new_out,
        currency=booking.currency,
        old_total=booking.total,
        new_total=new_total,
        summary="; ".join(notes)[:255] or "changed",
        plan={"check_in": new_in.isoformat(), "check_out": new_out.isoformat(), "lines": planned},
        deltas=deltas,
    )


def _deltas_json(deltas: dict) -> list:
    return [[type_id, night.isoformat(), rooms] for (type_id, night), rooms in sorted(deltas.items())]


def _deltas_from(rows: list) -> dict:
    return {(type_id, date.fromisoformat(night)): rooms for type_id, night, rooms in rows}


def _booking_refresh(booking: Booking) -> None:
    """The booking's own fields from its lines (after a change): counts, party, total, snapshot, policy."""
    lines = list(booking.lines.select_related("room_type", "rate_plan"))
    active = [line for line in lines if line.is_active]
    booking.room_type_id, booking.rate_plan_id = active[0].room_type_id, active[0].rate_plan_id
    booking.rooms = len(active)
    booking.adults = sum(line.adults for line in active)
    booking.children = sum(line.children for line in active)
    booking.children_ages = [age for line in active for age in line.children_ages]
    booking.total = sum((line.charge for line in lines), ZERO)
    booking.price_snapshot = snapshot_combine([line.price_snapshot for line in active])
    charged = [line for line in lines if line.is_active or line.charge > 0]
    line_terms = [line.price_snapshot.get("payment_terms") for line in charged]
    if len(charged) > 1 and all(line_terms):
        # the rooms' own terms added up, not the first room's; a cancelled room's on the penalty it keeps, so the
        # terms' total is the booking's
        booking.price_snapshot["payment_terms"] = payment_terms_combine(
            [
                terms if line.is_active else payment_terms_rebase(terms, line.charge)
                for line, terms in zip(charged, line_terms, strict=True)
            ]
        )
    booking.cancellation_policy = strictest_policy([line.cancellation_policy for line in active])
    booking.nights_held = any(line.nights_held for line in lines)


def _plan_write(booking: Booking, plan: dict) -> None:
    """Make the booking and its lines what ``plan`` says (the nights were moved by the caller). A line repriced
    keeps the payment terms it was sold under, its balance date moved with its arrival (``bookings.balances``)."""
    shift = (date.fromisoformat(plan["check_in"]) - booking.check_in).days
    sold_terms = {line.pk: line.price_snapshot.get("payment_terms") for line in booking.lines.all()}
    if len(sold_terms) == 1:
        line_id = next(iter(sold_terms))
        sold_terms[line_id] = sold_terms[line_id] or (booking.price_snapshot or {}).get("payment_terms")
    booking.check_in = date.fromisoformat(plan["check_in"])
    booking.check_out = date.fromisoformat(plan["check_out"])
    position = booking.lines.count()
    for entry in plan["lines"]:
        if entry["id"] is None:  # a room added: its plan's terms as sold now, nothing of it paid yet
            sold_terms[None] = _added_terms(booking, entry)
        fields = {
            "room_type_id": entry["room_type_id"],
            "rate_plan_id": entry["rate_plan_id"],
            "adults": entry["adults"],
            "children_ages": entry["children_ages"],
            "guest_name": entry["guest_name"][:200],
            "total": Decimal(entry["total"]),
            "currency": entry["snapshot"]["currency"],
            "price_snapshot": _with_terms(entry["snapshot"], sold_terms.get(entry["id"]), shift),
            "cancellation_policy": entry["policy"],
            "nights_held": True,
        }
        if entry["id"] is None:
            position += 1
            RoomLine.objects.create(booking=booking, position=position, **fields)
        else:
            RoomLine.objects.filter(pk=entry["id"], booking=booking).update(**fields, updated_at=timezone.now())
    _booking_refresh(booking)


def _with_terms(snapshot: dict, terms: dict | None, shift: int) -> dict:
    """The line's snapshot with its terms: the ones it was sold under, the balance date moved with its arrival and
    the amounts due now and later rebased on its new total (``hotels.payment_terms.payment_terms_rebase``), so
    whatever reads them (the booking's page and e-mails, the API, the books audit, the balances) reads the booking
    as it is now."""
    if not terms:
        return snapshot
    return {**snapshot, "payment_terms": payment_terms_rebase(balance_shift(terms, shift), snapshot["total"])}


def _added_terms(booking: Booking, entry: dict) -> dict:
    """A room added to a sold booking: its plan's terms with nothing due yet, to be rebased on its price (paid now
    with the change, or at the hotel when its plan is paid there)."""
    plan = RatePlan.objects.get(pk=entry["rate_plan_id"])
    terms = payment_terms_snapshot(
        rate_plan=plan, hotel=booking.hotel, check_in=booking.check_in, total=ZERO, first_night=ZERO
    )
    return {**terms, "total": "0.00", "due_now": "0.00", "due_later": "0.00"}


def _history(booking: Booking, *, actor_kind: str, actor, note: str) -> None:
    BookingStatusChange.objects.create(
        booking=booking,
        from_status=booking.status,
        to_status=booking.status,
        actor_kind=actor_kind,
        actor=actor,
        note=note[:255],
    )


def booking_modify(
    *,
    booking: Booking,
    check_in: date | None = None,
    check_out: date | None = None,
    changes=(),
    expected_total: Decimal | None = None,
    actor_kind: str,
    actor=None,
    channel: str,
    wait_for_payment: bool = False,
    hold_minutes: int | None = None,
) -> BookingChange:
    """Change a confirmed booking as :func:`booking_change_quote` prices it, under the booking's lock, in one
    transaction. With ``wait_for_payment`` and a change that costs more, the change waits for the difference
    (``pending_payment``: its new nights are taken now, the booking is unchanged until
    :func:`booking_change_complete`; its nights are held for ``hold_minutes``, by default the website's hold);
    otherwise it is applied at once. Raises as the quote, and
    :class:`PriceChanged` when ``expected_total`` is not the new total; on every error nothing has changed."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("hotel").get(pk=booking.pk)
        quote = booking_change_quote(booking=booking, check_in=check_in, check_out=check_out, changes=changes)
        if expected_total is not None and Decimal(expected_total) != quote.new_total:
            raise PriceChanged(
                _("The price of this change is now %(total)s %(currency)s.")
                % {"total": quote.new_total, "currency": quote.currency},
                total=quote.new_total,
                currency=quote.currency,
            )
        lines = list(booking.lines.all())
        change = BookingChange(
            booking=booking,
            kind=BookingChange.Kind.MODIFY,
            actor_kind=actor_kind,
            actor=actor,
            channel=channel,
            summary=quote.summary,
            before=_booking_state(booking, lines),
            after={**quote.plan, "deltas": _deltas_json(quote.deltas)},
            currency=quote.currency,
            old_total=quote.old_total,
            new_total=quote.new_total,
            difference=quote.difference,
        )
        waits = wait_for_payment and quote.difference > 0
        try:
            if waits:
                taken = {key: rooms for key, rooms in quote.deltas.items() if rooms > 0}
                nights_shift(deltas=taken)
                change.nights_taken = _deltas_json(taken)
            else:
                nights_shift(deltas=quote.deltas)
        except NightsUnavailable as exc:
            raise _sold_out(RoomType.objects.get(pk=exc.room_type_id), exc) from exc
        if waits:
            change.status = BookingChange.Status.PENDING_PAYMENT
            change.hold_expires_at = timezone.now() + timedelta(minutes=hold_minutes or settings.BOOKING_HOLD_MINUTES)
            change.save()
            return change
        _plan_write(booking, quote.plan)
        booking.save()
        change.status, change.applied_at = BookingChange.Status.APPLIED, timezone.now()
        change.save()
        _history(booking, actor_kind=actor_kind, actor=actor, note=f"changed: {quote.summary}")
    return change


def booking_change_complete(*, change: BookingChange) -> tuple[BookingChange, bool]:
    """The difference of a waiting change was paid: apply it (its new nights are already taken; the nights it gives
    up are released now). ``(change, applied)``: not applied when the change is no longer waiting (it lapsed, or
    the booking was cancelled meanwhile: its nights are then given back) — the workflow refunds that payment."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=change.booking_id)
        change = BookingChange.objects.select_for_update().get(pk=change.pk)
        if change.status == BookingChange.Status.APPLIED:
            return change, False
        if change.status != BookingChange.Status.PENDING_PAYMENT:
            return change, False
        if booking.status != Status.CONFIRMED:
            _change_release(change, to=BookingChange.Status.FAILED)
            return change, False
        deltas = _deltas_from(change.after["deltas"])
        nights_shift(deltas={key: rooms for key, rooms in deltas.items() if rooms < 0})
        _plan_write(booking, change.after)
        booking.save()
        change.status, change.applied_at, change.nights_taken = BookingChange.Status.APPLIED, timezone.now(), []
        change.hold_expires_at = None
        change.save()
        _history(booking, actor_kind=change.actor_kind, actor=change.actor, note=f"changed (paid): {change.summary}")
    return change, True


def _change_release(change: BookingChange, *, to: str) -> None:
    taken = _deltas_from(change.nights_taken)
    nights_shift(deltas={key: -rooms for key, rooms in taken.items()})
    change.status, change.nights_taken, change.hold_expires_at = to, [], None
    change.save()


def booking_change_release(*, change: BookingChange, to: str = BookingChange.Status.EXPIRED) -> BookingChange:
    """A waiting change lapsed unpaid (``expired``) or its payment failed (``failed``): give back the nights it
    took; the booking stays as it was. Idempotent; a change whose hold has not lapsed is left alone when expiring."""
    with transaction.atomic():
        Booking.objects.select_for_update().filter(pk=change.booking_id).values_list("pk", flat=True).get()
        change = BookingChange.objects.select_for_update().get(pk=change.pk)
        if change.status != BookingChange.Status.PENDING_PAYMENT:
            return change
        if to == BookingChange.Status.EXPIRED and change.hold_expires_at and change.hold_expires_at > timezone.now():
            return change
        if to == BookingChange.Status.EXPIRED and change.payment_id is not None:
            from payments.models import Payment

            if Payment.objects.filter(pk=change.payment_id, status=Payment.Status.UNKNOWN).exists():
                return change  # maybe paid: never released on a guess (reconciliation settles it)
        _change_release(change, to=to)
    return change


def room_line_cancel(
    *, booking: Booking, line_id: int, actor_kind: str, actor=None, channel: str
) -> tuple[Booking, BookingChange | None]:
    """Cancel one room of a confirmed booking of several, under that room's own policy: its nights go back on sale,
    its penalty is kept, the booking's total drops by the rest. ``(booking, change)``; ``change`` is None when the
    room was already cancelled (cancelling twice changes nothing). Cancelling the last room is cancelling the
    booking (``bookings.workflow`` does that); here it raises :class:`NotModifiable`."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("hotel").get(pk=booking.pk)
        line = booking.lines.filter(pk=line_id).first()
        if line is None:
            raise NotModifiable(_("Room %(id)s is not a room of this booking.") % {"id": line_id})
        if not line.is_active:
            return booking, None
        if booking.status != Status.CONFIRMED:
            raise InvalidTransition(
                _("A %(status)s booking's rooms can't be cancelled one by one.")
                % {"status": booking.get_status_display().lower()}
            )
        if booking.lines.filter(status=RoomLine.Status.ACTIVE).count() == 1:
            raise NotModifiable(_("This is the booking's last room: cancel the booking instead."))
        _no_change_waiting(booking)
        lines = list(booking.lines.all())
        before = _booking_state(booking, lines)
        old_total = booking.total
        penalty = line_cancel_quote(line=line)
        if line.nights_held:
            nights_shift(
                deltas={
                    key: -rooms
                    for key, rooms in _held(booking.check_in, booking.check_out, [line.room_type_id]).items()
                }
            )
        line.status, line.nights_held = RoomLine.Status.CANCELLED, False
        line.cancellation_penalty, line.cancelled_at = penalty, timezone.now()
        line.save()
        _booking_refresh(booking)
        booking.save()
        summary = f"room {line.position} ({line.room_type.name}) cancelled, penalty {penalty}"
        change = BookingChange.objects.create(
            booking=booking,
            kind=BookingChange.Kind.CANCEL_ROOM,
            status=BookingChange.Status.APPLIED,
            actor_kind=actor_kind,
            actor=actor,
            channel=channel,
            summary=summary[:255],
            before=before,
            after={**_booking_state(booking, booking.lines.all()), "cancelled_line": line.pk},
            currency=booking.currency,
            old_total=old_total,
            new_total=booking.total,
            difference=booking.total - old_total,
            applied_at=timezone.now(),
        )
        _history(booking, actor_kind=actor_kind, actor=actor, note=summary)
    return booking, change
