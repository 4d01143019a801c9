"""The one pricing function: every price the site shows or charges comes from :func:`stay_quote`.

A stay's price is made of lines, each rounded once, half-up to the cent, where it is computed:

- one line per night: the price per room for that night times the rooms. The price is a stored one: the room
  type's night, or the plan's own price for the night — for a derived plan, its parent's;
- for a derived plan, one adjustment line: the nights' total changed by the plan's percentage (rounded once) or by
  its amount per room per night (exact), never taking the nights below zero (:func:`plan_adjustment`);
- supplement lines for the party: extra adults beyond the room type's base occupancy, and children by the hotel's
  age bands, each "unit price × people × nights" (exact: cents times whole numbers);
- tax and fee lines (percentage of the accommodation, per person per night, per room per stay), included in the
  price or added. A percentage is levied on one component of the accommodation: the room (the nights, the
  supplements and a plan's adjustment), or the meals (the adjustment of a plan whose ``adjustment_component`` is
  meals, "Breakfast +24.00"), so room and meals can carry different VAT rates. With no meals plan the room is the
  whole accommodation, as it was before components existed.

The accommodation total is the sum of the night, adjustment and supplement lines; the total is that plus the added
tax lines,
so the total always equals the sum of what the guest reads. The results page's SQL (``hotels.search``) computes
the same accommodation total in PostgreSQL for sorting and filtering, with the same rounding; a test holds them
equal.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache

from django.utils.formats import date_format
from django.utils.translation import get_language, gettext, ngettext

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def plan_adjustment(
    *, nights_amount: Decimal, derivation: str, value: Decimal, night_count: int, rooms: int
) -> Decimal:
    """A derived plan's adjustment to its parent's nights: ``value`` percent of ``nights_amount`` rounded half-up
    to the cent, or ``value`` per room per night; never below minus the nights (a plan is never negative)."""
    if derivation == "percent":
        amount = money(Decimal(nights_amount) * Decimal(value) / 100)
    elif derivation == "amount":
        amount = Decimal(value) * night_count * rooms
    else:
        return ZERO
    return max(amount, -Decimal(nights_amount))


def derived_price(parent_price: Decimal, derivation: str, value: Decimal) -> Decimal:
    """A derived plan's price for one room and one night, as a rate sheet or the staff calendar shows it (a stay is
    priced with :func:`plan_adjustment` on the whole of its nights, which this agrees with to the cent per night)."""
    return Decimal(parent_price) + plan_adjustment(
        nights_amount=Decimal(parent_price), derivation=derivation, value=value, night_count=1, rooms=1
    )


@dataclass(frozen=True)
class ChildBand:
    min_age: int
    max_age: int
    price: Decimal  # per child per night

    @property
    def label(self) -> str:
        return gettext("Child %(min)s–%(max)s") % {"min": self.min_age, "max": self.max_age}


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
        return gettext("Child (age not given)"), dearest.price
    for band in bands:
        if band.min_age <= age <= band.max_age:
            return band.label, band.price
    return gettext("Child aged %(age)s (adult rate)") % {"age": age}, occupancy.extra_adult_price


# Lines and quotes are immutable, so their amounts are computed once (cached_property writes the instance's
# __dict__, which a frozen dataclass allows): a page of partner offers reads each of them several times.


@dataclass(frozen=True)
class NightLine:
    date: date
    unit_price: Decimal
    rooms: int

    @cached_property
    def amount(self) -> Decimal:
        return money(self.unit_price * self.rooms)


@dataclass(frozen=True)
class ExtraLine:
    """A supplement for the party: ``unit_price`` per person per night, for ``quantity`` people, ``nights`` nights."""

    name: str
    unit_price: Decimal
    quantity: int
    nights: int

    @cached_property
    def amount(self) -> Decimal:
        return money(self.unit_price * self.quantity * self.nights)


@dataclass(frozen=True)
class AdjustmentLine:
    """A derived plan's change to the nights: "Non-refundable (−15%)", "Breakfast included (+24.00 per room per
    night)"; ``component`` is what it pays for (the room, or meals)."""

    name: str
    amount: Decimal
    component: str = "room"


@dataclass(frozen=True)
class TaxLine:
    """A tax or fee as the guest reads it; for a percentage, also its ``rate`` and the ``base`` (the component's
    amount) it was levied on, which invoices print in their VAT breakdown."""

    name: str
    amount: Decimal
    included: bool
    rate: Decimal | None = None
    component: str = ""
    base: Decimal | None = None


