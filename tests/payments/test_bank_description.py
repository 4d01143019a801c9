"""What the bank's page says a payment is for: in the booking's language, like the e-mails, whoever opens the
session (the guest's click on the French site, a change, a payment link e-mailed by beat); and a retried request
sends the first one's text again, so the bank answers it with the same session."""

import html
import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from babel.dates import format_interval
from django.core import mail
from django.utils import translation

from bookings import workflow
from bookings.models import Booking
from bookings.services import booking_hold
from payments.gateways import get_gateway
from payments.models import Payment, ScheduledCharge
from payments.services import payment_start
from tests.factories import UserFactory, future, open_nights

from .test_payment_terms import ARRIVAL, GUEST, LATER_DECLINED, deposit_room, pay_at_bank, room, run_charges, stay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]

CHANGE = {"fr": "modification de la réservation", "de": "Änderung der Buchung", "es": "cambio en la reserva"}
BALANCE = {"fr": "Solde", "de": "Restbetrag", "es": "Saldo"}


@pytest.fixture(autouse=True)
def _english_outside_requests():
    translation.activate("en")
    yield
    translation.activate("en")


def bank_says(url: str) -> str:
    """The description line of the bank's hosted page (with CLDR's spaces as plain spaces)."""
    page = requests.get(url, timeout=5).text
    description = html.unescape(re.search(r'</h1>\s*<p class="muted">([^<]*)</p>', page).group(1))
    return description.replace("\u202f", " ").replace("\xa0", " ")


def dates(language: str) -> str:
    text = format_interval(future(ARRIVAL), future(ARRIVAL + 3), "yMMMd", locale=language)
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("language", ["fr", "de", "es", "en"])
def test_the_bank_page_describes_the_stay_in_the_language_the_guest_booked_in(client, bank, language):
    rt = room()
    prefix = "" if language == "en" else f"/{language}"
    start = client.post(
        f"{prefix}/bookings/start/",
        {
            "room_type": rt.pk,
            "check_in": future(ARRIVAL).isoformat(),
            "check_out": future(ARRIVAL + 3).isoformat(),
            "adults": 2,
            "children": 0,
            "rooms": 1,
        },
    )
    assert start.status_code == 302, start.content[:300]
    guest = client.post(
        start["Location"],
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "password1": "un-guessable 42!",
            "password2": "un-guessable 42!",
        },
    )
    assert guest.status_code == 302, guest.content.decode()[:2000]
    to_bank = client.post(guest["Location"], {"expected_total": "360.00"})
    assert to_bank.status_code == 302 and to_bank["Location"].startswith(bank.url)
    assert Booking.objects.get().language == language
    assert bank_says(to_bank["Location"]) == f"Hôtel des Terreaux, {dates(language)}"


@pytest.mark.parametrize("language", ["fr", "de", "es"])
def test_a_change_to_pay_is_described_in_the_bookings_language(client, bank, language):
    rt = room()
    open_nights(rt, future(ARRIVAL + 3), 1, price="120.00", rooms=3)  # a fourth night to add
    customer = UserFactory()
    booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST, customer=customer, language=language)
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    pay_at_bank(payment.bank_redirect_url)
    workflow.payment_sync(payment=payment)
    client.force_login(customer)
    url = f"/bookings/{booking.reference}/change/dates/"  # the English page: the booking's language still rules
    new = {"check_in": future(ARRIVAL).isoformat(), "check_out": future(ARRIVAL + 4).isoformat()}
    quote = client.post(url, new)
    assert quote.status_code == 200
    expected = re.search(r'name="expected_total" value="([^"]+)"', quote.content.decode()).group(1)
    to_bank = client.post(url, {**new, "expected_total": expected, "confirm": "1"})
    assert to_bank.status_code == 302 and to_bank["Location"].startswith(bank.url), to_bank.content[:500]
    assert bank_says(to_bank["Location"]) == f"Hôtel des Terreaux, {CHANGE[language]} {booking.reference}"


@pytest.mark.parametrize("language", ["fr", "de", "es"])
def test_a_payment_link_sent_by_beat_is_described_in_the_bookings_language(client, bank, language):
    rt = deposit_room()
    booking = booking_hold(room_type=rt, stay=stay(), guest=GUEST, language=language)
    payment = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    pay_at_bank(payment.bank_redirect_url, LATER_DECLINED)
    workflow.payment_sync(payment=payment)
    run_charges(at=ScheduledCharge.objects.get().due_at)  # declined: the guest is e-mailed a payment link
    [declined] = [m for m in mail.outbox if m.to == [GUEST.email] and "/payments/pay/" in m.body]
    link = urlparse(re.search(r"http://\S+/payments/pay/\S+", declined.body).group(0))
    to_bank = client.get(link.path, parse_qs(link.query))
    assert to_bank.status_code == 302 and to_bank["Location"].startswith(bank.url)
    assert bank_says(to_bank["Location"]) == BALANCE[language]


def test_a_retried_checkout_sends_the_first_requests_description_and_gets_the_same_session(bank):
    """The answer to the first request was lost (no session recorded): the retry carries the same key and the same
    body, so the bank replays the session instead of refusing a reused key; a payment written before descriptions
    were stored is retried with the English text it was first sent with."""
    booking = booking_hold(room_type=room(), stay=stay(), guest=GUEST, language="fr")
    first = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    assert first.bank_request["description"].startswith("Hôtel des Terreaux, ")
    Payment.objects.filter(pk=first.pk).update(status="created", bank_redirect_url="", bank_session_id="")
    again = payment_start(booking=booking, return_url="http://testserver/r", webhook_url=None)
    assert again.pk == first.pk and again.bank_redirect_url == first.bank_redirect_url

    older = booking_hold(room_type=room(), stay=stay(), guest=GUEST, language="fr")
    legacy = f"{older.hotel.name}, {older.check_in:%d %b} – {older.check_out:%d %b %Y}"
    session = get_gateway().create_session(
        amount=older.total,
        currency=older.currency,
        reference=older.reference,
        return_url="http://testserver/r",
        webhook_url=None,
        idempotency_key=f"{older.reference}-pay-1",
        description=legacy,
    )
    Payment.objects.create(
        booking=older,
        kind="full",
        gateway="SandboxBankGateway",
        amount=older.total,
        currency=older.currency,
        attempt=1,
        idempotency_key=f"{older.reference}-pay-1",
        bank_request={"return_url": "http://testserver/r", "webhook_url": None},
    )
    retried = payment_start(booking=older, return_url="http://testserver/r", webhook_url=None)
    assert retried.status == "pending" and retried.bank_session_id == session.session_id
