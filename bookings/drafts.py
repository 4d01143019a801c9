"""The booking being put together, kept in the session between steps (so logging in or signing up half-way
loses nothing). A draft holds only choices; prices are always recomputed or read from the booking snapshot."""

import secrets

from hotels.stay import Stay

SESSION_KEY = "booking_drafts"
MAX_DRAFTS = 5


def draft_create(session, *, rate_plan_id: int, stay: Stay) -> str:
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