@dataclass(frozen=True)
class Quote:
    currency: str
    nights: list[NightLine]
    taxes: list[TaxLine] = field(default_factory=list)
    extras: list[ExtraLine] = field(default_factory=list)
    adjustments: list[AdjustmentLine] = field(default_factory=list)

    @cached_property
    def room_total(self) -> Decimal:
        """The accommodation: nights, the plan's adjustment and supplements, before added taxes."""
        return (
            sum((n.amount for n in self.nights), ZERO)
            + sum((a.amount for a in self.adjustments), ZERO)
            + sum((e.amount for e in self.extras), ZERO)
        )

    @cached_property
    def meals_total(self) -> Decimal:
        """The part of the accommodation that pays for meals (a meals plan's adjustment); the rest is the room."""
        return sum((a.amount for a in self.adjustments if a.component == "meals"), ZERO)

    @cached_property
    def total(self) -> Decimal:
        return self.room_total + sum((t.amount for t in self.taxes if not t.included), ZERO)

    @cached_property
    def first_night(self) -> Decimal:
        """The first night with its share of the plan's adjustment and of the supplements (the "first night"
        cancellation penalty), never more than the accommodation."""
        if not self.nights:
            return ZERO
        return first_night_amount(
            first=self.nights[0].amount,
            nights_amount=sum((n.amount for n in self.nights), ZERO),
            adjustment=sum((a.amount for a in self.adjustments), ZERO),
            extras_first_night=extras_first_night(self.extras),
            room_total=self.room_total,
        )

    def as_snapshot(self) -> dict:
        """A JSON-safe copy stored on the booking; every later view reads this, never recomputes."""
        return {
            "currency": self.currency,
            "nights": quote_nights_data(self.nights),
            **quote_lines_data(self),
            # The percentage taxes' rates and bases, for invoices' VAT breakdown (kept apart from "taxes", whose shape
            # the partner API publishes).
            "vat": [
                {
                    "name": t.name,
                    "rate": str(t.rate),
                    "component": t.component,
                    "base": str(t.base),
                    "amount": str(t.amount),
                    "included": t.included,
                }
                for t in self.taxes
                if t.rate is not None
            ],
            "meals_total": str(self.meals_total),
            "room_total": str(self.room_total),
            "first_night": str(self.first_night),
            "total": str(self.total),
        }


def quote_nights_data(nights: list[NightLine]) -> list[dict]:
    """A quote's night lines as its snapshot (and the partner API) publish them."""
    return [
        {"date": n.date.isoformat(), "unit_price": str(n.unit_price), "rooms": n.rooms, "amount": str(n.amount)}
        for n in nights
    ]


def quote_lines_data(quote: Quote) -> dict:
    """A quote's adjustment, supplement and tax lines as its snapshot (and the partner API) publish them."""
    return {
        "adjustments": adjustments_data(quote.adjustments),
        "extras": extras_data(quote.extras),
        "taxes": taxes_data(quote.taxes),
    }


def adjustments_data(adjustments: list[AdjustmentLine]) -> list[dict]:
    return [{"name": a.name, "amount": str(a.amount)} for a in adjustments]


def extras_data(extras: list[ExtraLine]) -> list[dict]:
    return [
        {
            "name": e.name,
            "unit_price": str(e.unit_price),
            "quantity": e.quantity,
            "nights": e.nights,
            "amount": str(e.amount),
        }
        for e in extras
    ]


def taxes_data(taxes: list[TaxLine]) -> list[dict]:
    return [{"name": t.name, "amount": str(t.amount), "included": t.included} for t in taxes]


def first_night_amount(
    *, first: Decimal, nights_amount: Decimal, adjustment: Decimal, extras_first_night: Decimal, room_total: Decimal
) -> Decimal:
    """:attr:`Quote.first_night`: the ``first`` night's line with its share of the plan's ``adjustment`` and the
    supplements of one night, never more than the accommodation."""
    adjusted = first + (money(adjustment * first / nights_amount) if nights_amount else ZERO)
    return min(adjusted + extras_first_night, room_total)


def extras_first_night(extras) -> Decimal:
    return sum((money(e.unit_price * e.quantity) for e in extras), ZERO)


@dataclass(frozen=True)
class StayBasis:
    """What every plan priced on the same night lines shares for one party: the first half of :func:`stay_quote`
    (a room type's plans without nights of their own share one, so a page of offers makes it once per room type)."""

    nights: list[NightLine]
    nights_amount: Decimal
    extras: list[ExtraLine]
    extras_amount: Decimal
    extras_first_night: Decimal
    rooms: int
    people: int

    def first_night(self, price: "PlanPrice") -> Decimal:
        """:attr:`Quote.first_night` of the quote of ``price`` on this basis."""
        if not self.nights:
            return ZERO
        return first_night_amount(
            first=self.nights[0].amount,
            nights_amount=self.nights_amount,
            adjustment=sum((a.amount for a in price.adjustments), ZERO),
            extras_first_night=self.extras_first_night,
            room_total=price.room_total,
        )


