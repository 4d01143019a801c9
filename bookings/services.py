"""The booking's own state machine: hold nights, confirm, end a hold, cancel, front-desk marks.

Each function is keyword-only, runs in one transaction, locks the booking row before changing it, records the
transition in ``BookingStatusChange`` and raises a :mod:`bookings.exceptions` error on failure. These functions
change the booking and its inventory only: what must follow a change (a refund, e-mails, the receipt, webhooks,
the supplier) is decided by ``bookings.workflow``, which calls them — views, the API, admin actions and tasks
call the workflow for every change that has consequences.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from display.money import format_money
from hotels.models import RatePlan, RoomType
from hotels.offers import default_rate_plan, rate_plan_quote
from hotels.payment_terms import GUEST_BOOKABLE, payment_terms_combine, payment_terms_snapshot
from hotels.policy import cancellation_penalty, cancellation_policy_snapshot
from hotels.pricing import RateClosed
from hotels.stay import Stay

from .exceptions import InvalidTransition, PriceChanged, SoldOut, StayInvalid
from .inventory import NightsUnavailable, nights_check, rooms_give_back, rooms_take
from .lines import RoomRequest, money_fill, party_split, snapshot_combine, snapshot_split, strictest_policy
from .models import Booking, BookingStatusChange, RoomLine, new_reference

Status = Booking.Status
Actor = BookingStatusChange.Actor


@dataclass(frozen=True)
class GuestDetails:
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    special_requests: str = ""


REFERENCE_TRIES = 5
# The largest amount a booking's money columns hold (DecimalField(max_digits=12, decimal_places=2)).
LARGEST_TOTAL = Decimal("9999999999.99")


def total_too_large_message() -> str:
    """Why a stay beyond :data:`LARGEST_TOTAL` is refused, in the language of the request."""
    return _("This stay costs more than one booking can hold. Book fewer rooms or nights, or check the prices.")


def _record(booking: Booking, *, to: str, actor_kind: str, actor=None, note: str = "") -> None:
    BookingStatusChange.objects.create(
        booking=booking,
        from_status=booking.status if booking.pk else "",
        to_status=to,
        actor_kind=actor_kind,
        actor=actor,
        note=note[:255],
    )
    booking.status = to


def stay_validate(*, room_type: RoomType, stay: Stay) -> None:
    """Rules a stay must meet before anything is held; raises :class:`StayInvalid` with a guest-facing message."""
    hotel = room_type.hotel
    today = timezone.now().astimezone(hotel.tzinfo).date()
    if stay.check_in < today:
        raise StayInvalid(_("Check-in can't be in the past (hotel time)."))
    if stay.check_out <= stay.check_in:
        raise StayInvalid(_("Check-out must be after check-in."))
    if stay.nights > settings.BOOKING_MAX_NIGHTS:
        raise StayInvalid(_("Stays are limited to %(n)s nights.") % {"n": settings.BOOKING_MAX_NIGHTS})
    if stay.check_in > today + timedelta(days=settings.BOOKING_MAX_DAYS_AHEAD):
        raise StayInvalid(_("We only sell stays up to 500 days ahead."))
    if not 1 <= stay.rooms <= settings.BOOKING_MAX_ROOMS:
        raise StayInvalid(_("You can book between 1 and %(n)s rooms at once.") % {"n": settings.BOOKING_MAX_ROOMS})
    if stay.adults < stay.rooms:
        raise StayInvalid(_("Each room needs at least one adult."))
    if (
        stay.adults > room_type.max_adults * stay.rooms
        or stay.children > room_type.max_children * stay.rooms
        or stay.adults + stay.children > room_type.max_occupancy * stay.rooms
    ):
        raise StayInvalid(
            _("%(rooms)s × %(room)s can’t host %(adults)s adults and %(children)s children.")
            % {"rooms": stay.rooms, "room": room_type.name, "adults": stay.adults, "children": stay.children}
        )
    if not (room_type.is_active and hotel.is_active):
        raise StayInvalid(_("This room is no longer sold."))


def line_validate(*, request: RoomRequest, stay: Stay, position: int | None = None) -> None:
    """Rules one room of a booking must meet; raises :class:`StayInvalid` naming the room."""
    room_type = request.room_type
    which = f"Room {position}" if position else "This room"
    if request.adults < 1:
        raise StayInvalid(f"{which} needs at least one adult.")
    if len(request.children_ages) > 10 or any(age is None or not 0 <= int(age) <= 17 for age in request.children_ages):
        raise StayInvalid(f"{which}: give each child's age, from 0 to 17.")
    if (
        request.adults > room_type.max_adults
        or request.children > room_type.max_children
        or request.adults + request.children > room_type.max_occupancy
    ):
        raise StayInvalid(
            f"{which}: {room_type.name} can't host {request.adults} adults and {request.children} children."
        )
    if not (room_type.is_active and room_type.hotel.is_active):
        raise StayInvalid(f"{which}: {room_type.name} is no longer sold.")
    plan = request.rate_plan
    if plan is not None and (plan.room_type_id != room_type.pk or not plan.is_active):
        raise StayInvalid(f"{which}: this rate is not sold for {room_type.name}.")


def rooms_validate(*, requests: list[RoomRequest], stay: Stay) -> None:
    """Rules a booking of several rooms meets before anything is held: the stay's dates (as :func:`stay_validate`),
    how many rooms, one hotel, and each room's party (:func:`line_validate`)."""
    if not requests:
        raise StayInvalid(_("Choose at least one room."))
    if len(requests) > settings.BOOKING_MAX_ROOMS:
        raise StayInvalid(_("You can book between 1 and %(n)s rooms at once.") % {"n": settings.BOOKING_MAX_ROOMS})
    if len({r.room_type.hotel_id for r in requests}) > 1:
        raise StayInvalid(_("All the rooms of a booking must be in the same hotel."))
    first = requests[0]
    stay_validate(
        room_type=first.room_type,
        stay=Stay(check_in=stay.check_in, check_out=stay.check_out, adults=1),  # the dates; each party below
    )
    for position, request in enumerate(requests, start=1):
        line_validate(request=request, stay=stay, position=position if len(requests) > 1 else None)


