"""Writes on payments: start a payment at the bank, apply the bank's answer, refund, reconcile.

The browser is never trusted: an outcome comes from the bank, either asked server-to-server (return page,
reconciliation) or pushed in a signed webhook. Applying an outcome is idempotent — the return and the webhook,
in either order and repeated, confirm the booking once. A timeout leaves the payment ``unknown``: never marked
paid or failed on a guess.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from bookings.exceptions import BookingError, InvalidTransition, SoldOut
from bookings.models import Booking
from bookings.signals import booking_event

from .gateways import get_gateway
from .gateways.base import GatewayError, GatewayUnavailable, PaymentStatus
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

    A second call for the same booking (double-clicked "Pay", back button) returns the session already open
    instead of opening another. Raises :class:`PaymentError` when the booking can't be paid or the bank can't be
    reached (nothing is charged then).
    """
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status != Booking.Status.PENDING_PAYMENT:
            raise PaymentError("This booking is not waiting for payment.", code="not_payable")
        if booking.hold_expires_at and booking.hold_expires_at <= timezone.now():
            raise PaymentError("Your hold on these rooms has expired. Please search again.", code="hold_expired")
        open_payment = booking.payments.filter(status__in=[Payment.Status.PENDING, Payment.Status.UNKNOWN]).first()
        if open_payment and open_payment.bank_redirect_url:
            return open_payment
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
        payment.status = Payment.Status.FAILED
        payment.failure_code = "session_not_created"
        payment.bank_responses = [*payment.bank_responses, {"error": str(exc)[:500]}]
        payment.save(update_fields=["status", "failure_code", "bank_responses", "updated_at"])
        raise PaymentError(
            "The bank can't take payments right now. Your rooms stay held: please try again in a minute.",
            code="bank_unavailable",
        ) from exc
    payment.status = Payment.Status.PENDING
    payment.bank_session_id = session.session_id
    payment.bank_redirect_url = session.redirect_url
    payment.bank_responses = [*payment.bank_responses, session.raw]
    payment.save(update_fields=["status", "bank_session_id", "bank_redirect_url", "bank_responses", "updated_at"])
    return payment


def payment_apply(*, payment: Payment, outcome: PaymentStatus) -> Payment:
    """Apply the bank's word on a session. Idempotent; a final state is never changed by a later answer."""
    from bookings.services import booking_confirm, booking_payment_failed

    late_refund = False
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("booking").get(pk=payment.pk)
        if payment.status in FINAL or outcome.status == "open":
            return payment
        if outcome.amount != payment.amount or outcome.currency != payment.currency:
            logger.error(
                "payment %s: bank amount %s %s differs from ours", payment.pk, outcome.amount, outcome.currency
            )
            payment.status = Payment.Status.UNKNOWN
            payment.save(update_fields=["status", "updated_at"])
            return payment
        payment.bank_responses = [*payment.bank_responses, outcome.raw]
        payment.last_checked_at = timezone.now()
        if outcome.status == "paid":
            payment.status = Payment.Status.PAID
            payment.paid_at = timezone.now()
            payment.bank_transaction_id = outcome.transaction_id or ""
            payment.authorization_code = outcome.authorization_code or ""
            payment.card_brand = outcome.card_brand or ""
            payment.card_last4 = (outcome.card_last4 or "")[-4:]
            payment.save()
            try:
                with transaction.atomic():
                    booking_confirm(
                        booking=payment.booking, note=f"paid, bank transaction {payment.bank_transaction_id}"
                    )
            except (SoldOut, InvalidTransition):
                late_refund = True
        else:
            payment.status = Payment.Status.FAILED
            payment.failure_code = outcome.failure_code or "failed"
            payment.save()
            booking_payment_failed(booking=payment.booking, note=f"bank: {payment.failure_code}")
    if late_refund:
        payment_refund(payment=payment, amount=payment.amount, reason="late payment: rooms no longer available")
        booking = payment.booking
        transaction.on_commit(
            lambda: booking_event.send(
                sender=Booking, booking=booking, event="late_payment_refunded", actor_kind="system"
            )
        )
    payment.refresh_from_db()
    return payment


