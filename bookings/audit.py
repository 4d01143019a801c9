"""The books audit: proof, from the database alone, that inventory, payments and refunds add up.

Each check is one SQL query that returns the rows that are wrong; a clean database returns none. Run daily by beat
(``bookings.tasks.audit_books``) and on demand (``manage.py audit_books``, which exits non-zero on a finding); every
run is stored (``BooksAudit``) and the latest is shown on the staff dashboard. Findings are logged as errors.
"""

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from .models import Booking, BooksAudit

logger = logging.getLogger("staybook.audit")

HOLDING = [s.value for s in Booking.HOLDING_STATUSES] + [Booking.Status.CHECKED_OUT, Booking.Status.NO_SHOW]
SOLD = [Booking.Status.CONFIRMED, Booking.Status.CHECKED_IN, Booking.Status.CHECKED_OUT, Booking.Status.NO_SHOW]
UNSETTLED_REFUND_LIMIT = timedelta(hours=1)
STUCK_EFFECT_LIMIT = timedelta(hours=1)


@dataclass(frozen=True)
class Finding:
    check: str
    subject: str
    detail: str


# Per room type and night: the sold counter against the room lines that hold that night, and the nights a change
# waiting for its payment has taken. Only nights
# that some booking holds, or whose counter is not zero, can differ.
NIGHTS_SQL = """
WITH held_rows AS (
    SELECT l.room_type_id, d::date AS night, 1 AS rooms
    FROM bookings_roomline l
    JOIN bookings_booking b ON b.id = l.booking_id,
    generate_series(b.check_in, b.check_out - 1, interval '1 day') AS d
    WHERE b.nights_held AND l.nights_held
    UNION ALL
    SELECT (t->>0)::bigint, (t->>1)::date, (t->>2)::int
    FROM bookings_bookingchange c, jsonb_array_elements(c.nights_taken) AS t
    WHERE c.status = 'pending_payment'
),
held AS (SELECT room_type_id, night, SUM(rooms) AS rooms FROM held_rows GROUP BY 1, 2)
SELECT n.room_type_id, n.date, n.rooms_sold, COALESCE(h.rooms, 0)
FROM hotels_nightinventory n
LEFT JOIN held h ON h.room_type_id = n.room_type_id AND h.night = n.date
WHERE n.rooms_sold <> COALESCE(h.rooms, 0)
UNION ALL
SELECT h.room_type_id, h.night, NULL, h.rooms
FROM held h
LEFT JOIN hotels_nightinventory n ON n.room_type_id = h.room_type_id AND n.date = h.night
WHERE n.id IS NULL
ORDER BY 1, 2
"""

# The payments that pay for a booking (payments.services._pays_for_the_booking): its first paid checkout payment,
# each later charge that settled a ScheduledCharge (a balance, a fee), and the difference of each applied change.
PAYING_CTE = """
WITH paying AS (
    SELECT p.* FROM payments_payment p
    WHERE p.status IN ('paid', 'partially_refunded', 'refunded') AND p.amount > 0 AND (
        (p.kind IN ('full', 'deposit', 'guarantee') AND p.id = (
            SELECT p2.id FROM payments_payment p2
            WHERE p2.booking_id = p.booking_id AND p2.paid_at IS NOT NULL
              AND p2.kind IN ('full', 'deposit', 'guarantee')
              AND NOT EXISTS (SELECT 1 FROM bookings_bookingchange c2 WHERE c2.payment_id = p2.id)
            ORDER BY p2.paid_at, p2.id LIMIT 1))
        OR EXISTS (SELECT 1 FROM payments_scheduledcharge c WHERE c.payment_id = p.id)
        OR EXISTS (SELECT 1 FROM bookings_bookingchange c WHERE c.payment_id = p.id AND c.status = 'applied'))
)
"""

