"""My data: the export holds everything the test put in about the guest; deleting the account erases the guest's
name, e-mail address and phone everywhere in the database but invoices and receipts, and is final."""

import json
import re
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.core import mail
from django.db import models
from django.test import Client
from django.urls import reverse

from accounts.models import Anonymisation, User
from bookings.models import Booking
from payments.models import Payment, Receipt
from tests.accounts.test_guest_bookings import book_as_guest
from tests.bookings.test_flow import APPROVE, come_back, pay_at_bank, start
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]

PERSON = {
    "first_name": "Wilhelmina",
    "last_name": "Quackenbush",
    "email": "wilhelmina.q@example.net",
    "phone": "+44 20 7946 0958",
    "special_requests": "Feather-free pillows for Wilhelmina",
}
PASSWORD = "a long passphrase 9"
# What must be gone: the name, the address and the phone (and the request, which names her)
NEEDLES = ["Wilhelmina", "Quackenbush", "wilhelmina.q@example.net", "7946 0958", "Feather-free"]
# Where the law keeps them: issued receipts and invoices (whatever app holds invoices once it lands)
LEGAL_RECORDS = {
    "payments.receipt",
    "payments.invoice",
    "invoices.invoice",
    "invoices.invoiceline",
    "invoices.creditnote",
}


def every_text_value():
    """Every text and JSON value of every table, read through the ORM: (model label, field, value)."""
    kinds = (models.CharField, models.TextField, models.JSONField)
    for model in apps.get_models(include_auto_created=True):
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, kinds)]
        if not fields:
            continue
        for row in model._base_manager.values_list(*fields):
            for name, value in zip(fields, row, strict=True):
                if value:
                    yield model._meta.label_lower, name, json.dumps(value, ensure_ascii=False)


def where_found(needles):
    return sorted(
        {(label, field) for label, field, text in every_text_value() if any(n.lower() in text.lower() for n in needles)}
    )


def sign_up_verified(client, capture):
    with capture(execute=True):
        client.post(
            reverse("accounts:signup"),
            {
                "email": PERSON["email"],
                "first_name": PERSON["first_name"],
                "last_name": PERSON["last_name"],
                "password1": PASSWORD,
                "password2": PASSWORD,
                "marketing": "on",
            },
        )
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.outbox[-1].body).group(0)
    with capture(execute=True):
        client.get(urlparse(link).path)
    user = User.objects.get(email=PERSON["email"])
    assert user.email_verified
    user.phone = PERSON["phone"]
    user.save()
    return user


def book_and_pay(client, room, capture):
    guest_url = start(client, room)
    with capture(execute=True):
        review = client.post(guest_url, PERSON)
        pay = client.post(review["Location"], {"expected_total": "248.00"})
        come_back(client, pay_at_bank(pay["Location"], APPROVE))
    booking = Booking.objects.get(guest_email=PERSON["email"])
    assert booking.status == "confirmed"
    return booking


def test_the_export_holds_every_piece_of_the_guests_data(
    client,
    bank,
    room,
    django_capture_on_commit_callbacks,
):
    sign_up_verified(client, django_capture_on_commit_callbacks)
    booking = book_and_pay(client, room, django_capture_on_commit_callbacks)
    response = client.get(reverse("accounts:my_data_export"))
    assert response["Content-Type"] == "application/json" and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == PERSON["email"] and data["account"]["phone"] == PERSON["phone"]
    assert data["account"]["first_name"] == "Wilhelmina" and data["account"]["email_verified"] is True
    assert [(c["purpose"], c["given"]) for c in data["consents"]] == [("marketing", True)] and data["consents"][0]["at"]
    [exported] = data["bookings"]
    assert exported["reference"] == booking.reference and exported["total"] == "248.00"
    assert exported["guest"] == {
        k: PERSON[k] for k in ("first_name", "last_name", "email", "phone", "special_requests")
    }
    assert exported["payments"][0]["card_last4"] == "4242" and exported["payments"][0]["status"] == "paid"
    assert exported["receipt"]["number"] == Receipt.objects.get().number
    assert {e["kind"] for e in exported["emails"]} == {"booking_confirmed_guest"}
    assert {e["kind"] for e in data["account_emails"]} == {"welcome"}
    assert [h["to"] for h in exported["history"]] == ["pending_payment", "confirmed"]
    page = client.get(reverse("accounts:my_data")).content.decode()
    assert reverse("accounts:my_data_export") in page and "Delete my account" in page
    # someone else's export has none of it
    client.force_login(UserFactory())
    assert PERSON["email"] not in client.get(reverse("accounts:my_data_export")).content.decode()


