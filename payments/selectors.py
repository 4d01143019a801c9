"""Reads about a booking's money for its pages and the API: its payment terms as agreed, what is paid, what is
still due from the ledger, and what will be charged later to its saved card (amount, date, card ending)."""

from dataclasses import dataclass
from decimal import Decimal

from hotels.payment_terms import payment_terms_of

from .ledger import booking_balance_of
from .models import ScheduledCharge


@dataclass(frozen=True)
class UpcomingCharge:
    purpose: str
    purpose_display: str
    amount: Decimal
    currency: str
    due_at: object  # an aware datetime
    due_date: object  # the day it is due, in the hotel's calendar
    status: str
    card: str  # "Visa •••• 4242", or "" when no card is saved


def booking_upcoming_charges(booking) -> list[UpcomingCharge]:
    """What the booking's saved card will be charged later and when (a balance; a fee being charged), oldest
    first. Uses ``booking.scheduled_charges`` and ``booking.saved_card`` as prefetched when they are."""
    charges = [c for c in booking.scheduled_charges.all() if c.status in ScheduledCharge.OPEN]
    if not charges:
        return []
    card = getattr(booking, "saved_card", None)
    return [
        UpcomingCharge(
            purpose=c.purpose,
            purpose_display=str(c.get_purpose_display()),
            amount=c.amount,
            currency=c.currency,
            due_at=c.next_attempt_at if c.status == ScheduledCharge.Status.SCHEDULED else c.due_at,
            due_date=(c.next_attempt_at if c.status == ScheduledCharge.Status.SCHEDULED else c.due_at)
            .astimezone(booking.hotel.tzinfo)
            .date(),
            status=c.status,
            card=str(card) if card else "",
        )
        for c in sorted(charges, key=lambda c: (c.due_at, c.pk))
    ]


def booking_payment_terms(booking, *, balance=None) -> dict:
    """The booking's payment terms as agreed (``hotels.payment_terms``: due now and later, and when) with what its
    ledger says today (``paid``, ``balance_due``: ``balance`` when the caller read it already) and the charges
    still to come on its saved card."""
    terms = payment_terms_of(booking)
    balance = booking_balance_of(booking) if balance is None else balance
    return {
        "kind": terms["kind"],
        "currency": terms["currency"],
        "total": terms["total"],
        "due_now": terms["due_now"],
        "due_later": terms["due_later"],
        "due_later_at": terms["due_later_at"],
        "due_later_by": terms["due_later_by"],
        "card_saved": terms["card_saved"],
        "due_later_card": terms.get(
            "due_later_card", terms["due_later"] if terms["due_later_by"] == "card" else "0.00"
        ),
        "due_at_hotel": terms.get("due_at_hotel", terms["due_later"] if terms["due_later_by"] == "hotel" else "0.00"),
        "paid": str(balance.paid_net),
        "balance_due": str(balance.due),
        "upcoming_charges": [
            {
                "purpose": c.purpose,
                "amount": str(c.amount),
                "currency": c.currency,
                "due_at": c.due_at.isoformat(),
                "status": c.status,
            }
            for c in booking_upcoming_charges(booking)
        ],
    }
