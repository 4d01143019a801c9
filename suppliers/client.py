"""Talking to a supplier: our own partner API protocol over ``requests``, one pooled session per supplier.

Availability (GET) may be retried; booking creation (POST) is retried only because it carries an Idempotency-Key
derived from our booking, so a retry can never book twice. Every answer is parsed strictly: anything that isn't
what the protocol says raises :class:`SupplierError` (and is logged by the caller), never a 500 on our pages.
"""

import json
import re
import threading
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import requests
from django.conf import settings

from hotels.models import CURRENCY_CHOICES, RatePlan

from .transport import Answer, DeadlineAdapter, TransportError, fetch

KNOWN_CURRENCIES = {code for code, _ in CURRENCY_CHOICES}
_sessions: dict[int, requests.Session] = {}
_sessions_lock = threading.Lock()


class SupplierError(Exception):
    """The supplier could not be reached or said something we don't understand."""


class SupplierBusy(SupplierError):
    """The supplier asked us to slow down (HTTP 429): back off for ``retry_after`` seconds; not a failure."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class SupplierRefused(Exception):
    """The supplier answered clearly that it won't book (sold out, price changed...): ``message`` is for guests."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class SupplierOffer:
    remote_room_type_id: int
    room_type: dict
    remote_rate_plan_id: int | None
    rate_plan_name: str
    meal_plan: str
    currency: str
    total: Decimal
    snapshot: dict  # nights, adjustments, extras, taxes, total: our Quote.as_snapshot() shape
    policy: dict
    rooms_available: int


@dataclass
class SupplierHotelOffers:
    supplier_id: int
    supplier_name: str
    remote_id: int
    hotel: dict  # name, city, country, address, stars, currency, timezone, check_in_time, check_out_time
    offers: list[SupplierOffer] = field(default_factory=list)  # cheapest first

    @property
    def best(self) -> SupplierOffer:
        return self.offers[0]


def _session(supplier) -> requests.Session:
    with _sessions_lock:
        session = _sessions.get(supplier.pk)
        if session is None:
            session = requests.Session()
            adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=settings.SUPPLIER_POOL_SIZE, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            _sessions[supplier.pk] = session
        return session


class SupplierClient:
    def __init__(self, supplier, *, read_timeout: float | None = None):
        self.supplier = supplier
        self.base = supplier.base_url.rstrip("/") + "/api/v1"
        self.timeout = (settings.SUPPLIER_CONNECT_TIMEOUT, read_timeout or supplier.timeout_ms / 1000)

    def _request(self, method: str, path: str, **kwargs) -> Answer:
        """One call, answered whole within the connect and read timeouts together (no redirects, capped size)."""
        headers = {"Authorization": f"Api-Key {self.supplier.api_key}", "Accept": "application/json"}
        headers.update(kwargs.pop("headers", {}))
        try:
            return fetch(
                _session(self.supplier),
                method,
                self.base + path,
                deadline=sum(self.timeout),
                max_bytes=settings.SUPPLIER_MAX_ANSWER_BYTES,
                headers=headers,
                timeout=self.timeout,
                **kwargs,
            )
        except TransportError as exc:
            raise SupplierError(str(exc)) from exc

    @staticmethod
    def _json(answer: Answer):
        try:
            return json.loads(answer.body)
        except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deeply
            raise SupplierError(f"HTTP {answer.status}, not JSON we can read") from exc

    @staticmethod
    def _busy(answer: Answer) -> SupplierBusy:
        retry_after = answer.headers.get("Retry-After", "")
        seconds = int(retry_after) if retry_after.isdecimal() else settings.SUPPLIER_BACKOFF_SECONDS
        seconds = max(1, min(seconds, settings.SUPPLIER_BACKOFF_MAX_SECONDS))
        return SupplierBusy(f"HTTP 429: backing off for {seconds} s", retry_after=seconds)

    def availability(self, *, city: str = "", stay, hotel_id: int | None = None) -> list[SupplierHotelOffers]:
        # The stay's own query fields, ``children_ages`` only when there are any (as suppliers have always been asked).
        params = {"city": city, **{k: v for k, v in stay.params().items() if v}}
        if hotel_id is not None:
            params = {k: v for k, v in params.items() if k != "city"} | {"hotel": hotel_id}
        answer = self._request("GET", "/availability/", params=params)
        if answer.status == 429:
            raise self._busy(answer)
        if answer.status != 200:
            raise SupplierError(f"HTTP {answer.status}")
        return parse_availability(self._json(answer), supplier=self.supplier)

    def booking_create(self, *, body: dict, idempotency_key: str) -> dict:
        """Place a booking; retried once on a network error (the key makes it safe). Raises
        :class:`SupplierRefused` for a clear no, :class:`SupplierError` when we don't know."""
        last = None
        for _ in range(2):
            try:
                response = self._request("POST", "/bookings/", json=body, headers={"Idempotency-Key": idempotency_key})
            except SupplierError as exc:
                last = exc
                continue
            data = self._json(response)
            if response.status in (200, 201) and isinstance(data, dict) and isinstance(data.get("reference"), str):
                return data
            error = data.get("error") if isinstance(data, dict) else None
            if response.status in (404, 409, 422) and isinstance(error, dict):
                raise SupplierRefused(str(error.get("code", "refused"))[:40], str(error.get("message", ""))[:300])
            raise SupplierError(f"HTTP {response.status} on booking")
        raise last

    def booking_cancel(self, *, reference: str) -> dict:
        response = self._request("POST", f"/bookings/{reference}/cancel/")
        data = self._json(response)
        if response.status != 200 or not isinstance(data, dict):
            raise SupplierError(f"HTTP {response.status} on cancel")
        return data


