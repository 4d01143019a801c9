"""What happens when a booking changes state: the one place that orchestrates bookings, payments, e-mails,
receipts, partner webhooks and suppliers.

Views, the partner API, admin actions, bank webhooks and Celery tasks call these functions for every change that
has consequences. Below this module, ``bookings.services`` knows how to hold, confirm and cancel a booking and
``payments.services`` how to charge and refund; neither calls the other. Here:

- **a payment outcome** → paid: confirm the booking (a late payment takes its nights again), or, when its rooms
  were sold meanwhile or it was cancelled, refund it in full; failed: release the nights;
- **cancel** → the nights go back on sale, the penalty is kept, the rest is refunded;
- **a hold runs out** → the nights are released;
- **a supplier refuses** a paid booking → cancel it here without penalty and refund in full.

Every change writes, in its own transaction, what must follow it (:data:`EVENT_EFFECTS`): the e-mails (rows of
the e-mail outbox), the receipt, the partner webhook, the placement or cancellation at the supplier
(``BookingEffect`` rows, carried out by ``bookings.outbox``), and the refund (a pending ``Refund``, sent to the
bank after the commit and reconciled until the bank settles it). A crash or a broker outage after the commit delays
these, never loses them, and none of them is done twice.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from notifications.services import booking_change_emails, booking_emails_for_event
from payments.gateways.base import PaymentStatus
from payments.invoices import invoice_documents_sync
from payments.ledger import (
    booking_balance,
    ledger_cancellation_record,
    ledger_charge_add,
    ledger_no_show_record,
    ledger_offline_payment_record,
    ledger_stay_charge,
)
from payments.models import LedgerEntry, Payment, Refund, ScheduledCharge, phrase
from payments.receipts import payment_receipt_issue, receipt_issue
from payments.services import (
    booking_card_guaranteed,
    booking_paid_net,
    booking_payment_paid,
    booking_payments_paying,
    booking_refund_all_but,
    charge_payments_orphaned,
    payment_charge_record,
    payment_outcome_record,
    payment_pays_for_booking,
    payment_status_fetch,
    payment_webhook_parse,
    payments_unsettled,
    refund_request,
    scheduled_charge_claim,
    scheduled_charge_create,
    scheduled_charge_send,
    scheduled_charges_cancel,
    scheduled_charges_due,
)
from payments.services import refunds_reconcile as payments_refunds_reconcile

from . import changes, services
from .balances import (
    balances_at_hotel,
    balances_free_total,
    balances_not_charging,
    balances_reschedule,
    balances_schedule,
    line_at_hotel_drop,
)
from .exceptions import InvalidTransition, SoldOut, StayInvalid
from .models import Booking, BookingChange, BookingEffect, BookingStatusChange
from .outbox import Retry, effects_write, handler

logger = logging.getLogger("staybook.workflow")
Actor = BookingStatusChange.Actor
Kind = BookingEffect.Kind
Status = Booking.Status


# --- what follows each event ------------------------------------------------------------------------------------

# event → the booking effects it writes (e-mails are chosen by notifications.services.EVENT_EMAILS)
EVENT_EFFECTS = {
    "confirmed": [Kind.RECEIPT, Kind.INVOICE, Kind.PARTNER_WEBHOOK, Kind.SUPPLIER_PLACE],
    "modified": [Kind.INVOICE, Kind.PARTNER_WEBHOOK],
    "cancelled": [Kind.INVOICE, Kind.PARTNER_WEBHOOK, Kind.SUPPLIER_CANCEL],
    "reduced": [Kind.INVOICE],
    "no_show": [Kind.INVOICE],
    "payment_failed": [],
    "expired": [],
    "late_payment_refunded": [],
}


def _applies(kind: str, booking: Booking) -> bool:
    if kind == Kind.PARTNER_WEBHOOK:
        return booking.partner_id is not None and bool(booking.partner.webhook_url)
    if kind in (Kind.SUPPLIER_PLACE, Kind.SUPPLIER_CANCEL):
        return booking.inventory == Booking.Inventory.SUPPLIER
    return True


def webhook_event_id(key: str) -> str:
    """The partner webhook's event id, derived from the effect's key: a retry, or the same change written again,
    carries the same id, so the partner can recognise a repeat."""
    return "evt_" + hashlib.sha256(key.encode()).hexdigest()[:24]


def _effects_write(booking: Booking, event: str, *, change: BookingChange | None = None, key_suffix: str = "") -> None:
    """Write what must follow ``event``, in the caller's transaction (the change's own). Each change of a sold
    booking (``change``) is an event of its own: its e-mails and webhook are keyed by the change, and its
    difference is charged (or taken off) in the booking's ledger. ``key_suffix`` tells apart other events that
    can happen more than once to a booking (a staff refund)."""
    if change is None:
        booking_emails_for_event(booking=booking, event=event)
    else:
        booking_change_emails(booking=booking, change=change)
        if change.difference:
            ledger_charge_add(
                booking=booking,
                key=f"change:{change.pk}",
                category=LedgerEntry.Category.CHANGE,
                amount=change.difference,
                description=phrase(gettext_noop("Change to the booking")),
                books_description=change.summary,
                actor_kind=change.actor_kind,
                actor=change.actor,
                channel=change.channel,
            )
    effects = []
    for kind in EVENT_EFFECTS[event]:
        if not _applies(kind, booking):
            continue
        key = (
            f"{booking.reference}:{event}:{kind}"
            + (f":{change.pk}" if change is not None else "")
            + (f":{key_suffix}" if key_suffix else "")
        )
        payload = {}
        if kind == Kind.PARTNER_WEBHOOK:
            from partners.webhooks import webhook_event_build

            # Built now, so the partner hears of the booking as this change left it, even if it changes again
            # before the webhook goes out.
            payload = webhook_event_build(booking=booking, event=event, event_id=webhook_event_id(key))
        effects.append((kind, key, payload))
    effects_write(booking=booking, effects=effects)  # every caller holds the booking's lock


def _transition(func, booking: Booking, **kwargs) -> tuple[Booking, bool]:
    """Run a ``bookings.services`` transition under the booking's lock; ``(booking, changed)``, where ``changed``
    is True only for the call that moved it (transitions are idempotent; consequences must be too). The service
    takes the lock first thing and says what status it found under it (``status_found``); one that returns
    without locking (a hold that has not lapsed) changed nothing."""
    after = func(booking=booking, **kwargs)
    return after, after.status != after.__dict__.pop("status_found", after.status)


# --- confirm, cancel, expire ----------------------------------------------------------------------------------------


def booking_confirm(*, booking: Booking, actor_kind: str = Actor.SYSTEM, actor=None, note: str = "") -> Booking:
    """Confirm a booking (paid, or on a partner's account) and write what follows: e-mails, receipt, the partner's
    webhook, the placement at the supplier. Raises ``SoldOut`` / ``InvalidTransition`` like the service."""
    with transaction.atomic():
        booking, changed = _transition(services.booking_confirm, booking, actor_kind=actor_kind, actor=actor, note=note)
        if changed:
            ledger_stay_charge(booking=booking, actor_kind=actor_kind, actor=actor)
            _effects_write(booking, "confirmed")
    return booking


def booking_cancel(
    *,
    booking: Booking,
    actor_kind: str,
    actor=None,
    waive_penalty: bool = False,
    note: str = "",
    charge_fee: bool = True,
) -> Booking:
    """Cancel: the nights go back on sale, the penalty due under the booking's policy is kept and the rest of what
    the guest paid is refunded through the bank (asynchronously: the refund is written now, in the same
    transaction, and settles when the bank answers). When the guest paid less than the penalty and a card is
    saved (a card guarantee, a deposit), the difference is charged to it once as a late-cancellation fee (not
    with ``charge_fee=False``: a booking cancelled because its card keeps declining). Balances not charged yet
    are owed no more. Cancelling twice returns the booking unchanged."""
    with transaction.atomic():
        booking, changed = _transition(
            services.booking_cancel,
            booking,
            actor_kind=actor_kind,
            actor=actor,
            waive_penalty=waive_penalty,
            note=note,
        )
        if changed:
            scheduled_charges_cancel(booking=booking)  # a balance not charged yet is owed no more
            penalty = booking.cancellation_penalty or Decimal("0.00")
            # all the guest paid for it (its own payment, its balance and fees, its changes' differences), less
            # the penalty, latest payments first
            booking_refund_all_but(booking=booking, keep=penalty, reason="cancellation")
            for change in booking.changes.filter(status=BookingChange.Status.PENDING_PAYMENT):
                changes.booking_change_release(change=change, to=BookingChange.Status.FAILED)
            ledger_cancellation_record(booking=booking, actor_kind=actor_kind, actor=actor)
            if charge_fee:
                _fee_charge(booking, purpose=Payment.Kind.CANCELLATION_FEE, fee=penalty)
            _effects_write(booking, "cancelled")
    return booking


def _fee_charge(booking: Booking, *, purpose: str, fee: Decimal) -> ScheduledCharge | None:
    """Owe what the guest has not paid of ``fee`` (a late-cancellation or no-show fee under the booking's policy)
    on the saved card, charged after the commit; in the caller's transaction. Nothing without a saved card."""
    if not booking_card_guaranteed(booking):
        return None
    from django.utils import timezone

    charge = scheduled_charge_create(
        booking=booking, purpose=purpose, amount=fee - booking_paid_net(booking), due_at=timezone.now()
    )
    if charge is not None:
        from config.celery import enqueue_on_commit
        from payments.tasks import charge_scheduled

        enqueue_on_commit(charge_scheduled, charge.pk)
    return charge


def booking_no_show(*, booking: Booking, actor=None, actor_kind: str = Actor.STAFF) -> Booking:
    """The guest did not come: mark the booking a no-show and charge the fee due under its policy (what cancelling
    at arrival costs, less what the guest paid already) to the saved card, once, after the commit. Clicking twice,
    or two staff members at once, charge once: the second finds the booking a no-show already, and the charge's
    key is unique. A booking without a saved card is only marked."""
    from django.utils import timezone

    with transaction.atomic():
        booking, changed = _transition(
            services.booking_mark, booking, to=Status.NO_SHOW, actor=actor, actor_kind=actor_kind
        )
        if changed:
            scheduled_charges_cancel(booking=booking, purposes=[Payment.Kind.BALANCE])  # the fee replaces it
            fee = services.booking_cancel_quote(booking=booking, at=max(timezone.now(), _arrival(booking)))
            balance = booking_balance(booking)
            if balance.due > 0:  # not paid in full: the stay is taken back and the fee charged in the ledger
                ledger_no_show_record(
                    booking=booking, fee=max(fee, balance.paid_net), actor_kind=actor_kind, actor=actor
                )
                _effects_write(booking, "no_show")
            _fee_charge(booking, purpose=Payment.Kind.NO_SHOW_FEE, fee=fee)
    return booking


def _arrival(booking: Booking):
    from datetime import datetime

    hotel = booking.hotel
    return datetime.combine(booking.check_in, hotel.check_in_time).replace(tzinfo=hotel.tzinfo)


def _payments_of(booking: Booking) -> list[Payment]:
    """The card payments that paid for ``booking`` as it stands and still hold money (``payments.services``: its
    own checkout payment, its balance and fees, the differences of the changes applied to it), oldest first."""
    return [
        p
        for p in booking_payments_paying(booking)
        if p.status in (Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED)
    ]


# --- changing a sold booking (issue 17) ------------------------------------------------------------------------------


def booking_change_quote(**kwargs) -> changes.ChangeQuote:
    """What a change would cost (old total, new total, difference), changing nothing: shown before confirming."""
    return changes.booking_change_quote(**kwargs)


def booking_modify(
    *,
    booking: Booking,
    check_in=None,
    check_out=None,
    rooms=(),
    expected_total: Decimal | None = None,
    actor_kind: str,
    actor=None,
    channel: str,
    hold_minutes: int | None = None,
) -> BookingChange:
    """Change the dates and/or rooms of a confirmed booking (``changes.booking_modify``) and settle the
    difference: a booking paid by card pays more through the bank's hosted page (the change then waits,
    ``pending_payment``, holding its new nights: start the payment with :func:`booking_change_payment_start`) or
    gets the difference back through the refund path; a partner's booking is settled on the partner's account. An
    applied change writes, in its own transaction, the guest's and the hotel's e-mails and the partner's
    ``booking.modified`` webhook. Raises as ``changes.booking_modify``; nothing changes on an error."""
    with transaction.atomic():
        Booking.objects.select_for_update().filter(pk=booking.pk).values_list("pk", flat=True).get()
        balances_not_charging(booking_id=booking.pk)
        paid, at_hotel = _payments_of(booking), balances_at_hotel(booking_id=booking.pk)
        change = changes.booking_modify(
            booking=booking,
            check_in=check_in,
            check_out=check_out,
            changes=rooms,
            expected_total=expected_total,
            actor_kind=actor_kind,
            actor=actor,
            channel=channel,
            wait_for_payment=bool(paid),
            hold_minutes=hold_minutes,
        )
        if change.status == BookingChange.Status.APPLIED:
            _change_settle(change, paid, at_hotel)
    return change


def _change_settle(change: BookingChange, paid: list[Payment], at_hotel: Decimal) -> None:
    """An applied change gives back what it takes off the total (from the booking's payments, latest first) and
    writes what follows it. What it takes off the part the hotel collects (``at_hotel`` before the change: a room
    paid at the hotel cancelled or shortened) was never paid by card and is taken off nothing else. The balances
    still owed on the saved card (deposit terms) are rescheduled on the rooms' own dates and lowered first
    (``bookings.balances``): the guest is refunded only what they paid beyond the new total."""
    off_hotel = at_hotel - balances_at_hotel(booking_id=change.booking_id)
    owed = balances_reschedule(booking=change.booking, lower_by=-change.difference - off_hotel)
    for payment in reversed(paid):
        if owed <= 0:
            break
        payment = Payment.objects.get(pk=payment.pk)
        back = min(owed, payment.amount - payment.refunded_amount - payment.refund_pending_amount)
        if back > 0:
            refund_request(payment=payment, amount=back, reason=f"change {change.pk}: {change.summary}")
            owed -= back
    booking = Booking.objects.select_related("hotel", "partner").get(pk=change.booking_id)
    _effects_write(booking, "modified", change=change)


def booking_change_payment_start(*, change: BookingChange, return_url: str, webhook_url: str | None) -> Payment:
    """Open the bank's hosted page for a change waiting for its difference. Raises ``PaymentError``."""
    from payments.services import change_payment_start

    def link(payment: Payment) -> None:
        # under the booking's lock, in the payment's own transaction: a change given up meanwhile (its booking
        # cancelled, its hold lapsed) gets no bank page, and the payment is never one no change knows of
        current = BookingChange.objects.select_for_update().get(pk=change.pk)
        if current.status != BookingChange.Status.PENDING_PAYMENT:
            raise InvalidTransition(gettext("This change is not waiting for payment any more."))
        if current.payment_id is None:
            current.payment = payment
            current.save(update_fields=["payment"])
        elif current.payment_id != payment.pk:
            raise InvalidTransition(gettext("This change has another payment."))

    if change.status != BookingChange.Status.PENDING_PAYMENT:
        raise InvalidTransition(gettext("This change is not waiting for payment any more."))
    return change_payment_start(
        booking=change.booking,
        amount=change.difference,
        idempotency_key=f"{change.booking.reference}-change-{change.pk}",
        return_url=return_url,
        webhook_url=webhook_url,
        on_written=link,
    )


def room_cancel(*, booking: Booking, line_id: int, actor_kind: str, actor=None, channel: str):
    """Cancel one room under its own policy and refund the rest of its price (the booking's last room: the whole
    booking is cancelled, :func:`booking_cancel`). ``(booking, change)``; cancelling a cancelled room again
    changes nothing (``change`` None)."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        active = list(booking.lines.filter(status="active").values_list("pk", flat=True))
        if active == [line_id]:
            return booking_cancel(booking=booking, actor_kind=actor_kind, actor=actor, note="last room cancelled"), None
        balances_not_charging(booking_id=booking.pk)
        paid, at_hotel = _payments_of(booking), balances_at_hotel(booking_id=booking.pk)
        booking, change = changes.room_line_cancel(
            booking=booking, line_id=line_id, actor_kind=actor_kind, actor=actor, channel=channel
        )
        if change is not None:
            _change_settle(change, paid, at_hotel)
    return booking, change


def room_cancel_refund_quote(*, booking: Booking, line, penalty: Decimal) -> Decimal:
    """What :func:`room_cancel` gives back to the guest's card for ``line`` keeping ``penalty`` (shown before the
    guest confirms), settled as :func:`_change_settle` does: the room's price less its penalty and less what the
    hotel was to collect of it, lowered first off the balances not charged yet, no more than the payments hold."""
    from payments.services import refundable_amount

    lower_by = line.total - penalty - line_at_hotel_drop(line=line, penalty=penalty)
    back = max(lower_by - balances_free_total(booking_id=booking.pk), Decimal("0.00"))
    held = sum((refundable_amount(p) for p in _payments_of(booking)), Decimal("0.00"))
    return min(back, held)


def booking_changes_expire(*, now=None) -> int:
    """Periodic (with the holds): give back the nights of changes whose difference was not paid in time. A change
    whose payment is open at the bank is asked about first; one whose outcome the bank has not told us stays
    waiting (``changes.booking_change_release`` never releases it on a guess) until ``payments_reconcile`` hears
    the answer and applies or releases it."""
    from django.utils import timezone

    now = now or timezone.now()
    count = 0
    for change in BookingChange.objects.filter(
        status=BookingChange.Status.PENDING_PAYMENT, hold_expires_at__lt=now
    ).select_related("payment"):
        payment = change.payment
        if payment is not None and payment.status in (Payment.Status.PENDING, Payment.Status.UNKNOWN):
            # the guest may have paid on the bank's page: ask before giving the nights back (paid: the change
            # applies; no answer: the payment is unknown and the change keeps waiting for reconciliation)
            payment_sync(payment=payment)
        if changes.booking_change_release(change=change).status == BookingChange.Status.EXPIRED:
            count += 1
    return count


def _change_payment_outcome(change: BookingChange, payment: Payment) -> None:
    """The bank's word on a change's payment, applied once: paid → apply the change (or refund in full when it
    can't be applied any more); failed → give back the nights it held."""
    if payment.status == Payment.Status.PAID:
        change, applied = changes.booking_change_complete(change=change)
        if applied:
            booking = Booking.objects.select_related("hotel", "partner").get(pk=change.booking_id)
            # the guest paid for it: applied even while a balance is being charged, which is left as it is
            balances_reschedule(booking=booking)
            _effects_write(booking, "modified", change=change)
        else:
            refund_request(payment=payment, amount=payment.amount, reason=f"change {change.pk} not applied")
    else:
        changes.booking_change_release(change=change, to=BookingChange.Status.FAILED)


def booking_expire(*, booking: Booking) -> Booking:
    """An unpaid hold ran out: release the nights and tell the guest. Idempotent."""
    with transaction.atomic():
        booking, changed = _transition(services.booking_expire, booking)
        if changed:
            _effects_write(booking, "expired")
    return booking


def holds_expire(*, now=None) -> int:
    """Expire every lapsed hold (the periodic task); returns how many were expired."""
    from django.utils import timezone

    now = now or timezone.now()
    count = 0
    lapsed = Booking.objects.filter(status=Status.PENDING_PAYMENT, hold_expires_at__lt=now).only(
        "pk", "hold_expires_at"
    )
    for booking in lapsed:
        if booking_expire(booking=booking).status == Status.EXPIRED:
            count += 1
    return count + booking_changes_expire(now=now)


def booking_mark(*, booking: Booking, to: str, actor=None, actor_kind: str = Actor.STAFF) -> Booking:
    """Front-desk transitions (checked in, checked out, no-show); a no-show charges its fee to a saved card."""
    if to == Status.NO_SHOW:
        return booking_no_show(booking=booking, actor=actor, actor_kind=actor_kind)
    return services.booking_mark(booking=booking, to=to, actor=actor, actor_kind=actor_kind)


def booking_refund(
    *,
    booking: Booking,
    amount: Decimal,
    reason: str,
    payment: Payment | None = None,
    actor=None,
    expected_refunded: Decimal | None = None,
) -> Refund | None:
    """Staff refund part of a booking's card payment: ``payment`` (one of the booking's, the one staff were shown),
    else its checkout payment. The amount is reserved now and sent to the bank after the commit; None when the
    booking has no card payment (partner bookings are settled with the partner). Raises ``PaymentError`` when the
    amount is more than what is left. Once the bank has made it, it is a reduction of what the guest owes
    (``payments.ledger.ledger_refund_record``: a negative charge and a credit note). Only the payment is locked
    here, so a guest cancelling at the same moment is never blocked by it. ``expected_refunded`` is what staff saw
    already refunded: the same form posted twice refunds once (``refund_request``)."""
    if payment is None:
        payment = booking_payment_paid(booking)
    if payment is None:
        return None
    if payment.booking_id != booking.pk:
        raise InvalidTransition(gettext("This payment is not one of this booking's."))
    return refund_request(payment=payment, amount=amount, reason=reason, expected_refunded=expected_refunded)


# --- bookings made by staff -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffRoom:
    """One room of a staff booking: the rate, the party (``hotels.basket.BasketLine``), the guest in it and, set by
    a manager, the price agreed with the guest (the room's total, taxes included) and why."""

    rate_plan: object
    line: object
    guest_name: str = ""
    price: Decimal | None = None
    price_reason: str = ""


# A payment link is e-mailed: the guest needs longer than the website's 15 minutes to open it.
STAFF_LINK_HOLD_MINUTES = 24 * 60


def booking_staff_create(
    *,
    hotel,
    stay,
    rooms: list[StaffRoom],
    guest,
    actor,
    payment_method: str,
    payment_reference: str = "",
) -> Booking:
    """A booking taken by staff (phone, e-mail, walk-in): the rooms are held by the same service and rules as the
    website's, the history names the staff member, the source is ``staff``. Then either an offline payment (cash,
    bank transfer, pay at the hotel) is recorded with its reference and the booking confirmed, in the same
    transaction, or (``payment_method="link"``) the rooms stay held for ``STAFF_LINK_HOLD_MINUTES`` and the caller
    e-mails the bank's page with :func:`payment_link_send` once this has committed (the bank is never called with
    the rooms' rows locked); the booking then confirms when the bank says it is paid, as a website booking does.

    Raises ``StayInvalid`` / ``SoldOut`` / ``PriceChanged`` / ``InvalidTransition``: nothing is held then."""
    from .lines import RoomRequest
    from .models import OfflinePayment
    from .overrides import room_line_price_override

    if any(room.rate_plan.room_type.hotel_id != hotel.pk for room in rooms):
        raise StayInvalid(gettext("Every room must be at the hotel of the booking."))
    link = payment_method == "link"
    lead = f"{guest.first_name} {guest.last_name}".strip()
    requests = [
        RoomRequest(
            room_type=room.rate_plan.room_type,
            rate_plan=room.rate_plan,
            adults=room.line.adults,
            children_ages=tuple(room.line.children_ages),
            guest_name=room.guest_name or lead,
        )
        for room in rooms
    ]
    with transaction.atomic():
        booking = services.booking_hold(
            stay=stay,
            rooms=requests,
            guest=guest,
            source=Booking.Source.STAFF,
            actor_kind=Actor.STAFF,
            hold_minutes=STAFF_LINK_HOLD_MINUTES if link else None,
        )
        booking.status_changes.update(actor=actor, note=f"nights held by {actor.email} (staff booking)")
        lines = list(booking.lines.order_by("position"))
        for line, room in zip(lines, rooms, strict=True):
            if room.price is not None and room.price != line.total:
                booking = room_line_price_override(line=line, price=room.price, reason=room.price_reason, actor=actor)
        if not link:
            offline = OfflinePayment.objects.create(
                booking=booking,
                method=payment_method,
                reference=payment_reference,
                amount=booking.total,
                currency=booking.currency,
                recorded_by=actor,
            )
            ledger_offline_payment_record(offline_payment=offline)
            booking = booking_confirm(
                booking=booking,
                actor_kind=Actor.STAFF,
                actor=actor,
                note=f"paid offline ({payment_method}), reference {payment_reference}"[:255],
            )
    return booking


def payment_link_send(*, booking: Booking) -> Payment:
    """Open (or reuse) the bank's payment page for a booking on hold and e-mail its link to the guest. A second
    call for the same open payment sends nothing new. Raises ``PaymentError`` when the bank can't be reached."""
    from django.conf import settings
    from django.urls import reverse

    from notifications.models import OutboundEmail
    from payments.return_tokens import payment_return_url
    from payments.services import payment_start

    payment = payment_start(
        booking=booking,
        return_url=payment_return_url(booking.reference),
        webhook_url=settings.SITE_URL + reverse("payments:webhook"),
    )
    _payment_link_email(booking=booking, payment=payment, kind=OutboundEmail.Kind.PAYMENT_LINK_GUEST)
    return payment


def change_payment_link_send(*, change: BookingChange) -> Payment:
    """A change made by staff waits for its difference: open the bank's page for it and e-mail its link to the
    guest (in the booking's language), instead of showing the bank's page to the staff member. Sent once per
    payment (asking again for the same open payment sends nothing new). Raises ``PaymentError`` when the bank
    can't be reached: nobody has a page to pay then, so the change is given up at once (``failed``, its nights
    back on sale) rather than blocking the booking's other changes for the whole of its hold; or
    ``InvalidTransition``."""
    from django.conf import settings
    from django.urls import reverse

    from notifications.models import OutboundEmail
    from payments.return_tokens import payment_return_url
    from payments.services import PaymentError

    booking = change.booking
    try:
        payment = booking_change_payment_start(
            change=change,
            return_url=payment_return_url(booking.reference),
            webhook_url=settings.SITE_URL + reverse("payments:webhook"),
        )
    except PaymentError:
        changes.booking_change_release(change=change, to=BookingChange.Status.FAILED)
        raise
    _payment_link_email(booking=booking, payment=payment, kind=OutboundEmail.Kind.CHANGE_PAYMENT_LINK_GUEST)
    return payment


def _payment_link_email(*, booking: Booking, payment: Payment, kind: str) -> None:
    """E-mail the guest the bank's page of ``payment``: once per payment, however often it is asked."""
    from notifications.services import email_queue

    with transaction.atomic():
        email_queue(
            kind=kind,
            recipient=booking.guest_email,
            booking=booking,
            dedupe_key=f"{kind}:{booking.reference}:{payment.idempotency_key}",
        )


# --- payment outcomes -----------------------------------------------------------------------------------------------


def payment_outcome_apply(*, payment: Payment, outcome: PaymentStatus) -> Payment:
    """Apply the bank's word on a payment to its booking, once, whichever way it arrives (return page, webhook,
    reconciliation) and however often: paid → confirm, or refund in full when the booking can't be confirmed any
    more (its nights were sold after the hold lapsed, it was cancelled meanwhile, or another payment already paid
    for it); failed → release the nights.

    Locks are always taken booking first, then payment (as cancelling and refunding do), so two of these paths
    running at once wait for each other instead of deadlocking."""
    with transaction.atomic():
        Booking.objects.select_for_update().filter(pk=payment.booking_id).values_list("pk", flat=True).get()
        payment, changed = payment_outcome_record(payment=payment, outcome=outcome)
        if not changed:
            return payment
        change = BookingChange.objects.filter(payment=payment).first()
        if change is not None:
            _change_payment_outcome(change, payment)
            payment.refresh_from_db()
            return payment
        booking = payment.booking
        if payment.scheduled_charge_id:  # a payment link for a balance or a fee
            _later_outcome(payment)
        elif payment.status in (Payment.Status.PAID, Payment.Status.SAVED):
            paid_before = (
                booking.payments.filter(paid_at__isnull=False, kind__in=Payment.CHECKOUT_KINDS)
                .exclude(pk=payment.pk)
                .exclude(booking_change__isnull=False)
                .exists()
            )
            try:
                if paid_before:
                    raise InvalidTransition(gettext("This booking was already paid by another payment."))
                with transaction.atomic():
                    note = (
                        f"paid, bank transaction {payment.bank_transaction_id}"
                        if payment.status == Payment.Status.PAID
                        else "card saved as a guarantee"
                    )
                    booking = booking_confirm(booking=booking, note=note)
                    _balance_schedule(booking)
            except (SoldOut, InvalidTransition) as exc:
                logger.warning("payment %s arrived for %s, which can't be confirmed: %s", payment.pk, booking, exc)
                if payment.status == Payment.Status.PAID:
                    refund_request(payment=payment, amount=payment.amount, reason=f"paid, not sold: {exc}")
                    _effects_write(booking, "late_payment_refunded")
        else:
            booking, booking_changed = _transition(
                services.booking_payment_failed, booking, note=f"bank: {payment.failure_code}"
            )
            if booking_changed:
                _effects_write(booking, "payment_failed")
    payment.refresh_from_db()
    return payment


def _balance_schedule(booking: Booking) -> list[ScheduledCharge]:
    """A deposit was paid: owe the balance, one charge per room's balance date, charged to the saved card on its
    date (in the confirmation's transaction; ``bookings.balances``)."""
    return balances_schedule(booking=booking)


# --- charging later, exactly once -----------------------------------------------------------------------------------

# After a declined charge: try again after these delays (the guest has a payment link meanwhile); then give up.
CHARGE_RETRY_DELAYS = (timedelta(days=1), timedelta(days=2))
CHARGE_MAX_ATTEMPTS = len(CHARGE_RETRY_DELAYS) + 1


def scheduled_charges_run(*, now=None) -> int:
    """Periodic (beat): charge every balance or fee that is due, each once. Returns how many attempts settled."""
    settled = 0
    for charge_id in scheduled_charges_due(now=now):
        payment = scheduled_charge_run(charge_id=charge_id, now=now)
        if payment is not None and payment.status in (Payment.Status.PAID, Payment.Status.FAILED):
            settled += 1
    # Charges whose answer was lost and that are owed no more (the booking was cancelled meanwhile): ask the bank
    # again with the same key; money it took is then refunded (_later_outcome).
    for payment in charge_payments_orphaned(now=now):
        result = scheduled_charge_send(payment=payment)
        if result is not None:
            _charge_result_apply(payment, result, now=now)
    return settled


def scheduled_charge_run(*, charge_id: int, now=None) -> Payment | None:
    """One attempt at a due charge: claim it (``payments.services.scheduled_charge_claim``: another worker's claim,
    a retried task or a crash never make a second charge), ask the bank, apply its answer. An answer that did not
    come back leaves the payment ``unknown``: the next run asks again with the same key."""
    payment = scheduled_charge_claim(charge_id=charge_id, now=now)
    if payment is None:
        return None
    result = scheduled_charge_send(payment=payment)
    if result is None:
        payment.refresh_from_db()
        return payment
    return _charge_result_apply(payment, result, now=now)


def _charge_result_apply(payment: Payment, result, *, now=None) -> Payment:
    with transaction.atomic():
        Booking.objects.select_for_update().filter(pk=payment.booking_id).values_list("pk", flat=True).get()
        payment, changed = payment_charge_record(payment=payment, result=result)
        if changed:
            _later_outcome(payment, now=now)
    payment.refresh_from_db()
    return payment


def _later_outcome(payment: Payment, *, now=None) -> None:
    """What a settled later charge means, in the caller's transaction (holding the booking's lock): paid → the
    charge is settled by it and the guest gets the receipt by e-mail (a second payment for a charge settled or
    cancelled already is refunded in full); declined → the guest is sent a payment link and the card is tried
    again on :data:`CHARGE_RETRY_DELAYS`; after the last attempt an unpaid balance cancels the booking under its
    policy (the hotel is told by the cancellation's e-mail)."""
    from django.utils import timezone

    from notifications.models import OutboundEmail
    from notifications.services import email_queue

    now = now or timezone.now()
    charge = ScheduledCharge.objects.select_for_update().select_related("booking").get(pk=payment.scheduled_charge_id)
    booking = charge.booking
    if payment.status == Payment.Status.PAID:
        if charge.status not in ScheduledCharge.OPEN:
            logger.warning("payment %s paid %s, which is %s: refunded", payment.pk, charge.key, charge.status)
            refund_request(payment=payment, amount=payment.amount, reason=f"{charge.key} already {charge.status}")
            return
        charge.status, charge.payment, charge.settled_at, charge.last_error = (
            ScheduledCharge.Status.PAID,
            payment,
            now,
            "",
        )
        charge.save(update_fields=["status", "payment", "settled_at", "last_error"])
        email_queue(
            kind=OutboundEmail.Kind.CHARGE_RECEIPT_GUEST,
            recipient=booking.guest_email,
            booking=booking,
            dedupe_key=f"{OutboundEmail.Kind.CHARGE_RECEIPT_GUEST}:{charge.key}",
        )
        return
    if payment.bank_session_id or charge.status not in ScheduledCharge.OPEN:
        return  # a payment link not paid: the schedule goes on; or nothing is owed any more
    charge.last_error = payment.failure_code[:255]
    if charge.attempts >= CHARGE_MAX_ATTEMPTS:
        charge.status, charge.settled_at = ScheduledCharge.Status.FAILED, now
        charge.save(update_fields=["status", "settled_at", "last_error"])
        if charge.purpose == Payment.Kind.BALANCE and booking.status == Status.CONFIRMED:
            booking_cancel(
                booking=booking,
                actor_kind=Actor.SYSTEM,
                note=f"balance unpaid after {charge.attempts} attempts",
                charge_fee=False,
            )
        return
    charge.status = ScheduledCharge.Status.SCHEDULED
    charge.next_attempt_at = now + CHARGE_RETRY_DELAYS[charge.attempts - 1]
    charge.save(update_fields=["status", "next_attempt_at", "last_error"])
    email_queue(
        kind=OutboundEmail.Kind.CHARGE_DECLINED_GUEST,
        recipient=booking.guest_email,
        booking=booking,
        dedupe_key=f"{OutboundEmail.Kind.CHARGE_DECLINED_GUEST}:{charge.key}:{charge.attempts}",
    )


def payment_sync(*, payment: Payment) -> Payment:
    """Ask the bank about a payment and apply its answer (return page, reconciliation)."""
    outcome = payment_status_fetch(payment=payment)
    if outcome is None:
        payment.refresh_from_db()
        return payment
    return payment_outcome_apply(payment=payment, outcome=outcome)


def payment_webhook_receive(*, body: bytes, signature_header: str | None) -> Payment | None:
    """Verify and apply the bank's signed webhook. Raises ``InvalidSignature`` / ``ValueError``; an unknown session
    is ignored (None)."""
    payment, outcome = payment_webhook_parse(body=body, signature_header=signature_header)
    if payment is None:
        return None
    return payment_outcome_apply(payment=payment, outcome=outcome)


REFUND_AGAIN = "owed after a refused refund"


def refunds_reconcile() -> int:
    """Periodic: settle the refunds whose outcome we don't know (asked again with their own keys), then ask once
    more for what a refused refund left owing to a guest. Returns how many refunds settled."""
    settled = payments_refunds_reconcile()
    for payment in Payment.objects.filter(
        status__in=[Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED], refunds__status=Refund.Status.FAILED
    ).distinct():
        _refund_what_is_owed(payment)
    return settled


def _owed_back(payment: Payment) -> Decimal:
    """What the guest must get back of ``payment`` in all: nothing while it pays for a sold booking; of a cancelled
    one, all but the part of the penalty the booking's other payments don't cover; all of a payment that bought
    nothing (a late payment, a booking paid twice, a payment link paid after the card was charged)."""
    booking = payment.booking
    if not payment_pays_for_booking(payment):
        return payment.amount
    if booking.status == Status.CANCELLED:
        this_net = payment.amount - payment.refunded_amount - payment.refund_pending_amount
        kept_elsewhere = booking_paid_net(booking) - this_net
        keep_here = max((booking.cancellation_penalty or 0) - kept_elsewhere, Decimal("0.00"))
        return payment.amount - min(keep_here, payment.amount)
    if booking.status in (Status.CONFIRMED, Status.CHECKED_IN, Status.CHECKED_OUT, Status.NO_SHOW):
        return Decimal("0.00")
    return payment.amount


def _refund_what_is_owed(payment: Payment) -> Refund | None:
    """When a refusal left a guest short (a cancellation netted against a refund the bank then refused), ask for the
    rest, once: if the bank refuses that too, it stays for staff (the books audit reports it)."""
    with transaction.atomic():
        Booking.objects.select_for_update().filter(pk=payment.booking_id).values_list("pk", flat=True).get()
        payment = Payment.objects.select_for_update().select_related("booking").get(pk=payment.pk)
        if payment.refunds.filter(status=Refund.Status.FAILED, reason__startswith=REFUND_AGAIN).exists():
            return None
        short = _owed_back(payment) - payment.refunded_amount - payment.refund_pending_amount
        if short <= 0:
            return None
        return refund_request(payment=payment, amount=short, reason=f"{REFUND_AGAIN} ({payment.booking.status})")


def payments_reconcile() -> int:
    """Periodic: ask the bank about payments whose outcome we don't know yet; returns how many changed."""
    changed = 0
    for payment in payments_unsettled():
        before = payment.status
        if payment_sync(payment=payment).status != before:
            changed += 1
    return changed


# --- the effects' handlers (bookings.outbox runs them) --------------------------------------------------------------


@handler(Kind.RECEIPT)
def _issue_receipt(effect: BookingEffect) -> None:
    # issued once; a rendering error raises and is retried. A later payment's or a refund's effect names it.
    if effect.payload.get("payment"):
        payment_receipt_issue(payment=Payment.objects.get(pk=effect.payload["payment"]))
    elif effect.payload.get("refund"):
        payment_receipt_issue(refund=Refund.objects.get(pk=effect.payload["refund"]))
    else:
        receipt_issue(booking=effect.booking)


@handler(Kind.INVOICE)
def _issue_invoice(effect: BookingEffect) -> None:
    invoice_documents_sync(booking=effect.booking)  # brings the documents in line with the ledger; idempotent


@handler(Kind.PARTNER_WEBHOOK)
def _tell_partner(effect: BookingEffect) -> Retry | None:
    from partners.webhooks import RETRY_SCHEDULE, webhook_deliver

    delivery = webhook_deliver(
        partner_id=effect.booking.partner_id,
        event=effect.payload,
        attempt=effect.attempts,
        booking_id=effect.booking_id,
    )
    if delivery.delivered:
        return None
    return Retry(delivery.error or "not delivered", schedule=RETRY_SCHEDULE)


@handler(Kind.SUPPLIER_PLACE)
def _place_at_supplier(effect: BookingEffect) -> Retry | None:
    from suppliers.client import SupplierError
    from suppliers.models import SupplierBooking
    from suppliers.services import supplier_booking_place

    try:
        # attempts counts this one: more means an earlier attempt started, and its outcome at the supplier is
        # unknown (no answer, or its worker died), so even a booking cancelled since must be asked about
        link = supplier_booking_place(booking=effect.booking, resolve=effect.attempts > 1)
    except SupplierError as exc:
        return Retry(f"the supplier did not answer: {exc}")
    if link.status == SupplierBooking.Status.REFUSED and effect.booking.status == Status.CONFIRMED:
        booking_cancel(
            booking=effect.booking,
            actor_kind=Actor.SYSTEM,
            waive_penalty=True,
            note=f"the partner hotel refused: {link.last_error}"[:255],
        )
    return None


@handler(Kind.SUPPLIER_CANCEL)
def _cancel_at_supplier(effect: BookingEffect) -> Retry | None:
    from suppliers.client import SupplierError
    from suppliers.models import SupplierBooking
    from suppliers.services import supplier_booking_cancel_forward

    link = SupplierBooking.objects.get(booking=effect.booking)
    if link.status == SupplierBooking.Status.PENDING:
        placing = effect.booking.effects.filter(kind=Kind.SUPPLIER_PLACE, status=BookingEffect.Status.PENDING)
        if placing.exists():  # the placement may still go through: cancel it there once it has
            return Retry("waiting for the placement at the supplier to finish")
        return None  # never placed: nothing to cancel there
    try:
        supplier_booking_cancel_forward(booking=effect.booking)
    except SupplierError as exc:
        return Retry(f"the supplier did not answer: {exc}")
    return None