@dataclass(frozen=True)
class PricedLine:
    """A room as it will be written: what was asked, with its price snapshot and policy."""

    room_type: RoomType
    rate_plan: RatePlan
    adults: int
    children_ages: list
    guest_name: str
    snapshot: dict
    policy: dict

    @property
    def total(self) -> Decimal:
        return Decimal(self.snapshot["total"])


def _plan_info(rate_plan: RatePlan) -> dict:
    return {
        "id": rate_plan.pk,
        "name": rate_plan.name,
        "meal_plan": rate_plan.meal_plan,
        "meal_plan_label": rate_plan.get_meal_plan_display(),
    }


def _plan_for(request: RoomRequest) -> RatePlan:
    plan = request.rate_plan or default_rate_plan(request.room_type)
    if plan is None or plan.room_type_id != request.room_type.pk or not plan.is_active:
        raise StayInvalid(_("This rate is not sold for %(room)s.") % {"room": request.room_type.name})
    return plan


def rooms_price(*, requests: list[RoomRequest], stay: Stay) -> tuple[list[PricedLine], dict[int, list]]:
    """Price each room on its own (``stay_quote`` for one room and its party) from the nights free now; returns the
    priced lines and the base prices read per room type (to compare with what the lock finds). Raises
    :class:`SoldOut` when a type has fewer rooms left than asked, :class:`StayInvalid` when a rate refuses."""
    counts = Counter(r.room_type.pk for r in requests)
    types = {r.room_type.pk: r.room_type for r in requests}
    base = {}
    for type_id in sorted(counts):
        try:
            base[type_id] = nights_check(
                room_type_id=type_id, check_in=stay.check_in, check_out=stay.check_out, rooms=counts[type_id]
            )
        except NightsUnavailable as exc:
            raise _sold_out(types[type_id], exc) from exc
    priced = []
    for request in requests:
        plan = _plan_for(request)
        room_stay = Stay(
            check_in=stay.check_in,
            check_out=stay.check_out,
            adults=request.adults,
            children=request.children,
            children_ages=tuple(request.children_ages),
        )
        try:
            quote = rate_plan_quote(rate_plan=plan, stay=room_stay, base_prices=base[request.room_type.pk])
        except RateClosed as exc:
            raise StayInvalid(exc.message) from exc
        priced.append(
            PricedLine(
                room_type=request.room_type,
                rate_plan=plan,
                adults=request.adults,
                children_ages=list(request.children_ages),
                guest_name=request.guest_name,
                snapshot={
                    **quote.as_snapshot(),
                    "rate_plan": _plan_info(plan),
                    "children_ages": list(request.children_ages),
                },
                policy=cancellation_policy_snapshot(plan, request.room_type.hotel, stay.check_in),
            )
        )
    return priced, base