def payment_sync(*, payment: Payment) -> Payment:
    """Ask the bank for the session's outcome and apply it; a timeout or garbage marks it ``unknown``."""
    if payment.status in FINAL or not payment.bank_session_id:
        return payment
    try:
        outcome = get_gateway().get_status(payment.bank_session_id)
    except GatewayError as exc:
        logger.warning("payment %s: bank status unavailable (%s)", payment.pk, exc)
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.UNKNOWN, last_checked_at=timezone.now()
        )
        Payment.objects.filter(pk=payment.pk).update(last_checked_at=timezone.now())
        payment.refresh_from_db()
        return payment
    return payment_apply(payment=payment, outcome=outcome)


def payment_webhook_receive(*, body: bytes, signature_header: str | None) -> Payment | None:
    """Verify and apply a webhook from the bank. Raises ``InvalidSignature``; an unknown session is ignored."""
    event = get_gateway().parse_webhook(body=body, signature_header=signature_header)
    payment = Payment.objects.filter(bank_session_id=event.session.session_id).first()
    if payment is None:
        logger.warning("webhook for unknown session %s", event.session.session_id)
        return None
    return payment_apply(payment=payment, outcome=event.session)


def payments_reconcile(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Ask the bank again about payments whose outcome we don't know (periodic task). Returns how many changed."""
    cutoff = timezone.now() - older_than
    changed = 0
    pending = Payment.objects.filter(status__in=[Payment.Status.PENDING, Payment.Status.UNKNOWN], created_at__lt=cutoff)
    for payment in pending.exclude(bank_session_id=""):
        before = payment.status
        if payment_sync(payment=payment).status != before:
            changed += 1
    return changed


def payment_refund(*, payment: Payment, amount: Decimal, reason: str) -> Refund:
    """Refund ``amount`` of a paid payment through the bank; raises :class:`PaymentError` if over what is left
    or the bank refuses. The refund's idempotency key makes a retried call safe."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        remaining = payment.amount - payment.refunded_amount
        if payment.status not in (Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED):
            raise PaymentError("Only a paid payment can be refunded.", code="not_refundable")
        if amount <= 0 or amount > remaining:
            raise PaymentError(f"You can refund at most {remaining} {payment.currency}.", code="refund_too_large")
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            reason=reason[:255],
            idempotency_key=f"{payment.idempotency_key}-refund-{payment.refunds.count() + 1}",
        )
    try:
        result = get_gateway().refund(
            transaction_id=payment.bank_transaction_id,
            amount=amount,
            currency=payment.currency,
            idempotency_key=refund.idempotency_key,
        )
    except GatewayError as exc:
        Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED, bank_response={"error": str(exc)[:500]})
        raise PaymentError(
            "The bank did not accept the refund; it has been recorded as failed and can be retried.",
            code="refund_failed",
        ) from exc
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        refund.status = Refund.Status.SUCCEEDED
        refund.bank_refund_id = result.refund_id
        refund.bank_response = result.raw
        refund.save(update_fields=["status", "bank_refund_id", "bank_response"])
        payment.refunded_amount += amount
        payment.status = (
            Payment.Status.REFUNDED if payment.refunded_amount >= payment.amount else Payment.Status.PARTIALLY_REFUNDED
        )
        payment.save(update_fields=["refunded_amount", "status", "updated_at"])
        Booking.objects.filter(pk=payment.booking_id).update(refunded_amount=payment.refunded_amount)
    return refund


def booking_refund(*, booking: Booking, amount: Decimal, reason: str) -> Refund | None:
    """Refund ``amount`` of a booking through its paid payment (partner bookings have none: nothing to do)."""
    payment = booking.payments.filter(status__in=[Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED]).first()
    if payment is None:
        return None
    return payment_refund(payment=payment, amount=amount, reason=reason)


__all__ = [
    "BookingError",
    "GatewayUnavailable",
    "PaymentError",
    "payment_start",
    "payment_apply",
    "payment_sync",
    "payment_webhook_receive",
    "payments_reconcile",
    "payment_refund",
    "booking_refund",
]
