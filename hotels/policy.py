"""Cancellation policies: each rate plan has one; a booking keeps a snapshot; deadlines in the hotel's time zone."""

from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from django.template.defaultfilters import date as date_format
from django.utils import translation
from django.utils.translation import gettext

from .pricing import money


def cancellation_policy_snapshot(rate_plan, hotel, check_in) -> dict:
    """The rate plan's policy for a stay arriving ``check_in``, as agreed at booking time. The free-cancellation
    deadline is check-in time on the day ``free_cancellation_days`` before arrival, in the hotel's time zone, stored
    as an aware ISO timestamp."""
    if rate_plan.free_cancellation_days is None:
        deadline = None
    else:
        local = datetime.combine(check_in - timedelta(days=rate_plan.free_cancellation_days), hotel.check_in_time)
        deadline = local.replace(tzinfo=hotel.tzinfo).isoformat()
    return {
        "free_until": deadline,
        "timezone": hotel.timezone,
        "penalty": "full_stay" if deadline is None else rate_plan.cancellation_penalty,
        "penalty_percent": str(rate_plan.cancellation_penalty_percent),
    }


def policy_summary(policy: dict) -> str:
    """The whole policy in a sentence: "Free cancellation until 12 March 2027, 18:00 (hotel time); after that …"."""
    return _summary(
        translation.get_language(), policy.get("free_until"), policy["penalty"], policy.get("penalty_percent")
    )


# A page of partner offers holds a hundred policies but a handful of distinct ones: the sentences are a function of
# the policy's values and the language only, so each is written once per process.
@lru_cache(maxsize=4096)
def _summary(language: str | None, free_until: str | None, penalty: str, penalty_percent: str | None) -> str:
    if not free_until:
        return gettext("Non-refundable: the full stay is charged if you cancel.")
    if penalty == "first_night":
        charged = gettext("the first night is charged")
    elif penalty == "full_stay":
        charged = gettext("the full stay is charged")
    else:
        percent = Decimal(penalty_percent).normalize()
        charged = gettext("%(percent)s%% of the stay is charged") % {"percent": f"{percent:f}"}
    deadline = datetime.fromisoformat(free_until)
    return gettext("Free cancellation until %(deadline)s (hotel time); after that %(penalty)s.") % {
        "deadline": date_format(deadline, gettext("j F Y, H:i")),
        "penalty": charged,
    }


def policy_is_strict(policy: dict | None) -> bool:
    """No free cancellation at all: shown as a caution wherever the policy is (results, hotel and booking pages)."""
    return bool(policy) and not policy.get("free_until")


def policy_line(policy: dict) -> str:
    """The policy in one short line for offer lists: "Free cancellation until 12 March, 18:00" or
    "Non-refundable"."""
    return _line(translation.get_language(), policy.get("free_until"))


@lru_cache(maxsize=4096)
def _line(language: str | None, free_until: str | None) -> str:
    if not free_until:
        return gettext("Non-refundable")
    deadline = datetime.fromisoformat(free_until)
    return gettext("Free cancellation until %(deadline)s") % {"deadline": date_format(deadline, gettext("j F, H:i"))}


def cancellation_penalty(*, policy: dict, snapshot: dict, at: datetime) -> Decimal:
    """What cancelling at ``at`` costs, never more than the booking's total."""
    total = Decimal(snapshot["total"])
    free_until = policy.get("free_until")
    if free_until and at <= datetime.fromisoformat(free_until):
        return Decimal("0.00")
    kind = policy["penalty"]
    if kind == "first_night":
        nights = snapshot["nights"]
        if "first_night" in snapshot:
            penalty = Decimal(snapshot["first_night"])
        else:  # snapshots from before supplements existed
            penalty = Decimal(nights[0]["amount"]) if nights else total
    elif kind == "percent":
        penalty = money(total * Decimal(policy["penalty_percent"]) / 100)
    else:
        penalty = total
    return min(penalty, total)