# A paid payment that pays for nothing (a booking paid twice, a late payment, a link paid after the card was
# charged) is refunded in full; what pays for a booking that was not sold is refunded but for the kept penalty.
PAID_SQL = (
    PAYING_CTE  # noqa: S608 - constant SQL text, no input in it  # nosec B608
    + """
SELECT b.reference, p.id, p.amount, p.refunded_amount + p.refund_pending_amount, b.status, 0
FROM payments_payment p JOIN bookings_booking b ON b.id = p.booking_id
WHERE p.status IN ('paid', 'partially_refunded', 'refunded') AND p.amount > 0
  AND p.id NOT IN (SELECT id FROM paying)
  AND p.refunded_amount + p.refund_pending_amount < p.amount
UNION ALL
SELECT b.reference, NULL, SUM(p.amount), SUM(p.refunded_amount + p.refund_pending_amount), b.status,
       COALESCE(b.cancellation_penalty, 0)
FROM paying p JOIN bookings_booking b ON b.id = p.booking_id
WHERE NOT b.status = ANY(%(sold)s)
GROUP BY b.id
HAVING SUM(p.amount - p.refunded_amount - p.refund_pending_amount)
       > CASE WHEN b.status = 'cancelled' THEN COALESCE(b.cancellation_penalty, 0) ELSE 0 END
"""
)

# Each payment's settled and reserved amounts against its refunds; each booking's against its payments'.
REFUND_SUMS_SQL = """
SELECT b.reference, p.id, p.refunded_amount, p.refund_pending_amount,
       COALESCE(SUM(r.amount) FILTER (WHERE r.status = 'succeeded'), 0),
       COALESCE(SUM(r.amount) FILTER (WHERE r.status IN ('pending', 'unknown')), 0)
FROM payments_payment p
JOIN bookings_booking b ON b.id = p.booking_id
LEFT JOIN payments_refund r ON r.payment_id = p.id
GROUP BY b.reference, p.id
HAVING p.refunded_amount <> COALESCE(SUM(r.amount) FILTER (WHERE r.status = 'succeeded'), 0)
    OR p.refund_pending_amount <> COALESCE(SUM(r.amount) FILTER (WHERE r.status IN ('pending', 'unknown')), 0)
"""

# A booking's refunded amount is what was refunded of the payments that pay for it.
BOOKING_REFUNDED_SQL = (
    PAYING_CTE  # noqa: S608 - constant SQL text, no input in it  # nosec B608
    + """
SELECT b.reference, b.refunded_amount, COALESCE(SUM(p.refunded_amount), 0)
FROM bookings_booking b
LEFT JOIN paying p ON p.booking_id = b.id
GROUP BY b.id
HAVING b.refunded_amount <> COALESCE(SUM(p.refunded_amount), 0)
"""
)

# Money owed later: a balance or fee due that nobody has tried to charge for an hour (the beat task is not
# running), a balance given up on whose booking still stands, a charge settled by a payment of another amount.
CHARGES_SQL = """
SELECT b.reference, c.key, 'overdue', c.status, c.next_attempt_at
FROM payments_scheduledcharge c JOIN bookings_booking b ON b.id = c.booking_id
WHERE c.status IN ('scheduled', 'charging') AND c.next_attempt_at < %(before)s
UNION ALL
SELECT b.reference, c.key, 'unpaid balance, booking still ' || b.status, c.status, c.settled_at
FROM payments_scheduledcharge c JOIN bookings_booking b ON b.id = c.booking_id
WHERE c.status = 'failed' AND c.purpose = 'balance' AND b.status IN ('confirmed', 'checked_in')
UNION ALL
SELECT b.reference, c.key, 'settled by a payment of ' || p.amount, c.status, c.settled_at
FROM payments_scheduledcharge c JOIN bookings_booking b ON b.id = c.booking_id
JOIN payments_payment p ON p.id = c.payment_id
WHERE p.amount <> c.amount OR p.kind <> c.purpose
"""

