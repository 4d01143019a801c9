"""Writes on payments: start a payment at the bank, record the bank's answer, refund, reconcile.

This module knows how to charge and refund; what a payment or a refund means for a booking (confirm it, take its
nights again, refund a late payment) is decided in ``bookings.workflow``, which calls these functions.

The browser is never trusted: an outcome comes from the bank, either asked server-to-server (return page,
reconciliation) or pushed in a signed webhook. Recording an outcome is idempotent, and a timeout leaves the
payment ``unknown``: never marked paid or failed on a guess. Refunds are asynchronous bank operations in the same
way: reserved under the payment's lock, sent after the commit, ``unknown`` when the answer is lost, and asked
again with the same idempotency key until the bank settles them.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bookings.exceptions import BookingError
from bookings.models import Booking
from config.celery import enqueue_on_commit

from .gateways import get_gateway
from .gateways.base import GatewayError, GatewayUnavailable, PaymentStatus
from .ledger import ledger_payment_record, ledger_refund_record, ledger_refund_refused
from .models import Payment, Refund

logger = logging.getLogger(__name__)
FINAL = (Payment.Status.PAID, Payment.Status.FAILED, Payment.Status.REFUNDED, Payment.Status.PARTIALLY_REFUNDED)


class PaymentError(Exception):
    def __init__(self, message: str, code: str = "payment_error"):
        super().__init__(message)
        self.message = message
        self.code = code


def _gateway_name() -> str:
    from django.conf import settings

    return settings.PAYMENT_GATEWAY.rsplit(".", 1)[-1]


def payment_start(*, booking: Booking, return_url: str, webhook_url: str | None) -> Payment:
    """Open a payment session at the bank for a booking on hold; return the Payment with ``bank_redirect_url``.

    A second call for the same booking (double-clicked "Pay", a second tab, the back button) gets the same bank
    session: an open payment is reused, and one whose session is still being opened by the first call is asked of
    the bank again with the same idempotency key, which the bank answers with the same session. Raises
    :class:`PaymentError` when the booking can't be paid or the bank can't be reached (nothing is charged then).
    """
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status != Booking.Status.PENDING_PAYMENT:
            raise PaymentError("This booking is not waiting for payment.", code="not_payable")
        if booking.hold_expires_at and booking.hold_expires_at <= timezone.now():
            raise PaymentError("Your hold on these rooms has expired. Please search again.", code="hold_expired")
        payment = (
            booking.payments.filter(status__in=[Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.UNKNOWN])
            .order_by("-created_at")
            .first()
        )
        if payment and payment.bank_redirect_url:
            return payment
        if payment is None:
            attempt = booking.payments.count() + 1
            payment = Payment.objects.create(
                booking=booking,
                gateway=_gateway_name(),
                amount=booking.total,
                currency=booking.currency,
                idempotency_key=f"{booking.reference}-pay-{attempt}",
            )
    try:
        session = get_gateway().create_session(
            amount=payment.amount,
            currency=payment.currency,
            reference=booking.reference,
            return_url=return_url,
            webhook_url=webhook_url,
            idempotency_key=payment.idempotency_key,
            description=f"{booking.hotel.name}, {booking.check_in:%d %b} – {booking.check_out:%d %b %Y}",
        )
    except GatewayError as exc:
        # Only a session nobody has opened meanwhile is given up (another click may have got it from the bank).
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.CREATED).update(
            status=Payment.Status.FAILED,
            failure_code="session_not_created",
            bank_responses=[*payment.bank_responses, {"error": str(exc)[:500]}],
            updated_at=timezone.now(),
        )
        raise PaymentError(
            "The bank can't take payments right now. Your rooms stay held: please try again in a minute.",
            code="bank_unavailable",
        ) from exc
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.bank_session_id != session.session_id and payment.status in (
            Payment.Status.CREATED,
            Payment.Status.FAILED,  # given up by a click whose answer was lost, but the bank opened it
        ):
            payment.status = Payment.Status.PENDING
            payment.failure_code = ""
            payment.bank_session_id = session.session_id
            payment.bank_redirect_url = session.redirect_url
            payment.bank_responses = [*payment.bank_responses, session.raw]
            payment.save(
                update_fields=[
                    "status",
                    "failure_code",
                    "bank_session_id",
                    "bank_redirect_url",
                    "bank_responses",
                    "updated_at",
                ]
            )
    return payment


def change_payment_start(
    *, booking: Booking, amount: Decimal, idempotency_key: str, return_url: str, webhook_url: str | None
) -> Payment:
    """Open a bank session for ``amount`` owed by a confirmed booking (the difference of a change, issue 17); the
    Payment is written under ``idempotency_key`` once, so a second call reuses it and its session. Raises
    :class:`PaymentError` when the bank can't be reached (nothing is charged then)."""
    with transaction.atomic():
        Booking.objects.select_for_update().filter(pk=booking.pk).values_list("pk", flat=True).get()
        payment, _ = Payment.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={"booking": booking, "gateway": _gateway_name(), "amount": amount, "currency": booking.currency},
        )
        if payment.bank_redirect_url:
            return payment
    try:
        session = get_gateway().create_session(
            amount=payment.amount,
            currency=payment.currency,
            reference=booking.reference,
            return_url=return_url,
            webhook_url=webhook_url,
            idempotency_key=payment.idempotency_key,
            description=f"{booking.hotel.name}, change to {booking.reference}",
        )
    except GatewayError as exc:
        raise PaymentError(
            "The bank can't take payments right now. Please try again in a minute.", "bank_unavailable"
        ) from exc
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if not payment.bank_session_id:
            payment.status = Payment.Status.PENDING
            payment.bank_session_id = session.session_id
            payment.bank_redirect_url = session.redirect_url
            payment.bank_responses = [*payment.bank_responses, session.raw]
            payment.save(
                update_fields=["status", "bank_session_id", "bank_redirect_url", "bank_responses", "updated_at"]
            )
    return payment


