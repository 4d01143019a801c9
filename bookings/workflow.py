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
from decimal import Decimal

from django.db import transaction

from notifications.services import booking_emails_for_event
from payments.gateways.base import PaymentStatus
from payments.invoices import invoice_documents_sync
from payments.ledger import ledger_cancellation_record, ledger_charge_add, ledger_stay_charge
from payments.models import LedgerEntry, Payment, Refund
from payments.receipts import receipt_issue
from payments.services import (
    booking_payment_paid,
    payment_outcome_record,
    payment_status_fetch,
    payment_webhook_parse,
    payments_unsettled,
    refund_request,
)
from payments.services import refunds_reconcile as payments_refunds_reconcile

from . import services
from .exceptions import InvalidTransition, SoldOut
from .models import Booking, BookingEffect, BookingStatusChange
from .outbox import Retry, effect_write, handler

logger = logging.getLogger("staybook.workflow")
Actor = BookingStatusChange.Actor
Kind = BookingEffect.Kind
Status = Booking.Status


# --- what follows each event ------------------------------------------------------------------------------------

# event → the booking effects it writes (e-mails are chosen by notifications.services.EVENT_EMAILS)
EVENT_EFFECTS = {
    "confirmed": [Kind.RECEIPT, Kind.INVOICE, Kind.PARTNER_WEBHOOK, Kind.SUPPLIER_PLACE],
    "cancelled": [Kind.INVOICE, Kind.PARTNER_WEBHOOK, Kind.SUPPLIER_CANCEL],
    "reduced": [Kind.INVOICE],
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


def _effects_write(booking: Booking, event: str, key_suffix: str = "") -> None:
    """Write what must follow ``event``, in the caller's transaction (the change's own); ``key_suffix`` tells apart
    events that can happen more than once to a booking."""
    booking_emails_for_event(booking=booking, event=event)
    for kind in EVENT_EFFECTS[event]:
        if not _applies(kind, booking):
            continue
        key = f"{booking.reference}:{event}{key_suffix and ':' + key_suffix}:{kind}"
        payload = {}
        if kind == Kind.PARTNER_WEBHOOK:
            from partners.webhooks import webhook_event_build

            # Built now, so the partner hears of the booking as this change left it, even if it changes again
            # before the webhook goes out.
            payload = webhook_event_build(booking=booking, event=event, event_id=webhook_event_id(key))
        effect_write(booking=booking, kind=kind, key=key, payload=payload)


def _transition(func, booking: Booking, **kwargs) -> tuple[Booking, bool]:
    """Run a ``bookings.services`` transition under the booking's lock; ``(booking, changed)``, where ``changed``
    is True only for the call that moved it (transitions are idempotent; consequences must be too)."""
    before = Booking.objects.select_for_update().filter(pk=booking.pk).values_list("status", flat=True).get()
    after = func(booking=booking, **kwargs)
    return after, after.status != before


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
    *, booking: Booking, actor_kind: str, actor=None, waive_penalty: bool = False, note: str = ""
) -> Booking:
    """Cancel: the nights go back on sale, the penalty due under the booking's policy is kept and the rest of the
    card payment is refunded through the bank (asynchronously: the refund is written now, in the same
    transaction, and settles when the bank answers). Cancelling twice returns the booking unchanged."""
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
            payment = booking_payment_paid(booking)
            if payment is not None:  # all that is left, less the penalty, counted under the payment's lock
                refund_request(payment=payment, amount=None, keep=booking.cancellation_penalty, reason="cancellation")
            ledger_cancellation_record(booking=booking, actor_kind=actor_kind, actor=actor)
            _effects_write(booking, "cancelled")
    return booking


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
    return count


def booking_mark(*, booking: Booking, to: str, actor=None, actor_kind: str = Actor.STAFF) -> Booking:
    """Front-desk transitions (checked in, checked out, no-show): nothing follows them."""
    return services.booking_mark(booking=booking, to=to, actor=actor, actor_kind=actor_kind)


def booking_refund(*, booking: Booking, amount: Decimal, reason: str, actor=None) -> Refund | None:
    """Staff refund part of a booking's card payment: a reduction of what the guest owes (a negative charge in the
    ledger and a credit note), written with the refund. The amount is reserved now and sent to the bank after the
    commit; None when the booking has no card payment (partner bookings are settled with the partner). Raises
    ``PaymentError`` when the amount is more than what is left."""
    payment = booking_payment_paid(booking)
    if payment is None:
        return None
    with transaction.atomic():
        refund = refund_request(payment=payment, amount=amount, reason=reason)
        ledger_charge_add(
            booking=booking,
            key=f"reduction:refund-{refund.pk}",
            category=LedgerEntry.Category.REDUCTION,
            amount=-refund.amount,
            description=reason or "Reduction",
            actor_kind=Actor.STAFF,
            actor=actor,
        )
        _effects_write(booking, "reduced", key_suffix=f"refund-{refund.pk}")
    return refund


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
        booking = payment.booking
        if payment.status == Payment.Status.PAID:
            paid_before = booking.payments.filter(paid_at__isnull=False).exclude(pk=payment.pk).exists()
            try:
                if paid_before:
                    raise InvalidTransition("This booking was already paid by another payment.")
                with transaction.atomic():
                    booking_confirm(booking=booking, note=f"paid, bank transaction {payment.bank_transaction_id}")
            except (SoldOut, InvalidTransition) as exc:
                logger.warning("payment %s arrived for %s, which can't be confirmed: %s", payment.pk, booking, exc)
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
    """What the guest must get back of ``payment`` in all: nothing while it pays for a sold booking; all but the
    penalty of a cancelled one; all of a payment that bought nothing (a late payment, a booking paid twice)."""
    booking = payment.booking
    pays_for_it = booking_payment_paid(booking) == payment
    if booking.status == Status.CANCELLED and pays_for_it:
        return payment.amount - (booking.cancellation_penalty or 0)
    if booking.status in (Status.CONFIRMED, Status.CHECKED_IN, Status.CHECKED_OUT, Status.NO_SHOW) and pays_for_it:
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
    receipt_issue(booking=effect.booking)  # issued once; a rendering error raises and is retried


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