def pooled_lines(
    *, room_type: RoomType, rate_plan: RatePlan, stay: Stay, snapshot: dict, policy: dict, guest_name: str
) -> list[PricedLine]:
    """The older order (``stay.rooms`` identical rooms, one pooled party, one quote) as one line per room: the
    party spread over the rooms and the quote split so the lines add up to it to the cent."""
    parties = party_split(stay.adults, list(stay.ages), stay.rooms)
    shares = snapshot_split(snapshot, stay.rooms)
    return [
        PricedLine(
            room_type=room_type,
            rate_plan=rate_plan,
            adults=adults,
            children_ages=ages,
            guest_name=guest_name,
            snapshot=share if stay.rooms == 1 else {**share, "children_ages": ages},
            policy=policy,
        )
        for (adults, ages), share in zip(parties, shares, strict=True)
    ]


def _lines_take(booking: Booking, lines: list, *, expected: dict[int, list] | None = None, mark: bool = True) -> None:
    """Take every night of ``lines`` (room lines, or priced lines about to be written) at once (``rooms_take``:
    ordered locks, all or nothing) and, with ``mark``, mark the room lines held. With ``expected`` (the base prices
    the lines were priced from), a price edited meanwhile raises :class:`PriceChanged`."""
    types = {line.room_type.pk: line.room_type for line in lines}
    try:
        taken = rooms_take(
            rooms_by_type=Counter(line.room_type.pk for line in lines),
            check_in=booking.check_in,
            check_out=booking.check_out,
        )
    except NightsUnavailable as exc:
        room_type = types.get(exc.room_type_id) or next(iter(types.values()))
        raise _sold_out(room_type, exc) from exc
    if expected is not None and any(taken[type_id] != expected[type_id] for type_id in taken):
        raise PriceChanged(_("The price of this room changed a moment ago. Please check it again."))
    if mark:
        RoomLine.objects.filter(pk__in=[line.pk for line in lines]).update(nights_held=True)
        for line in lines:
            line.nights_held = True


def _lines_release(booking: Booking, lines) -> None:
    """Give back the nights of those of ``lines`` that hold theirs, and mark them released."""
    held = [line for line in lines if line.nights_held]
    if held:
        rooms_give_back(
            rooms_by_type=Counter(line.room_type_id for line in held),
            check_in=booking.check_in,
            check_out=booking.check_out,
        )
        RoomLine.objects.filter(pk__in=[line.pk for line in held]).update(nights_held=False)
        for line in held:
            line.nights_held = False


