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
from django.utils.translation import gettext_lazy as _

from bookings.exceptions import BookingError
from bookings.models import Booking
from config.celery import enqueue_on_commit
from hotels.payment_terms import GUARANTEE, payment_terms_of

from .descriptions import bank_description, change_description, charge_description, checkout_description
from .gateways import get_gateway
from .gateways.base import ChargeResult, GatewayError, GatewayUnavailable, PaymentStatus
from .ledger import ledger_payment_record, ledger_refund_record, ledger_refund_refused
from .models import Payment, Refund, SavedCard, ScheduledCharge

logger = logging.getLogger(__name__)
FINAL = (
    Payment.Status.PAID,
    Payment.Status.SAVED,
    Payment.Status.FAILED,
    Payment.Status.REFUNDED,
    Payment.Status.PARTIALLY_REFUNDED,
)
PAID_STATUSES = (Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED)
UNSETTLED = (Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.UNKNOWN)


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

    What is charged is what the booking's payment terms say is due now (``hotels.payment_terms``): the stay in
    full, a deposit (the card is saved for the balance), or nothing at all for a card guarantee (the card is only
    saved). A second call for the same booking (double-clicked "Pay", a second tab, the back button) gets the same
    bank session: an open payment is reused, and one whose session is still being opened by the first call is asked of
    the bank again with the same idempotency key, which the bank answers with the same session. Raises
    :class:`PaymentError` when the booking can't be paid or the bank can't be reached (nothing is charged then).
    """
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status != Booking.Status.PENDING_PAYMENT:
            raise PaymentError(str(_("This booking is not waiting for payment.")), code="not_payable")
        if booking.hold_expires_at and booking.hold_expires_at <= timezone.now():
            raise PaymentError(
                str(_("Your hold on these rooms has expired. Please search again.")), code="hold_expired"
            )
        checkout = booking.payments.filter(kind__in=Payment.CHECKOUT_KINDS)
        payment = checkout.filter(status__in=UNSETTLED).order_by("-created_at").first()
        if payment and payment.bank_redirect_url:
            return payment
        if payment is None:
            terms = payment_terms_of(booking)
            due_now = Decimal(terms["due_now"])
            kind = Payment.Kind.GUARANTEE if due_now == 0 else Payment.Kind.FULL
            if 0 < due_now < booking.total:
                kind = Payment.Kind.DEPOSIT
            payment = Payment.objects.create(
                booking=booking,
                kind=kind,
                gateway=_gateway_name(),
                amount=due_now,
                currency=booking.currency,
                attempt=checkout.count() + 1,
                idempotency_key=f"{booking.reference}-pay-{checkout.count() + 1}",
                bank_request={
                    "return_url": return_url,
                    "webhook_url": webhook_url,
                    "description": checkout_description(booking),
                },
            )
        # a second click asks again with the first click's request, so the bank answers with the same session
        return_url = payment.bank_request.get("return_url", return_url)
        webhook_url = payment.bank_request.get("webhook_url", webhook_url)
        description = bank_description(
            payment, legacy=f"{booking.hotel.name}, {booking.check_in:%d %b} – {booking.check_out:%d %b %Y}"
        )
    # the card is saved whenever something may be charged later (a balance, a no-show or cancellation fee)
    save_card = {"save_card": True} if payment.kind in (Payment.Kind.DEPOSIT, Payment.Kind.GUARANTEE) else {}
    try:
        session = get_gateway().create_session(
            amount=payment.amount,
            currency=payment.currency,
            reference=booking.reference,
            return_url=return_url,
            webhook_url=webhook_url,
            idempotency_key=payment.idempotency_key,
            description=description,
            **save_card,
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
            str(_("The bank can't take payments right now. Your rooms stay held: please try again in a minute.")),
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
    *,
    booking: Booking,
    amount: Decimal,
    idempotency_key: str,
    return_url: str,
    webhook_url: str | None,
    on_written=None,
) -> Payment:
    """Open a bank session for ``amount`` owed by a confirmed booking (the difference of a change, issue 17); the
    Payment is written under ``idempotency_key`` once, so a second call reuses it and its session. ``on_written``
    (the caller's check and link) runs with the payment under the booking's lock, in the transaction that writes
    it, before the bank is asked; what it raises leaves nothing written. Raises :class:`PaymentError` when the
    bank can't be reached (nothing is charged then)."""
    with transaction.atomic():
        Booking.objects.select_for_update().filter(pk=booking.pk).values_list("pk", flat=True).get()
        payment, _created = Payment.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "booking": booking,
                "kind": Payment.Kind.CHANGE_DIFFERENCE,
                "gateway": _gateway_name(),
                "amount": amount,
                "currency": booking.currency,
                "bank_request": {"description": change_description(booking)},
            },
        )
        if on_written is not None:
            on_written(payment)
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
            description=bank_description(payment, legacy=f"{booking.hotel.name}, change to {booking.reference}"),
        )
    except GatewayError as exc:
        raise PaymentError(
            str(_("The bank can't take payments right now. Please try again in a minute.")), "bank_unavailable"
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
        if outcome.status == "authorized":  # we only ask for manual capture where we capture ourselves
            return payment, False
        if outcome.card_token:
            _card_save(payment, token=outcome.card_token, brand=outcome.card_brand, last4=outcome.card_last4)
        status = {"saved": Payment.Status.SAVED, "paid": Payment.Status.PAID}.get(outcome.status, Payment.Status.FAILED)
        _payment_settle(
            payment,
            status=status,
            raw=outcome.raw,
            transaction_id=outcome.transaction_id,
            authorization_code=outcome.authorization_code,
            card_brand=outcome.card_brand,
            card_last4=outcome.card_last4,
            failure_code=outcome.failure_code,
        )
    return payment, True


def _payment_settle(
    payment: Payment,
    *,
    status: str,
    raw: dict,
    transaction_id: str | None,
    authorization_code: str | None,
    card_brand: str | None,
    card_last4: str | None,
    failure_code: str | None,
) -> None:
    """The one place where a payment of any kind (the stay, a deposit, a card guarantee, a balance, a fee, a
    change's difference; at checkout, on a saved card or through a payment link) reaches its final state:
    ``paid``, ``saved`` (a card guarantee, nothing charged) or ``failed``. Called under the payment's lock, in the
    transaction that records the bank's answer, once per payment."""
    payment.bank_responses = [*payment.bank_responses, raw]
    payment.last_checked_at = timezone.now()
    payment.card_brand = card_brand or payment.card_brand
    payment.card_last4 = (card_last4 or payment.card_last4)[-4:]
    payment.status = status
    if status in (Payment.Status.PAID, Payment.Status.SAVED):
        payment.paid_at = timezone.now()
        payment.bank_transaction_id = transaction_id or ""
        payment.authorization_code = authorization_code or ""
    else:
        payment.failure_code = (failure_code or "failed")[:40]
    payment.save()
    if status == Payment.Status.PAID:
        ledger_payment_record(payment=payment)  # the booking's ledger, in the same transaction
        _payment_documents(payment)


def _payment_documents(payment: Payment) -> None:
    """What a payment taken after the checkout (a balance, a fee, a change's difference) is owed, written in the
    transaction that settles it (the outbox): the invoice sync (the final invoice once a balance is paid, a fee's
    invoice) and its own PDF receipt. (A checkout payment's documents follow the booking's confirmation: its
    invoice effect issues the advance invoice of a deposit too.)"""
    from bookings.models import BookingEffect
    from bookings.outbox import effect_write

    booking = payment.booking
    if payment.kind in Payment.LATER_KINDS:
        effect_write(
            booking=booking,
            kind=BookingEffect.Kind.INVOICE,
            key=f"{booking.reference}:paid:invoice:payment-{payment.pk}",
        )
        effect_write(
            booking=booking,
            kind=BookingEffect.Kind.RECEIPT,
            key=f"{booking.reference}:paid:receipt:payment-{payment.pk}",
            payload={"payment": payment.pk},
        )
        if payment.scheduled_charge_id is None:  # a charge's payment is told by its charge receipt e-mail
            _receipt_email(booking, "PAYMENT_RECEIPT_GUEST", f"payment-{payment.pk}")


def _refund_documents(refund: Refund) -> None:
    """A settled refund's receipt (a PDF, through the outbox) and its e-mail, in the transaction that settles it."""
    from bookings.models import BookingEffect
    from bookings.outbox import effect_write

    booking = refund.payment.booking
    effect_write(
        booking=booking,
        kind=BookingEffect.Kind.RECEIPT,
        key=f"{booking.reference}:refunded:receipt:refund-{refund.pk}",
        payload={"refund": refund.pk},
    )
    _receipt_email(booking, "REFUND_RECEIPT_GUEST", f"refund-{refund.pk}")


def _receipt_email(booking: Booking, kind_name: str, subject: str) -> None:
    """The guest's receipt e-mail (not for a partner's booking: the partner tells its guest)."""
    from notifications.models import OutboundEmail
    from notifications.services import email_queue

    if booking.source == Booking.Source.PARTNER or not booking.guest_email:
        return
    kind = getattr(OutboundEmail.Kind, kind_name)
    email_queue(
        kind=kind,
        recipient=booking.guest_email,
        booking=booking,
        dedupe_key=f"{kind}:{booking.reference}:{subject}",
    )


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
    if not event.session.session_id:  # an event about none of our sessions (a provider's other notifications)
        return None, event.session
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
    *,
    payment: Payment,
    amount: Decimal | None,
    reason: str,
    keep: Decimal = Decimal("0.00"),
    expected_refunded: Decimal | None = None,
) -> Refund | None:
    """Reserve ``amount`` of a paid payment and write a ``pending`` refund, in the caller's transaction; the bank
    is asked after the commit (:func:`refund_send`) and again by reconciliation until it settles.

    The amount is reserved under the payment's lock, so two requests at once (a double click, two staff members)
    can never together ask for more than was paid; a database constraint holds the same rule. ``amount=None``
    means "everything not refunded or being refunded yet, less ``keep``" (a cancellation keeping its penalty),
    computed under that lock, so a refund committed a moment earlier is counted; then None is returned when nothing
    is left. ``expected_refunded``, when given, is what the payment had refunded or on its way back when the person
    asking saw it: under the lock, another figure means someone refunded meanwhile (the same form posted twice, at
    once or not), and nothing is refunded. Raises :class:`PaymentError` (``not_refundable``, ``refund_too_large``,
    ``refund_stale``)."""
    from .tasks import send_refund

    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status not in (Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED):
            raise PaymentError(str(_("Only a paid payment can be refunded.")), code="not_refundable")
        refunded = payment.refunded_amount + payment.refund_pending_amount
        if expected_refunded is not None and refunded != expected_refunded:
            text = _(
                "%(amount)s %(currency)s has already been refunded or is on its way since this page was shown. "
                "Check the amount and confirm again."
            )
            raise PaymentError(
                str(text) % {"amount": refunded, "currency": payment.currency},
                code="refund_stale",
            )
        left = refundable_amount(payment)
        if amount is None:
            amount = left - keep
            if amount <= 0:
                return None
        if amount <= 0 or amount > left:
            values = {"amount": left, "currency": payment.currency, "pending": payment.refund_pending_amount}
            if payment.refund_pending_amount:
                text = _("You can refund at most %(amount)s %(currency)s (%(pending)s is already being refunded).")
            else:
                text = _("You can refund at most %(amount)s %(currency)s.")
            raise PaymentError(str(text) % values, code="refund_too_large")
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
            _refund_documents(refund)
        else:
            ledger_refund_refused(refund=refund)  # a reduction it was asked for is taken back
        if succeeded and _pays_for_the_booking(payment):
            Booking.objects.filter(pk=payment.booking_id).update(
                refunded_amount=F("refunded_amount") + refund.amount, updated_at=timezone.now()
            )
    return refund


