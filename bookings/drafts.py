"""The booking being put together, kept in the session between steps (so logging in or signing up half-way
loses nothing). A draft holds only choices; prices are always recomputed or read from the booking snapshot."""

import secrets

from hotels.basket import BasketLine
from hotels.stay import Stay

SESSION_KEY = "booking_drafts"
MAX_DRAFTS = 5


def draft_create(session, *, rate_plan_id: int, stay: Stay, lines: list[BasketLine] | None = None) -> str:
    """A new draft: one offer for the stay's (pooled) party, or, with ``lines``, one room per line, each with its
    own rate and party (``rate_plan_id`` is then the first room's)."""
    drafts = session.get(SESSION_KEY, {})
    while len(drafts) >= MAX_DRAFTS:
        drafts.pop(next(iter(drafts)))
    token = secrets.token_urlsafe(9)
    drafts[token] = {
        "rate_plan": rate_plan_id,
        **stay.params(),
        "guest": None,
        "booking": None,
    }
    if lines is not None:
        drafts[token]["lines"] = [line.param() for line in lines]
        drafts[token]["room_guests"] = [""] * len(lines)
    session[SESSION_KEY] = drafts
    return token


def draft_get(session, token: str) -> dict | None:
    return session.get(SESSION_KEY, {}).get(token)


def draft_update(session, token: str, **changes) -> None:
    drafts = session.get(SESSION_KEY, {})
    drafts[token].update(changes)
    session[SESSION_KEY] = drafts


def draft_stay(draft: dict) -> Stay:
    return Stay.from_params(draft)


def draft_lines(draft: dict) -> list[BasketLine] | None:
    """The rooms of a draft made from a basket, or None for a draft of one offer."""
    if "lines" not in draft:
        return None
    return [BasketLine.parse(value) for value in draft["lines"]]