def booking_hold(
    *,
    stay: Stay,
    guest: GuestDetails,
    room_type: RoomType | None = None,
    rate_plan: RatePlan | None = None,
    rooms: list[RoomRequest] | None = None,
    customer=None,
    source: str = Booking.Source.WEBSITE,
    expected_total: Decimal | None = None,
    hold_minutes: int | None = None,
    actor_kind: str = Actor.CUSTOMER,
    **extra,
) -> Booking:
    """Create a booking in ``pending_payment`` holding the room-nights of all its rooms until ``hold_expires_at``.

    Either ``rooms`` (one :class:`RoomRequest` per room, each priced on its own; the stay gives the dates) or the
    older order: ``room_type`` and ``rate_plan`` (the type's default plan when not given) for ``stay.rooms``
    identical rooms and the stay's pooled party, priced in one quote as always and written as one line per room.

    Raises :class:`StayInvalid` (also when a plan's rules refuse the stay), :class:`SoldOut` (naming the night)
    or :class:`PriceChanged` (when ``expected_total`` no longer matches); in every failure nothing is held: every
    night of every room is taken in one transaction, or none.
    """
    if rooms is None:
        if room_type is None:
            raise StayInvalid(_("Choose a room."))
        stay_validate(room_type=room_type, stay=stay)
        plan = rate_plan or default_rate_plan(room_type)
        if plan is None or plan.room_type_id != room_type.pk or not plan.is_active:
            raise StayInvalid(_("This rate is not sold for %(room)s.") % {"room": room_type.name})
        requests = None
    else:
        requests = list(rooms)
        rooms_validate(requests=requests, stay=stay)
    with transaction.atomic():
        if requests is None:
            try:
                prices = nights_check(
                    room_type_id=room_type.pk, check_in=stay.check_in, check_out=stay.check_out, rooms=stay.rooms
                )
            except NightsUnavailable as exc:
                raise _sold_out(room_type, exc) from exc
            try:
                quote = rate_plan_quote(rate_plan=plan, stay=stay, base_prices=prices)
            except RateClosed as exc:
                raise StayInvalid(exc.message) from exc
            snapshot = {**quote.as_snapshot(), "rate_plan": _plan_info(plan), "children_ages": list(stay.ages)}
            priced = pooled_lines(
                room_type=room_type,
                rate_plan=plan,
                stay=stay,
                snapshot=snapshot,
                policy=cancellation_policy_snapshot(plan, room_type.hotel, stay.check_in),
                guest_name=f"{guest.first_name} {guest.last_name}".strip(),
            )
            base = {room_type.pk: prices}
            total, currency = quote.total, quote.currency
        else:
            priced, base = rooms_price(requests=requests, stay=stay)
            total = sum((line.total for line in priced), Decimal("0.00"))
            currency = priced[0].snapshot["currency"]
        if source != Booking.Source.STAFF and any(
            line.rate_plan.payment_terms not in GUEST_BOOKABLE for line in priced
        ):
            raise StayInvalid(_("This rate is paid at the hotel and can only be booked by the hotel's staff."))
        if total > LARGEST_TOTAL:  # the column would refuse it (a price typed with zeros too many): say so, no 500
            raise StayInvalid(total_too_large_message())
        if expected_total is not None and Decimal(expected_total) != total:
            raise PriceChanged(
                _("The price for this stay is now %(amount)s.") % {"amount": format_money(total, currency)},
                total=total,
                currency=currency,
            )
        booking = booking_pending_create(
            lines=priced,
            snapshot=snapshot if requests is None else None,
            stay=stay,
            guest=guest,
            customer=customer,
            source=source,
            nights_held=True,
            hold_minutes=hold_minutes,
            actor_kind=actor_kind,
            note="nights held",
            **extra,
        )
        # Last, so the hot inventory rows stay locked only for this UPDATE and the COMMIT (the lines were written
        # as holding: if the take fails, the transaction rolls them back with the booking).
        _lines_take(booking, priced, expected=base, mark=False)
    return booking


