"""The guest's data: what we hold about a person (export), and erasing it (anonymisation) when they delete their
account or when a stay is older than the retention period.

**Where personal data lives is registered, model by model** (:func:`personal_data_register`): which rows belong to
the subject, which fields are replaced by a fixed value, and which text or JSON fields are *scrubbed* (every
occurrence of the subject's name, e-mail address, phone or requests replaced, the rest kept). The defaults below
cover this project's models; an app that adds a model holding guest data registers it in its ``AppConfig.ready``::

    from accounts.privacy import personal_data_register

    personal_data_register(
        Voucher, rows=lambda subject: Voucher.objects.filter(booking_id__in=subject.booking_ids),
        replace={"holder_name": ""}, scrub=("notes",),
    )

**What is kept** (the law asks us to): receipts and invoices (issued documents never change), payments and refunds
(amounts, dates, card brand and last four digits), booking amounts, dates and price snapshots. The raw bank
answers on a payment are scrubbed of the cardholder's name.

Anonymising is final: the account can no longer log in (inactive, no password, an address at ``.invalid``) and
nothing keeps the replaced values."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Anonymisation, Consent, User

ANONYMOUS = "Anonymised"
SCRUBBED = "[anonymised]"


@dataclass
class Subject:
    """Whose data is erased: the bookings and (for an account deletion) the account, and the strings that
    identify the person in free text."""

    booking_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    needles: list[str] = field(default_factory=list)

    def add_needles(self, *values: str) -> None:
        for value in values:
            value = (value or "").strip()
            if len(value) >= 2 and value not in self.needles:
                self.needles.append(value)

    def scrub(self, value: Any) -> Any:
        """``value`` (a string, or JSON: dicts, lists, strings) with every needle replaced, whole words only."""
        if isinstance(value, str):
            for needle in sorted(self.needles, key=len, reverse=True):
                value = re.sub(rf"(?<!\w){re.escape(needle)}(?!\w)", SCRUBBED, value, flags=re.IGNORECASE)
            return value
        if isinstance(value, dict):
            return {key: self.scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        return value


@dataclass
class Registration:
    model: type
    rows: Callable[[Subject], Any]
    replace: dict[str, Any]
    scrub: tuple[str, ...]


_REGISTRY: list[Registration] = []


def personal_data_register(model, *, rows, replace: dict | None = None, scrub: Iterable[str] = ()) -> None:
    """Declare where ``model`` holds personal data. ``rows(subject)`` returns its rows that belong to the subject;
    ``replace`` maps a field to its new value (or a callable taking the row); ``scrub`` names text or JSON fields
    in which the subject's identifying strings are replaced. Registering a model twice replaces the first."""
    _REGISTRY[:] = [r for r in _REGISTRY if r.model is not model]
    _REGISTRY.append(Registration(model, rows, dict(replace or {}), tuple(scrub)))


def registered_models() -> list[type]:
    return [r.model for r in _REGISTRY]


def _anonymised_email(prefix: str, pk) -> str:
    return f"{prefix}-{pk}@anonymised.invalid"