# A confirmed booking's charges still to come on its saved card (balances, one per date; a change's difference)
# add up to what its ledger says is still due, less what its rooms paid at the hotel owe (extras are settled at the
# desk; a room paid at the hotel cancelled leaves its penalty to the hotel, as ``payment_terms_rebase`` says). Not while money is moving: a refund or a change's payment not settled yet.
OPEN_CHARGES_SQL = """
SELECT b.reference, o.amount, COALESCE(l.due, 0) - COALESCE(h.part, 0)
FROM bookings_booking b
JOIN (SELECT booking_id, SUM(amount) AS amount FROM payments_scheduledcharge
      WHERE status IN ('scheduled', 'charging') GROUP BY booking_id) o ON o.booking_id = b.id
LEFT JOIN (SELECT booking_id,
                  SUM(CASE WHEN kind = 'payment' THEN -amount ELSE amount END) AS due
           FROM payments_ledgerentry WHERE category <> 'extra' GROUP BY booking_id) l ON l.booking_id = b.id
LEFT JOIN (SELECT booking_id,
                  SUM(CASE WHEN status = 'active' THEN (price_snapshot->'payment_terms'->>'due_later')::numeric
                           ELSE GREATEST((price_snapshot->'payment_terms'->>'due_later')::numeric
                                         - (price_snapshot->'payment_terms'->>'total')::numeric
                                         + COALESCE(cancellation_penalty, 0), 0) END) AS part
           FROM bookings_roomline
           WHERE price_snapshot->'payment_terms'->>'due_later_by' = 'hotel'
           GROUP BY booking_id) h ON h.booking_id = b.id
WHERE b.status = 'confirmed'
  AND o.amount <> COALESCE(l.due, 0) - COALESCE(h.part, 0)
  AND NOT EXISTS (SELECT 1 FROM payments_refund r JOIN payments_payment p ON p.id = r.payment_id
                  WHERE p.booking_id = b.id AND r.status IN ('pending', 'unknown'))
  AND NOT EXISTS (SELECT 1 FROM bookings_bookingchange c
                  WHERE c.booking_id = b.id AND c.status = 'pending_payment')
"""

# The same thing charged twice and kept: more than one payment for one scheduled charge paid and not refunded.
DOUBLE_CHARGE_SQL = """
SELECT b.reference, c.key, COUNT(*)
FROM payments_payment p
JOIN payments_scheduledcharge c ON c.id = p.scheduled_charge_id
JOIN bookings_booking b ON b.id = c.booking_id
WHERE p.status IN ('paid', 'partially_refunded') AND p.refunded_amount + p.refund_pending_amount < p.amount
GROUP BY b.reference, c.key
HAVING COUNT(*) > 1
"""

# A booking's total is its room lines' charges added up (a sold line's total, a cancelled line's kept penalty); a
# booking has at least one line; a booking holds nights exactly when one of its lines does. A cancelled booking
# keeps the total it was sold at (its penalty says what was kept).
LINES_SQL = """
SELECT b.reference, b.total, COALESCE(SUM(CASE WHEN l.status = 'active' THEN l.total
                                               ELSE COALESCE(l.cancellation_penalty, 0) END), 0),
       COUNT(l.id), b.nights_held, COALESCE(BOOL_OR(l.nights_held), false)
FROM bookings_booking b
LEFT JOIN bookings_roomline l ON l.booking_id = b.id
GROUP BY b.id
HAVING COUNT(l.id) = 0
    OR (b.status <> 'cancelled' AND b.total <> COALESCE(SUM(CASE WHEN l.status = 'active' THEN l.total
                                                                ELSE COALESCE(l.cancellation_penalty, 0) END), 0))
    OR b.nights_held <> COALESCE(BOOL_OR(l.nights_held), false)
"""

UNSETTLED_REFUNDS_SQL = """
SELECT b.reference, r.id, r.amount, r.status, r.created_at
FROM payments_refund r
JOIN payments_payment p ON p.id = r.payment_id
JOIN bookings_booking b ON b.id = p.booking_id
WHERE r.status IN ('pending', 'unknown') AND r.created_at < %(before)s
"""