def booking_language(code: str | None) -> str:
    """``code`` as one of the shipped languages (``de-at`` → ``de``), the default language otherwise."""
    try:
        return translation.get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def booking_pending_create(
    *,
    stay: Stay,
    guest: GuestDetails,
    customer,
    source: str,
    nights_held: bool,
    actor_kind: str,
    note: str,
    lines: list[PricedLine] | None = None,
    room_type: RoomType | None = None,
    rate_plan: RatePlan | None = None,
    snapshot: dict | None = None,
    policy: dict | None = None,
    hold_minutes: int | None = None,
    **extra,
) -> Booking:
    """Write a booking waiting for payment until its hold lapses, with one room line per room, and record that
    first state. ``lines`` are priced rooms; or, as suppliers' bookings give it, one ``room_type``/``rate_plan``
    with the quote's ``snapshot`` (the ``Quote.as_snapshot()`` shape) and ``policy`` for ``stay.rooms`` rooms.
    The booking's total and snapshot are its lines' added up. Callers check availability and price first
    (``booking_hold``; ``suppliers.services.supplier_booking_hold``), run this in their transaction, and take
    the nights of the lines themselves when ``nights_held`` (the booking and its lines are written as holding
    them, so a take that fails rolls all of it back)."""
    if lines is None:
        snapshot = {
            **snapshot,
            "rate_plan": _plan_info(rate_plan),
            "children_ages": list(stay.ages),
        }
        lines = pooled_lines(
            room_type=room_type,
            rate_plan=rate_plan,
            stay=stay,
            snapshot=snapshot,
            policy=policy,
            guest_name=f"{guest.first_name} {guest.last_name}".strip(),
        )
    first = lines[0]
    minutes = settings.BOOKING_HOLD_MINUTES if hold_minutes is None else hold_minutes
    # The language the booking is made in (the page's, or the API's Accept-Language): its e-mails and PDFs use it.
    extra.setdefault("language", booking_language(translation.get_language()))
    inventory = Booking.Inventory.HOTEL if source != Booking.Source.SUPPLIER else Booking.Inventory.SUPPLIER
    # The older order keeps its one quote as the booking's snapshot, exactly as before lines existed.
    combined = snapshot if snapshot is not None else snapshot_combine([line.snapshot for line in lines])
    total = sum((line.total for line in lines), Decimal("0.00"))
    # frozen like the prices: what is due now and later, and when, under each room line's own rate plan (one
    # booking of a single quote, as suppliers give it, is on its one plan)
    if len(lines) == 1 or snapshot is not None:
        terms = payment_terms_snapshot(
            rate_plan=first.rate_plan,
            hotel=first.room_type.hotel,
            check_in=stay.check_in,
            total=total,
            first_night=Decimal(combined.get("first_night") or total),
        )
    else:
        line_terms = [
            {
                **payment_terms_snapshot(
                    rate_plan=line.rate_plan,
                    hotel=line.room_type.hotel,
                    check_in=stay.check_in,
                    total=line.total,
                    first_night=Decimal(line.snapshot.get("first_night") or line.total),
                ),
                "position": position,
            }
            for position, line in enumerate(lines, start=1)
        ]
        terms = payment_terms_combine(line_terms)
    combined = {**combined, "payment_terms": terms}
    booking = Booking(
        inventory=inventory,
        hotel=first.room_type.hotel,
        room_type=first.room_type,
        rate_plan=first.rate_plan,
        customer=customer,
        source=source,
        check_in=stay.check_in,
        check_out=stay.check_out,
        adults=sum(line.adults for line in lines),
        children=sum(len(line.children_ages) for line in lines),
        children_ages=[age for line in lines for age in line.children_ages],
        rooms=len(lines),
        guest_first_name=guest.first_name,
        guest_last_name=guest.last_name,
        guest_email=guest.email,
        guest_phone=guest.phone,
        special_requests=guest.special_requests,
        currency=combined["currency"],
        total=total,
        price_snapshot=combined,
        cancellation_policy=strictest_policy([line.policy for line in lines]),
        nights_held=nights_held,
        hold_expires_at=timezone.now() + timedelta(minutes=minutes),
        **extra,
    )
    booking.status = Status.PENDING_PAYMENT
    _save_with_fresh_reference(booking)
    RoomLine.objects.bulk_create(
        [
            RoomLine(
                booking=booking,
                position=position,
                room_type=line.room_type,
                rate_plan=line.rate_plan,
                adults=line.adults,
                children_ages=list(line.children_ages),
                guest_name=line.guest_name[:200],
                currency=line.snapshot["currency"],
                total=line.total,
                price_snapshot=(
                    {**line.snapshot, "payment_terms": terms["lines"][position - 1]}
                    if "lines" in terms
                    else line.snapshot
                ),
                cancellation_policy=line.policy,
                nights_held=nights_held,
            )
            for position, line in enumerate(lines, start=1)
        ]
    )
    BookingStatusChange.objects.create(
        booking=booking,
        from_status="",
        to_status=Status.PENDING_PAYMENT,
        actor_kind=actor_kind,
        actor=customer,
        note=note,
    )
    return booking


def _save_with_fresh_reference(booking: Booking) -> None:
    """Insert a new booking; a reference drawn twice (one in 30^6 per pair) is drawn again, not a 500."""
    for attempt in range(REFERENCE_TRIES):
        try:
            with transaction.atomic():
                booking.save(force_insert=True)
            return
        except IntegrityError as exc:
            if "reference" not in str(exc) or attempt == REFERENCE_TRIES - 1:
                raise
            booking.pk = None
            booking.reference = new_reference()


