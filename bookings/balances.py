"""Balances charged to the saved card on each room's own date.

A booking of several rooms on deposit terms owes each room's balance on the date its own plan says (``balance 7
days before`` and ``balance 30 days before`` are two dates). The balance is one ``ScheduledCharge`` per distinct due
date, the sum of the card part of the rooms due that day, each charged once with its own idempotency key:

- the earliest date keeps the key ``<reference>:balance`` every balance had before (its attempts are
  ``<reference>-balance-<n>``, as always), so existing charges and their keys keep working unchanged;
- a later date is ``<reference>:balance-<YYYY-MM-DD>`` (attempts ``<reference>-balance-<YYYY-MM-DD>-<n>``).

A change (dates moved, a room added or cancelled) reschedules the open balances in the change's own transaction
(:func:`balances_reschedule`). A balance the bank is being asked for right now (``charging``), or one already tried
(declined, its payment link e-mailed: its amount is fixed at the bank), is never changed: a guest's or staff
change is refused while one is charging (:func:`balances_not_charging`), and a tried one keeps its amount (what the
change takes off beyond the others is refunded through the change's own refund path).
"""

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotels.payment_terms import payment_terms_card_balance, payment_terms_of, payment_terms_rebase
from payments.models import Payment, ScheduledCharge
from payments.services import scheduled_charge_create

from .exceptions import BookingError

ZERO = Decimal("0.00")
BALANCE = Payment.Kind.BALANCE


class BalanceBeingCharged(BookingError):
    code = "balance_being_charged"


def _card_part(terms: dict) -> tuple[datetime, Decimal] | None:
    amount = payment_terms_card_balance(terms)
    if amount <= 0 or not terms.get("due_later_at"):
        return None
    return datetime.fromisoformat(terms["due_later_at"]), amount


def balance_dates_of_terms(terms: dict) -> dict[datetime, Decimal]:
    """The card part of the balance due on each date under the terms a booking was sold under (a combination's
    lines each on their own date; one line's terms on its one date), earliest first."""
    due = defaultdict(lambda: ZERO)
    for line_terms in terms.get("lines") or [terms]:
        part = _card_part(line_terms)
        if part:
            due[part[0]] += part[1]
    return dict(sorted(due.items()))


def balance_dates_of_lines(booking) -> dict[datetime, Decimal] | None:
    """The card part due on each date by the booking's active room lines, as their terms say now (a change moves
    a line's balance date with its arrival); None when no line carries terms (a booking from before lines kept
    their own), whose balances are then lowered where they are."""
    lines = [line for line in booking.lines.all() if line.is_active]
    line_terms = [(line.price_snapshot or {}).get("payment_terms") for line in lines]
    if len(lines) == 1 and not line_terms[0]:
        line_terms = [payment_terms_of(booking)]
    if not any(line_terms):
        return None
    due = defaultdict(lambda: ZERO)
    for terms in filter(None, line_terms):
        part = _card_part(terms)
        if part:
            due[part[0]] += part[1]
    return dict(sorted(due.items()))


def _key(booking, due_at: datetime, first: bool) -> str:
    if first and not ScheduledCharge.objects.filter(key=f"{booking.reference}:{BALANCE}").exists():
        return f"{booking.reference}:{BALANCE}"
    stem = f"{booking.reference}:{BALANCE}-{due_at.date().isoformat()}"
    key, n = stem, 1
    while ScheduledCharge.objects.filter(key=key).exists():
        n += 1
        key = f"{stem}-{n}"
    return key


def balances_schedule(*, booking) -> list[ScheduledCharge]:
    """A deposit was paid: owe each date's balance on the saved card (in the confirmation's transaction). Idempotent:
    a second call finds the same keys."""
    charges = []
    for position, (due_at, amount) in enumerate(balance_dates_of_terms(payment_terms_of(booking)).items()):
        if position == 0:
            key = f"{booking.reference}:{BALANCE}"
        else:
            key = f"{booking.reference}:{BALANCE}-{due_at.date().isoformat()}"
        charge = scheduled_charge_create(booking=booking, purpose=BALANCE, amount=amount, due_at=due_at, key=key)
        if charge is not None:
            charges.append(charge)
    return charges