# A payment the bank was asked about and could not tell us (a guest may have been charged).
UNKNOWN_PAYMENTS_SQL = """
SELECT b.reference, p.id, p.amount, p.currency, p.created_at
FROM payments_payment p JOIN bookings_booking b ON b.id = p.booking_id
WHERE p.status = 'unknown' AND p.created_at < %(before)s
"""

# An effect that gave up, or one overdue for an hour (nobody ran it: the sweep is not running). An effect waiting
# for its next retry (a partner webhook waits up to 12 hours between attempts) is not a finding.
STUCK_EFFECTS_SQL = """
SELECT b.reference, e.kind, e.status, e.attempts, e.last_error
FROM bookings_bookingeffect e JOIN bookings_booking b ON b.id = e.booking_id
WHERE e.status = 'failed' OR (e.status = 'pending' AND e.next_attempt_at < %(before)s)
"""


# The ledger (payments.ledger) against payments and refunds: one entry of the same amount per paid payment and per
# settled refund, none for any other; stay charges on every booking that was ever confirmed; and charges that add
# up to the booking: its total while sold (before staff reductions), the penalty it kept once cancelled. (A no-show
# is left out: its fees are charged on top of the stay.)
LEDGER_PAYMENTS_SQL = """
SELECT b.reference, 'payment ' || p.id, p.amount::text, COALESCE(e.amount::text, 'no entry')
FROM payments_payment p JOIN bookings_booking b ON b.id = p.booking_id
LEFT JOIN payments_ledgerentry e ON e.payment_id = p.id
-- money taken (a card saved as a guarantee, paid_at set for 0.00, took none and has no entry)
WHERE (p.paid_at IS NOT NULL AND p.amount > 0 AND (e.id IS NULL OR e.amount <> p.amount))
   OR ((p.paid_at IS NULL OR p.amount = 0) AND e.id IS NOT NULL)
UNION ALL
SELECT b.reference, 'refund ' || r.id, r.amount::text, COALESCE(e.amount::text, 'no entry')
FROM payments_refund r JOIN payments_payment p ON p.id = r.payment_id JOIN bookings_booking b ON b.id = p.booking_id
LEFT JOIN payments_ledgerentry e ON e.refund_id = r.id
WHERE (r.status = 'succeeded' AND (e.id IS NULL OR e.amount <> r.amount)) OR (r.status <> 'succeeded' AND e.id IS NOT NULL)
UNION ALL
SELECT b.reference, 'offline payment ' || o.id, o.amount::text, COALESCE(e.amount::text, 'no entry')
FROM bookings_offlinepayment o JOIN bookings_booking b ON b.id = o.booking_id
LEFT JOIN payments_ledgerentry e ON e.offline_payment_id = o.id
WHERE (o.method <> 'pay_at_hotel' AND o.amount > 0 AND (e.id IS NULL OR e.amount <> o.amount))
   OR ((o.method = 'pay_at_hotel' OR o.amount = 0) AND e.id IS NOT NULL)
UNION ALL
SELECT b.reference, 'stay charges', b.total::text, 'none'
FROM bookings_booking b
WHERE b.confirmed_at IS NOT NULL AND b.total > 0 AND NOT EXISTS (
    SELECT 1 FROM payments_ledgerentry e WHERE e.booking_id = b.id AND e.kind = 'charge')
UNION ALL
SELECT b.reference, 'charges (' || b.status || ')',
       CASE WHEN b.status = 'cancelled' THEN COALESCE(b.cancellation_penalty, 0) ELSE b.total END::text,
       CASE WHEN b.status = 'cancelled' THEN SUM(e.amount)
            ELSE SUM(e.amount) FILTER (WHERE e.category <> 'reduction') END::text
FROM bookings_booking b JOIN payments_ledgerentry e ON e.booking_id = b.id AND e.kind = 'charge'
WHERE b.status IN ('confirmed', 'checked_in', 'checked_out', 'cancelled')
GROUP BY b.id
HAVING CASE WHEN b.status = 'cancelled' THEN SUM(e.amount) <> COALESCE(b.cancellation_penalty, 0)
            ELSE COALESCE(SUM(e.amount) FILTER (WHERE e.category <> 'reduction'), 0) <> b.total END
"""

