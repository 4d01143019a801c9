"""Queue and send e-mails through the outbox. Transport is Django's EMAIL_BACKEND (file in dev, SMTP in prod).

Delivery is at-least-once from the broker (acks_late, reject_on_worker_lost, the periodic sweep) and at-most-once
from the outbox, so each message goes out once:

1. *claim*: in a short committed transaction, lock the row (``SKIP LOCKED``), mark it ``sending`` and count the
   attempt. A row locked by a live sender is skipped; a ``sending`` row nobody holds is one whose worker died.
2. *render* with no lock held: the guest confirmation issues the receipt, which takes the receipt counter lock;
   that lock must never wait on an SMTP server.
3. *send* under the row lock, only while the row is still ``sending``, and record ``sent`` in the same transaction.
   A worker killed here rolls back: the row stays ``sending`` for the redelivered task or the sweep.

The one window left is a crash after the SMTP server accepted the message and before the commit, a few
milliseconds; the alternative, marking ``sent`` before sending, would lose messages instead.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from bookings.models import Booking
from config.celery import enqueue_on_commit
from hotels.policy import policy_summary

from .models import OutboundEmail

logger = logging.getLogger(__name__)
Kind = OutboundEmail.Kind
Status = OutboundEmail.Status

# Every attempt counts, a worker crash included: a message that keeps killing its worker stops here too.
MAX_ATTEMPTS = 10
# The sweep leaves alone what a worker or Celery's own retry may still be handling.
QUEUED_GRACE = timedelta(minutes=5)  # the task should have run by now: the broker lost it
SENDING_GRACE = timedelta(minutes=5)  # longer than the task's hard time limit: its worker died
FAILED_GRACE = timedelta(hours=1)  # the longest retry backoff: Celery's retries for it are over

# booking event → the messages it sends (kind, to the hotel?)
EVENT_EMAILS = {
    "confirmed": [(Kind.BOOKING_CONFIRMED_GUEST, False), (Kind.BOOKING_CONFIRMED_HOTEL, True)],
    "cancelled": [(Kind.BOOKING_CANCELLED_GUEST, False), (Kind.BOOKING_CANCELLED_HOTEL, True)],
    "payment_failed": [(Kind.PAYMENT_FAILED_GUEST, False)],
    "expired": [(Kind.HOLD_EXPIRED_GUEST, False)],
    "late_payment_refunded": [(Kind.LATE_PAYMENT_REFUNDED_GUEST, False)],
}


def email_language(*, kind: str, booking: Booking | None, user=None) -> str:
    """The language a message is written in: the guest's booking language for a booking's guest messages (also
    when beat sends them days later), the account's language for account messages, the site's default language
    for the hotel's messages."""
    if kind.endswith("_hotel"):
        return settings.LANGUAGE_CODE
    code = booking.language if booking is not None else getattr(user, "preferred_language", "")
    try:
        return translation.get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def _context(*, kind: str, booking: Booking | None, user=None) -> dict:
    context = {
        "kind": kind,
        "site_url": settings.SITE_URL,
        "user": user,
        "link_days": settings.GUEST_LINK_MAX_AGE_DAYS,
        "my_bookings_url": settings.SITE_URL + reverse("bookings:my_bookings"),
    }
    if booking is not None:
        context.update(
            booking=booking,
            hotel=booking.hotel,
            snapshot=booking.price_snapshot,  # the prices as sold, never recomputed
            policy=policy_summary(booking.cancellation_policy),
            booking_url=settings.SITE_URL + booking.get_absolute_url(),
        )
        if booking.customer_id is None:
            # a booking made without an account is reached through a signed link, made fresh for each message
            from accounts.guest_links import guest_link_url

            context["booking_url"] = guest_link_url(booking)
    if booking is not None and kind == Kind.CHANGE_PAYMENT_LINK_GUEST:
        # the change waiting for its difference, with the bank's page opened for it (bookings.workflow)
        context["change"] = booking.changes.filter(status="pending_payment").select_related("payment").first()
    if user is not None and kind in (Kind.WELCOME, Kind.VERIFY_EMAIL):
        from accounts.verification import verification_url

        context["verify_url"] = verification_url(user)
    return context


def _subject(*, kind: str, booking: Booking | None, user=None) -> str:
    with translation.override(email_language(kind=kind, booking=booking, user=user)):
        context = _context(kind=kind, booking=booking, user=user)
        text = render_to_string(f"notifications/email/{kind}_subject.txt", context)
    return " ".join(text.split())[:255]  # one line: a header can't hold a newline