def balances_not_charging(*, booking_id: int) -> None:
    """Raise :class:`BalanceBeingCharged` while the bank is being asked for one of the booking's balances: a change
    waits until its answer is known (a minute or two) rather than change what is being charged."""
    if ScheduledCharge.objects.filter(
        booking_id=booking_id, purpose=BALANCE, status=ScheduledCharge.Status.CHARGING
    ).exists():
        raise BalanceBeingCharged(
            _("A balance payment for this booking is being taken right now. Please try again in a few minutes.")
        )


def _fixed(charge: ScheduledCharge) -> bool:
    """A balance whose amount is fixed at the bank: being charged, or tried already (a payment or link exists)."""
    return charge.status == ScheduledCharge.Status.CHARGING or charge.attempts > 0 or charge.payments.exists()


def balances_at_hotel(*, booking_id: int) -> Decimal:
    """What the hotel collects of the booking under its terms as they stand in the database (``due_at_hotel`` of a
    combination; all that is due later when one room's terms say the hotel collects it)."""
    from .models import Booking

    snapshot = Booking.objects.filter(pk=booking_id).values_list("price_snapshot", flat=True).get() or {}
    terms = snapshot.get("payment_terms")
    if not terms:
        return ZERO
    if "due_at_hotel" in terms:
        return Decimal(terms["due_at_hotel"])
    return Decimal(terms["due_later"]) if terms["due_later_by"] == "hotel" else ZERO


def balances_free_total(*, booking_id: int) -> Decimal:
    """What the balances not charged yet and not fixed at the bank (:func:`_fixed`) add up to: what a change that
    costs less lowers before it refunds anything."""
    charges = ScheduledCharge.objects.filter(booking_id=booking_id, purpose=BALANCE, status__in=ScheduledCharge.OPEN)
    return sum((c.amount for c in charges if not _fixed(c)), ZERO)


def line_at_hotel_drop(*, line, penalty: Decimal) -> Decimal:
    """What cancelling ``line`` and keeping ``penalty`` takes off what the hotel collects: nothing for a room paid
    by card; the rest of its price, less the penalty the hotel still collects, for a room paid at the hotel."""
    terms = (line.price_snapshot or {}).get("payment_terms")
    if not terms or terms["due_later_by"] != "hotel":
        return ZERO
    return Decimal(terms["due_later"]) - Decimal(payment_terms_rebase(terms, penalty)["due_later"])


def balances_reschedule(*, booking, lower_by: Decimal = ZERO) -> Decimal:
    """:func:`balances_spread`, then the booking's terms say what its balances now charge
    (:func:`balances_terms_settle`), in the same transaction."""
    left = balances_spread(booking=booking, lower_by=lower_by)
    balances_terms_settle(booking=booking)
    return left


def balances_terms_settle(*, booking) -> None:
    """The amounts of the booking's terms (``price_snapshot["payment_terms"]``, as its rooms' terms add them up)
    once a change is settled: the card's part is what its balances charge now (lowered first by a change that
    costs less, raised by none: a change that costs more is paid with the change), the hotel's part what its rooms
    paid there leave, the rest was paid now. So the booking page, the e-mails and the API's ``payment_terms`` say
    what the balances do. A booking that never had a balance scheduled keeps its rooms' figures."""
    from .models import Booking

    snapshot = Booking.objects.filter(pk=booking.pk).values_list("price_snapshot", flat=True).get() or {}
    terms = snapshot.get("payment_terms")
    balances = ScheduledCharge.objects.filter(booking_id=booking.pk, purpose=BALANCE)
    if not terms or not balances.exists():
        return
    card = sum(
        balances.exclude(status__in=[ScheduledCharge.Status.CANCELLED, ScheduledCharge.Status.FAILED]).values_list(
            "amount", flat=True
        ),
        ZERO,
    )
    by_hotel = terms["due_later"] if terms["due_later_by"] == "hotel" else "0.00"
    later = card + Decimal(terms.get("due_at_hotel", by_hotel))
    settled = {**terms, "due_now": str(Decimal(terms["total"]) - later), "due_later": str(later)}
    if "due_later_card" in terms:
        settled["due_later_card"] = str(card)
    if card <= 0 and terms["due_later_by"] == "card":
        at_hotel = Decimal(terms.get("due_at_hotel", "0.00")) > 0
        settled["due_later_by"], settled["due_later_at"] = ("hotel" if at_hotel else ""), None
    if settled != terms:
        booking.price_snapshot = {**snapshot, "payment_terms": settled}
        Booking.objects.filter(pk=booking.pk).update(price_snapshot=booking.price_snapshot)


