"""The one pricing function: every price the site shows or charges comes from :func:`stay_quote`.

A stay's price is made of lines, each rounded once, half-up to the cent, where it is computed:

- one line per night: the rate plan's price per room for that night times the rooms. A plan's nightly price is a
  stored price (the room type's night, or the plan's own price for the night) or, for a derived plan, its parent's
  price changed by a percentage or an amount, rounded to the cent (:func:`derived_price`), the way a hotel prints
  it on its rate sheet; never below zero;
- supplement lines for the party: extra adults beyond the room type's base occupancy, and children by the hotel's
  age bands, each "unit price × people × nights" (exact: cents times whole numbers);
- tax and fee lines (percentage of the accommodation, per person per night, per room per stay), included in the
  price or added.

The accommodation total is the sum of the night and supplement lines; the total is that plus the added tax lines,
so the total always equals the sum of what the guest reads. The results page's SQL (``hotels.selectors``) computes
the same accommodation total in PostgreSQL for sorting and filtering, with the same rounding; a test holds them
equal.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def derived_price(parent_price: Decimal, derivation: str, value: Decimal) -> Decimal:
    """A derived plan's price for a night: the parent's price plus ``value`` percent or plus ``value`` (which may
    be negative), rounded half-up to the cent, never below zero."""
    if derivation == "percent":
        price = Decimal(parent_price) * (100 + Decimal(value)) / 100
    elif derivation == "amount":
        price = Decimal(parent_price) + Decimal(value)
    else:
        price = Decimal(parent_price)
    return max(money(price), ZERO)


@dataclass(frozen=True)
class ChildBand:
    min_age: int
    max_age: int
    price: Decimal  # per child per night

    @property
    def label(self) -> str:
        return f"Child {self.min_age}–{self.max_age}"


@dataclass(frozen=True)
class Occupancy:
    """How the party changes a room type's nightly price (``RoomType`` and the hotel's ``ChildAgeBand`` rows)."""

    base_adults: int = 2  # per room, included in the nightly price
    extra_adult_price: Decimal = ZERO  # per adult beyond that, per night
    child_bands: tuple[ChildBand, ...] = ()


def child_charge(age: int | None, occupancy: Occupancy) -> tuple[str, Decimal] | None:
    """(line label, price per night) for one child, or None when the hotel doesn't charge for children.

    A child in a band pays the band's price; a child older than every band pays as an extra adult; a child whose
    age wasn't given (older API clients) pays the dearest band, so the hotel is never undercharged.
    """
    bands = occupancy.child_bands
    if not bands:
        return None
    if age is None:
        dearest = max(bands, key=lambda b: (b.price, b.max_age))
        return "Child (age not given)", dearest.price
    for band in bands:
        if band.min_age <= age <= band.max_age:
            return band.label, band.price
    return f"Child aged {age} (adult rate)", occupancy.extra_adult_price


@dataclass(frozen=True)
class NightLine:
    date: date
    unit_price: Decimal
    rooms: int

    @property
    def amount(self) -> Decimal:
        return money(self.unit_price * self.rooms)


@dataclass(frozen=True)
class ExtraLine:
    """A supplement for the party: ``unit_price`` per person per night, for ``quantity`` people, ``nights`` nights."""

    name: str
    unit_price: Decimal
    quantity: int
    nights: int

    @property
    def amount(self) -> Decimal:
        return money(self.unit_price * self.quantity * self.nights)


@dataclass(frozen=True)
class TaxLine:
    name: str
    amount: Decimal
    included: bool


@dataclass(frozen=True)
class Quote:
    currency: str
    nights: list[NightLine]
    taxes: list[TaxLine] = field(default_factory=list)
    extras: list[ExtraLine] = field(default_factory=list)

    @property
    def room_total(self) -> Decimal:
        """The accommodation: nights and supplements, before added taxes."""
        return sum((n.amount for n in self.nights), ZERO) + sum((e.amount for e in self.extras), ZERO)

    @property
    def total(self) -> Decimal:
        return self.room_total + sum((t.amount for t in self.taxes if not t.included), ZERO)

    @property
    def first_night(self) -> Decimal:
        """The first night with its share of the supplements (the "first night" cancellation penalty)."""
        if not self.nights:
            return ZERO
        return self.nights[0].amount + sum((money(e.unit_price * e.quantity) for e in self.extras), ZERO)

    def as_snapshot(self) -> dict:
        """A JSON-safe copy stored on the booking; every later view reads this, never recomputes."""
        return {
            "currency": self.currency,
            "nights": [
                {"date": n.date.isoformat(), "unit_price": str(n.unit_price), "rooms": n.rooms, "amount": str(n.amount)}
                for n in self.nights
            ],
            "extras": [
                {
                    "name": e.name,
                    "unit_price": str(e.unit_price),
                    "quantity": e.quantity,
                    "nights": e.nights,
                    "amount": str(e.amount),
                }
                for e in self.extras
            ],
            "taxes": [{"name": t.name, "amount": str(t.amount), "included": t.included} for t in self.taxes],
            "room_total": str(self.room_total),
            "first_night": str(self.first_night),
            "total": str(self.total),
        }


def stay_quote(
    *,
    currency: str,
    nightly_prices: list[tuple[date, Decimal]],
    rooms: int,
    adults: int,
    children_ages=(),
    occupancy: Occupancy = Occupancy(),
    taxes=(),
) -> Quote:
    """Price a stay: the plan's ``nightly_prices`` per room, times ``rooms``, the party's supplements, and the
    hotel's tax and fee lines.

    ``children_ages`` has one entry per child (None where the age is unknown). The party is spread so that as few
    adults as possible pay the supplement: ``base_adults`` per room are included. ``taxes`` are objects with
    ``name``, ``kind`` ("percent", "per_person_night", "per_stay"), ``amount`` and ``included_in_price``
    (``hotels.models.HotelTax`` rows).
    """
    nights = [NightLine(date=d, unit_price=money(p), rooms=rooms) for d, p in nightly_prices]
    extras = supplement_lines(
        night_count=len(nights), rooms=rooms, adults=adults, children_ages=children_ages, occupancy=occupancy
    )
    room_total = sum((n.amount for n in nights), ZERO) + sum((e.amount for e in extras), ZERO)
    return Quote(
        currency=currency,
        nights=nights,
        extras=extras,
        taxes=tax_lines(
            room_total=room_total,
            night_count=len(nights),
            rooms=rooms,
            people=adults + len(children_ages),
            taxes=taxes,
        ),
    )


def supplement_lines(*, night_count: int, rooms: int, adults: int, children_ages, occupancy: Occupancy):
    lines = []
    extra_adults = max(0, adults - occupancy.base_adults * rooms)
    if extra_adults and occupancy.extra_adult_price:
        lines.append(
            ExtraLine(
                name="Extra adult",
                unit_price=money(occupancy.extra_adult_price),
                quantity=extra_adults,
                nights=night_count,
            )
        )
    charges = Counter()
    for age in children_ages:
        charge = child_charge(age, occupancy)
        if charge is not None:
            charges[(charge[0], money(charge[1]))] += 1
    for (name, price), count in sorted(charges.items(), key=lambda item: item[0]):
        lines.append(ExtraLine(name=name, unit_price=price, quantity=count, nights=night_count))
    return lines


def tax_lines(*, room_total: Decimal, night_count: int, rooms: int, people: int, taxes) -> list[TaxLine]:
    lines = []
    for tax in taxes:
        if tax.kind == "percent":
            rate = Decimal(tax.amount) / 100
            amount = room_total - room_total / (1 + rate) if tax.included_in_price else room_total * rate
        elif tax.kind == "per_person_night":
            amount = Decimal(tax.amount) * people * night_count
        else:
            amount = Decimal(tax.amount) * rooms
        lines.append(TaxLine(name=tax.name, amount=money(amount), included=tax.included_in_price))
    return lines


def stay_total(*, room_total: Decimal, night_count: int, rooms: int, people: int, taxes) -> Decimal:
    """What the guest pays for an accommodation total: the same lines :func:`stay_quote` would list, added up."""
    lines = tax_lines(room_total=room_total, night_count=night_count, rooms=rooms, people=people, taxes=taxes)
    return money(room_total) + sum((t.amount for t in lines if not t.included), ZERO)


# --- rate plans -------------------------------------------------------------------------------------------------


class RateClosed(Exception):
    """A rate plan's rules refuse a stay (closed to arrival, minimum stay...); the message is for the guest."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def plan_nightly_prices(plan, base_prices: list[tuple[date, Decimal]], own: dict, parent_own: dict):
    """A rate plan's price per room for each night, from the room type's night prices ``base_prices`` and the
    plan's (``own``) and its parent's (``parent_own``) ``RatePlanNight`` rows by date."""
    prices = []
    for day, base in base_prices:
        if plan.parent_id:
            parent_night = parent_own.get(day)
            parent_price = parent_night.price if parent_night is not None and parent_night.price is not None else base
            prices.append((day, derived_price(parent_price, plan.derivation, plan.derivation_value)))
        else:
            night = own.get(day)
            prices.append((day, night.price if night is not None and night.price is not None else base))
    return prices


