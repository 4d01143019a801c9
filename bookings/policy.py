"""Cancellation policy: snapshotted on the booking, deadlines in the hotel's time zone."""

from datetime import datetime, timedelta
from decimal import Decimal

from hotels.pricing import money


def cancellation_policy_snapshot(hotel, check_in) -> dict:
    """The policy as agreed at booking time. The free-cancellation deadline is check-in time on the day
    ``free_cancellation_days`` before arrival, in the hotel's time zone, stored as an aware ISO timestamp."""
    if hotel.free_cancellation_days is None:
        deadline = None
    else:
        local = datetime.combine(check_in - timedelta(days=hotel.free_cancellation_days), hotel.check_in_time)
        deadline = local.replace(tzinfo=hotel.tzinfo).isoformat()
    return {
        "free_until": deadline,
        "timezone": hotel.timezone,
        "penalty": "full_stay" if deadline is None else hotel.cancellation_penalty,
        "penalty_percent": str(hotel.cancellation_penalty_percent),
    }


def policy_summary(policy: dict) -> str:
    """One line for the guest: "Free cancellation until 12 March, 18:00 (hotel time), then first night"."""
    penalty = {
        "first_night": "the first night is charged",
        "full_stay": "the full stay is charged",
        "percent": f"{Decimal(policy['penalty_percent']).normalize()}% of the stay is charged",
    }[policy["penalty"]]
    if not policy.get("free_until"):
        return "Non-refundable: the full stay is charged if you cancel."
    deadline = datetime.fromisoformat(policy["free_until"])
    return f"Free cancellation until {deadline:%-d %B %Y, %H:%M} (hotel time); after that {penalty}."


def cancellation_penalty(*, policy: dict, snapshot: dict, at: datetime) -> Decimal:
    """What cancelling at ``at`` costs, never more than the booking's total."""
    total = Decimal(snapshot["total"])
    free_until = policy.get("free_until")
    if free_until and at <= datetime.fromisoformat(free_until):
        return Decimal("0.00")
    kind = policy["penalty"]
    if kind == "first_night":
        nights = snapshot["nights"]
        penalty = Decimal(nights[0]["amount"]) if nights else total
    elif kind == "percent":
        penalty = money(total * Decimal(policy["penalty_percent"]) / 100)
    else:
        penalty = total
    return min(penalty, total)