def balances_spread(*, booking, lower_by: Decimal = ZERO) -> Decimal:
    """After a change (in its transaction, under the booking's lock): take up to ``lower_by`` off the balances not
    charged yet and spread what stays owed over the active rooms' dates, each date no more than its rooms' card
    part (so no room is charged before its own date; a room cancelled before its date leaves nothing on it).
    Balances fixed at the bank (:func:`_fixed`) are left exactly as they are. Returns what is left of ``lower_by``
    to refund. Call it through :func:`balances_reschedule`, which keeps the booking's terms in step."""
    now = timezone.now()
    lower_by = max(lower_by, ZERO)
    charges = list(
        ScheduledCharge.objects.select_for_update()
        .filter(booking_id=booking.pk, purpose=BALANCE, status__in=ScheduledCharge.OPEN)
        .order_by("due_at", "pk")
    )
    fixed = [c for c in charges if _fixed(c)]
    free = [c for c in charges if not _fixed(c)]
    free_total = sum((c.amount for c in free), ZERO)
    cut = min(lower_by, free_total)
    owed = free_total - cut
    targets = balance_dates_of_lines(booking)
    if targets is None:  # no line says its date: lower the balances where they are, earliest first
        left = cut
        for charge in free:
            take = min(left, charge.amount)
            left -= take
            _set(charge, amount=charge.amount - take, due_at=charge.due_at, now=now)
        return lower_by - cut
    for charge in fixed:  # what a fixed balance charges counts against its date's rooms first
        for due_at in targets:
            if due_at == charge.due_at:
                targets[due_at] = max(targets[due_at] - charge.amount, ZERO)
    plan = {}
    for due_at in sorted(targets, reverse=True):  # the latest dates keep theirs first: the guest pays no earlier
        amount = min(owed, targets[due_at])
        if amount > 0:
            plan[due_at] = amount
            owed -= amount
    if owed > 0:  # more owed than the rooms' card parts (should not happen): it stays on the latest date
        latest = max(targets) if targets else (free[-1].due_at if free else now)
        plan[latest] = plan.get(latest, ZERO) + owed
    unmatched = []
    for charge in free:
        due_at = next((d for d in plan if d == charge.due_at), None)
        if due_at is None:
            unmatched.append(charge)
        else:
            _set(charge, amount=plan.pop(due_at), due_at=due_at, now=now)
    for due_at, amount in sorted(plan.items()):
        if unmatched:
            _set(unmatched.pop(0), amount=amount, due_at=due_at, now=now)
        else:
            scheduled_charge_create(
                booking=booking,
                purpose=BALANCE,
                amount=amount,
                due_at=due_at,
                key=_key(booking, due_at, first=not charges),
            )
    for charge in unmatched:
        _set(charge, amount=ZERO, due_at=charge.due_at, now=now)
    return lower_by - cut


def _set(charge: ScheduledCharge, *, amount: Decimal, due_at, now) -> None:
    if amount <= 0:  # owed no more (its amount stays as it was written)
        charge.status, charge.settled_at = ScheduledCharge.Status.CANCELLED, now
        charge.save(update_fields=["status", "settled_at"])
        return
    if (charge.amount, charge.due_at) == (amount, due_at):
        return
    charge.amount, charge.due_at, charge.next_attempt_at = amount, due_at, due_at
    charge.save(update_fields=["amount", "due_at", "next_attempt_at"])


def balance_shift(terms: dict, days: int) -> dict:
    """A line's terms after its arrival moved by ``days``: its balance date moves with it."""
    if not days or not terms.get("due_later_at"):
        return terms
    due = datetime.fromisoformat(terms["due_later_at"]) + timedelta(days=days)
    return {**terms, "due_later_at": due.isoformat()}


def balances_split(*, booking) -> bool:
    """A confirmed booking of several rooms made before balances were split by date owes its rooms' balances as one
    charge on the earliest room's date: spread it over the rooms' own dates (:func:`balances_reschedule`, under the
    booking's lock). Balances already tried are left as they are. Returns whether anything changed."""
    from django.db import transaction

    from .models import Booking

    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status != Booking.Status.CONFIRMED:
            return False

        def state():
            return list(
                ScheduledCharge.objects.filter(booking=booking, purpose=BALANCE)
                .order_by("pk")
                .values_list("status", "amount", "due_at")
            )

        before = state()
        balances_reschedule(booking=booking)
        return state() != before