def plan_closed_reason(plan, *, check_in: date, check_out: date, own: dict) -> str | None:
    """Why ``plan`` can't sell a stay (a guest-facing sentence), or None when it can. ``own`` holds the plan's
    ``RatePlanNight`` rows by date, including the departure date's (closed to departure)."""
    nights = (check_out - check_in).days
    arrival = own.get(check_in)
    min_stay = arrival.min_stay if arrival is not None and arrival.min_stay else plan.min_stay
    max_stay = arrival.max_stay if arrival is not None and arrival.max_stay else plan.max_stay
    if arrival is not None and arrival.closed_to_arrival:
        return f"{plan.name} can't start on {check_in:%-d %B}: arrivals are closed that day."
    departure = own.get(check_out)
    if departure is not None and departure.closed_to_departure:
        return f"{plan.name} can't end on {check_out:%-d %B}: departures are closed that day."
    if nights < min_stay:
        return f"{plan.name} needs a stay of at least {min_stay} nights from {check_in:%-d %B}."
    if max_stay and nights > max_stay:
        return f"{plan.name} allows stays of at most {max_stay} nights from {check_in:%-d %B}."
    for i in range(nights):
        night = own.get(check_in + timedelta(days=i))
        if night is not None and night.stop_sell:
            return f"{plan.name} is not sold on the night of {night.date:%-d %B}."
    return None