def register_defaults() -> None:
    """This project's models (called from ``AccountsConfig.ready``)."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from bookings.models import Booking, BookingChange, BookingEffect, BookingStatusChange, OfflinePayment, RoomLine
    from notifications.models import OutboundEmail
    from partners.models import IdempotencyRecord, WebhookDelivery
    from payments.models import Payment

    personal_data_register(
        Booking,
        rows=lambda s: Booking.objects.filter(pk__in=s.booking_ids),
        replace={
            "guest_first_name": ANONYMOUS,
            "guest_last_name": "",
            "guest_email": lambda b: _anonymised_email("guest", b.reference.lower()),
            "guest_phone": "",
            "special_requests": "",
        },
        scrub=("partner_reference",),
    )
    personal_data_register(
        BookingStatusChange,
        rows=lambda s: BookingStatusChange.objects.filter(booking_id__in=s.booking_ids),
        scrub=("note",),
    )
    personal_data_register(
        BookingEffect,
        rows=lambda s: BookingEffect.objects.filter(booking_id__in=s.booking_ids),
        scrub=("payload", "last_error"),
    )
    personal_data_register(
        Payment, rows=lambda s: Payment.objects.filter(booking_id__in=s.booking_ids), scrub=("bank_responses",)
    )
    personal_data_register(
        OutboundEmail,
        rows=lambda s: (
            OutboundEmail.objects.filter(booking_id__in=s.booking_ids)
            | OutboundEmail.objects.filter(user_id__in=s.user_ids)
        ),
        # the hotel's own address stays; the guest's goes
        replace={
            "recipient": lambda e: e.recipient if e.kind.endswith("_hotel") else _anonymised_email("recipient", e.pk),
        },
        scrub=("subject", "last_error"),
    )
    personal_data_register(
        WebhookDelivery,
        rows=lambda s: WebhookDelivery.objects.filter(booking_id__in=s.booking_ids),
        scrub=("payload", "error"),
    )
    personal_data_register(
        IdempotencyRecord,
        rows=lambda s: IdempotencyRecord.objects.filter(booking_id__in=s.booking_ids),
        scrub=("response_body",),
    )
    personal_data_register(
        User,
        rows=lambda s: User.objects.filter(pk__in=s.user_ids),
        replace={
            "email": lambda u: _anonymised_email("deleted", u.pk),
            "first_name": "",
            "last_name": "",
            "phone": "",
            "country": "",
            "is_active": False,
        },
    )

    def log_entries(s):
        user_type = ContentType.objects.get_for_model(User)
        booking_type = ContentType.objects.get_for_model(Booking)
        return LogEntry.objects.filter(
            content_type=user_type, object_id__in=[str(pk) for pk in s.user_ids]
        ) | LogEntry.objects.filter(content_type=booking_type, object_id__in=[str(pk) for pk in s.booking_ids])

    personal_data_register(LogEntry, rows=log_entries, scrub=("object_repr", "change_message"))

    # django-axes keeps the address tried at login; our audit of failed logins needs no name
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        personal_data_register(
            model,
            rows=lambda s, model=model: model.objects.filter(username__in=s.emails),
            replace={"username": ANONYMOUS},
            scrub=[f for f in ("get_data", "post_data") if any(x.name == f for x in model._meta.fields)],
        )

    personal_data_register(
        BookingChange,
        rows=lambda s: BookingChange.objects.filter(booking_id__in=s.booking_ids),
        scrub=("summary", "before", "after"),
    )
    personal_data_register(  # kept as a payment; a payer's name typed into its reference is not
        OfflinePayment, rows=lambda s: OfflinePayment.objects.filter(booking_id__in=s.booking_ids), scrub=("reference",)
    )
    personal_data_register(
        RoomLine, rows=lambda s: RoomLine.objects.filter(booking_id__in=s.booking_ids), replace={"guest_name": ""}
    )


def _apply(subject: Subject) -> None:
    for registration in _REGISTRY:
        for row in registration.rows(subject):
            changed = []
            for name, value in registration.replace.items():
                setattr(row, name, value(row) if callable(value) else value)
                changed.append(name)
            for name in registration.scrub:
                old = getattr(row, name)
                new = subject.scrub(old)
                if new != old:
                    setattr(row, name, new)
                    changed.append(name)
            if changed:
                # a queryset update: no save() side effects (auto_now, history, signals) may copy the old values
                registration.model._base_manager.filter(pk=row.pk).update(
                    **{name: getattr(row, name) for name in changed}
                )


def _booking_subject(bookings) -> Subject:
    subject = Subject()
    for booking in bookings:
        subject.booking_ids.append(booking.pk)
        subject.emails.append(booking.guest_email.lower())
        subject.add_needles(
            booking.guest_first_name,
            booking.guest_last_name,
            booking.guest_name,
            booking.guest_email,
            booking.guest_phone,
            booking.special_requests,
        )
    return subject


def bookings_anonymise(bookings, *, reason: str) -> int:
    """Erase the guest data of ``bookings`` (and wherever it was copied); returns how many were anonymised."""
    from bookings.models import Booking

    with transaction.atomic():
        locked = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(pk__in=[b.pk for b in bookings], anonymisation__isnull=True)
            .order_by("pk")
        )
        if not locked:
            return 0
        _apply(_booking_subject(locked))
        Anonymisation.objects.bulk_create([Anonymisation(booking=b, reason=reason) for b in locked])
    return len(locked)


class DeletionRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def account_open_bookings(user: User):
    """Bookings still to be stayed (or being stayed): the hotel needs the guest's name for them."""
    from bookings.models import Booking

    return Booking.objects.filter(
        customer=user, status__in=Booking.HOLDING_STATUSES, check_out__gte=timezone.now().date()
    )