# A fee charged to the saved card (no-show, late cancellation) has its ledger charge: a no-show fee or the
# cancellation charge of at least the amount taken. A no-show whose fee was charged in the ledger has its stay
# taken back in full: its charges add up to its fee.
FEES_SQL = """
SELECT b.reference, 'payment ' || p.id || ' (' || p.kind || ')', p.amount::text,
       COALESCE(SUM(e.amount), 0)::text
FROM payments_payment p
JOIN payments_scheduledcharge c ON c.payment_id = p.id
JOIN bookings_booking b ON b.id = p.booking_id
LEFT JOIN payments_ledgerentry e ON e.booking_id = b.id AND e.kind = 'charge'
     AND e.category = CASE p.kind WHEN 'no_show_fee' THEN 'no_show_fee' ELSE 'cancellation_penalty' END
WHERE p.kind IN ('no_show_fee', 'cancellation_fee') AND p.paid_at IS NOT NULL
GROUP BY b.reference, p.id
HAVING COALESCE(SUM(e.amount), 0) < p.amount
UNION ALL
SELECT b.reference, 'charges (no_show)', SUM(e.amount) FILTER (WHERE e.category = 'no_show_fee')::text,
       SUM(e.amount) FILTER (WHERE e.category <> 'reduction')::text
FROM bookings_booking b JOIN payments_ledgerentry e ON e.booking_id = b.id AND e.kind = 'charge'
WHERE b.status = 'no_show'
GROUP BY b.id
HAVING BOOL_OR(e.category = 'no_show_fee')
   AND SUM(e.amount) FILTER (WHERE e.category <> 'reduction') <> SUM(e.amount) FILTER (WHERE e.category = 'no_show_fee')
"""


# A booking paid at the desk (cash, a bank transfer, a promise to pay at the hotel; never by card) whose price moved
# since (a change, a room or the booking cancelled) until the desk settles the difference
# (``bookings.settlement``: the same rule): more received than it costs now, or less received and promised.
OFFLINE_SQL = """
SELECT reference, owed, received, promised FROM (
    SELECT b.reference,
           CASE WHEN b.status = 'cancelled' THEN COALESCE(b.cancellation_penalty, 0) ELSE b.total END AS owed,
           COALESCE(SUM(o.amount) FILTER (WHERE o.direction = 'collected' AND o.method <> 'pay_at_hotel'), 0)
             - COALESCE(SUM(o.amount) FILTER (WHERE o.direction = 'paid_back'), 0) AS received,
           COALESCE(SUM(o.amount) FILTER (WHERE o.method = 'pay_at_hotel'), 0) AS promised
    FROM bookings_booking b JOIN bookings_offlinepayment o ON o.booking_id = b.id
    WHERE b.status IN ('confirmed', 'checked_in', 'checked_out', 'cancelled')
      AND NOT EXISTS (SELECT 1 FROM payments_payment p WHERE p.booking_id = b.id AND p.paid_at IS NOT NULL AND p.amount > 0)
    GROUP BY b.id
) desk
WHERE received > owed OR received + promised < owed
"""