def _sold_out(room_type: RoomType, exc: NightsUnavailable) -> SoldOut:
    if exc.night:
        return SoldOut(
            _("%(room)s is no longer available on the night of %(night)s.")
            % {"room": room_type.name, "night": date_format(exc.night, "l j F Y")},
            night=exc.night,
        )
    return SoldOut(
        _("%(room)s can’t be booked for these dates: %(reason)s.") % {"room": room_type.name, "reason": exc.reason}
    )


def _locked(booking: Booking) -> Booking:
    """The booking read again under its row lock, with what the transitions and their consequences read (the
    partner: whether it has a webhook). ``status_found`` keeps the status found under the lock, so the workflow
    can tell whether the transition moved it without locking the row a second time."""
    locked = (
        Booking.objects.select_for_update(of=("self", "hotel", "room_type"))  # the rows locked before the partner
        .select_related("hotel", "room_type", "partner")
        .get(pk=booking.pk)
    )
    locked.status_found = locked.status
    return locked


def _release(booking: Booking) -> None:
    """Give back the nights of every line that holds them (the booking's flag follows)."""
    if booking.nights_held:
        _lines_release(booking, list(booking.lines.filter(nights_held=True)))
        booking.nights_held = False


def booking_confirm(*, booking: Booking, actor_kind: str = Actor.SYSTEM, actor=None, note: str = "") -> Booking:
    """Confirm a paid booking; idempotent (a confirmed booking is returned as is).

    A payment that arrives after the hold lapsed re-takes the nights of our own inventory if they are still free;
    if they were sold meanwhile it raises :class:`SoldOut` (``bookings.workflow`` then refunds).
    """
    with transaction.atomic():
        booking = _locked(booking)
        if booking.status == Status.CONFIRMED:
            return booking
        if booking.status not in (Status.PENDING_PAYMENT, Status.EXPIRED, Status.PAYMENT_FAILED):
            raise InvalidTransition(f"A {booking.get_status_display().lower()} booking can't be confirmed.")
        if not booking.nights_held and booking.inventory == Booking.Inventory.HOTEL:
            try:
                with transaction.atomic():
                    _lines_take(
                        booking, list(booking.lines.filter(status=RoomLine.Status.ACTIVE).select_related("room_type"))
                    )
            except SoldOut as exc:
                raise SoldOut(_("The room was sold to someone else after your hold expired.")) from exc
            booking.nights_held = True
        booking.confirmed_at = timezone.now()
        booking.hold_expires_at = None
        _record(booking, to=Status.CONFIRMED, actor_kind=actor_kind, actor=actor, note=note)
        booking.save(update_fields=["status", "nights_held", "confirmed_at", "hold_expires_at", "updated_at"])
    return booking


def _end_hold(booking: Booking, *, to: str, actor_kind: str, note: str) -> Booking:
    with transaction.atomic():
        booking = _locked(booking)
        if booking.status != Status.PENDING_PAYMENT:
            return booking  # already settled one way or another: nothing to do
        _release(booking)
        booking.hold_expires_at = None
        _record(booking, to=to, actor_kind=actor_kind, note=note)
        booking.save()
    return booking


def booking_payment_failed(*, booking: Booking, note: str = "") -> Booking:
    """The bank declined or the guest abandoned: release the nights. Idempotent."""
    return _end_hold(booking, to=Status.PAYMENT_FAILED, actor_kind=Actor.SYSTEM, note=note)


def booking_expire(*, booking: Booking) -> Booking:
    """An unpaid hold ran out: release the nights. Idempotent; a hold that has not lapsed is left alone."""
    if booking.hold_expires_at and booking.hold_expires_at > timezone.now():
        return booking
    return _end_hold(booking, to=Status.EXPIRED, actor_kind=Actor.SYSTEM, note="hold expired")


def line_cancel_quote(*, line: RoomLine, at=None) -> Decimal:
    """The penalty cancelling this room now would cost, under the room's own policy."""
    return cancellation_penalty(policy=line.cancellation_policy, snapshot=line.price_snapshot, at=at or timezone.now())


