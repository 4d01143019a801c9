"""The guest's e-mail address on a booking must be one the booker has shown they can read: booking e-mails (hold
expired, payment failed, confirmation) go to it, so an unchecked address would let anyone send our mail, with
their own text in the guest's name and requests, to any inbox.

The booker's account address counts as theirs. Any other address gets a six-digit code by e-mail (our text only,
nothing the booker typed); once it is entered, the address is verified for this booker for the rest of the
session. Codes are kept as an HMAC in the session, expire after ``CODE_MINUTES`` and allow ``MAX_ATTEMPTS`` tries;
sending is limited per account and per client IP.

A visitor booking without an account (``accounts.guest_links``) goes through the same code: their session is the
"booker", and the address they prove is the only one their booking's e-mails (and its link) go to."""

import secrets
import time

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.crypto import constant_time_compare, salted_hmac
from django_ratelimit.core import is_ratelimited

VERIFIED_KEY = "guest_emails_verified"
PENDING_KEY = "guest_email_pending"
DETAILS_KEY = "guest_details_typed"
CODE_MINUTES = 30
MAX_ATTEMPTS = 5
SEND_RATE = "5/h"


def _normal(email: str) -> str:
    return email.strip().lower()


def _owner(request):
    """Whose codes these are: the account, or for a visitor booking without one, the browser's session."""
    return request.user.pk if request.user.is_authenticated else "guest"


def _digest(user_id, email: str, code: str) -> str:
    return salted_hmac("bookings.guest_email", f"{user_id}:{_normal(email)}:{code}").hexdigest()


def guest_email_verified(request, email: str) -> bool:
    """May booking mail for ``request.user`` go to ``email``?"""
    user = request.user
    if user.is_authenticated and _normal(email) == _normal(user.email):
        return True
    verified = request.session.get(VERIFIED_KEY, {})
    return verified.get("user") == _owner(request) and _normal(email) in verified.get("emails", [])


def guest_email_pending(request) -> dict | None:
    """The address waiting for its code, if it is this user's."""
    pending = request.session.get(PENDING_KEY)
    if not pending or pending.get("user") != _owner(request):
        return None
    return pending


def guest_details_typed(request) -> dict:
    """The guest details typed on a one-page form before its address was confirmed, once (then forgotten)."""
    typed = request.session.pop(DETAILS_KEY, None)
    return typed["details"] if typed and typed.get("user") == _owner(request) else {}


def guest_email_code_send(request, email: str, *, details: dict | None = None, again: bool = False) -> bool:
    """E-mail a new code to ``email`` (unless one sent for it is still valid and not ``again``). Returns False
    when the sending limit is spent (nothing is sent then)."""
    pending = guest_email_pending(request)
    if not again and pending and pending["email"] == _normal(email) and pending["expires"] > time.time():
        if details is not None:
            request.session[DETAILS_KEY] = {"user": _owner(request), "details": details}
        return True
    if request.user.is_authenticated and is_ratelimited(
        request, group="bookings.guest_email", key="user", rate=SEND_RATE, increment=True
    ):
        return False
    if is_ratelimited(request, group="bookings.guest_email.ip", key="ip", rate=SEND_RATE, increment=True):
        return False
    code = f"{secrets.randbelow(10**6):06d}"
    request.session[PENDING_KEY] = {
        "user": _owner(request),
        "email": _normal(email),
        "digest": _digest(_owner(request), email, code),
        "expires": time.time() + CODE_MINUTES * 60,
        "attempts": 0,
    }
    if details is not None:
        request.session[DETAILS_KEY] = {"user": _owner(request), "details": details}
    context = {"code": code, "minutes": CODE_MINUTES, "site_url": settings.SITE_URL}
    send_mail(
        subject="Your Staybook code to confirm this e-mail address",
        message=render_to_string("bookings/email/guest_email_code.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )
    return True


def guest_email_code_check(request, code: str) -> str | None:
    """Verify the pending address with ``code``; returns the address when the code is right, else None (a wrong
    code uses up an attempt; after ``MAX_ATTEMPTS``, or once expired, a new code must be sent)."""
    pending = guest_email_pending(request)
    if pending is None or pending["expires"] <= time.time() or pending["attempts"] >= MAX_ATTEMPTS:
        return None
    code = "".join(c for c in str(code) if c.isdecimal())[:6]
    if not constant_time_compare(_digest(_owner(request), pending["email"], code), pending["digest"]):
        pending["attempts"] += 1
        request.session[PENDING_KEY] = pending
        return None
    verified = request.session.get(VERIFIED_KEY, {})
    if verified.get("user") != _owner(request):
        verified = {"user": _owner(request), "emails": []}
    verified["emails"] = [*verified["emails"], pending["email"]][-10:]
    request.session[VERIFIED_KEY] = verified
    request.session.pop(PENDING_KEY, None)
    return pending["email"]