def _pays_for_the_booking(payment: Payment) -> bool:
    """True for a payment whose refunds are the booking's: its first paid checkout payment, and each later charge
    that settled what the booking owed (a balance, a fee). Another checkout payment paid the same booking again by
    mistake, and a later charge that settled nothing (a payment link paid after the card was charged) is one too:
    each is refunded on its own, outside the booking's price."""
    from bookings.models import BookingChange

    change = BookingChange.objects.filter(payment_id=payment.pk).values_list("status", flat=True).first()
    if change is not None:  # the difference of a change to the booking: it pays for it once the change applies
        return change == BookingChange.Status.APPLIED
    if payment.kind in Payment.LATER_KINDS:
        return ScheduledCharge.objects.filter(payment_id=payment.pk).exists()
    first = (
        Payment.objects.filter(booking_id=payment.booking_id, paid_at__isnull=False, kind__in=Payment.CHECKOUT_KINDS)
        .exclude(booking_change__isnull=False)
        .order_by("paid_at", "id")
        .values_list("pk", flat=True)
        .first()
    )
    return first == payment.pk


payment_pays_for_booking = _pays_for_the_booking


def booking_payments_paying(booking: Booking) -> list[Payment]:
    """The payments that pay for ``booking`` (see :func:`_pays_for_the_booking`), oldest first."""
    return [
        p
        for p in booking.payments.filter(status__in=PAID_STATUSES, amount__gt=0).order_by("paid_at", "id")
        if _pays_for_the_booking(p)
    ]