def stay_basis(*, nights: list[NightLine], rooms: int, adults: int, children_ages, occupancy: Occupancy) -> StayBasis:
    extras = supplement_lines(
        night_count=len(nights), rooms=rooms, adults=adults, children_ages=children_ages, occupancy=occupancy
    )
    return StayBasis(
        nights=nights,
        nights_amount=sum((n.amount for n in nights), ZERO),
        extras=extras,
        extras_amount=sum((e.amount for e in extras), ZERO),
        extras_first_night=extras_first_night(extras),
        rooms=rooms,
        people=adults + len(children_ages),
    )


@dataclass(frozen=True)
class PlanPrice:
    """What a plan adds to a :class:`StayBasis`: the second half of :func:`stay_quote` (its adjustment line, the tax
    lines of the accommodation, and the totals a :class:`Quote` of these lines would compute)."""

    adjustments: list[AdjustmentLine]
    taxes: list[TaxLine]
    room_total: Decimal
    total: Decimal


def plan_price(basis: StayBasis, *, plan=None, taxes=()) -> PlanPrice:
    adjustments = []
    if plan is not None and plan.derivation:
        adjustments.append(
            AdjustmentLine(
                component=getattr(plan, "adjustment_component", "room") or "room",
                name=adjustment_name(plan),
                amount=plan_adjustment(
                    nights_amount=basis.nights_amount,
                    derivation=plan.derivation,
                    value=plan.derivation_value,
                    night_count=len(basis.nights),
                    rooms=basis.rooms,
                ),
            )
        )
    room_total = basis.nights_amount + sum((a.amount for a in adjustments), ZERO) + basis.extras_amount
    meals_total = sum((a.amount for a in adjustments if a.component == "meals"), ZERO)
    lines = tax_lines(
        room_total=room_total,
        night_count=len(basis.nights),
        rooms=basis.rooms,
        people=basis.people,
        taxes=taxes,
        meals_total=meals_total,
    )
    total = room_total + sum((t.amount for t in lines if not t.included), ZERO)
    return PlanPrice(adjustments=adjustments, taxes=lines, room_total=room_total, total=total)


def stay_quote(
    *,
    currency: str,
    nightly_prices: list[tuple[date, Decimal]],
    rooms: int,
    adults: int,
    children_ages=(),
    occupancy: Occupancy = Occupancy(),
    taxes=(),
    plan=None,
    night_lines: list[NightLine] | None = None,
) -> Quote:
    """Price a stay: the plan's ``nightly_prices`` per room, times ``rooms``, the party's supplements, and the
    hotel's tax and fee lines.

    ``children_ages`` has one entry per child (None where the age is unknown). The party is spread so that as few
    adults as possible pay the supplement: ``base_adults`` per room are included. ``taxes`` are objects with
    ``name``, ``kind`` ("percent", "per_person_night", "per_stay"), ``amount`` and ``included_in_price``
    (``hotels.models.HotelTax`` rows). ``plan`` (a ``RatePlan``) adds its adjustment line when it is derived.
    ``night_lines``, when given, are :func:`night_lines` of ``nightly_prices`` and ``rooms`` made once for several
    plans priced on the same nights (lines are immutable, so quotes may share them).
    """
    nights = night_lines if night_lines is not None else _night_lines(nightly_prices, rooms)
    basis = stay_basis(nights=nights, rooms=rooms, adults=adults, children_ages=children_ages, occupancy=occupancy)
    priced = plan_price(basis, plan=plan, taxes=taxes)
    return Quote(
        currency=currency, nights=nights, adjustments=priced.adjustments, extras=basis.extras, taxes=priced.taxes
    )


def _night_lines(nightly_prices, rooms: int) -> list[NightLine]:
    return [NightLine(date=d, unit_price=money(p), rooms=rooms) for d, p in nightly_prices]


def night_lines(nightly_prices: list[tuple[date, Decimal]], rooms: int) -> list[NightLine]:
    """The night lines :func:`stay_quote` makes of ``nightly_prices`` for ``rooms``, to give it as ``night_lines``
    when several plans are priced on the same nights (a room type's plans without prices of their own)."""
    return _night_lines(nightly_prices, rooms)


def adjustment_name(plan) -> str:
    # plan.name read once: a translated field, resolved for the active language on every read
    return _adjustment_name(get_language(), plan.name, plan.derivation, Decimal(plan.derivation_value))


