"""Proving the e-mail address of an account created by sign-up (the sign-up page or the booking flow).

Until the link in the welcome message is opened, the address receives nothing but that message (and new copies
of it asked for from the profile page): booking e-mails to the account are written to the outbox as ``held`` and
queued the moment the address is verified. The account can meanwhile do everything else, book and pay included:
the guest is logged in, so the booking page, receipt and cancellation are all in My bookings. Verifying also
attaches the bookings made earlier without an account under the same address (``guest_links``): only a verified
address may claim them.

The link is signed (``TimestampSigner``, salted) over the account and the address it was sent to, so it expires
after ``EMAIL_VERIFY_MAX_AGE_DAYS`` and proves nothing once the account's address has changed."""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .models import EmailVerification, User

SALT = "accounts.verify-email"
# Messages that may go to an address nobody has proven: our own text only, and nothing the visitor typed.
ALWAYS_SENT = ("welcome", "verify_email", "guest_link")


def email_must_wait(*, kind: str, booking=None, user=None) -> bool:
    """Must this message wait (``held``) until its account proves its address? Messages to hotels never wait, nor
    the verification itself; booking messages wait while the booking's account is unverified, account messages
    while their account is."""
    if kind in ALWAYS_SENT or kind.endswith("_hotel"):
        return False
    account = booking.customer if booking is not None else user
    return account is not None and not account.email_verified


def verification_pending_create(user: User) -> EmailVerification:
    """Called by ``user_create`` in its transaction: the new account's address is unproven until the link is opened."""
    return EmailVerification.objects.create(user=user)


def verification_url(user: User) -> str:
    """A fresh signed link for ``user``'s current address, on ``SITE_URL`` (never the request's Host header)."""
    token = signing.TimestampSigner(salt=SALT).sign_object({"u": user.pk, "e": user.email})
    return settings.SITE_URL + reverse("accounts:verify_email", kwargs={"token": token})


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def verification_user(token: str) -> User:
    """The account a verification link names; raises :class:`LinkExpired` or :class:`LinkInvalid` (altered, or the
    account's address changed since it was sent, or the account is gone)."""
    max_age = settings.EMAIL_VERIFY_MAX_AGE_DAYS * 86400
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(token[:500], max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except (signing.BadSignature, ValueError) as exc:
        raise LinkInvalid from exc
    user = User.objects.filter(pk=data.get("u"), is_active=True).first() if isinstance(data, dict) else None
    if user is None or user.email != data.get("e"):
        raise LinkInvalid
    return user


def email_verify(user: User) -> int:
    """Mark ``user``'s address verified (once; again is a no-op), queue the messages held for it and attach the
    guest bookings made under that address. Returns how many bookings were attached."""

    from config.celery import enqueue_on_commit
    from notifications.models import OutboundEmail
    from notifications.tasks import send_email

    from .guest_links import guest_bookings_claim

    with transaction.atomic():
        verification = EmailVerification.objects.select_for_update().filter(user=user).first()
        if verification is not None and verification.verified_at is None:
            verification.verified_at = timezone.now()
            verification.save(update_fields=["verified_at"])
        if verification is not None:
            user.email_verification = verification  # what email_must_wait reads from now on
        claimed = guest_bookings_claim(user)
        held = OutboundEmail.objects.filter(Q(user=user) | Q(booking__customer=user), status=OutboundEmail.Status.HELD)
        ids = list(held.values_list("pk", flat=True))
        # two verifications at once may both enqueue a row: sending is idempotent, it goes out once
        OutboundEmail.objects.filter(pk__in=ids, status=OutboundEmail.Status.HELD).update(
            status=OutboundEmail.Status.QUEUED
        )
        for pk in ids:
            enqueue_on_commit(send_email, pk)

    return claimed


def verification_resend(user: User):
    """Queue another copy of the verification message (the page limits how often)."""
    from notifications.models import OutboundEmail
    from notifications.services import email_queue

    count = OutboundEmail.objects.filter(user=user, kind=OutboundEmail.Kind.VERIFY_EMAIL).count()
    return email_queue(
        kind=OutboundEmail.Kind.VERIFY_EMAIL,
        recipient=user.email,
        user=user,
        dedupe_key=f"verify_email:user-{user.pk}:{count}",
    )