def test_a_guest_with_the_link_downloads_that_bookings_data(
    client,
    bank,
    room,
    django_capture_on_commit_callbacks,
):
    booking = book_as_guest(client, room, django_capture_on_commit_callbacks)
    url = reverse("bookings:data_export", kwargs={"reference": booking.reference})
    assert "/accounts/login/" in Client().get(url)["Location"]  # no link, no data
    data = json.loads(client.get(url).content)
    [exported] = data["bookings"]
    assert exported["guest"]["email"] == booking.guest_email and exported["reference"] == booking.reference
    assert {"guest_link", "booking_confirmed_guest"} <= {e["kind"] for e in exported["emails"]}


def test_deleting_the_account_erases_the_guest_everywhere_but_receipts_and_is_final(
    client,
    bank,
    room,
    django_capture_on_commit_callbacks,
    admin_client,
):
    user = sign_up_verified(client, django_capture_on_commit_callbacks)
    booking = book_and_pay(client, room, django_capture_on_commit_callbacks)
    assert where_found(NEEDLES)  # the data is there to begin with
    paid = Payment.objects.get()

    # a stay still to come: refused, nothing erased
    refused = client.post(reverse("accounts:account_delete"), {"password": PASSWORD, "confirm": "on"})
    assert refused.status_code == 400 and "stay still to come" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("bookings:cancel", kwargs={"reference": booking.reference}), {"quoted_penalty": "0.00"})
    # a wrong password, or the box not ticked: refused too
    assert client.post(reverse("accounts:account_delete"), {"password": "nope", "confirm": "on"}).status_code == 400
    assert client.post(reverse("accounts:account_delete"), {"password": PASSWORD}).status_code == 400
    assert User.objects.get(pk=user.pk).is_active

    elsewhere = Client()  # logged in on another device too
    elsewhere.post(reverse("accounts:login"), {"username": PERSON["email"], "password": PASSWORD})
    assert elsewhere.get(reverse("accounts:my_data")).status_code == 200
    deleted = client.post(reverse("accounts:account_delete"), {"password": PASSWORD, "confirm": "on"})
    assert deleted.status_code == 200 and "Your account is deleted" in deleted.content.decode()
    left = where_found(NEEDLES)
    assert {label for label, _ in left} <= LEGAL_RECORDS, f"personal data left outside invoices and receipts: {left}"

    # what the law keeps is kept
    booking.refresh_from_db()
    payment = Payment.objects.get()
    assert booking.total == Decimal("248.00") and booking.refunded_amount == Decimal("248.00")
    assert (payment.amount, payment.card_last4, payment.status) == (paid.amount, "4242", "refunded")
    assert Receipt.objects.filter(booking=booking).exists()
    # final: logged out, can't log in, the export shows nothing of her
    assert "/accounts/login/" in client.get(reverse("accounts:my_data"))["Location"]
    assert "/accounts/login/" in elsewhere.get(reverse("accounts:my_data"))["Location"]
    login = Client().post(reverse("accounts:login"), {"username": PERSON["email"], "password": PASSWORD})
    assert login.status_code == 200 and not login.wsgi_request.user.is_authenticated
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    assert Anonymisation.objects.filter(user=user).exists() and Anonymisation.objects.filter(booking=booking).exists()

    # staff see that the booking was anonymised
    changelist = admin_client.get(reverse("admin:bookings_booking_changelist") + "?anonymised=yes")
    assert booking.reference in changelist.content.decode()
    kept = admin_client.get(reverse("admin:bookings_booking_changelist") + "?anonymised=no")
    assert booking.reference not in kept.content.decode()


def test_staff_accounts_are_not_deleted_from_the_site(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    response = client.post(reverse("accounts:account_delete"), {"password": "correct horse battery", "confirm": "on"})
    assert response.status_code == 400 and User.objects.get(pk=staff.pk).is_active