def email_queue(
    *, kind: str, recipient: str, dedupe_key: str, booking: Booking | None = None, user=None
) -> OutboundEmail | None:
    """Record a message in the caller's transaction and enqueue its sending once it commits (a broker that is down
    then is logged, never raised: the sweep sends the row later). A message to a sign-up account that has not
    verified its address is recorded ``held`` and enqueued when the address is verified. Returns None when a message with this
    ``dedupe_key`` exists already: the same event never queues the same e-mail twice."""
    from accounts.verification import email_must_wait

    held = email_must_wait(kind=kind, booking=booking, user=user)
    email, created = OutboundEmail.objects.get_or_create(
        dedupe_key=dedupe_key[:120],
        defaults={
            "kind": kind,
            "recipient": recipient,
            "booking": booking,
            "user": user,
            "subject": _subject(kind=kind, booking=booking, user=user),
            "status": Status.HELD if held else Status.QUEUED,
        },
    )
    if not created:
        return None
    if held:
        return email  # queued by accounts.verification once the address is verified
    from .tasks import send_email

    enqueue_on_commit(send_email, email.pk)
    return email


def booking_emails_for_event(*, booking: Booking, event: str) -> list[OutboundEmail]:
    """Queue the e-mails a booking event sends (guest and/or hotel); events with no e-mail queue nothing.

    Partner bookings mail only the hotel: the partner owns the relationship with its guest and hears of every
    change through its webhook."""
    kinds = EVENT_EMAILS.get(event, [])
    if booking.source == Booking.Source.PARTNER:
        kinds = [(kind, to_hotel) for kind, to_hotel in kinds if to_hotel]
    return _booking_emails_queue(
        booking,
        [
            (kind, booking.hotel.reservations_email if to_hotel else booking.guest_email, f"{kind}:{booking.reference}")
            for kind, to_hotel in kinds
        ],
    )


def _booking_emails_queue(booking: Booking, messages: list[tuple[str, str, str]]) -> list[OutboundEmail]:
    """:func:`email_queue` for several messages of one booking event, ``(kind, recipient, dedupe_key)`` each, in
    two queries (the keys found, then one insert of the others). The caller holds the booking's row lock (the
    workflow's changes do), so nobody else writes these keys meanwhile; returns the messages queued."""
    from accounts.verification import email_must_wait

    if not messages:
        return []
    keys = [dedupe_key[:120] for _kind, _recipient, dedupe_key in messages]
    found = set(OutboundEmail.objects.filter(dedupe_key__in=keys).order_by().values_list("dedupe_key", flat=True))
    rows = []
    for (kind, recipient, _key), dedupe_key in zip(messages, keys, strict=True):
        if dedupe_key in found:
            continue
        found.add(dedupe_key)
        held = email_must_wait(kind=kind, booking=booking)
        rows.append(
            OutboundEmail(
                kind=kind,
                recipient=recipient,
                booking=booking,
                subject=_subject(kind=kind, booking=booking),
                status=Status.HELD if held else Status.QUEUED,
                dedupe_key=dedupe_key,
            )
        )
    queued = OutboundEmail.objects.bulk_create(rows)
    from .tasks import send_email

    for email in queued:
        if email.status == Status.QUEUED:  # a held one is queued by accounts.verification once verified
            enqueue_on_commit(send_email, email.pk)
    return queued


def booking_change_emails(*, booking: Booking, change) -> list[OutboundEmail]:
    """Queue the e-mails of one change of a sold booking (``bookings.BookingChange``: new dates, rooms changed,
    added or cancelled): to the guest (not for a partner's booking) and to the hotel, once per change."""
    kinds = [(Kind.BOOKING_MODIFIED_HOTEL, True)]
    if booking.source != Booking.Source.PARTNER:
        kinds.insert(0, (Kind.BOOKING_MODIFIED_GUEST, False))
    return _booking_emails_queue(
        booking,
        [
            (
                kind,
                booking.hotel.reservations_email if to_hotel else booking.guest_email,
                f"{kind}:{booking.reference}:change-{change.pk}",
            )
            for kind, to_hotel in kinds
        ],
    )


def email_resend(*, booking: Booking, kind: str = Kind.BOOKING_CONFIRMED_GUEST) -> OutboundEmail | None:
    """Staff asked to send a booking's message again: a new outbox row whose key has a ``:resend-N`` suffix.
    Two clicks at the same moment compute the same key, so they queue one message (the second returns None)."""
    count = OutboundEmail.objects.filter(booking=booking, kind=kind).count()
    recipient = booking.hotel.reservations_email if kind.endswith("_hotel") else booking.guest_email
    return email_queue(
        kind=kind, recipient=recipient, booking=booking, dedupe_key=f"{kind}:{booking.reference}:resend-{count}"
    )


def account_email_queue(*, kind: str, user) -> OutboundEmail | None:
    """An account message (welcome), once per user and kind."""
    return email_queue(kind=kind, recipient=user.email, user=user, dedupe_key=f"{kind}:user-{user.pk}")


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    """The message as sent, in :func:`email_language` (links, dates and amounts too)."""
    with translation.override(email_language(kind=email.kind, booking=email.booking, user=email.user)):
        return _message_in_language(email)


