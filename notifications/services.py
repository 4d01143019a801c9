"""Queue and send e-mails through the outbox. Transport is Django's EMAIL_BACKEND (file in dev, SMTP in prod).

Sending is idempotent: the row is locked (``SELECT … FOR UPDATE SKIP LOCKED``) and only a queued or failed
message is sent, so a task that runs twice — a retry, a redelivery after a worker crash — sends once. A worker
killed mid-send rolls its transaction back, leaving the message queued for the redelivered task.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from bookings.models import Booking
from bookings.policy import policy_summary

from .models import OutboundEmail

logger = logging.getLogger(__name__)
Kind = OutboundEmail.Kind
MAX_ATTEMPTS = 10

SUBJECTS = {
    Kind.BOOKING_CONFIRMED_GUEST: "Your stay at {hotel} is confirmed — {reference}",
    Kind.BOOKING_CONFIRMED_HOTEL: "New reservation {reference}: {guest}, {check_in} – {check_out}",
    Kind.BOOKING_CANCELLED_GUEST: "Your booking {reference} at {hotel} is cancelled",
    Kind.BOOKING_CANCELLED_HOTEL: "Cancelled reservation {reference}: {guest}, {check_in} – {check_out}",
    Kind.PAYMENT_FAILED_GUEST: "Your payment for {hotel} did not go through",
    Kind.HOLD_EXPIRED_GUEST: "Your rooms at {hotel} are no longer held",
    Kind.LATE_PAYMENT_REFUNDED_GUEST: "We refunded your payment for {hotel}",
    Kind.PRE_ARRIVAL_REMINDER_GUEST: "See you soon at {hotel} — {reference}",
    Kind.WELCOME: "Welcome to Staybook",
}

# booking event → the messages it sends (kind, to the hotel?)
EVENT_EMAILS = {
    "confirmed": [(Kind.BOOKING_CONFIRMED_GUEST, False), (Kind.BOOKING_CONFIRMED_HOTEL, True)],
    "cancelled": [(Kind.BOOKING_CANCELLED_GUEST, False), (Kind.BOOKING_CANCELLED_HOTEL, True)],
    "payment_failed": [(Kind.PAYMENT_FAILED_GUEST, False)],
    "expired": [(Kind.HOLD_EXPIRED_GUEST, False)],
    "late_payment_refunded": [(Kind.LATE_PAYMENT_REFUNDED_GUEST, False)],
}


def _subject(kind: str, booking: Booking | None) -> str:
    if booking is None:
        return SUBJECTS[kind]
    return SUBJECTS[kind].format(
        hotel=booking.hotel.name,
        reference=booking.reference,
        guest=booking.guest_name,
        check_in=f"{booking.check_in:%d %b}",
        check_out=f"{booking.check_out:%d %b %Y}",
    )


def email_queue(
    *, kind: str, recipient: str, dedupe_key: str, booking: Booking | None = None, user=None
) -> OutboundEmail | None:
    """Record a message and send it after the current transaction commits. Returns None if that message was
    already queued for this event (same ``dedupe_key``)."""
    email, created = OutboundEmail.objects.get_or_create(
        dedupe_key=dedupe_key[:120],
        defaults={
            "kind": kind,
            "recipient": recipient,
            "booking": booking,
            "user": user,
            "subject": _subject(kind, booking)[:255],
        },
    )
    if not created:
        return None
    from .tasks import send_email

    transaction.on_commit(lambda: send_email.delay(email.pk))
    return email


def booking_emails_for_event(*, booking: Booking, event: str) -> list[OutboundEmail]:
    """Queue the e-mails a booking event sends (guest and/or hotel)."""
    if booking.source == Booking.Source.PARTNER and event != "cancelled":
        kinds = [(k, to_hotel) for k, to_hotel in EVENT_EMAILS.get(event, []) if to_hotel]  # partners tell their guest
    else:
        kinds = EVENT_EMAILS.get(event, [])
    queued = []
    for kind, to_hotel in kinds:
        recipient = booking.hotel.reservations_email if to_hotel else booking.guest_email
        email = email_queue(kind=kind, recipient=recipient, booking=booking, dedupe_key=f"{kind}:{booking.reference}")
        if email:
            queued.append(email)
    return queued


def email_resend(*, booking: Booking, kind: str = Kind.BOOKING_CONFIRMED_GUEST) -> OutboundEmail:
    """Staff asked to send a message again: a new outbox row with its own key."""
    count = OutboundEmail.objects.filter(booking=booking, kind=kind).count()
    to_hotel = kind.endswith("_hotel")
    recipient = booking.hotel.reservations_email if to_hotel else booking.guest_email
    return email_queue(
        kind=kind, recipient=recipient, booking=booking, dedupe_key=f"{kind}:{booking.reference}:resend-{count}"
    )


def account_email_queue(*, kind: str, user) -> OutboundEmail | None:
    return email_queue(kind=kind, recipient=user.email, user=user, dedupe_key=f"{kind}:user-{user.pk}")


def _context(email: OutboundEmail) -> dict:
    booking = email.booking
    context = {"email": email, "kind": email.kind, "site_url": settings.SITE_URL, "user": email.user}
    if booking is not None:
        payment = booking.payments.filter(paid_at__isnull=False).order_by("-paid_at").first()
        context.update(
            booking=booking,
            hotel=booking.hotel,
            snapshot=booking.price_snapshot,
            payment=payment,
            policy=policy_summary(booking.cancellation_policy),
            booking_url=settings.SITE_URL + booking.get_absolute_url(),
        )
    return context


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    context = _context(email)
    text = render_to_string(f"notifications/email/{email.kind}.txt", context)
    html = render_to_string(f"notifications/email/{email.kind}.html", context)
    message = EmailMultiAlternatives(subject=email.subject, body=text, to=[email.recipient])
    message.attach_alternative(html, "text/html")
    if email.kind == Kind.BOOKING_CONFIRMED_GUEST:
        from payments.receipts import receipt_issue

        receipt = receipt_issue(booking=email.booking)
        message.attach(f"receipt-{receipt.number}.pdf", bytes(receipt.pdf), "application/pdf")
    return message


def email_send(*, email_id: int) -> str:
    """Send one outbox message if it is still due. Returns "sent", "skipped" or raises after recording the
    failure (the Celery task retries with backoff)."""
    error = None
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=email_id, status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.FAILED])
            .select_related("booking__hotel", "user")
            .first()
        )
        if email is None:
            return "skipped"
        email.attempts += 1
        try:
            _message(email).send()
        except Exception as exc:  # noqa: BLE001 - any transport failure is recorded, then retried
            error = exc
            email.status = OutboundEmail.Status.FAILED
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            email.status = OutboundEmail.Status.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
        email.save(update_fields=["status", "attempts", "last_error", "sent_at"])
    if error is not None:
        logger.warning("e-mail %s (%s) failed: %s", email_id, email.kind, type(error).__name__)
        raise error
    return "sent"


def emails_retry_failed(*, stale_after: timedelta = timedelta(minutes=5)) -> int:
    """Re-enqueue what the broker may have lost or the transport refused (periodic): failed messages with attempts
    left, and messages still queued after ``stale_after`` (a broker that dropped its message). Sending is
    idempotent, so enqueuing a message twice sends it once."""
    from .tasks import send_email

    stale = timezone.now() - stale_after
    due = OutboundEmail.objects.filter(
        Q(status=OutboundEmail.Status.FAILED, attempts__lt=MAX_ATTEMPTS)
        | Q(status=OutboundEmail.Status.QUEUED, created_at__lt=stale)
    )
    ids = list(due.values_list("pk", flat=True)[:500])
    for pk in ids:
        send_email.delay(pk)
    return len(ids)


def reminders_send(*, now=None) -> int:
    """Queue a pre-arrival reminder for confirmed bookings arriving in REMINDER_DAYS_BEFORE days, counted in each
    hotel's own calendar. Deduped per booking, so running it often sends each reminder once."""
    now = now or timezone.now()
    days = settings.REMINDER_DAYS_BEFORE
    utc_today = now.date()
    candidates = (
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            check_in__gte=utc_today + timedelta(days=days - 1),
            check_in__lte=utc_today + timedelta(days=days + 1),
        )
        .exclude(source=Booking.Source.PARTNER)
        .select_related("hotel")
    )
    count = 0
    for booking in candidates:
        hotel_today = now.astimezone(booking.hotel.tzinfo).date()
        if booking.check_in - hotel_today == timedelta(days=days):
            if email_queue(
                kind=Kind.PRE_ARRIVAL_REMINDER_GUEST,
                recipient=booking.guest_email,
                booking=booking,
                dedupe_key=f"{Kind.PRE_ARRIVAL_REMINDER_GUEST}:{booking.reference}",
            ):
                count += 1
    return count
