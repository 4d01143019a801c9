"""Receipts: numbered per year without gaps, rendered once to PDF with xhtml2pdf and kept as issued."""

from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from bookings.models import Booking
from hotels.policy import policy_summary

from .ledger import booking_balance, booking_ledger
from .models import Payment, PaymentReceipt, Receipt, ReceiptSequence, Refund
from .pdf import PdfError, pdf_render


class ReceiptError(Exception):
    pass


def receipt_render(*, booking: Booking, number: str, issued_at, payment: Payment | None) -> bytes:
    """The receipt in the language the booking was made in (words, dates and amounts), whoever issues it."""
    with translation.override(booking.language or None):
        try:
            return pdf_render(
                "payments/receipt.html",
                {
                    "booking": booking,
                    "hotel": booking.hotel,
                    "snapshot": booking.price_snapshot,
                    "number": number,
                    "issued_at": issued_at,
                    "payment": payment,
                    "policy": policy_summary(booking.cancellation_policy),
                    "ledger": booking_ledger(booking),
                    "balance": booking_balance(booking),
                },
            )
        except PdfError as exc:
            raise ReceiptError(str(exc)) from exc


def _sequence_locked(year: int) -> ReceiptSequence:
    """The year's receipt counter (one series for booking receipts and later payments' and refunds' receipts),
    locked until the caller's transaction ends, so a receipt not issued after all gives its number back."""
    ReceiptSequence.objects.get_or_create(year=year)
    return ReceiptSequence.objects.select_for_update().get(year=year)


def _number_take(sequence: ReceiptSequence) -> str:
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"R{sequence.year}-{sequence.last_number:06d}"


def receipt_issue(*, booking: Booking) -> Receipt:
    """Issue the booking's receipt once; later calls return the same receipt, so a later price change never
    alters it. The number comes from a per-year counter row locked for the transaction, so numbers never skip."""
    existing = Receipt.objects.filter(booking=booking).first()
    if existing:
        return existing
    booking = Booking.objects.select_related("hotel", "room_type").get(pk=booking.pk)
    payment = booking.payments.exclude(card_last4="").filter(paid_at__isnull=False).first()
    issued_at = timezone.now()
    year = issued_at.year
    try:
        with transaction.atomic():
            sequence = _sequence_locked(year)
            if Receipt.objects.filter(booking=booking).exists():  # issued while we waited for the lock
                return Receipt.objects.get(booking=booking)
            number = _number_take(sequence)
            pdf = receipt_render(booking=booking, number=number, issued_at=issued_at, payment=payment)
            return Receipt.objects.create(
                booking=booking, year=year, sequence=sequence.last_number, number=number, issued_at=issued_at, pdf=pdf
            )
    except IntegrityError:
        return Receipt.objects.get(booking=booking)


def payment_receipt_issue(*, payment: Payment | None = None, refund: Refund | None = None) -> PaymentReceipt:
    """Issue the receipt of a later payment (a balance, a fee, a change's difference) or of a refund, once: a later
    call returns the same receipt. Its number is the next of the receipts' one series (the booking receipts'
    counter row, locked for the transaction, so numbers never skip or repeat); it is rendered in the booking's
    language. Raises :class:`ReceiptError` when the PDF can't be rendered (nothing is issued, no number used)."""
    subject = {"payment": payment} if payment is not None else {"refund": refund}
    existing = PaymentReceipt.objects.filter(**subject).first()
    if existing:
        return existing
    if refund is not None:
        refund = Refund.objects.select_related("payment").get(pk=refund.pk)
        paid_by = refund.payment
    else:
        paid_by = payment
    booking = Booking.objects.select_related("hotel", "room_type").get(pk=paid_by.booking_id)
    issued_at = timezone.now()
    year = issued_at.year
    try:
        with transaction.atomic():
            sequence = _sequence_locked(year)
            existing = PaymentReceipt.objects.filter(**subject).first()
            if existing:  # issued while we waited for the lock
                return existing
            number = _number_take(sequence)
            with translation.override(booking.language or None):
                try:
                    pdf = pdf_render(
                        "payments/payment_receipt.html",
                        {
                            "booking": booking,
                            "hotel": booking.hotel,
                            "number": number,
                            "issued_at": issued_at,
                            "payment": payment,
                            "refund": refund,
                            "paid_by": paid_by,
                            "ledger": booking_ledger(booking),
                            "balance": booking_balance(booking),
                        },
                    )
                except PdfError as exc:
                    raise ReceiptError(str(exc)) from exc
            return PaymentReceipt.objects.create(
                booking=booking,
                payment=payment,
                refund=refund,
                year=year,
                sequence=sequence.last_number,
                number=number,
                issued_at=issued_at,
                pdf=pdf,
            )
    except IntegrityError:
        return PaymentReceipt.objects.get(**subject)