def payment_outcome_record(*, payment: Payment, outcome: PaymentStatus) -> tuple[Payment, bool]:
    """Record the bank's word on a session: ``paid`` or ``failed``. Returns ``(payment, changed)``; ``changed`` is
    True only for the call that moved the payment to a final state, so the caller (``bookings.workflow``) acts on
    an outcome once. A final state is never changed by a later answer; an amount that differs from ours is not
    believed (``unknown``). What a payment means for its booking is the workflow's business, not this module's."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status in FINAL or outcome.status == "open":
            return payment, False
        if outcome.amount != payment.amount or outcome.currency != payment.currency:
            logger.error(
                "payment %s: bank amount %s %s differs from ours", payment.pk, outcome.amount, outcome.currency
            )
            payment.status = Payment.Status.UNKNOWN
            payment.save(update_fields=["status", "updated_at"])
            return payment, False
        payment.bank_responses = [*payment.bank_responses, outcome.raw]
        payment.last_checked_at = timezone.now()
        if outcome.status == "paid":
            payment.status = Payment.Status.PAID
            payment.paid_at = timezone.now()
            payment.bank_transaction_id = outcome.transaction_id or ""
            payment.authorization_code = outcome.authorization_code or ""
            payment.card_brand = outcome.card_brand or ""
            payment.card_last4 = (outcome.card_last4 or "")[-4:]
        else:
            payment.status = Payment.Status.FAILED
            payment.failure_code = outcome.failure_code or "failed"
        payment.save()
        if payment.status == Payment.Status.PAID:
            ledger_payment_record(payment=payment)  # the booking's ledger, in the same transaction
    return payment, True


def payment_status_fetch(*, payment: Payment) -> PaymentStatus | None:
    """Ask the bank for the session's outcome. None when there is nothing to ask (final, or never opened) or the
    bank did not answer usefully: then the payment is marked ``unknown`` (never paid or failed on a guess)."""
    if payment.status in FINAL or not payment.bank_session_id:
        return None
    try:
        return get_gateway().get_status(payment.bank_session_id)
    except GatewayError as exc:
        logger.warning("payment %s: bank status unavailable (%s)", payment.pk, exc)
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.UNKNOWN, last_checked_at=timezone.now()
        )
        Payment.objects.filter(pk=payment.pk).update(last_checked_at=timezone.now())
        return None


def payment_webhook_parse(*, body: bytes, signature_header: str | None) -> tuple[Payment | None, PaymentStatus]:
    """Verify a webhook from the bank: ``(our payment or None for an unknown session, the session's status)``.
    Raises ``InvalidSignature`` or ``ValueError`` (a signed body that isn't an event)."""
    event = get_gateway().parse_webhook(body=body, signature_header=signature_header)
    payment = Payment.objects.filter(bank_session_id=event.session.session_id).first()
    if payment is None:
        logger.warning("webhook for unknown session %s", event.session.session_id)
    return payment, event.session


def payments_unsettled(*, older_than: timedelta = timedelta(minutes=2)):
    """Payments whose outcome we don't know yet, opened more than ``older_than`` ago (for reconciliation)."""
    cutoff = timezone.now() - older_than
    return (
        Payment.objects.filter(status__in=[Payment.Status.PENDING, Payment.Status.UNKNOWN], created_at__lt=cutoff)
        .exclude(bank_session_id="")
        .order_by("created_at")
    )


# --- Refunds: asynchronous bank operations ------------------------------------------------------------------------


def refundable_amount(payment: Payment) -> Decimal:
    """What can still be asked back: the amount less settled refunds and refunds still under way."""
    return payment.amount - payment.refunded_amount - payment.refund_pending_amount


def refund_request(
    *, payment: Payment, amount: Decimal | None, reason: str, keep: Decimal = Decimal("0.00")
) -> Refund | None:
    """Reserve ``amount`` of a paid payment and write a ``pending`` refund, in the caller's transaction; the bank
    is asked after the commit (:func:`refund_send`) and again by reconciliation until it settles.

    The amount is reserved under the payment's lock, so two requests at once (a double click, two staff members)
    can never together ask for more than was paid; a database constraint holds the same rule. ``amount=None``
    means "everything not refunded or being refunded yet, less ``keep``" (a cancellation keeping its penalty),
    computed under that lock, so a refund committed a moment earlier is counted; then None is returned when nothing
    is left. Raises :class:`PaymentError` (``not_refundable``, ``refund_too_large``)."""
    from .tasks import send_refund

    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status not in (Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED):
            raise PaymentError("Only a paid payment can be refunded.", code="not_refundable")
        left = refundable_amount(payment)
        if amount is None:
            amount = left - keep
            if amount <= 0:
                return None
        if amount <= 0 or amount > left:
            under_way = (
                f" ({payment.refund_pending_amount} is already being refunded)" if payment.refund_pending_amount else ""
            )
            raise PaymentError(f"You can refund at most {left} {payment.currency}{under_way}.", code="refund_too_large")
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            reason=reason[:255],
            # Unique per refund and fixed once written: every retry of this refund reuses it.
            idempotency_key=f"{payment.idempotency_key}-refund-{payment.refunds.count() + 1}",
        )
        payment.refund_pending_amount += amount
        payment.save(update_fields=["refund_pending_amount", "updated_at"])
        enqueue_on_commit(send_refund, refund.pk)
    return refund


def _refund_claim(refund_id: int) -> Refund | None:
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(skip_locked=True)
            .select_related("payment")
            .filter(pk=refund_id, status__in=Refund.UNSETTLED)
            .first()
        )
        if refund is None:
            return None  # settled already, or being sent right now
        refund.attempts += 1
        refund.last_attempt_at = timezone.now()
        refund.save(update_fields=["attempts", "last_attempt_at"])
    return refund