def booking_paid_net(booking: Booking) -> Decimal:
    """What the guest has paid for the booking and not been refunded (nor is being refunded)."""
    return sum(
        (p.amount - p.refunded_amount - p.refund_pending_amount for p in booking_payments_paying(booking)),
        Decimal("0.00"),
    )


def booking_refund_all_but(*, booking: Booking, keep: Decimal, reason: str) -> list[Refund]:
    """Refund everything the guest paid for the booking except ``keep`` (a cancellation's penalty), the latest
    payments first, in the caller's transaction (which holds the booking's lock)."""
    refunds = []
    left = booking_paid_net(booking) - keep
    for payment in reversed(booking_payments_paying(booking)):
        if left <= 0:
            break
        amount = min(refundable_amount(payment), left)
        if amount > 0:
            refunds.append(refund_request(payment=payment, amount=amount, reason=reason))
            left -= amount
    return refunds


# --- Saved cards and charges taken later --------------------------------------------------------------------------


def _card_save(payment: Payment, *, token: str, brand: str | None, last4: str | None) -> SavedCard:
    """Keep the bank's token for the booking's card (the first one saved stays: a second checkout can't swap it)."""
    card, _ = SavedCard.objects.get_or_create(
        booking_id=payment.booking_id,
        defaults={
            "gateway": payment.gateway,
            "token": token[:120],
            "brand": (brand or "")[:20],
            "last4": (last4 or "")[-4:],
        },
    )
    return card


