"""Writes on accounts. The sign-up page and the booking flow both create customers through :func:`user_create`."""

from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction

from .models import User


class AccountExists(Exception):
    """An account already uses this e-mail (compared case-insensitively)."""


def user_create(*, email: str, password: str, first_name: str, last_name: str, phone: str = "") -> User:
    """Create a customer account and queue the welcome e-mail. Raises :class:`AccountExists` if the e-mail is
    taken and ``ValidationError`` if the password is too weak."""
    email = User.objects.normalize_email(email).strip().lower()
    validate_password(password, User(email=email, first_name=first_name, last_name=last_name))
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise AccountExists(email)
            user = User.objects.create_user(
                email=email,
                password=password,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                phone=phone.strip(),
            )
            transaction.on_commit(lambda: welcome_email_send(user))
    except IntegrityError as exc:  # a concurrent sign-up with the same e-mail won the race
        raise AccountExists(email) from exc
    return user


def welcome_email_send(user: User) -> None:
    """Queue the welcome e-mail (through the notifications outbox when it is installed)."""
    from notifications.services import account_email_queue

    account_email_queue(kind="welcome", user=user)