def refund_send(*, refund_id: int) -> Refund | None:
    """Ask the bank to make a pending or unknown refund, always with the refund's own idempotency key, and settle
    what it says: a refund → ``succeeded``; an explicit refusal → ``failed`` (the reservation is released); no
    usable answer (timeout, connection reset, 5xx, garbage) → ``unknown``, asked again by reconciliation.
    Safe to run twice or concurrently: the bank answers a repeated key with its first result."""
    refund = _refund_claim(refund_id)
    if refund is None:
        return Refund.objects.filter(pk=refund_id).first()
    payment = refund.payment
    try:
        result = get_gateway().refund(
            transaction_id=payment.bank_transaction_id,
            amount=refund.amount,
            currency=payment.currency,
            idempotency_key=refund.idempotency_key,
        )
    except GatewayUnavailable as exc:
        logger.warning("refund %s: outcome unknown (%s); reconciliation will ask again", refund.pk, exc)
        Refund.objects.filter(pk=refund.pk, status__in=Refund.UNSETTLED).update(
            status=Refund.Status.UNKNOWN, last_error=str(exc)[:500]
        )
        return Refund.objects.get(pk=refund.pk)
    except GatewayError as exc:
        return _refund_settle(refund.pk, succeeded=False, response={"error": exc.code, "message": str(exc)[:300]})
    if result.amount != refund.amount:
        logger.error("refund %s: the bank refunded %s, we asked %s", refund.pk, result.amount, refund.amount)
        Refund.objects.filter(pk=refund.pk, status__in=Refund.UNSETTLED).update(
            status=Refund.Status.UNKNOWN, last_error=f"the bank answered {result.amount}", bank_response=result.raw
        )
        return Refund.objects.get(pk=refund.pk)
    return _refund_settle(refund.pk, succeeded=True, response=result.raw, bank_refund_id=result.refund_id)


