"""Writes on accounts. The sign-up page and the booking flow both create customers through :func:`user_create`."""

from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction

from .models import Consent, User
from .verification import verification_pending_create


class AccountExists(Exception):
    """An account already uses this e-mail (compared case-insensitively)."""


def user_create(
    *, email: str, password: str, first_name: str, last_name: str, phone: str = "", marketing: bool = False
) -> User:
    """Create a customer account (Argon2 password hash), its pending e-mail verification, the marketing consent if
    given, and queue the welcome e-mail (which carries the verification link), in one transaction.

    Raises :class:`AccountExists` if the e-mail is taken (compared case-insensitively; the database constraint
    settles a race) and ``ValidationError`` if the password is too weak or a field is invalid or too long, so
    every caller (sign-up page, booking flow) gets the same rules."""
    user = User(
        email=User.objects.normalize_email(email.strip()).lower(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        phone=phone.strip(),
    )
    validate_password(password, user)
    user.set_password(password)
    # uniqueness is checked below, under the transaction, to raise AccountExists rather than a ValidationError
    user.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=user.email).exists():
                raise AccountExists(user.email)
            user.save()
            verification_pending_create(user)
            if marketing:
                consent_record(user=user, purpose=Consent.Purpose.MARKETING, given=True)
            welcome_email_send(user)
    except IntegrityError as exc:  # a concurrent sign-up with the same e-mail won the race
        raise AccountExists(user.email) from exc
    return user


def welcome_email_send(user: User) -> None:
    """Queue the welcome e-mail in the notifications outbox.

    Called inside :func:`user_create`'s transaction: the outbox row commits (or rolls back) with the account, and
    the outbox enqueues its Celery task with ``transaction.on_commit``, so nothing is sent for an account that was
    never committed and a crash after the commit cannot lose the message (the outbox sweep delivers it)."""
    from notifications.services import account_email_queue

    account_email_queue(kind="welcome", user=user)


def user_lockout_clear(*, user: User) -> int:
    """Forget the failed logins django-axes counts against this account (called once the guest has proved they own
    the mailbox by resetting the password). Returns how many attempt records were removed."""
    from axes.utils import reset

    return reset(username=user.email)


def consent_record(*, user: User, purpose: str, given: bool) -> Consent | None:
    """Record an answer (with its date) when it differs from the current one; returns the new row or None."""
    current = Consent.objects.filter(user=user, purpose=purpose).order_by("-created_at", "-id").first()
    if (current.given if current else False) == given:
        return None
    return Consent.objects.create(user=user, purpose=purpose, given=given)


def consent_given(*, user: User, purpose: str) -> bool:
    current = Consent.objects.filter(user=user, purpose=purpose).order_by("-created_at", "-id").first()
    return bool(current and current.given)