def _message_in_language(email: OutboundEmail) -> EmailMultiAlternatives:
    context = {**_context(kind=email.kind, booking=email.booking, user=email.user), "email": email}
    if email.booking is not None:
        # brand and last four digits at most: the payment row never holds more
        context["payment"] = email.booking.payments.filter(paid_at__isnull=False).order_by("-paid_at").first()
    context["receipt"] = _receipt_for(email) if email.kind == Kind.BOOKING_CONFIRMED_GUEST else None
    if email.booking is not None:
        # refunded, or asked of the bank and not refused: the money on its way back to the guest
        context["refund_total"] = email.booking.payments.filter(
            refunds__status__in=["succeeded", "pending", "unknown"]
        ).aggregate(total=Sum("refunds__amount"))["total"]
    if email.kind == Kind.BOOKING_CANCELLED_GUEST and not context.get("refund_total"):
        # a booking paid at the desk is paid back there, never "to your card"
        from bookings.settlement import offline_settlement

        desk = offline_settlement(email.booking)
        context["desk_pay_back"] = desk.to_pay_back if desk is not None else None
    if email.kind in (Kind.CHARGE_RECEIPT_GUEST, Kind.CHARGE_DECLINED_GUEST):
        from payments.services import charge_email_context

        context.update(charge_email_context(email=email))
    if email.kind in (Kind.CHARGE_RECEIPT_GUEST, Kind.PAYMENT_RECEIPT_GUEST, Kind.REFUND_RECEIPT_GUEST):
        context.update(_payment_receipt_context(email, context))
    text = render_to_string(f"notifications/email/{email.kind}.txt", context)
    html = render_to_string(f"notifications/email/{email.kind}.html", context)
    message = EmailMultiAlternatives(subject=email.subject, body=text, to=[email.recipient])
    message.attach_alternative(html, "text/html")
    if email.kind == Kind.BOOKING_CONFIRMED_GUEST and context["receipt"] is not None:
        receipt = context["receipt"]
        message.attach(f"receipt-{receipt.number}.pdf", bytes(receipt.pdf), "application/pdf")
    if context.get("document_receipt") is not None:
        receipt = context["document_receipt"]
        message.attach(f"receipt-{receipt.number}.pdf", bytes(receipt.pdf), "application/pdf")
    return message


def _payment_receipt_context(email: OutboundEmail, context: dict) -> dict:
    """The payment or refund a receipt e-mail is about (its dedupe key ends ``payment-<id>`` or ``refund-<id>``; a
    charge receipt's payment is the one that settled its charge) and its PDF receipt, issued now if its effect has
    not yet; None when it can't be rendered right now: the message goes out anyway, and the booking page offers
    the receipt once the receipt effect (retried until it exists) has issued it."""
    from payments.models import Payment, Refund
    from payments.receipts import payment_receipt_issue

    payment = refund = None
    last = email.dedupe_key.rsplit(":", 1)[-1]
    if email.kind == Kind.CHARGE_RECEIPT_GUEST:
        payment = context.get("charge_payment")
    elif last.startswith("payment-"):
        payment = Payment.objects.filter(pk=last.removeprefix("payment-"), booking=email.booking).first()
    elif last.startswith("refund-"):
        refund = (
            Refund.objects.select_related("payment")
            .filter(pk=last.removeprefix("refund-"), payment__booking=email.booking)
            .first()
        )
    document = None
    if payment is not None or refund is not None:
        try:
            document = payment_receipt_issue(payment=payment, refund=refund)
        except Exception:  # noqa: BLE001 - whatever the renderer raises, the message still goes out
            logger.warning("receipt for %s not ready for its e-mail", email.dedupe_key, exc_info=True)
    return {"receipt_payment": payment, "receipt_refund": refund, "document_receipt": document}