def _deletion_blocked(bookings) -> bool:
    """Of bookings locked by the caller: is one of them still to be stayed, or waiting for a change's payment?"""
    from bookings.models import Booking, BookingChange

    today = timezone.now().date()
    if any(b.status in Booking.HOLDING_STATUSES and b.check_out >= today for b in bookings):
        return True
    return BookingChange.objects.filter(
        booking__in=[b.pk for b in bookings], status=BookingChange.Status.PENDING_PAYMENT
    ).exists()


def account_delete(user: User) -> None:
    """Delete ``user``'s account for good: their bookings' guest data and their account data are anonymised
    everywhere they appear, the account can't log in again, and what the law keeps is kept. Refused (with
    :class:`DeletionRefused`) for staff accounts, while a stay is still to come and while a change of one of the
    account's bookings waits for its payment, checked under the bookings' row locks."""
    from django.utils.translation import gettext as _

    from bookings.models import Booking

    if user.is_staff or user.is_superuser:
        raise DeletionRefused(_("Staff accounts are closed by an administrator."))
    if account_open_bookings(user).exists():
        raise DeletionRefused(
            _(
                "You have a stay still to come. Cancel it, or wait until after check-out, then delete your "
                "account: the hotel needs your name until then."
            )
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        bookings = list(Booking.objects.select_for_update().filter(customer=user).order_by("pk"))
        # Checked again under the bookings' locks (a change, a payment or a booking applied since the check above
        # waits for them, or is seen here): a stay still to come, or a change waiting for its payment (its
        # outcome may confirm new nights in the guest's name), refuses the deletion with nothing erased.
        if _deletion_blocked(bookings):
            raise DeletionRefused(
                _(
                    "You have a stay still to come, or a change to a booking waiting for its payment. Wait until "
                    "it is settled (or cancel the stay), then delete your account: the hotel needs your name until "
                    "then."
                )
            )
        subject = _booking_subject([b for b in bookings if not hasattr(b, "anonymisation")])
        subject.user_ids.append(user.pk)
        subject.emails.append(user.email.lower())
        subject.add_needles(user.first_name, user.last_name, user.get_full_name(), user.email, user.phone)
        _apply(subject)
        Anonymisation.objects.bulk_create(
            [Anonymisation(booking_id=pk, reason=Anonymisation.Reason.ACCOUNT_DELETED) for pk in subject.booking_ids]
        )
        user.refresh_from_db()
        user.set_unusable_password()
        user.save(update_fields=["password"])
        # No usable password changes the session auth hash, so every other session of the account ends at its
        # next request (django.contrib.auth checks it), and an inactive account can't log in again.
        Anonymisation.objects.create(user=user, reason=Anonymisation.Reason.ACCOUNT_DELETED)


def retention_anonymise(*, now=None, batch: int = 500) -> int:
    """The retention task: anonymise the guest data of stays that ended more than ``GUEST_DATA_RETENTION_DAYS``
    ago (whatever their account does), keeping the legal records. Returns how many bookings it anonymised."""
    from bookings.models import Booking

    now = now or timezone.now()
    cutoff = now.date() - timedelta(days=settings.GUEST_DATA_RETENTION_DAYS)
    total = 0
    while True:
        due = list(Booking.objects.filter(check_out__lt=cutoff, anonymisation__isnull=True).order_by("pk")[:batch])
        if not due:
            return total
        total += bookings_anonymise(due, reason=Anonymisation.Reason.RETENTION)


# --- export ----------------------------------------------------------------------------------------------------


def _iso(value):
    return value.isoformat() if value is not None else None


def _booking_export(booking) -> dict:
    from notifications.models import OutboundEmail

    payments = []
    for payment in booking.payments.order_by("created_at"):
        payments.append(
            {
                "amount": str(payment.amount),
                "currency": payment.currency,
                "status": payment.status,
                "card_brand": payment.card_brand,
                "card_last4": payment.card_last4,
                "paid_at": _iso(payment.paid_at),
                "refunds": [
                    {"amount": str(r.amount), "status": r.status, "created_at": _iso(r.created_at)}
                    for r in payment.refunds.order_by("created_at")
                ],
            }
        )
    receipt = getattr(booking, "receipt", None)
    return {
        "reference": booking.reference,
        "hotel": booking.hotel.name,
        "room_type": booking.room_type.name,
        "status": booking.status,
        "source": booking.source,
        "check_in": _iso(booking.check_in),
        "check_out": _iso(booking.check_out),
        "adults": booking.adults,
        "children": booking.children,
        "children_ages": booking.children_ages,
        "rooms": booking.rooms,
        "guest": {
            "first_name": booking.guest_first_name,
            "last_name": booking.guest_last_name,
            "email": booking.guest_email,
            "phone": booking.guest_phone,
            "special_requests": booking.special_requests,
        },
        "currency": booking.currency,
        "total": str(booking.total),
        "price": booking.price_snapshot,
        "cancellation_policy": booking.cancellation_policy,
        "created_at": _iso(booking.created_at),
        "confirmed_at": _iso(booking.confirmed_at),
        "cancelled_at": _iso(booking.cancelled_at),
        "cancellation_penalty": str(booking.cancellation_penalty) if booking.cancellation_penalty is not None else None,
        "refunded_amount": str(booking.refunded_amount),
        "history": [
            {"from": c.from_status, "to": c.to_status, "by": c.actor_kind, "at": _iso(c.created_at)}
            for c in booking.status_changes.all()
        ],
        "payments": payments,
        "receipt": {"number": receipt.number, "issued_at": _iso(receipt.issued_at)} if receipt else None,
        "emails": [
            _email_export(e)
            for e in OutboundEmail.objects.filter(booking=booking)
            .exclude(kind__endswith="_hotel")
            .order_by("created_at")
        ],
    }


def _email_export(email) -> dict:
    return {
        "kind": email.kind,
        "recipient": email.recipient,
        "subject": email.subject,
        "status": email.status,
        "created_at": _iso(email.created_at),
        "sent_at": _iso(email.sent_at),
    }


def account_export(user: User) -> dict:
    """Everything we hold about ``user``: account, consents, bookings (with payments, receipts and e-mails) and
    the account's own e-mails, as JSON-ready data."""
    from bookings.models import Booking
    from notifications.models import OutboundEmail

    bookings = Booking.objects.filter(customer=user).select_related("hotel", "room_type").order_by("created_at")
    return {
        "exported_at": _iso(timezone.now()),
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "country": user.country,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "email_verified": user.email_verified,
        },
        "consents": [
            {"purpose": c.purpose, "given": c.given, "at": _iso(c.created_at)}
            for c in Consent.objects.filter(user=user).order_by("created_at", "id")
        ],
        "bookings": [_booking_export(b) for b in bookings],
        "account_emails": [_email_export(e) for e in OutboundEmail.objects.filter(user=user).order_by("created_at")],
    }


def booking_export(booking) -> dict:
    """What we hold about the guest of one booking (for a guest who reached it through its link)."""
    return {"exported_at": _iso(timezone.now()), "bookings": [_booking_export(booking)]}