def _penalties(booking: Booking, lines: list[RoomLine], *, at=None) -> list[Decimal]:
    """What cancelling each of ``lines`` (the booking's sold rooms) would cost now. Rooms sold together under
    one policy and never changed are charged as they always were, under the booking's policy on its one quote,
    and that penalty is spread over the rooms; rooms that differ are each charged under their own policy."""
    at = at or timezone.now()
    untouched = all(line.is_active for line in booking.lines.all()) and all(
        line.cancellation_policy == lines[0].cancellation_policy for line in lines
    )
    if untouched and sum((line.total for line in lines), Decimal("0.00")) == booking.total:
        penalty = cancellation_penalty(policy=booking.cancellation_policy, snapshot=booking.price_snapshot, at=at)
        return money_fill(penalty, [line.total for line in lines])
    return [line_cancel_quote(line=line, at=at) for line in lines]


def booking_cancel_quote(*, booking: Booking, at=None) -> Decimal:
    """The penalty cancelling now would cost (each room under the policy agreed when it was booked), with what
    rooms cancelled before kept."""
    lines = list(booking.lines.all())
    active = [line for line in lines if line.is_active]
    kept = sum((line.charge for line in lines if not line.is_active), Decimal("0.00"))
    return kept + sum(_penalties(booking, active, at=at), Decimal("0.00"))


def booking_cancel(
    *, booking: Booking, actor_kind: str, actor=None, waive_penalty: bool = False, note: str = ""
) -> Booking:
    """Cancel a booking waiting for payment or confirmed: its nights go back on sale and the penalty due under its
    policy is recorded (``cancellation_penalty``). Cancelling an already cancelled booking returns it unchanged.
    Giving back the rest of the money is the workflow's part (``bookings.workflow.booking_cancel``)."""
    with transaction.atomic():
        booking = _locked(booking)
        if booking.status == Status.CANCELLED:
            return booking
        if booking.status == Status.PENDING_PAYMENT:
            penalty, default_note = Decimal("0.00"), "cancelled before payment"
        elif booking.status == Status.CONFIRMED:
            penalty = Decimal("0.00") if waive_penalty else booking_cancel_quote(booking=booking)
            default_note = f"penalty {penalty} {booking.currency}"
        else:
            raise InvalidTransition(f"A {booking.get_status_display().lower()} booking can't be cancelled.")
        _release(booking)
        now = timezone.now()
        lines = list(booking.lines.all())
        active = [line for line in lines if line.is_active]
        kept = sum((line.charge for line in lines if not line.is_active), Decimal("0.00"))
        if booking.status == Status.PENDING_PAYMENT or waive_penalty:
            shares = [Decimal("0.00")] * len(active)
        else:
            shares = money_fill(penalty - kept, [line.total for line in active])
        for line, share in zip(active, shares, strict=True):
            line.status, line.cancellation_penalty, line.cancelled_at = RoomLine.Status.CANCELLED, share, now
            line.save(update_fields=["status", "cancellation_penalty", "cancelled_at", "updated_at"])
        booking.hold_expires_at = None
        booking.cancellation_penalty = penalty
        booking.cancelled_at = now
        _record(booking, to=Status.CANCELLED, actor_kind=actor_kind, actor=actor, note=note or default_note)
        booking.save()
    return booking


STAY_TRANSITIONS = {
    Status.CHECKED_IN: {Status.CONFIRMED},
    Status.CHECKED_OUT: {Status.CHECKED_IN},
    Status.NO_SHOW: {Status.CONFIRMED},
}


def booking_mark(*, booking: Booking, to: str, actor=None, actor_kind: str = Actor.STAFF) -> Booking:
    """Front-desk transitions: checked in, checked out, no-show (whose nights stay sold: the room was kept)."""
    allowed_from = STAY_TRANSITIONS[to]
    with transaction.atomic():
        booking = _locked(booking)
        if booking.status == to:
            return booking
        if booking.status not in allowed_from:
            raise InvalidTransition(
                f"A {booking.get_status_display().lower()} booking can't be marked {Status(to).label.lower()}."
            )
        _record(booking, to=to, actor_kind=actor_kind, actor=actor)
        booking.save()
    return booking
