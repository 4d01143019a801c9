"""Booking without an account: the guest proves the address with a code, books and pays, and reaches the booking
through the e-mailed "manage my booking" link (which also cancels it); links expire and can't be altered; a new
link is asked for by reference and e-mail without saying whether the pair exists; a verified account later
finds the guest bookings made under its address."""

import re
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from accounts.models import User
from bookings.models import Booking
from notifications.models import OutboundEmail
from payments.models import Payment
from tests.bookings.test_flow import APPROVE, GUEST, come_back, pay_at_bank, sold, start
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def code_from(message) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def link_from(body: str) -> str:
    return urlparse(re.search(r"https?://\S+/bookings/manage/\S+/", body).group(0)).path


def book_as_guest(client, room, capture, guest=None):
    """The whole guest path through the site; returns the booking, paid and confirmed."""
    guest = guest or GUEST
    guest_url = start(client, room)
    page = client.get(guest_url + "?as=guest")
    assert page.status_code == 200 and 'name="password1"' not in page.content.decode()
    assert 'name="as" value="guest"' in page.content.decode()
    response = client.post(guest_url, {**guest, "as": "guest"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("bookings:guest_email_verify"))
    [code_mail] = [m for m in mail.outbox if m.to == [guest["email"]]]
    assert guest["last_name"] not in code_mail.body  # the code message carries only our own words
    verified = client.post(response["Location"], {"code": code_from(code_mail)})
    assert verified.status_code == 302 and verified["Location"].endswith("/review/")
    review_url = verified["Location"]
    assert "€248.00" in client.get(review_url).content.decode()
    with capture(execute=True):
        pay = client.post(review_url, {"expected_total": "248.00"})
    assert pay.status_code == 302
    booking = Booking.objects.get()
    assert booking.customer is None and booking.guest_email == guest["email"]
    with capture(execute=True):
        detail = come_back(client, pay_at_bank(pay["Location"], APPROVE))
    assert detail.status_code == 302
    assert "is confirmed" in client.get(detail["Location"]).content.decode()  # the browser that booked sees it
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    return booking


def test_a_guest_books_without_an_account_gets_the_link_and_cancels_through_it(
    client,
    bank,
    room,
    django_capture_on_commit_callbacks,
):
    booking = book_as_guest(client, room, django_capture_on_commit_callbacks)
    assert not User.objects.exists()
    link_mail = OutboundEmail.objects.get(kind="guest_link", booking=booking)
    assert link_mail.status == "sent" and link_mail.recipient == GUEST["email"]
    [message] = [m for m in mail.outbox if m.subject == link_mail.subject]
    link = link_from(message.body)
    # the confirmation links to the booking through a link too (its owner has no account to log in with)
    [confirmation] = [m for m in mail.outbox if "confirmed" in m.subject and m.to == [GUEST["email"]]]
    assert link_from(confirmation.body).startswith("/bookings/manage/")

    other = Client()  # another device: only the link lets it in
    detail_url = reverse("bookings:detail", kwargs={"reference": booking.reference})
    assert "/accounts/login/" in other.get(detail_url)["Location"]
    opened = other.get(link)
    assert opened.status_code == 302 and opened["Location"] == detail_url
    page = other.get(detail_url).content.decode()
    assert booking.reference in page and "Cancel booking" in page
    receipt = other.get(reverse("bookings:receipt", kwargs={"reference": booking.reference}))
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")

    cancel_url = reverse("bookings:cancel", kwargs={"reference": booking.reference})
    assert "€248.00" in other.get(cancel_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        other.post(cancel_url, {"quoted_penalty": "0.00"})
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.refunded_amount == Decimal("248.00")
    assert Payment.objects.get().status == "refunded" and sold(room) == [0, 0, 0]
    change = booking.status_changes.last()
    assert change.actor_kind == "customer" and change.actor is None


def test_an_altered_or_expired_link_is_refused_with_a_clear_page(
    client,
    bank,
    room,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    booking = book_as_guest(client, room, django_capture_on_commit_callbacks)
    [message] = [m for m in mail.outbox if "your link" in m.subject]
    link = link_from(message.body)
    other = Client()
    token = link.rstrip("/").rsplit("/", 1)[1]
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token[5:], "nonsense"):
        refused = other.get(reverse("bookings:guest_link", kwargs={"token": bad}))
        assert refused.status_code == 400 and "isn't valid" in refused.content.decode()
    # someone else's reference, signed as if by us but for another address: refused too
    forged = signing.TimestampSigner(salt="accounts.guest-link").sign_object({"r": booking.reference, "a": "x"})
    assert other.get(reverse("bookings:guest_link", kwargs={"token": forged})).status_code == 400
    assert (
        "/accounts/login/" in other.get(reverse("bookings:detail", kwargs={"reference": booking.reference}))["Location"]
    )

    later = __import__("time").time() + 31 * 86400  # GUEST_LINK_MAX_AGE_DAYS is 30
    monkeypatch.setattr("django.core.signing.time", SimpleNamespace(time=lambda: later))
    expired = other.get(link)
    assert expired.status_code == 400 and "has expired" in expired.content.decode()
    assert reverse("bookings:guest_link_request") in expired.content.decode()


def test_a_new_link_is_sent_for_a_real_pair_and_the_answer_never_tells(
    client,
    bank,
    room,
    django_capture_on_commit_callbacks,
):
    booking = book_as_guest(client, room, django_capture_on_commit_callbacks)
    url = reverse("bookings:guest_link_request")
    mail.outbox.clear()
    answers = []
    for reference, email in [
        (booking.reference, GUEST["email"].upper()),  # the real pair (any case)
        (booking.reference, "someone@example.org"),  # a real reference, another address
        ("HB-ZZZZZZ", GUEST["email"]),  # no such booking
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(url, {"reference": reference.lower(), "email": email}, follow=True)
        main = response.content.decode().split("<main", 1)[1].split("</main>")[0]
        answers.append((response.status_code, re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", main)))
    assert answers[0] == answers[1] == answers[2] and answers[0][0] == 200
    assert "If a booking with this reference" in answers[0][1]
    [message] = mail.outbox  # one link, to the booking's own address
    assert message.to == [GUEST["email"]] and Client().get(link_from(message.body)).status_code == 302


def test_new_link_requests_are_rate_limited_per_pair_and_per_client(client, room):
    url = reverse("bookings:guest_link_request")
    pair = {"reference": "HB-ABCDEF", "email": "a@example.com"}
    codes = [client.post(url, pair).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]  # three a pair per hour
    codes = [client.post(url, {**pair, "email": f"x{n}@example.com"}).status_code for n in range(8)]
    assert codes[:6] == [302] * 6 and codes[6:] == [429, 429]  # ten an address per hour in all


def test_a_verified_account_finds_the_earlier_guest_bookings(
    client,
    bank,
    room,
    django_capture_on_commit_callbacks,
):
    booking = book_as_guest(client, room, django_capture_on_commit_callbacks)
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(
            reverse("accounts:signup"),
            {
                "email": GUEST["email"],
                "first_name": "Grace",
                "last_name": "Hopper",
                "password1": "un-guessable 42!",
                "password2": "un-guessable 42!",
            },
        )
    user = User.objects.get(email=GUEST["email"])
    booking.refresh_from_db()
    assert booking.customer is None  # not before the address is proven
    assert booking.reference not in browser.get(reverse("bookings:my_bookings")).content.decode()
    [welcome] = [m for m in mail.outbox if m.subject == "Welcome to Staybook"]
    verify = re.search(r"https?://\S+/accounts/verify/\S+/", welcome.body).group(0)
    browser.get(urlparse(verify).path)
    booking.refresh_from_db()
    assert booking.customer == user
    assert booking.reference in browser.get(reverse("bookings:my_bookings")).content.decode()
    # the link no longer opens it: its owner logs in now
    [link_mail] = [m for m in mail.outbox if "your link" in m.subject]
    assert Client().get(link_from(link_mail.body)).status_code == 400


def test_an_unverified_account_never_claims_guest_bookings_under_its_address(
    client,
    bank,
    room,
    django_capture_on_commit_callbacks,
):
    booking = book_as_guest(client, room, django_capture_on_commit_callbacks)
    squatter = Client()
    squatter.post(
        reverse("accounts:signup"),
        {
            "email": GUEST["email"],
            "first_name": "Mal",
            "last_name": "Lory",
            "password1": "un-guessable 42!",
            "password2": "un-guessable 42!",
        },
    )
    squatter.logout()
    squatter.post(reverse("accounts:login"), {"username": GUEST["email"], "password": "un-guessable 42!"})
    booking.refresh_from_db()
    assert booking.customer is None
    assert squatter.get(reverse("bookings:detail", kwargs={"reference": booking.reference})).status_code == 404


def test_a_verified_account_logging_in_finds_a_later_guest_booking(
    client,
    bank,
    room,
    django_capture_on_commit_callbacks,
):
    user = UserFactory(email=GUEST["email"])  # made by staff: counts as verified
    booking = book_as_guest(client, room, django_capture_on_commit_callbacks)
    browser = Client()
    browser.post(reverse("accounts:login"), {"username": GUEST["email"], "password": "correct horse battery"})
    booking.refresh_from_db()
    assert booking.customer == user
