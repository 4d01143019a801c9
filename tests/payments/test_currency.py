"""Display currency: providers chosen by settings (the fixed table, the ECB's daily XML from a real local HTTP
server), the daily task, the guest's choice, and amounts that stay in the hotel's currency where money moves."""

import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from display.currency import (
    EcbProvider,
    FixedRatesProvider,
    RatesUnavailable,
    convert,
    exchange_rates_refresh,
    rates_date,
)
from display.models import ExchangeRate
from display.tasks import exchange_rates_refresh as refresh_task
from tests.factories import RoomTypeFactory, TaxFactory, future, open_nights

ECB_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <Cube><Cube time="2026-11-24">
    <Cube currency="USD" rate="1.0500"/><Cube currency="GBP" rate="0.8400"/><Cube currency="CHF" rate="0.9300"/>
    <Cube currency="JPY" rate="160.00"/>
  </Cube></Cube>
</gesmes:Envelope>"""


@pytest.fixture
def ecb():
    """A real HTTP server answering like the ECB; ``ecb.answer`` sets what it says next."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = server.answer
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.answer = (200, ECB_XML)
    server.url = f"http://127.0.0.1:{server.server_port}/eurofxref-daily.xml"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.mark.django_db
def test_the_fixed_table_serves_until_rates_are_fetched(settings):
    settings.EXCHANGE_RATES_FIXED = {"USD": "1.10", "GBP": "0.80"}
    cache.clear()
    assert convert(Decimal("100.00"), "EUR", "USD") == Decimal("110.00")
    assert convert(Decimal("80.00"), "GBP", "USD") == Decimal("110.00")  # cross rate through EUR
    assert convert(Decimal("100.00"), "EUR", "XXX") is None
    assert exchange_rates_refresh(provider=FixedRatesProvider()) == 2
    assert ExchangeRate.objects.get(quote="USD").rate == Decimal("1.10")


@pytest.mark.django_db
def test_the_ecb_provider_reads_the_daily_xml(ecb):
    assert exchange_rates_refresh(provider=EcbProvider(url=ecb.url, timeout=2)) == 4
    assert rates_date() == date(2026, 11, 24)
    assert convert(Decimal("100.00"), "EUR", "USD") == Decimal("105.00")
    assert convert(Decimal("100.00"), "USD", "GBP") == Decimal("80.00")
    assert ExchangeRate.objects.get(quote="JPY").source == "European Central Bank"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answer",
    [
        (200, b"<html>maintenance</html>"),
        (200, b"not xml at all"),
        (500, b"oops"),
        (200, ECB_XML.replace(b'rate="1.0500"', b'rate="-1"')),
        (200, ECB_XML.replace(b'rate="1.0500"', b'rate="abc"')),
    ],
)
def test_a_bad_answer_keeps_the_previous_rates(ecb, answer):
    exchange_rates_refresh(provider=EcbProvider(url=ecb.url, timeout=2))
    ecb.answer = answer
    with pytest.raises(RatesUnavailable):
        exchange_rates_refresh(provider=EcbProvider(url=ecb.url, timeout=2))
    assert ExchangeRate.objects.get(quote="USD").rate == Decimal("1.0500")


@pytest.mark.django_db
def test_the_daily_task_uses_the_provider_from_settings(ecb, settings):
    settings.EXCHANGE_RATES_PROVIDER = "display.currency.EcbProvider"
    settings.EXCHANGE_RATES_OPTIONS = {"url": ecb.url, "timeout": 2}
    assert refresh_task.apply().get() == 4
    assert ExchangeRate.objects.filter(source="European Central Bank").count() == 4


@given(st.decimals(min_value=0, max_value=10**6, places=2), st.sampled_from(["EUR", "USD", "GBP", "CHF"]))
def test_converting_to_the_same_currency_changes_nothing(amount, code):
    assert convert(amount, code, code) == amount


@pytest.mark.django_db
def test_conversion_is_monotonic_in_the_amount():
    cache.clear()
    amounts = [Decimal(n) / 100 for n in range(0, 100_000, 997)]
    converted = [convert(a, "GBP", "JPY") for a in amounts]
    assert converted == sorted(converted)


@pytest.mark.django_db
def test_the_guest_sees_indicative_amounts_and_is_charged_in_the_hotels_currency(client, settings):
    settings.EXCHANGE_RATES_FIXED = {"USD": "1.10"}
    cache.clear()
    rt = RoomTypeFactory()
    TaxFactory(hotel=rt.hotel, amount=Decimal("2.00"))
    open_nights(rt, future(10), 3, price="100.00")
    search = {
        "destination": "Paris",
        "check_in": future(10).isoformat(),
        "check_out": future(12).isoformat(),
        "adults": 2,
        "children": 0,
        "rooms": 1,
    }
    page = client.get(reverse("hotels:search"), search).content.decode()
    assert "€208.00" in page and "≈ $228.80" not in page
    back = client.get(reverse("display:currency"), {"currency": "usd", "next": "/search/?x=1"})
    assert back.status_code == 302 and back["Location"] == "/search/?x=1"
    page = client.get(reverse("hotels:search"), search).content.decode()
    assert "€208.00" in page and "≈ $228.80" in page
    hotel_page = client.get(rt.hotel.get_absolute_url(), {k: v for k, v in search.items() if k != "destination"})
    assert "≈ $228.80" in hotel_page.content.decode()
    # Unknown codes and foreign redirects are ignored, never an error.
    assert (
        client.get(reverse("display:currency"), {"currency": "ZZZ", "next": "https://evil.example/"})["Location"] == "/"
    )
    assert "≈ $" not in client.get(reverse("hotels:search"), search).content.decode()


@pytest.mark.django_db
def test_the_review_page_says_the_charge_is_in_the_hotels_currency(client, bank, settings):
    from bookings.models import Booking
    from tests.bookings.test_flow import GUEST

    settings.EXCHANGE_RATES_FIXED = {"USD": "1.10"}
    cache.clear()
    rt = RoomTypeFactory()
    open_nights(rt, future(10), 3, price="100.00")
    client.get(reverse("display:currency"), {"currency": "USD", "next": "/"})
    start = client.post(
        reverse("bookings:start"),
        {
            "room_type": rt.pk,
            "check_in": future(10).isoformat(),
            "check_out": future(12).isoformat(),
            "adults": 2,
            "children": 0,
            "rooms": 1,
        },
    )
    guest = client.post(start["Location"], {**GUEST, "password1": "un-guessable 42!", "password2": "un-guessable 42!"})
    review = client.get(guest["Location"]).content.decode()
    assert "You will be charged in EUR, the hotel’s currency. Amounts in USD are indicative" in review
    assert "≈ $220.00" in review
    client.post(guest["Location"], {"expected_total": "200.00"})
    booking = Booking.objects.get()
    assert booking.currency == "EUR" and booking.total == Decimal("200.00")
    assert booking.payments.get().currency == "EUR"