# A page of partner offers names ~40 derived plans' adjustments, most of them alike ("Breakfast included (+24.00 per
# room per night)"): the name is a function of these values and the language only, so each is written once.
@lru_cache(maxsize=4096)
def _adjustment_name(language: str | None, name: str, derivation: str, value: Decimal) -> str:
    sign = "-" if value < 0 else "+"  # ASCII: the receipt PDF's Helvetica has no U+2212
    if derivation == "percent":
        return f"{name} ({sign}{abs(value).normalize():f}%)"
    return gettext("%(plan)s (%(sign)s%(amount)s per room per night)") % {
        "plan": name,
        "sign": sign,
        "amount": f"{abs(value):.2f}",
    }


def supplement_lines(*, night_count: int, rooms: int, adults: int, children_ages, occupancy: Occupancy):
    lines = []
    extra_adults = max(0, adults - occupancy.base_adults * rooms)
    if extra_adults and occupancy.extra_adult_price:
        lines.append(
            ExtraLine(
                name=gettext("Extra adult"),
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


def tax_lines(
    *, room_total: Decimal, night_count: int, rooms: int, people: int, taxes, meals_total: Decimal = ZERO
) -> list[TaxLine]:
    """The tax and fee lines of an accommodation total, of which ``meals_total`` pays for meals. A percentage is
    levied on its component (``component``: "room", the default, or "meals"; objects without one are on the room)."""
    lines = []
    for tax in taxes:
        if tax.kind == "percent":
            component = getattr(tax, "component", "") or "room"
            base = meals_total if component == "meals" else room_total - meals_total
            rate = Decimal(tax.amount) / 100
            amount = base - base / (1 + rate) if tax.included_in_price else base * rate
            lines.append(
                TaxLine(
                    name=tax.name,
                    amount=money(amount),
                    included=tax.included_in_price,
                    rate=Decimal(tax.amount),
                    component=component,
                    base=money(base),
                )
            )
            continue
        if tax.kind == "per_person_night":
            amount = Decimal(tax.amount) * people * night_count
        else:
            amount = Decimal(tax.amount) * rooms
        lines.append(TaxLine(name=tax.name, amount=money(amount), included=tax.included_in_price))
    return lines


def stay_total(*, room_total: Decimal, night_count: int, rooms: int, people: int, taxes) -> Decimal:
    """What the guest pays for an accommodation total: the same lines :func:`stay_quote` would list, added up.
    (The results page knows no meals share: a hotel whose meals carry their own rate is priced there as if the
    meals were room, and exactly on its page and at booking.)"""
    lines = tax_lines(room_total=room_total, night_count=night_count, rooms=rooms, people=people, taxes=taxes)
    return money(room_total) + sum((t.amount for t in lines if not t.included), ZERO)


# --- rate plans -------------------------------------------------------------------------------------------------


class RateClosed(Exception):
    """A rate plan's rules refuse a stay (closed to arrival, minimum stay...); the message is for the guest."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def plan_nightly_prices(plan, base_prices: list[tuple[date, Decimal]], own: dict, parent_own: dict):
    """The price per room of each night line of a stay under ``plan``: the plan's own price for the night, else
    the room type's (``base_prices``); a derived plan's lines are its parent's (its adjustment is a line of its
    own). ``own`` and ``parent_own`` are the plan's and its parent's ``RatePlanNight`` rows by date."""
    stored = parent_own if plan.parent_id else own
    prices = []
    for day, base in base_prices:
        night = stored.get(day)
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
        return gettext("%(plan)s can't start on %(date)s: arrivals are closed that day.") % {
            "plan": plan.name,
            "date": _day(check_in),
        }
    departure = own.get(check_out)
    if departure is not None and departure.closed_to_departure:
        return gettext("%(plan)s can't end on %(date)s: departures are closed that day.") % {
            "plan": plan.name,
            "date": _day(check_out),
        }
    if nights < min_stay:
        return ngettext(
            "%(plan)s needs a stay of at least %(count)s night from %(date)s.",
            "%(plan)s needs a stay of at least %(count)s nights from %(date)s.",
            min_stay,
        ) % {"plan": plan.name, "count": min_stay, "date": _day(check_in)}
    if max_stay and nights > max_stay:
        return ngettext(
            "%(plan)s allows stays of at most %(count)s night from %(date)s.",
            "%(plan)s allows stays of at most %(count)s nights from %(date)s.",
            max_stay,
        ) % {"plan": plan.name, "count": max_stay, "date": _day(check_in)}
    for i in range(nights if own else 0):  # most plans have no nights of their own
        night = own.get(check_in + timedelta(days=i))
        if night is not None and night.stop_sell:
            return gettext("%(plan)s is not sold on the night of %(date)s.") % {
                "plan": plan.name,
                "date": _day(night.date),
            }
    return None


def _day(day: date) -> str:
    """A day in a sentence, in the reader's language ("12 March", "12. März")."""
    return date_format(day, gettext("j F"))