def _rows(sql: str, params: dict | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


def books_findings(*, now=None) -> list[Finding]:
    """Every discrepancy in the books right now (an empty list on a clean database)."""
    now = now or timezone.now()
    findings = []
    for room_type_id, night, sold, held in _rows(NIGHTS_SQL):
        counted = "no inventory row" if sold is None else f"rooms_sold is {sold}"
        findings.append(
            Finding("inventory", f"room type {room_type_id}, night {night}", f"{counted}; bookings hold {held}")
        )
    for reference, payment_id, amount, back, status, penalty in _rows(PAID_SQL, {"sold": SOLD}):
        findings.append(
            Finding(
                "paid_payment",
                f"{reference}, payment {payment_id}" if payment_id else f"{reference}, its payments",
                f"paid {amount} for a {status} booking (penalty {penalty}), but only {back} refunded or refunding",
            )
        )
    for reference, key, what, status, when in _rows(CHARGES_SQL, {"before": now - STUCK_EFFECT_LIMIT}):
        findings.append(Finding("scheduled_charge", f"{reference}, {key}", f"{what} ({status} since {when})"))
    for reference, scheduled, due in _rows(OPEN_CHARGES_SQL):
        findings.append(
            Finding("open_charges", reference, f"{scheduled} scheduled on the saved card; the ledger says {due} due")
        )
    for reference, key, count in _rows(DOUBLE_CHARGE_SQL):
        findings.append(Finding("double_charge", f"{reference}, {key}", f"{count} payments kept for one charge"))
    for reference, payment_id, refunded, pending, settled, unsettled in _rows(REFUND_SUMS_SQL):
        findings.append(
            Finding(
                "refund_sums",
                f"{reference}, payment {payment_id}",
                f"payment says refunded {refunded} and refunding {pending}; its refunds say {settled} and {unsettled}",
            )
        )
    for reference, booked, paid_back in _rows(BOOKING_REFUNDED_SQL):
        findings.append(
            Finding("booking_refunded", reference, f"booking says refunded {booked}; its payment says {paid_back}")
        )
    for reference, subject, recorded, entry in _rows(LEDGER_PAYMENTS_SQL):
        findings.append(Finding("ledger", f"{reference}, {subject}", f"recorded {recorded}; the ledger says {entry}"))
    for reference, subject, recorded, entry in _rows(FEES_SQL):
        findings.append(
            Finding("ledger_fees", f"{reference}, {subject}", f"charged {recorded}; the ledger says {entry}")
        )
    for reference, owed, received, promised in _rows(OFFLINE_SQL):
        due = f"{received - owed} to pay back" if received > owed else f"{owed - received - promised} to collect"
        findings.append(
            Finding(
                "offline_payment",
                reference,
                f"costs {owed}; received at the desk {received}, promised at the hotel {promised}: {due}",
            )
        )
    for reference, total, lines_total, lines, held, lines_held in _rows(LINES_SQL):
        findings.append(
            Finding(
                "room_lines",
                reference,
                f"total {total}, its {lines} room line(s) add up to {lines_total}; "
                f"nights held: booking {held}, lines {lines_held}",
            )
        )
    for reference, refund_id, amount, status, created in _rows(
        UNSETTLED_REFUNDS_SQL, {"before": now - UNSETTLED_REFUND_LIMIT}
    ):
        findings.append(
            Finding(
                "refund_unsettled",
                f"{reference}, refund {refund_id}",
                f"{amount} {status} since {created:%Y-%m-%d %H:%M} UTC",
            )
        )
    for reference, payment_id, amount, currency, created in _rows(
        UNKNOWN_PAYMENTS_SQL, {"before": now - UNSETTLED_REFUND_LIMIT}
    ):
        findings.append(
            Finding(
                "payment_unknown",
                f"{reference}, payment {payment_id}",
                f"{amount} {currency}: the bank has not told us the outcome since {created:%Y-%m-%d %H:%M} UTC",
            )
        )
    for reference, kind, status, attempts, error in _rows(STUCK_EFFECTS_SQL, {"before": now - STUCK_EFFECT_LIMIT}):
        findings.append(
            Finding("side_effect", f"{reference}, {kind}", f"{status} after {attempts} attempts: {error[:200]}")
        )
    return findings


def books_audit(*, now=None) -> BooksAudit:
    """Run every check, log each finding as an error and store the run for the staff dashboard."""
    findings = books_findings(now=now)
    for finding in findings:
        logger.error("books audit: %s: %s: %s", finding.check, finding.subject, finding.detail)
    if not findings:
        logger.info("books audit: everything adds up")
    return BooksAudit.objects.create(findings=[asdict(f) for f in findings])
