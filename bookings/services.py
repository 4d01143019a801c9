"""The booking's own state machine: hold nights, confirm, end a hold, cancel, front-desk marks.

Each function is keyword-only, runs in one transaction, locks the booking row before changing it, records the
transition in ``BookingStatusChange`` and raises a :mod:`bookings.exceptions` error on failure. These functions
change the booking and its inventory only: what must follow a change (a refund, e-mails, the receipt, webhooks,
the supplier) is decided by ``bookings.workflow``, which calls them — views, the API, admin actions and tasks
call the workflow for every change that has consequences.
"""

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
from hotels.policy import cancellation_penalty, cancellation_policy_snapshot
from hotels.pricing import RateClosed
from hotels.stay import Stay

from .exceptions import InvalidTransition, PriceChanged, SoldOut, StayInvalid
from .inventory import NightsUnavailable, nights_check, nights_give_back, nights_take
from .models import Booking, BookingStatusChange, new_reference

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


def booking_hold(
    *,
    room_type: RoomType,
    stay: Stay,
    rate_plan: RatePlan | None = None,
    guest: GuestDetails,
    customer=None,
    source: str = Booking.Source.WEBSITE,
    expected_total: Decimal | None = None,
    hold_minutes: int | None = None,
    actor_kind: str = Actor.CUSTOMER,
    **extra,
) -> Booking:
    """Create a booking in ``pending_payment`` holding its room-nights until ``hold_expires_at``, sold under
    ``rate_plan`` (the room type's default plan when not given).

    Raises :class:`StayInvalid` (also when the plan's rules refuse the stay), :class:`SoldOut` (naming the night)
    or :class:`PriceChanged` (when ``expected_total`` no longer matches); in every failure nothing is held.
    """
    stay_validate(room_type=room_type, stay=stay)
    hotel = room_type.hotel
    if rate_plan is None:
        rate_plan = default_rate_plan(room_type)
    if rate_plan is None or rate_plan.room_type_id != room_type.pk or not rate_plan.is_active:
        raise StayInvalid(_("This rate is not sold for %(room)s.") % {"room": room_type.name})
    nights = {"room_type_id": room_type.pk, "check_in": stay.check_in, "check_out": stay.check_out, "rooms": stay.rooms}
    with transaction.atomic():
        try:
            prices = nights_check(**nights)
        except NightsUnavailable as exc:
            raise _sold_out(room_type, exc) from exc
        try:
            quote = rate_plan_quote(rate_plan=rate_plan, stay=stay, base_prices=prices)
        except RateClosed as exc:
            raise StayInvalid(exc.message) from exc
        if expected_total is not None and Decimal(expected_total) != quote.total:
            raise PriceChanged(
                _("The price for this stay is now %(amount)s.") % {"amount": format_money(quote.total, quote.currency)},
                total=quote.total,
                currency=quote.currency,
            )
        booking = booking_pending_create(
            room_type=room_type,
            rate_plan=rate_plan,
            stay=stay,
            guest=guest,
            customer=customer,
            source=source,
            snapshot=quote.as_snapshot(),
            policy=cancellation_policy_snapshot(rate_plan, hotel, stay.check_in),
            nights_held=True,
            hold_minutes=hold_minutes,
            actor_kind=actor_kind,
            note="nights held",
            **extra,
        )
        # Last, so the hot inventory rows stay locked only for this UPDATE and the COMMIT.
        try:
            taken = nights_take(**nights)
        except NightsUnavailable as exc:
            raise _sold_out(room_type, exc) from exc
        if taken != prices:  # a price was edited between our read and the lock: price again from the top
            raise PriceChanged(_("The price of this room changed a moment ago. Please check it again."))
    return booking


def booking_language(code: str | None) -> str:
    """``code`` as one of the shipped languages (``de-at`` → ``de``), the default language otherwise."""
    try:
        return translation.get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def booking_pending_create(
    *,
    room_type: RoomType,
    rate_plan: RatePlan,
    stay: Stay,
    guest: GuestDetails,
    customer,
    source: str,
    snapshot: dict,
    policy: dict,
    nights_held: bool,
    actor_kind: str,
    note: str,
    hold_minutes: int | None = None,
    **extra,
) -> Booking:
    """Write a booking waiting for payment until its hold lapses, with its price ``snapshot`` (the
    ``Quote.as_snapshot()`` shape) and cancellation ``policy``, and record that first state. Callers check
    availability and price first (``booking_hold``; ``suppliers.services.supplier_booking_hold``) and run this in
    their transaction."""
    minutes = settings.BOOKING_HOLD_MINUTES if hold_minutes is None else hold_minutes
    # The language the booking is made in (the page's, or the API's Accept-Language): its e-mails and PDFs use it.
    extra.setdefault("language", booking_language(translation.get_language()))
    inventory = Booking.Inventory.HOTEL if source != Booking.Source.SUPPLIER else Booking.Inventory.SUPPLIER
    booking = Booking(
        inventory=inventory,
        hotel=room_type.hotel,
        room_type=room_type,
        rate_plan=rate_plan,
        customer=customer,
        source=source,
        check_in=stay.check_in,
        check_out=stay.check_out,
        adults=stay.adults,
        children=stay.children,
        children_ages=list(stay.ages),
        rooms=stay.rooms,
        guest_first_name=guest.first_name,
        guest_last_name=guest.last_name,
        guest_email=guest.email,
        guest_phone=guest.phone,
        special_requests=guest.special_requests,
        currency=snapshot["currency"],
        total=Decimal(snapshot["total"]),
        price_snapshot={
            **snapshot,
            "rate_plan": {
                "id": rate_plan.pk,
                "name": rate_plan.name,
                "meal_plan": rate_plan.meal_plan,
                "meal_plan_label": rate_plan.get_meal_plan_display(),
            },
            "children_ages": list(stay.ages),
        },
        cancellation_policy=policy,
        nights_held=nights_held,
        hold_expires_at=timezone.now() + timedelta(minutes=minutes),
        **extra,
    )
    booking.status = Status.PENDING_PAYMENT
    _save_with_fresh_reference(booking)
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
    return Booking.objects.select_for_update().select_related("hotel", "room_type").get(pk=booking.pk)


def _release(booking: Booking) -> None:
    if booking.nights_held:
        nights_give_back(
            room_type_id=booking.room_type_id,
            check_in=booking.check_in,
            check_out=booking.check_out,
            rooms=booking.rooms,
        )
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
                    nights_take(
                        room_type_id=booking.room_type_id,
                        check_in=booking.check_in,
                        check_out=booking.check_out,
                        rooms=booking.rooms,
                    )
            except NightsUnavailable as exc:
                raise SoldOut(_("The room was sold to someone else after your hold expired.")) from exc
            booking.nights_held = True
        booking.confirmed_at = timezone.now()
        booking.hold_expires_at = None
        _record(booking, to=Status.CONFIRMED, actor_kind=actor_kind, actor=actor, note=note)
        booking.save()
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


def booking_cancel_quote(*, booking: Booking, at=None) -> Decimal:
    """The penalty cancelling now would cost (the policy agreed at booking time)."""
    return cancellation_penalty(
        policy=booking.cancellation_policy, snapshot=booking.price_snapshot, at=at or timezone.now()
    )


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
        booking.hold_expires_at = None
        booking.cancellation_penalty = penalty
        booking.cancelled_at = timezone.now()
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