# --- strict parsing ----------------------------------------------------------------------------------------------


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise SupplierError(f"not an amount: {str(value)[:20]}") from exc
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) or abs(amount) > Decimal(10**9):
        raise SupplierError(f"not an amount: {str(value)[:20]}")
    return amount


def _str(value, limit=200) -> str:
    if not isinstance(value, str):
        raise SupplierError("expected text")
    return value[:limit]


def _int(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**62:
        raise SupplierError("expected a whole number")
    return value


CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value) -> str:
    """An IANA zone name we know (stored on a mirrored hotel and used for its dates)."""
    if not isinstance(value, str) or value not in _zones():
        raise SupplierError(f"not a time zone: {str(value)[:40]}")
    return value


def _clock(value) -> str:
    if not isinstance(value, str) or not CLOCK.fullmatch(value):
        raise SupplierError(f"not a time of day: {str(value)[:10]}")
    return value


def _date(value) -> str:
    try:
        if isinstance(value, str) and ISO_DATE.fullmatch(value):
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise SupplierError(f"not a date: {str(value)[:12]}")


def _moment(value) -> str | None:
    """An ISO 8601 date and time with its offset (a policy deadline), or None."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise SupplierError(f"not a date and time with its offset: {str(value)[:40]}")
    return moment.isoformat()


def _meal_plan(value) -> str:
    if value not in RatePlan.MealPlan.values:
        raise SupplierError(f"not a meal plan: {str(value)[:20]}")
    return value


def _lines(items, keys) -> list[dict]:
    if not isinstance(items, list) or len(items) > 500:
        raise SupplierError("expected a list of lines")
    lines = []
    for item in items:
        if not isinstance(item, dict):
            raise SupplierError("expected a line")
        line = {}
        for key, kind in keys.items():
            value = item.get(key)
            line[key] = (
                str(_money(value))
                if kind == "money"
                else _int(value)
                if kind == "int"
                else _date(value)
                if kind == "date"
                else (bool(value) if kind == "bool" else _str(value))
            )
        lines.append(line)
    return lines


# Whatever shape an answer has, parsing it raises SupplierError, never one of these (a 500 on our page).
MALFORMED = (TypeError, AttributeError, KeyError, IndexError, ValueError, ArithmeticError, RecursionError)


def parse_offer(data: dict, hotel_currency: str) -> SupplierOffer:
    try:
        return _parse_offer(data, hotel_currency)
    except MALFORMED as exc:
        raise SupplierError(f"the supplier answered badly: {type(exc).__name__} in an offer") from exc


def _parse_offer(data: dict, hotel_currency: str) -> SupplierOffer:
    if not isinstance(data, dict):
        raise SupplierError("offer is not an object")
    currency = _str(data.get("currency"), 3)
    if currency != hotel_currency or currency not in KNOWN_CURRENCIES:
        raise SupplierError(f"offer in {currency}, hotel in {hotel_currency}")
    room = data.get("room_type") or {}
    plan = data.get("rate_plan")
    nights = _lines(data.get("nights"), {"date": "date", "unit_price": "money", "rooms": "int", "amount": "money"})
    adjustments = _lines(data.get("adjustments", []), {"name": "str", "amount": "money"})
    extras = _lines(
        data.get("extras", []),
        {"name": "str", "unit_price": "money", "quantity": "int", "nights": "int", "amount": "money"},
    )
    taxes = _lines(data.get("taxes", []), {"name": "str", "amount": "money", "included": "bool"})
    total = _money(data.get("total"))
    room_total = sum((Decimal(x["amount"]) for x in nights + adjustments + extras), Decimal("0.00"))
    added = sum((Decimal(t["amount"]) for t in taxes if not t["included"]), Decimal("0.00"))
    if not nights or room_total + added != total or total < 0:
        raise SupplierError("offer lines don't add up to its total")
    policy = data.get("cancellation_policy") or {}
    if not isinstance(policy, dict) or policy.get("penalty") not in ("first_night", "percent", "full_stay"):
        raise SupplierError("offer without a cancellation policy")
    return SupplierOffer(
        remote_room_type_id=_int(room.get("id")),
        room_type={
            "name": _str(room.get("name"), 120),
            "beds": _str(room.get("beds", ""), 120),
            "max_adults": _int(room.get("max_adults", 2)),
            "max_children": _int(room.get("max_children", 0)),
            "max_occupancy": _int(room.get("max_occupancy", 2)),
        },
        remote_rate_plan_id=_int(plan.get("id")) if isinstance(plan, dict) else None,
        rate_plan_name=_str(plan.get("name"), 80) if isinstance(plan, dict) else "Standard rate",
        meal_plan=_meal_plan(plan.get("meal_plan", "room_only")) if isinstance(plan, dict) else "room_only",
        currency=currency,
        total=total,
        snapshot={
            "currency": currency,
            "nights": nights,
            "adjustments": adjustments,
            "extras": extras,
            "taxes": taxes,
            "room_total": str(room_total),
            "first_night": nights[0]["amount"],
            "total": str(total),
        },
        policy={
            "free_until": _moment(policy.get("free_until")),
            "timezone": _timezone(policy.get("timezone", "UTC")),
            "penalty": policy["penalty"],
            "penalty_percent": str(_money(policy.get("penalty_percent", "100"))),
        },
        rooms_available=_int(data.get("rooms_available", 1)),
    )


def parse_availability(data, *, supplier) -> list[SupplierHotelOffers]:
    """The hotels of an availability answer (at most ``SUPPLIER_MAX_HOTELS``), each with its offers that parse;
    a malformed answer as a whole raises :class:`SupplierError`."""
    try:
        return _parse_availability(data, supplier=supplier)
    except MALFORMED as exc:
        raise SupplierError(f"the supplier answered badly: {type(exc).__name__}") from exc


def _parse_availability(data, *, supplier) -> list[SupplierHotelOffers]:
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise SupplierError("availability answer without results")
    hotels = []
    for item in data["results"][: settings.SUPPLIER_MAX_HOTELS]:
        if not isinstance(item, dict) or not isinstance(item.get("hotel"), dict):
            raise SupplierError("result without a hotel")
        h = item["hotel"]
        currency = _str(h.get("currency"), 3)
        hotel = SupplierHotelOffers(
            supplier_id=supplier.pk,
            supplier_name=supplier.name,
            remote_id=_int(h.get("id")),
            hotel={
                "name": _str(h.get("name"), 160),
                "city": _str(h.get("city"), 100),
                "country": _str(h.get("country", ""), 100),
                "address": _str(h.get("address", ""), 255),
                "stars": min(max(_int(h.get("stars", 3)), 1), 5),
                "currency": currency,
                "timezone": _timezone(h.get("timezone", "UTC")),
                "check_in_time": _clock(h.get("check_in_time", "15:00")),
                "check_out_time": _clock(h.get("check_out_time", "11:00")),
            },
        )
        for offer in item.get("offers") or []:
            try:
                hotel.offers.append(parse_offer(offer, currency))
            except SupplierError:
                continue  # one bad offer (another currency, lines that don't add up) doesn't spoil the hotel
        if hotel.offers:
            hotel.offers.sort(key=lambda o: o.total)
            hotels.append(hotel)
    return hotels
