"""The one pricing function: every price the site shows or charges comes from :func:`stay_quote`.

Rounding rule: each line is rounded once, half-up to the cent, where it is computed (nightly lines are already
cents; tax lines are rounded when computed); the total is the plain sum of the rounded lines, so the total always
equals the sum of what the guest reads.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class NightLine:
    date: date
    unit_price: Decimal
    rooms: int

    @property
    def amount(self) -> Decimal:
        return money(self.unit_price * self.rooms)


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

    @property
    def room_total(self) -> Decimal:
        return sum((n.amount for n in self.nights), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.room_total + sum((t.amount for t in self.taxes if not t.included), Decimal("0.00"))

    def as_snapshot(self) -> dict:
        """A JSON-safe copy stored on the booking; every later view reads this, never recomputes."""
        return {
            "currency": self.currency,
            "nights": [
                {"date": n.date.isoformat(), "unit_price": str(n.unit_price), "rooms": n.rooms, "amount": str(n.amount)}
                for n in self.nights
            ],
            "taxes": [{"name": t.name, "amount": str(t.amount), "included": t.included} for t in self.taxes],
            "room_total": str(self.room_total),
            "total": str(self.total),
        }


def stay_quote(
    *, currency: str, nightly_prices: list[tuple[date, Decimal]], rooms: int, adults: int, children: int, taxes=()
) -> Quote:
    """Price a stay: ``nightly_prices`` per room, times ``rooms``, plus the hotel's tax and fee lines.

    ``taxes`` are objects with ``name``, ``kind`` ("percent", "per_person_night", "per_stay"), ``amount`` and
    ``included_in_price`` (``hotels.models.HotelTax`` rows).
    """
    nights = [NightLine(date=d, unit_price=money(p), rooms=rooms) for d, p in nightly_prices]
    room_total = sum((n.amount for n in nights), Decimal("0.00"))
    return Quote(
        currency=currency,
        nights=nights,
        taxes=tax_lines(
            room_total=room_total, night_count=len(nights), rooms=rooms, adults=adults, children=children, taxes=taxes
        ),
    )


def tax_lines(*, room_total: Decimal, night_count: int, rooms: int, adults: int, children: int, taxes) -> list[TaxLine]:
    lines = []
    for tax in taxes:
        if tax.kind == "percent":
            rate = Decimal(tax.amount) / 100
            amount = room_total - room_total / (1 + rate) if tax.included_in_price else room_total * rate
        elif tax.kind == "per_person_night":
            amount = Decimal(tax.amount) * (adults + children) * night_count
        else:
            amount = Decimal(tax.amount) * rooms
        lines.append(TaxLine(name=tax.name, amount=money(amount), included=tax.included_in_price))
    return lines


def stay_total(*, room_total: Decimal, night_count: int, rooms: int, adults: int, children: int, taxes) -> Decimal:
    """What the guest pays for a room total: the same lines :func:`stay_quote` would list, added up."""
    lines = tax_lines(
        room_total=room_total, night_count=night_count, rooms=rooms, adults=adults, children=children, taxes=taxes
    )
    return money(room_total) + sum((t.amount for t in lines if not t.included), Decimal("0.00"))
