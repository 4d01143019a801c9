"""Payment terms: what a rate plan asks the guest to pay now, what later and when; frozen in each booking.

The terms of an offer are a plain dict (the same shape in the booking's ``price_snapshot["payment_terms"]``, on
the hotel page and in the partner API's offers), so a booking keeps the terms it was sold under whatever the plan
says later::

    {"kind": "deposit", "currency": "EUR", "total": "300.00", "due_now": "90.00", "due_later": "210.00",
     "due_later_at": "2027-03-05T15:00:00+01:00", "due_later_by": "card", "card_saved": true}

``due_later_by`` says who collects the rest: ``card`` (we charge the saved card at ``due_later_at``), ``hotel``
(the guest pays at the hotel) or ``""`` (nothing is left). A deposit whose balance date has passed already when
the booking is made is due in full now.

A booking of several rooms pays each room under its own plan's terms: :func:`payment_terms_combine` adds the lines'
terms up (``kind`` ``mixed`` when they differ, ``due_later_card`` and ``due_at_hotel`` saying who collects what is
left) and keeps each line's in ``lines``.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from display.money import format_money

from .pricing import money

ZERO = Decimal("0.00")
PREPAY, DEPOSIT, GUARANTEE, AT_HOTEL = "prepay", "deposit", "guarantee", "at_hotel"
# Guests book these themselves; a plan paid at the hotel without a guarantee is sold by the hotel's staff only.
GUEST_BOOKABLE = (PREPAY, DEPOSIT, GUARANTEE)


def payment_terms_snapshot(*, rate_plan, hotel, check_in, total: Decimal, first_night: Decimal, now=None) -> dict:
    """The plan's terms for a stay of ``total`` arriving ``check_in``, as they would be agreed ``now``."""
    now = now or timezone.now()
    kind = rate_plan.payment_terms
    due_now, due_later, due_at, by = total, ZERO, None, ""
    if kind == DEPOSIT:
        when = datetime.combine(check_in - timedelta(days=rate_plan.balance_days_before), hotel.check_in_time)
        when = when.replace(tzinfo=hotel.tzinfo)
        deposit = first_night if rate_plan.deposit == "first_night" else money(total * rate_plan.deposit_percent / 100)
        deposit = min(max(deposit, Decimal("0.01")), total)
        if when > now and deposit < total:
            due_now, due_later, due_at, by = deposit, total - deposit, when, "card"
    elif kind in (GUARANTEE, AT_HOTEL):
        due_now, due_later, by = ZERO, total, "hotel"
    return {
        "kind": kind,
        "currency": hotel.currency,
        "total": str(total),
        "due_now": str(due_now),
        "due_later": str(due_later),
        "due_later_at": due_at.isoformat() if due_at else None,
        "due_later_by": by,
        "card_saved": kind in (DEPOSIT, GUARANTEE),
    }


MIXED = "mixed"


def payment_terms_combine(line_terms: list[dict]) -> dict:
    """The terms of a booking of several rooms, each room line on its own plan's terms: what is due now and later
    is the sum over the lines (the deposit of one, the whole price of a prepaid one, nothing now for a guaranteed
    one), and each line's terms are kept in ``lines``. ``kind`` is the lines' common kind, or ``mixed``. What is
    left to pay is split by who collects it: ``due_later_card`` (charged to the saved card at ``due_later_at``,
    the earliest of the lines' balance dates) and ``due_at_hotel``. One line's terms are returned as they are."""
    if len(line_terms) == 1:
        return line_terms[0]

    def total(key, terms=line_terms):
        return sum((Decimal(t[key]) for t in terms), ZERO)

    by_card = [t for t in line_terms if t["due_later_by"] == "card"]
    at_hotel = [t for t in line_terms if t["due_later_by"] == "hotel"]
    card_dates = sorted(t["due_later_at"] for t in by_card if t["due_later_at"])
    kinds = {t["kind"] for t in line_terms}
    due_later_by = "card" if by_card else ("hotel" if at_hotel else "")
    return {
        "kind": kinds.pop() if len(kinds) == 1 else MIXED,
        "currency": line_terms[0]["currency"],
        "total": str(total("total")),
        "due_now": str(total("due_now")),
        "due_later": str(total("due_later")),
        "due_later_at": card_dates[0] if card_dates else None,
        "due_later_by": due_later_by,
        "card_saved": any(t["card_saved"] for t in line_terms),
        "due_later_card": str(total("due_later", by_card)),
        "due_at_hotel": str(total("due_later", at_hotel)),
        "lines": line_terms,
    }


