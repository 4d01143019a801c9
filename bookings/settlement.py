"""Settling at the desk what a change of a booking paid offline (cash, a bank transfer, pay at the hotel) moved.

A booking paid at the desk has no card to charge or refund: when a change (new dates or rooms, a room cancelled,
from the admin, the website or the API) or a cancellation moves what it costs, the difference is settled where the
money was taken. The change's ledger charge already says what the guest owes; this module says what is left to
collect or to pay back (:func:`offline_settlement`) and records what staff did (:func:`offline_settlement_record`:
the difference collected, or money paid back, with its method and reference, as an ``OfflinePayment`` and its
ledger entry, in one transaction under the booking's lock). Nothing here is sent to the bank.

What is received is the cash and transfers collected less what was paid back; a promise to pay at the hotel is not
money, so it never has to be paid back, but it does count towards what is covered. The books audit
(``bookings.audit``, check ``offline_payment``) applies the same rule to every booking in SQL.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils.translation import gettext_lazy as _

from payments.ledger import ledger_offline_payment_record

from .exceptions import BookingError
from .models import Booking, BookingStatusChange, OfflinePayment

ZERO = Decimal("0.00")
Direction = OfflinePayment.Direction
Method = OfflinePayment.Method
# The states in which what was received must match what the booking costs (a no-show's fees are charged on top).
SETTLED_STATES = (
    Booking.Status.CONFIRMED,
    Booking.Status.CHECKED_IN,
    Booking.Status.CHECKED_OUT,
    Booking.Status.CANCELLED,
)


class SettlementRefused(BookingError):
    code = "settlement_refused"


@dataclass(frozen=True)
class DeskSettlement:
    """What a booking paid offline costs now (``owed``: its total, or the penalty it kept once cancelled), what the
    desk received for it and what was promised at the hotel; hence what is left to collect or to pay back."""

    currency: str
    owed: Decimal
    received: Decimal
    promised: Decimal

    @property
    def to_collect(self) -> Decimal:
        return max(self.owed - self.received - self.promised, ZERO)

    @property
    def to_pay_back(self) -> Decimal:
        return max(self.received - self.owed, ZERO)

    @property
    def settled(self) -> bool:
        return self.to_collect == 0 and self.to_pay_back == 0


def booking_paid_offline(booking: Booking) -> bool:
    """Was the booking paid at the desk and never by card? Only then is its difference settled at the desk; a
    booking with a card payment settles its changes through the bank (``bookings.workflow``)."""
    if not booking.offline_payments.exists():
        return False
    return not booking.payments.filter(paid_at__isnull=False, amount__gt=0).exists()


def booking_desk_annotations() -> dict:
    """``offline``, ``card`` and ``waiting`` as annotations of a booking queryset (:func:`booking_desk_flags`), so the
    booking's admin page reads them with the booking itself."""
    from payments.models import Payment

    from .models import BookingChange

    here = OuterRef("pk")
    return {
        "desk_offline": Exists(OfflinePayment.objects.filter(booking=here)),
        "desk_card": Exists(Payment.objects.filter(booking=here, paid_at__isnull=False, amount__gt=0)),
        "desk_waiting": Exists(
            BookingChange.objects.filter(
                booking=here, status=BookingChange.Status.PENDING_PAYMENT, payment__status=Payment.Status.UNKNOWN
            )
        ),
    }


def booking_desk_flags(booking: Booking) -> tuple[bool, bool]:
    """``(paid offline, a change waiting for the bank's answer)``: from :func:`booking_desk_annotations` when the
    booking was read with them, else in one query."""
    names = ("desk_offline", "desk_card", "desk_waiting")
    if all(hasattr(booking, name) for name in names):
        offline, card, waiting = (getattr(booking, name) for name in names)
    else:
        offline, card, waiting = (
            Booking.objects.filter(pk=booking.pk).annotate(**booking_desk_annotations()).values_list(*names).get()
        )
    return offline and not card, waiting


def offline_settlement(booking: Booking, *, paid_offline: bool | None = None) -> DeskSettlement | None:
    """The desk's settlement of ``booking``, or None when it was not paid offline (or is in a state with nothing
    to settle: on hold, expired, a no-show). ``paid_offline``: :func:`booking_paid_offline`, when known."""
    if booking.status not in SETTLED_STATES:
        return None
    if not (booking_paid_offline(booking) if paid_offline is None else paid_offline):
        return None
    sums = booking.offline_payments.aggregate(
        collected=Sum("amount", filter=Q(direction=Direction.COLLECTED) & ~Q(method=Method.PAY_AT_HOTEL)),
        paid_back=Sum("amount", filter=Q(direction=Direction.PAID_BACK)),
        promised=Sum("amount", filter=Q(method=Method.PAY_AT_HOTEL)),
    )
    owed = (booking.cancellation_penalty or ZERO) if booking.status == Booking.Status.CANCELLED else booking.total
    return DeskSettlement(
        currency=booking.currency,
        owed=owed,
        received=(sums["collected"] or ZERO) - (sums["paid_back"] or ZERO),
        promised=sums["promised"] or ZERO,
    )


def offline_settlement_record(
    *, booking: Booking, direction: str, method: str, reference: str, amount: Decimal, actor
) -> OfflinePayment:
    """Record what the desk settled for ``booking``: ``collected`` (up to what is left to collect; "pay at the
    hotel" records a promise) or ``paid_back`` (up to what is owed back, in cash or by transfer). Writes the
    ``OfflinePayment``, its ledger entry and a line of the booking's history in one transaction, under the
    booking's lock, so two clerks can't both pay the same difference back. Raises :class:`SettlementRefused`."""
    reference = (reference or "").strip()
    if not reference:
        raise SettlementRefused(_("Give the reference of the receipt or transfer."))
    if amount is None or amount <= 0:
        raise SettlementRefused(_("The amount must be more than zero."))
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        settlement = offline_settlement(booking)
        if settlement is None:
            raise SettlementRefused(_("This booking was not paid at the desk: there is nothing to settle here."))
        if direction == Direction.COLLECTED:
            limit = settlement.to_collect
            if limit <= 0:
                raise SettlementRefused(_("Nothing is left to collect for this booking."))
        elif direction == Direction.PAID_BACK:
            limit = settlement.to_pay_back
            if method == Method.PAY_AT_HOTEL:
                raise SettlementRefused(_("Money is paid back in cash or by bank transfer."))
            if limit <= 0:
                raise SettlementRefused(_("Nothing is owed back to the guest for this booking."))
        else:
            raise SettlementRefused(_("Say whether the money was collected or paid back."))
        if amount > limit:
            raise SettlementRefused(
                _("That is more than the %(amount)s %(currency)s left to settle.")
                % {"amount": limit, "currency": booking.currency}
            )
        offline = OfflinePayment.objects.create(
            booking=booking,
            direction=direction,
            method=method,
            reference=reference[:80],
            amount=amount,
            currency=booking.currency,
            recorded_by=actor,
        )
        ledger_offline_payment_record(offline_payment=offline)
        BookingStatusChange.objects.create(
            booking=booking,
            from_status=booking.status,
            to_status=booking.status,
            actor_kind=BookingStatusChange.Actor.STAFF,
            actor=actor,
            note=f"{direction.replace('_', ' ')} at the desk: {amount} {booking.currency} ({method}, {reference})"[
                :255
            ],
        )
    return offline
