"""Room lines: what a booking's rooms are asked as (:class:`RoomRequest`), and how their price snapshots add up to
the booking's.

A booking's ``price_snapshot`` is the sum of its sold lines' snapshots (:func:`snapshot_combine`), so receipts,
e-mails and pages that read the booking's snapshot keep working; a booking of one room has exactly its line's
snapshot. A booking made the older way (N identical rooms of one type, one pooled party) is priced as before, in
one quote, and that quote is split into N one-room lines whose amounts add up to it to the cent
(:func:`snapshot_split`); the data migration that gave existing bookings their lines does the same.
"""

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class RoomRequest:
    """One room asked for: its type, rate (the type's default when None), party and the guest staying in it."""

    room_type: object  # hotels.models.RoomType
    rate_plan: object = None  # hotels.models.RatePlan | None
    adults: int = 1
    children_ages: tuple = field(default_factory=tuple)
    guest_name: str = ""

    @property
    def children(self) -> int:
        return len(self.children_ages)


def money_split(amount, parts: int) -> list[Decimal]:
    """``amount`` in ``parts`` shares of whole cents that add up to it exactly; the odd cents go to the first."""
    amount = Decimal(amount)
    cents = int((amount / CENT).to_integral_value())
    base, odd = divmod(abs(cents), parts)
    sign = -1 if cents < 0 else 1
    return [sign * Decimal(base + (1 if i < odd else 0)) * CENT for i in range(parts)]


def money_fill(amount, caps: list[Decimal]) -> list[Decimal]:
    """``amount`` spread over lines in order, none above its cap (a penalty over the lines' totals)."""
    left, shares = Decimal(amount), []
    for cap in caps:
        share = min(left, Decimal(cap))
        shares.append(share)
        left -= share
    return shares


def party_split(adults: int, children_ages, parts: int) -> list[tuple[int, list]]:
    """A pooled party spread over ``parts`` rooms: adults as evenly as possible (every room gets one; the caller
    checked adults >= rooms), children in turn."""
    base, odd = divmod(adults, parts)
    rooms = [(base + (1 if i < odd else 0), []) for i in range(parts)]
    for i, age in enumerate(children_ages):
        rooms[i % parts][1].append(age)
    return rooms


def snapshot_split(snapshot: dict, parts: int) -> list[dict]:
    """A quote of ``parts`` identical rooms as ``parts`` one-room snapshots whose amounts add up to it exactly."""
    if parts == 1:
        return [dict(snapshot)]
    shares = [
        {k: v for k, v in snapshot.items() if k not in ("nights", "adjustments", "extras", "taxes")}
        for _ in range(parts)
    ]
    for share in shares:
        share.update(nights=[], adjustments=[], extras=[], taxes=[], split_from_rooms=parts)
    for night in snapshot.get("nights", []):
        for i, amount in enumerate(money_split(night["amount"], parts)):
            shares[i]["nights"].append({**night, "rooms": 1, "amount": str(amount)})
    for key in ("adjustments", "extras", "taxes"):
        for item in snapshot.get(key, []):
            for i, amount in enumerate(money_split(item["amount"], parts)):
                shares[i][key].append({**item, "amount": str(amount)})
    first_nights = money_split(snapshot.get("first_night", "0"), parts)
    for i, share in enumerate(shares):
        room_total = sum(
            (Decimal(x["amount"]) for key in ("nights", "adjustments", "extras") for x in share[key]), ZERO
        )
        added_taxes = sum((Decimal(t["amount"]) for t in share["taxes"] if not t.get("included")), ZERO)
        share["room_total"] = str(room_total)
        share["first_night"] = str(min(first_nights[i], room_total))
        share["total"] = str(room_total + added_taxes)
    return shares


def snapshot_combine(snapshots: list[dict]) -> dict:
    """The booking's snapshot: its sold lines' snapshots added up (a single line's is returned as it is)."""
    if len(snapshots) == 1:
        return dict(snapshots[0])
    combined = {k: v for k, v in snapshots[0].items() if k not in ("nights", "adjustments", "extras", "taxes")}
    for key in ("nights", "adjustments", "extras", "taxes"):
        combined[key] = [item for snap in snapshots for item in snap.get(key, [])]
    for key in ("room_total", "first_night", "total"):
        combined[key] = str(sum((Decimal(s.get(key, "0")) for s in snapshots), ZERO))
    combined["children_ages"] = [age for s in snapshots for age in s.get("children_ages", [])]
    combined.pop("split_from_rooms", None)
    combined["rooms"] = len(snapshots)
    return combined


def strictest_policy(policies: list[dict]) -> dict:
    """The booking-level policy shown where only one fits: the one whose free cancellation ends first
    (non-refundable first of all). Each line keeps and is cancelled under its own."""

    def deadline(policy):
        return (policy.get("free_until") is not None, policy.get("free_until") or "")

    return min(policies, key=deadline)