def saved_card_of(booking: Booking) -> SavedCard | None:
    return SavedCard.objects.filter(booking=booking).first()


def scheduled_charge_create(
    *, booking: Booking, purpose: str, amount: Decimal, due_at, key: str | None = None
) -> ScheduledCharge | None:
    """Owe ``amount`` for ``purpose``, to be charged to the saved card from ``due_at``; in the caller's transaction.
    The same key is never owed twice (the first one is returned). None when there is nothing to charge."""
    if amount <= 0:
        return None
    charge, _ = ScheduledCharge.objects.get_or_create(
        key=key or f"{booking.reference}:{purpose}",
        defaults={
            "booking": booking,
            "purpose": purpose,
            "amount": amount,
            "currency": booking.currency,
            "due_at": due_at,
            "next_attempt_at": due_at,
        },
    )
    return charge


def charge_key_stem(charge: ScheduledCharge) -> str:
    """The stem of the idempotency keys of a charge's attempts at the bank: its key with ``-`` for ``:``. A charge
    keyed ``<reference>:<purpose>`` (every charge from before balances were split by date) keeps the stem
    ``<reference>-<purpose>`` its attempts always had; a balance of a later date, keyed
    ``<reference>:balance-<YYYY-MM-DD>``, has attempts ``<reference>-balance-<YYYY-MM-DD>-<attempt>``."""
    return charge.key.replace(":", "-")


def scheduled_charges_cancel(*, booking: Booking, purposes=None) -> int:
    """Nothing more is owed on these (the booking was cancelled or replaced by a fee); in the caller's transaction.
    A charge whose answer is still awaited is cancelled too: if the bank took the money, it is refunded."""
    charges = ScheduledCharge.objects.filter(booking=booking, status__in=ScheduledCharge.OPEN)
    if purposes is not None:
        charges = charges.filter(purpose__in=purposes)
    return charges.update(status=ScheduledCharge.Status.CANCELLED, settled_at=timezone.now())


# A claimed charge whose bank call did not come back (a crash, a timeout) is asked about again after this.
CHARGE_RECLAIM_AFTER = timedelta(minutes=2)