def _receipt_for(email: OutboundEmail):
    """The booking's receipt, issued now if it hasn't been; None when it can't be rendered right now. The message
    goes out anyway, with a link to the booking page, where the receipt appears once the booking's receipt
    effect (retried until it exists) has issued it: one failing part never holds up the guest's confirmation."""
    from payments.receipts import receipt_issue

    try:
        return receipt_issue(booking=email.booking)
    except Exception:  # noqa: BLE001 - whatever the renderer raises, the confirmation still goes out
        logger.warning("receipt of %s not ready for its e-mail", email.booking.reference, exc_info=True)
        return None


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _claim(email_id: int) -> str:
    """Step 1: count the attempt and mark the row ``sending``. Returns "claimed", "skipped" or "gave_up"."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status__in=[Status.QUEUED, Status.SENDING, Status.FAILED])
            .first()
        )
        if email is None:
            return "skipped"  # sent already, or a live worker holds it right now
        if email.attempts >= MAX_ATTEMPTS:
            if email.status == Status.SENDING:  # its last attempt died with its worker
                email.status = Status.FAILED
                email.last_error = email.last_error or "the worker was lost during the last attempt"
                email.save(update_fields=["status", "last_error"])
            return "gave_up"
        email.status = Status.SENDING
        email.attempts += 1
        email.last_attempt_at = timezone.now()
        email.save(update_fields=["status", "attempts", "last_attempt_at"])
    return "claimed"


def _record_render_failure(email_id: int, exc: BaseException) -> None:
    OutboundEmail.objects.filter(pk=email_id, status=Status.SENDING).update(
        status=Status.FAILED, last_error=_error_text(exc)
    )
    logger.warning("e-mail %s could not be rendered: %s", email_id, type(exc).__name__)


def email_send(*, email_id: int) -> str:
    """Send one outbox message if it is still due; safe to call twice or concurrently (it sends once).

    Returns "sent", "skipped" (sent already, or another worker is sending it) or "gave_up" (``MAX_ATTEMPTS``
    reached: the row stays ``failed``). A failure to render or send is recorded on the row (``failed``,
    ``last_error``) and re-raised, so the Celery task retries it."""
    claimed = _claim(email_id)
    if claimed != "claimed":
        return claimed
    email = OutboundEmail.objects.select_related("booking__hotel", "booking__room_type", "user").get(pk=email_id)
    try:
        message = _message(email)
    except Exception as exc:
        _record_render_failure(email_id, exc)
        raise
    error = None
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id, status=Status.SENDING)
        email = email.first()
        if email is None:
            return "skipped"  # a concurrent delivery of the same task got here first
        try:
            message.send()
        except Exception as exc:
            error = exc
            email.status = Status.FAILED
            email.last_error = _error_text(exc)
        else:
            email.status = Status.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
        email.save(update_fields=["status", "sent_at", "last_error"])
    if error is not None:
        logger.warning("e-mail %s failed: %s", email_id, type(error).__name__)
        raise error
    return "sent"


def emails_retry_failed(*, now=None) -> int:
    """The periodic sweep: enqueue again what no task will deliver any more, and return how many.

    - ``queued`` for longer than ``QUEUED_GRACE``: the broker lost the task (the filesystem broker forgets an
      unacknowledged task when its whole worker is killed);
    - ``sending`` since longer than ``SENDING_GRACE``: its worker died and no redelivery came;
    - ``failed`` since longer than ``FAILED_GRACE``: Celery's retries ran out before ``MAX_ATTEMPTS``.

    Sending is idempotent, so a message enqueued twice still goes out once."""
    from .tasks import send_email

    now = now or timezone.now()
    due = OutboundEmail.objects.filter(attempts__lt=MAX_ATTEMPTS).filter(
        Q(status=Status.QUEUED, created_at__lt=now - QUEUED_GRACE)
        | Q(status=Status.SENDING, last_attempt_at__lt=now - SENDING_GRACE)
        | Q(status=Status.FAILED, last_attempt_at__lt=now - FAILED_GRACE)
    )
    ids = list(due.order_by("created_at").values_list("pk", flat=True)[:500])
    for pk in ids:
        send_email.delay(pk)
    return len(ids)


def reminders_send(*, now=None) -> int:
    """Queue a pre-arrival reminder for confirmed bookings arriving in ``REMINDER_DAYS_BEFORE`` days, counted in
    each hotel's own calendar; returns how many were queued. Deduped per booking, so running it every hour sends
    each reminder once. Partner bookings are left to the partner."""
    now = now or timezone.now()
    days = settings.REMINDER_DAYS_BEFORE
    utc_today = now.date()
    candidates = (
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            # every time zone is within a day of UTC: narrow in SQL, decide per hotel below
            check_in__gte=utc_today + timedelta(days=days - 1),
            check_in__lte=utc_today + timedelta(days=days + 1),
        )
        .exclude(source=Booking.Source.PARTNER)
        .exclude(emails__kind=Kind.PRE_ARRIVAL_REMINDER_GUEST)
        .select_related("hotel", "room_type")
    )
    count = 0
    for booking in candidates:
        hotel_today = now.astimezone(booking.hotel.tzinfo).date()
        if booking.check_in - hotel_today != timedelta(days=days):
            continue
        if email_queue(
            kind=Kind.PRE_ARRIVAL_REMINDER_GUEST,
            recipient=booking.guest_email,
            booking=booking,
            dedupe_key=f"{Kind.PRE_ARRIVAL_REMINDER_GUEST}:{booking.reference}",
        ):
            count += 1
    return count
