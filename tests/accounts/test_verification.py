"""An account created by sign-up proves its e-mail address before the address receives anything but the
verification itself; booking e-mails wait (held in the outbox) and go once it is verified."""

import re
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Consent, User
from notifications.models import OutboundEmail
from tests.bookings.test_flow import APPROVE, GUEST, come_back, pay_at_bank, to_review

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def verify_link(message) -> str:
    return urlparse(re.search(r"https?://\S+/accounts/verify/\S+/", message.body).group(0)).path


def signup(client, email="nia@example.com", **extra):
    return client.post(
        reverse("accounts:signup"),
        {
            "email": email,
            "first_name": "Nia",
            "last_name": "Zed",
            "password1": "a long passphrase 9",
            "password2": "a long passphrase 9",
            **extra,
        },
    )


def test_an_unverified_account_receives_only_the_verification_until_it_verifies(
    client,
    bank,
    room,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        review_url = to_review(client, room)  # signs up in the booking flow
        pay = client.post(review_url, {"expected_total": "248.00"})
        come_back(client, pay_at_bank(pay["Location"], APPROVE))
    user = User.objects.get(email=GUEST["email"])
    assert not user.email_verified
    to_guest = [m for m in mail.outbox if m.to == [GUEST["email"]]]
    assert [m.subject for m in to_guest] == ["Welcome to Staybook"]  # the verification, nothing else
    held = OutboundEmail.objects.get(kind="booking_confirmed_guest")
    assert held.status == "held"
    assert OutboundEmail.objects.get(kind="booking_confirmed_hotel").status == "sent"  # the hotel hears at once
    # meanwhile the guest reaches everything while logged in
    booking = user.bookings.get()
    assert booking.status == "confirmed"
    assert client.get(reverse("bookings:receipt", kwargs={"reference": booking.reference})).status_code == 200
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert "Send the link again" in profile

    with django_capture_on_commit_callbacks(execute=True):
        opened = Client().get(verify_link(to_guest[0]))  # from the mailbox, on any device
    assert opened.status_code == 302
    user.refresh_from_db()
    held.refresh_from_db()
    assert user.email_verified and held.status == "sent"
    [confirmation] = [m for m in mail.outbox if m.to == [GUEST["email"]] and "confirmed" in m.subject]
    assert booking.reference in confirmation.body
    assert "Send the link again" not in client.get(reverse("accounts:profile")).content.decode()


def test_verification_links_expire_and_cannot_be_altered(client, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client)
    link = verify_link(mail.outbox[0])
    user = User.objects.get()
    altered = link[:-3] + ("x" if link[-3] != "x" else "y") + link[-2:]
    refused = Client().get(altered)
    assert refused.status_code == 400 and "isn't valid" in refused.content.decode()
    later = __import__("time").time() + 4 * 86400  # EMAIL_VERIFY_MAX_AGE_DAYS is 3
    monkeypatch.setattr("django.core.signing.time", SimpleNamespace(time=lambda: later))
    expired = Client().get(link)
    assert expired.status_code == 400 and "has expired" in expired.content.decode()
    user.refresh_from_db()
    assert not user.email_verified


def test_a_new_verification_link_from_the_profile_is_limited(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client)
        codes = [client.post(reverse("accounts:verify_email_resend")).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    assert len(mail.outbox) == 4 and {m.to[0] for m in mail.outbox} == {"nia@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        Client().get(verify_link(mail.outbox[-1]))  # the newest link works
    assert User.objects.get().email_verified


def test_a_password_reset_proves_the_address_too(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client)
    client.logout()
    client.post(reverse("accounts:password_reset"), {"email": "nia@example.com"})
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[-1].body).group(0)
    form = client.get(urlparse(link).path, follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": "another passphrase 7", "new_password2": "another passphrase 7"}
    )
    assert User.objects.get().email_verified


def test_marketing_consent_is_an_unchecked_box_recorded_with_its_date(client):
    page = client.get(reverse("accounts:signup")).content.decode()
    box = re.search(r'<input type="checkbox" name="marketing"[^>]*>', page).group(0)
    assert "checked" not in box
    signup(client)
    assert not Consent.objects.exists()  # not ticked: nothing given
    other = Client()
    signup(other, email="opt-in@example.com", marketing="on")
    user = User.objects.get(email="opt-in@example.com")
    [consent] = Consent.objects.filter(user=user)
    assert consent.purpose == "marketing" and consent.given and consent.created_at
    # withdrawn from the profile: a new row, the first one kept
    other.post(reverse("accounts:profile"), {"first_name": "Nia", "last_name": "Zed", "phone": "", "country": ""})
    assert list(Consent.objects.filter(user=user).values_list("given", flat=True)) == [True, False]