def payment_terms_rebase(terms: dict, total) -> dict:
    """A sold room's terms once its price moved from ``terms["total"]`` to ``total`` (a change, or the penalty kept
    when it is cancelled), as the change is settled (``bookings.workflow``): what it costs more is collected the way
    the rest of it is (by the hotel for a room paid there, else now, with the change's payment); what it costs less
    comes off what is left to pay first (the balance on the card, what the hotel collects), then off what was paid
    now. The same total gives the same terms, so a change applied twice moves nothing."""
    old, total = Decimal(terms["total"]), Decimal(total)
    now, later = Decimal(terms["due_now"]), Decimal(terms["due_later"])
    by, when = terms["due_later_by"], terms["due_later_at"]
    if total >= old:
        if by == "hotel":
            later += total - old
        else:
            now += total - old
    else:
        cut = min(old - total, later)
        later, now = later - cut, now - (old - total - cut)
    if later <= 0 and by == "card":  # nothing is left for the card to pay
        by, when = "", None
    return {
        **terms,
        "total": str(total),
        "due_now": str(now),
        "due_later": str(later),
        "due_later_by": by,
        "due_later_at": when,
    }


def payment_terms_card_balance(terms: dict) -> Decimal:
    """What the saved card is charged later under ``terms`` (the balance): the lines' card parts when the terms
    are a combination, else all that is due later when the card collects it."""
    if "due_later_card" in terms:
        return Decimal(terms["due_later_card"])
    return Decimal(terms["due_later"]) if terms["due_later_by"] == "card" else ZERO


def payment_terms_of(booking) -> dict:
    """The terms a booking was sold under; bookings from before terms existed were paid in full upfront."""
    terms = (booking.price_snapshot or {}).get("payment_terms")
    if terms:
        return terms
    return {
        "kind": PREPAY,
        "currency": booking.currency,
        "total": str(booking.total),
        "due_now": str(booking.total),
        "due_later": "0.00",
        "due_later_at": None,
        "due_later_by": "",
        "card_saved": False,
    }


def payment_terms_line(terms: dict) -> str:
    """The terms in one short line for offer lists, the booking pages and e-mails, in the active language: amounts
    by ``display.money`` and dates in the site's date format (``Pay 90,00 € now, 210,00 € on 5 décembre 2026``). The
    API's ``payment_terms`` object keeps the machine fields; this is only their wording."""
    currency = terms["currency"]
    if terms["kind"] == GUARANTEE:
        return str(_("Pay at the hotel · your card is only kept as a guarantee"))
    if terms["kind"] == AT_HOTEL:
        return str(_("Pay at the hotel"))
    card, hotel = payment_terms_card_balance(terms), Decimal(terms.get("due_at_hotel") or "0")
    if terms["kind"] == MIXED and hotel > 0:
        values = {"now": format_money(terms["due_now"], currency), "hotel": format_money(hotel, currency)}
        if card > 0:
            values.update(card=format_money(card, currency), date=_day(terms["due_later_at"]))
            return str(_("Pay %(now)s now, %(card)s on %(date)s and %(hotel)s at the hotel") % values)
        return str(_("Pay %(now)s now and %(hotel)s at the hotel") % values)
    if Decimal(terms["due_later"]) > 0 and terms["due_later_at"]:
        return str(
            _("Pay %(now)s now, %(later)s on %(date)s")
            % {
                "now": format_money(terms["due_now"], currency),
                "later": format_money(terms["due_later"], currency),
                "date": _day(terms["due_later_at"]),
            }
        )
    return str(_("Pay now"))


def _day(moment: str) -> str:
    """A due date (an ISO date or timestamp) as the site writes it in a sentence in the active language ("5 December
    2026", "5 décembre 2026", "5. Dezember 2026", "5 de diciembre de 2026")."""
    return date_format(datetime.fromisoformat(moment), str(_("j F Y")))
