"""Staff changing a booking from its admin page: a dearer change of a card-paid booking e-mails the guest the
bank's page (staff see "payment link sent" and the link), the quoted total is checked on confirming, and a role
that doesn't see prices is shown none and confirms against a token of the price."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from notifications.models import OutboundEmail

from .conftest import hotel_today, messages_of, paid_booking_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def stay_form(booking, nights_more=1):
    lines = list(booking.lines.order_by("position"))
    return {
        "check_in": booking.check_in.isoformat(),
        "check_out": (booking.check_out + timedelta(days=nights_more)).isoformat(),
        "room-TOTAL_FORMS": len(lines),
        "room-INITIAL_FORMS": len(lines),
        **{f"room-{i}-rate_plan": x.rate_plan_id for i, x in enumerate(lines)},
        **{f"room-{i}-adults": x.adults for i, x in enumerate(lines)},
        **{f"room-{i}-guest_name": x.guest_name for i, x in enumerate(lines)},
    }


def test_a_dearer_staff_change_of_a_card_booking_emails_the_guest_the_payment_link(client, bank, two_hotels, manager_a):
    alpha = two_hotels[0]
    booking = paid_booking_at(alpha)
    booking.language = "fr"
    booking.save(update_fields=["language"])
    client.force_login(manager_a)
    url = reverse("admin:bookings_booking_staff_change", args=[booking.pk])
    form = stay_form(booking)
    quote = client.post(url, form).context["quote"]
    assert quote.difference > 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(url, {**form, "expected_total": str(quote.new_total), "confirm": "1"}, follow=True)
    change = booking.changes.get()
    assert change.status == "pending_payment" and change.payment is not None
    link = change.payment.bank_redirect_url
    shown = messages_of(done)
    assert "payment link sent to payer@example.com" in shown and link in shown
    assert change.hold_expires_at > change.created_at + timedelta(hours=23)  # an e-mailed link needs time
    email = OutboundEmail.objects.get(booking=booking, kind="change_payment_link_guest")
    assert email.recipient == "payer@example.com" and email.status == "sent"
    sent = next(m for m in mail.outbox if m.subject == email.subject)
    assert link in sent.body and "Bonjour" in sent.body and "différence" in sent.subject  # the booking's language

    # the guest pays on the bank's page from the e-mail: the change applies
    answer = requests.post(
        link,
        data={"card_number": "4242424242424242", "expiry": "12/39", "cvc": "123", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    back = urlparse(answer.headers["Location"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.get(back.path, parse_qs(back.query))
    change.refresh_from_db()
    booking.refresh_from_db()
    assert change.status == "applied" and booking.total == quote.new_total and booking.nights == 3


def test_a_staff_change_is_refused_when_the_price_moved_or_was_not_confirmed(client, two_hotels, manager_a):
    alpha, _beta, booking, _other = two_hotels
    client.force_login(manager_a)
    url = reverse("admin:bookings_booking_staff_change", args=[booking.pk])
    form = stay_form(booking)
    quote = client.post(url, form).context["quote"]
    before = (booking.check_out, booking.total)
    for expected in (str(quote.new_total - 1), "", "abc", "1e999999"):
        response = client.post(url, {**form, "expected_total": expected, "confirm": "1"})
        assert response.status_code == 200, expected
        assert f"The price of this change is now {quote.new_total}" in " ".join(response.context["errors"])
        assert response.context["quote"].new_total == quote.new_total  # the new price, to confirm again
    booking.refresh_from_db()
    assert (booking.check_out, booking.total) == before and not booking.changes.exists()


def test_front_desk_is_shown_no_prices_and_confirms_against_the_quote_token(client, two_hotels, front_desk_a):
    alpha, _beta, booking, _other = two_hotels
    client.force_login(front_desk_a)
    url = reverse("admin:bookings_booking_staff_change", args=[booking.pk])
    form = stay_form(booking, nights_more=2)
    response = client.post(url, form)
    html = response.content.decode()
    quote = response.context["quote"]
    assert "Price of the change" in html and "The change costs more" in html
    assert str(quote.new_total) not in html and str(quote.old_total) not in html
    assert 'name="expected_total"' not in html and 'name="quote_token"' in html
    token = response.context["quote_token"]
    tampered = token[:-1] + ("1" if token[-1] == "0" else "0")
    refused = client.post(url, {**form, "quote_token": tampered, "confirm": "1"})
    assert "has moved since it was shown" in " ".join(refused.context["errors"])
    assert str(quote.new_total) not in refused.content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(url, {**form, "quote_token": token, "confirm": "1"})
    assert done.status_code == 302
    booking.refresh_from_db()
    assert booking.check_out == hotel_today(alpha) + timedelta(days=14) and booking.total == quote.new_total
    # the booking page shows front desk no settlement block either (amounts are prices)
    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    assert "desk_settlement" not in page.context


def test_a_bank_that_cannot_be_reached_leaves_the_booking_unchanged_and_open_to_changes(
    client, settings, bank, two_hotels, manager_a
):
    booking = paid_booking_at(two_hotels[0])
    settings.PAYMENT_GATEWAY_OPTIONS = {**settings.PAYMENT_GATEWAY_OPTIONS, "base_url": "http://127.0.0.1:9"}
    client.force_login(manager_a)
    url = reverse("admin:bookings_booking_staff_change", args=[booking.pk])
    form = stay_form(booking)
    quote = client.post(url, form).context["quote"]
    done = client.post(url, {**form, "expected_total": str(quote.new_total), "confirm": "1"}, follow=True)
    assert "The booking was not changed: the payment link for the difference could not be sent" in messages_of(done)
    change = booking.changes.get()
    booking.refresh_from_db()
    assert change.status == "failed" and not change.nights_taken and booking.nights == 2
    assert not OutboundEmail.objects.filter(booking=booking, kind="change_payment_link_guest").exists()
    settings.PAYMENT_GATEWAY_OPTIONS = {**settings.PAYMENT_GATEWAY_OPTIONS, "base_url": bank.url}
    again = client.post(url, form)
    assert again.status_code == 200 and again.context["quote"].new_total == quote.new_total  # not blocked