def scheduled_charges_due(*, now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        ScheduledCharge.objects.filter(status__in=ScheduledCharge.OPEN, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )


def charge_payments_orphaned(*, now=None) -> list[Payment]:
    """Attempts on saved cards whose answer was lost (``pending`` after a crash, ``unknown`` after a timeout) and
    whose charge is no longer open (cancelled meanwhile), so no claim will ask about them again."""
    cutoff = (now or timezone.now()) - CHARGE_RECLAIM_AFTER
    return list(
        Payment.objects.filter(
            scheduled_charge__isnull=False,
            bank_session_id="",
            status__in=[Payment.Status.PENDING, Payment.Status.UNKNOWN],
            updated_at__lt=cutoff,
        )
        .exclude(scheduled_charge__status__in=ScheduledCharge.OPEN)
        .select_related("booking")[:200]
    )


def scheduled_charge_claim(*, charge_id: int, now=None) -> Payment | None:
    """Claim a due charge for one attempt at the bank and return the attempt's payment, or None when it is not due,
    settled, or claimed by someone else right now.

    Under the charge's row lock (``SKIP LOCKED``: a second worker moves on), in a transaction committed before the
    bank is called: an attempt whose outcome is not known yet (a crash, a timeout) is returned again with its own
    idempotency key, so the bank answers it with its first result instead of charging again; otherwise a new
    attempt is written with the key ``<stem>-<attempt>`` (:func:`charge_key_stem`: ``<reference>-<purpose>-<n>``). The charge is not due again before
    :data:`CHARGE_RECLAIM_AFTER`, so a retried task or a second beat run finds nothing to do meanwhile."""
    now = now or timezone.now()
    with transaction.atomic():
        charge = (
            ScheduledCharge.objects.select_for_update(skip_locked=True)
            .select_related("booking")
            .filter(pk=charge_id, status__in=ScheduledCharge.OPEN, next_attempt_at__lte=now)
            .first()
        )
        if charge is None:
            return None
        payment = charge.payments.filter(status__in=UNSETTLED, bank_session_id="").order_by("-attempt").first()
        if payment is None:
            charge.attempts += 1
            payment = Payment.objects.create(
                booking=charge.booking,
                kind=charge.purpose,
                scheduled_charge=charge,
                attempt=charge.attempts,
                gateway=_gateway_name(),
                amount=charge.amount,
                currency=charge.currency,
                status=Payment.Status.PENDING,
                idempotency_key=f"{charge_key_stem(charge)}-{charge.attempts}",
            )
        charge.status = ScheduledCharge.Status.CHARGING
        charge.next_attempt_at = now + CHARGE_RECLAIM_AFTER
        charge.save(update_fields=["status", "attempts", "next_attempt_at"])
    return payment


def scheduled_charge_send(*, payment: Payment) -> ChargeResult | None:
    """Charge the booking's saved card for a claimed attempt, with the attempt's own idempotency key. Returns the
    bank's answer (a decline is an answer), or None when there is none (timeout, 5xx, garbage): the payment is
    then ``unknown`` and the next claim asks again with the same key. A refusal the bank explains (no such card)
    is a failed charge."""
    card = saved_card_of(payment.booking)
    if card is None:
        return _charge_refused(payment, "no_saved_card")
    try:
        return get_gateway().charge_token(
            token=card.token,
            amount=payment.amount,
            currency=payment.currency,
            reference=payment.booking.reference,
            idempotency_key=payment.idempotency_key,
        )
    except GatewayUnavailable as exc:
        logger.warning("payment %s: charge outcome unknown (%s); asking again with its key", payment.pk, exc)
        Payment.objects.filter(pk=payment.pk, status__in=UNSETTLED).update(
            status=Payment.Status.UNKNOWN, last_checked_at=timezone.now()
        )
        return None
    except GatewayError as exc:
        return _charge_refused(payment, exc.code)


def _charge_refused(payment: Payment, code: str) -> ChargeResult:
    return ChargeResult(
        charge_id="",
        status="failed",
        amount=payment.amount,
        currency=payment.currency,
        transaction_id=None,
        authorization_code=None,
        card_brand=None,
        card_last4=None,
        failure_code=code,
        raw={"error": code},
    )


def payment_charge_record(*, payment: Payment, result: ChargeResult) -> tuple[Payment, bool]:
    """Record the bank's answer to a charge on a saved card, once: ``(payment, changed)`` as for
    :func:`payment_outcome_record`. An amount that differs from ours is not believed (``unknown``)."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status in FINAL or result.status == "authorized":
            return payment, False
        if result.status != "failed" and (result.amount != payment.amount or result.currency != payment.currency):
            logger.error(
                "payment %s: bank charged %s %s, we asked otherwise", payment.pk, result.amount, result.currency
            )
            payment.status = Payment.Status.UNKNOWN
            payment.save(update_fields=["status", "updated_at"])
            return payment, False
        _payment_settle(
            payment,
            status=Payment.Status.PAID if result.status == "succeeded" else Payment.Status.FAILED,
            raw=result.raw,
            transaction_id=result.transaction_id,
            authorization_code=result.authorization_code,
            card_brand=result.card_brand,
            card_last4=result.card_last4,
            failure_code=result.failure_code,
        )
    return payment, True


def payment_link_start(*, charge: ScheduledCharge, return_url: str, webhook_url: str | None) -> Payment:
    """A payment link (the bank's hosted page) for what ``charge`` still owes, for a guest whose saved card was
    declined. The same link is reused while it is open; its outcome arrives like a checkout's (return page,
    webhook, reconciliation). Raises :class:`PaymentError` when nothing is owed or the bank can't be reached."""
    with transaction.atomic():
        charge = ScheduledCharge.objects.select_for_update().select_related("booking").get(pk=charge.pk)
        if charge.status not in ScheduledCharge.OPEN:
            raise PaymentError(str(_("There is nothing left to pay on this booking.")), code="nothing_owed")
        payment = charge.payments.filter(status__in=UNSETTLED).exclude(bank_session_id="").first()
        if payment is not None:
            return payment
        attempt = charge.payments.exclude(bank_session_id="").count() + 1
        key = f"{charge_key_stem(charge)}-link-{attempt}"
        payment = Payment.objects.filter(idempotency_key=key).first() or Payment.objects.create(
            booking=charge.booking,
            kind=charge.purpose,
            scheduled_charge=charge,
            attempt=attempt,
            gateway=_gateway_name(),
            amount=charge.amount,
            currency=charge.currency,
            idempotency_key=key,
            bank_request={
                "return_url": return_url,
                "webhook_url": webhook_url,
                "description": charge_description(charge),
            },
        )
    return_url = payment.bank_request.get("return_url", return_url)
    webhook_url = payment.bank_request.get("webhook_url", webhook_url)
    try:
        link = get_gateway().create_payment_link(
            amount=payment.amount,
            currency=payment.currency,
            reference=charge.booking.reference,
            return_url=return_url,
            webhook_url=webhook_url,
            idempotency_key=payment.idempotency_key,
            description=bank_description(payment, legacy=str(charge.get_purpose_display())),
        )
    except GatewayError as exc:
        raise PaymentError(
            str(_("The bank can't take payments right now. Please try again in a minute.")), code="bank_unavailable"
        ) from exc
    Payment.objects.filter(pk=payment.pk, bank_session_id="").update(
        status=Payment.Status.PENDING,
        bank_session_id=link.session_id,
        bank_redirect_url=link.redirect_url,
        updated_at=timezone.now(),
    )
    payment.refresh_from_db()
    return payment


def charge_email_context(*, email) -> dict:
    """What the charge e-mails show: the charge (its key is in the message's dedupe key,
    ``<kind>:<reference>:<purpose>[:<attempt>]``), the payment that settled it, the payment link and the next try."""
    from .return_tokens import payment_link_url

    parts = email.dedupe_key.split(":")
    key = ":".join(parts[1:3]) if len(parts) >= 3 else ""
    charge = ScheduledCharge.objects.filter(key=key).select_related("payment").first()
    if charge is None:
        return {"charge": None, "charge_payment": None, "payment_link_url": "", "retry_at": None}
    return {
        "charge": charge,
        "charge_payment": charge.payment,
        "payment_link_url": payment_link_url(charge.booking.reference),
        "retry_at": charge.next_attempt_at if charge.status in ScheduledCharge.OPEN else None,
    }


def booking_card_guaranteed(booking: Booking) -> bool:
    """The booking's terms kept a card for later charges and the card is saved."""
    terms = payment_terms_of(booking)
    return (terms.get("card_saved") or terms["kind"] == GUARANTEE) and saved_card_of(booking) is not None


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
    """The booking's paid card payment at checkout (partner bookings and card guarantees have none)."""
    return (
        booking.payments.filter(
            status__in=[Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED], kind__in=Payment.CHECKOUT_KINDS
        )
        .order_by("paid_at", "id")
        .first()
    )


__all__ = [
    "BookingError",
    "booking_paid_net",
    "booking_payments_paying",
    "booking_refund_all_but",
    "payment_charge_record",
    "payment_link_start",
    "scheduled_charge_claim",
    "charge_key_stem",
    "scheduled_charge_create",
    "scheduled_charge_send",
    "scheduled_charges_cancel",
    "scheduled_charges_due",
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