def _refund_settle(refund_id: int, *, succeeded: bool, response: dict, bank_refund_id: str = "") -> Refund:
    """Move a refund to its final state and its amount from "under way" to "refunded" (or back to refundable),
    once: a refund settled already is returned as is."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        if refund.status not in Refund.UNSETTLED:
            return refund
        # booking, then payment: the order every path takes (cancelling locks the booking, then refunds)
        Booking.objects.select_for_update().filter(pk=refund.payment.booking_id).values_list("pk", flat=True).get()
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        payment.refund_pending_amount -= refund.amount
        if succeeded:
            payment.refunded_amount += refund.amount
            payment.status = (
                Payment.Status.REFUNDED
                if payment.refunded_amount >= payment.amount
                else Payment.Status.PARTIALLY_REFUNDED
            )
            refund.status = Refund.Status.SUCCEEDED
            refund.bank_refund_id = bank_refund_id[:80]
            refund.last_error = ""
        else:
            refund.status = Refund.Status.FAILED
            refund.last_error = str(response.get("message") or response.get("error") or "refused")[:500]
        refund.bank_response = response
        refund.settled_at = timezone.now()
        refund.save()
        payment.save(update_fields=["refund_pending_amount", "refunded_amount", "status", "updated_at"])
        if succeeded:
            ledger_refund_record(refund=refund)  # the booking's ledger, in the same transaction
        else:
            ledger_refund_refused(refund=refund)  # a reduction it was asked for is taken back
        if succeeded and _pays_for_the_booking(payment):
            Booking.objects.filter(pk=payment.booking_id).update(
                refunded_amount=F("refunded_amount") + refund.amount, updated_at=timezone.now()
            )
    return refund


def _pays_for_the_booking(payment: Payment) -> bool:
    """True for the booking's first paid payment: its refunds are the booking's. A later one paid the same booking
    again by mistake, and is refunded on its own, outside the booking's price."""
    first = (
        Payment.objects.filter(booking_id=payment.booking_id, paid_at__isnull=False)
        .order_by("paid_at", "id")
        .values_list("pk", flat=True)
        .first()
    )
    return first == payment.pk


def refunds_reconcile(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Periodic: send again (same key) every refund still pending or unknown after ``older_than``, so a refund
    whose answer was lost, or whose task the broker lost, settles. Returns how many settled now."""
    cutoff = timezone.now() - older_than
    settled = 0
    for refund_id in Refund.objects.filter(status__in=Refund.UNSETTLED, created_at__lt=cutoff).values_list(
        "pk", flat=True
    )[:500]:
        refund = refund_send(refund_id=refund_id)
        if refund is not None and refund.status not in Refund.UNSETTLED:
            settled += 1
    return settled


def booking_payment_paid(booking: Booking) -> Payment | None:
    """The booking's paid card payment (partner bookings have none)."""
    return booking.payments.filter(status__in=[Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED]).first()


__all__ = [
    "BookingError",
    "GatewayUnavailable",
    "PaymentError",
    "booking_payment_paid",
    "change_payment_start",
    "payment_outcome_record",
    "payment_start",
    "payment_status_fetch",
    "payment_webhook_parse",
    "payments_unsettled",
    "refund_request",
    "refund_send",
    "refundable_amount",
    "refunds_reconcile",
]
