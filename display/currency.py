"""Display currency: guests may see amounts converted to another currency, at rates from a provider chosen by
settings the way Django's EMAIL_BACKEND is (``EXCHANGE_RATES_PROVIDER`` + ``EXCHANGE_RATES_OPTIONS``). A fixed
table ships as the default; ``EcbProvider`` reads the European Central Bank's daily reference rates. A daily
Celery task (``display.tasks.exchange_rates_refresh``) stores them in ``ExchangeRate``.

This is presentation, not payments (``payments`` keeps its own amount arithmetic).
Conversions are indicative only: the booking, the charge, the receipt and the e-mails are in the hotel's
currency. A converted amount is rounded once, half-up to the cent, from the stored cross rate.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import defusedxml.ElementTree as ET
import requests
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ExchangeRate

CACHE_KEY = "fx:rates"
CACHE_SECONDS = 600
MAX_ANSWER_BYTES = 200_000


class RatesUnavailable(Exception):
    """The provider gave no usable rates; the stored ones stay."""


@dataclass(frozen=True)
class Rates:
    base: str
    as_of: date
    source: str
    rates: dict[str, Decimal]  # quote currency → units per one ``base``


class FixedRatesProvider:
    """A table from settings (``EXCHANGE_RATES_FIXED``: units per one EUR), for offline installs and tests."""

    name = "fixed table"

    def __init__(self, rates=None, base="EUR", **options):
        self.base = base
        self.rates = rates if rates is not None else settings.EXCHANGE_RATES_FIXED

    def fetch(self) -> Rates:
        return Rates(
            base=self.base,
            as_of=timezone.now().date(),
            source=self.name,
            rates={code: Decimal(str(value)) for code, value in self.rates.items()},
        )


class EcbProvider:
    """The ECB's daily reference rates (eurofxref-daily.xml: EUR base, about 30 currencies)."""

    name = "European Central Bank"
    NS = {"e": "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"}

    def __init__(self, url="https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml", timeout=10, **options):
        self.url, self.timeout = url, timeout

    def fetch(self) -> Rates:
        try:
            body = _read_capped(self.url, timeout=self.timeout, max_bytes=MAX_ANSWER_BYTES)
            # defusedxml: no entity expansion, no external entities or DTDs, whatever the source sends.
            root = ET.fromstring(body)
            day = root.find(".//e:Cube[@time]", self.NS)
            rates = {
                cube.attrib["currency"]: Decimal(cube.attrib["rate"])
                for cube in day.findall("e:Cube[@currency]", self.NS)
            }
            as_of = date.fromisoformat(day.attrib["time"])
        except (ET.ParseError, DefusedXmlException, AttributeError, KeyError, InvalidOperation, ValueError) as exc:
            raise RatesUnavailable(f"ECB answer not understood: {exc}") from exc
        if not rates or any(value <= 0 for value in rates.values()):
            raise RatesUnavailable("ECB answer had no usable rates")
        return Rates(base="EUR", as_of=as_of, source=self.name, rates=rates)


def _read_capped(url: str, *, timeout, max_bytes: int) -> bytes:
    """The answer's body, read in chunks and abandoned past ``max_bytes`` (never read whole first)."""
    try:
        with requests.get(url, timeout=timeout, stream=True, allow_redirects=False) as response:
            response.raise_for_status()
            if response.status_code != 200:
                raise RatesUnavailable(f"ECB rates unavailable: HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_content(16 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise RatesUnavailable("ECB answer too large")
            return bytes(body)
    except requests.RequestException as exc:
        raise RatesUnavailable(f"ECB rates unavailable: {exc}") from exc


def get_provider():
    return import_string(settings.EXCHANGE_RATES_PROVIDER)(**settings.EXCHANGE_RATES_OPTIONS)


def exchange_rates_refresh(*, provider=None) -> int:
    """Store the provider's rates (one row per pair, replaced); returns how many. Raises
    :class:`RatesUnavailable`, storing nothing, when the provider has no usable answer."""
    rates = (provider or get_provider()).fetch()
    with transaction.atomic():
        for quote, value in rates.rates.items():
            ExchangeRate.objects.update_or_create(
                base=rates.base,
                quote=quote,
                defaults={"rate": value, "as_of": rates.as_of, "source": rates.source},
            )
    cache.delete(CACHE_KEY)
    return len(rates.rates)


def _table() -> tuple[dict[str, Decimal], date | None]:
    """Units per one EUR for every known currency (EUR itself is 1), and the rates' date."""
    table = cache.get(CACHE_KEY)
    if table is None:
        rows = list(ExchangeRate.objects.filter(base="EUR"))
        if rows:
            table = ({r.quote: r.rate for r in rows}, min(r.as_of for r in rows))
        else:  # nothing fetched yet: the fixed table
            fixed = FixedRatesProvider().fetch()
            table = (fixed.rates, None)
        table[0]["EUR"] = Decimal(1)
        cache.set(CACHE_KEY, table, CACHE_SECONDS)
    return table


def rates_date() -> date | None:
    return _table()[1]


def convert(amount, from_currency: str, to_currency: str) -> Decimal | None:
    """``amount`` in ``from_currency`` shown in ``to_currency`` (half-up to the cent), or None when a rate is
    missing. Cross rates go through EUR."""
    if from_currency == to_currency:
        return Decimal(amount)
    rates, _ = _table()
    if from_currency not in rates or to_currency not in rates:
        return None
    value = Decimal(amount) / rates[from_currency] * rates[to_currency]
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def display_currencies() -> list[str]:
    return list(settings.DISPLAY_CURRENCIES)
