"""A booking's ledger: what it was charged, what was paid and what was refunded, one entry per event.

The balance due is derived from the entries (:func:`booking_balance`), never stored. Every writer here runs in the
caller's transaction, which is the state change's own (``bookings.workflow`` for confirmations, cancellations and
reductions; ``payments.services`` when the bank says a payment is paid or a refund settled), and is idempotent:
each entry has a deterministic ``key`` (unique), so a change applied twice writes its entries once.

Sign convention: a charge is what the guest owes (a cancelled stay is a negative charge, so the charges add up to
what the guest owes in the end); payments and refunds are positive. Balance due = charges − payments + refunds.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from .models import LedgerEntry, Payment, Refund, phrase

ZERO = Decimal("0.00")
Kind = LedgerEntry.Kind
Category = LedgerEntry.Category
# The channel an entry came through, by who made the change (an explicit ``channel`` wins).
CHANNELS = {"customer": "website", "staff": "admin", "partner": "api", "system": "system"}
# Charges a cancellation reverses: the stay as sold and its later changes (not fees charged since).
STAY_CATEGORIES = [Category.STAY, Category.TAX, Category.CHANGE, Category.EXTRA, Category.REDUCTION]


@dataclass(frozen=True)
class SnapshotTax:
    name: str
    amount: Decimal
    included: bool
    rate: Decimal | None  # a percentage tax (VAT): its rate; None for a fee outside VAT
    component: str


def snapshot_taxes(booking) -> list[SnapshotTax]:
    """The booking's tax lines with their VAT rate and component. Bookings made before components existed have no
    ``vat`` in their snapshot: their percentage taxes are read from the hotel's taxes of the same name (one VAT
    rate, on the room component, as every tax was then)."""
    snapshot = booking.price_snapshot or {}
    vat = {v["name"]: v for v in snapshot.get("vat", [])}
    hotel_rates = {}
    if "vat" not in snapshot:
        hotel_rates = {
            t.name: t.amount for t in booking.hotel.taxes.all() if t.kind == "percent"
        }  # same name, a percentage
    result = []
    for tax in snapshot.get("taxes", []):
        name = tax["name"]
        if name in vat:
            rate, component = Decimal(vat[name]["rate"]), vat[name]["component"] or "room"
        elif name in hotel_rates:
            rate, component = Decimal(hotel_rates[name]), "room"
        else:
            rate, component = None, ""
        result.append(SnapshotTax(name, Decimal(tax["amount"]), bool(tax.get("included")), rate, component))
    return result


def _write(booking, **fields) -> LedgerEntry | None:
    """Write the entry :func:`_entry` makes of ``fields`` unless its key is written already (then None)."""
    entry = _entry(booking, **fields)
    values = {f.attname: getattr(entry, f.attname) for f in LedgerEntry._meta.concrete_fields if not f.primary_key}
    entry, created = LedgerEntry.objects.get_or_create(key=entry.key, defaults=values)
    return entry if created else None


def _entry(
    booking,
    *,
    key,
    kind,
    category,
    description,
    amount,
    actor_kind="system",
    actor=None,
    channel="",
    tax_component="",
    payment=None,
    refund=None,
    offline_payment=None,
    bank_reference="",
    occurred_at=None,
    books_description="",
) -> LedgerEntry:
    """The entry as :func:`_write` writes it, not saved."""
    # The books are kept in one language, whoever clicked (``description``); a phrase (``models.phrase``) is also
    # kept as its message id and parameters, so the guest reads the entry in their language (``LedgerEntry.text``).
    source = description if isinstance(description, dict) else {}
    with translation.override(settings.LANGUAGE_CODE):
        description = LedgerEntry.phrase_render(source, currency=booking.currency) if source else str(description)
    description = str(books_description or description)  # what staff wrote for the books, when they wrote more
    return LedgerEntry(
        key=key[:120],
        booking=booking,
        kind=kind,
        category=category,
        description=description[:200],
        description_source=source,
        amount=amount,
        currency=booking.currency,
        tax_component=tax_component,
        payment=payment,
        refund=refund,
        offline_payment=offline_payment,
        bank_reference=(bank_reference or "")[:80],
        occurred_at=occurred_at or timezone.now(),
        actor_kind=actor_kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        channel=channel or CHANNELS.get(actor_kind, "system"),
    )


def _stay_lines(booking) -> list[tuple[str, Decimal, str, str]]:
    """(description, amount, category, tax component) per price line of the snapshot; one line of the booking's
    total when the snapshot's lines don't add up to it (a supplier's snapshot, a booking changed since)."""
    snapshot = booking.price_snapshot or {}
    lines = []
    for night in snapshot.get("nights", []):
        lines.append(
            (
                phrase(
                    gettext_noop("Night of %(date)s, %(rooms)s × %(price)s"),
                    date={"date": night["date"]},
                    rooms=night["rooms"],
                    price={"money": night["unit_price"]},
                ),
                Decimal(night["amount"]),
                Category.STAY,
                "room",
            )
        )
    # A plan's adjustment pays for meals when the quote says so ("meals_total": the meals plan's adjustment).
    # A booking of several rooms adds its rooms' adjustments up, each named after its plan: the meals plan's name
    # is the one whose adjustment was the (first room's) meals.
    meals = Decimal(snapshot.get("meals_total") or "0")
    adjustments = snapshot.get("adjustments", [])
    meals_names = {a["name"] for a in adjustments if meals and Decimal(a["amount"]) == meals}
    for adjustment in adjustments:
        component = "meals" if adjustment["name"] in meals_names else "room"
        lines.append((adjustment["name"], Decimal(adjustment["amount"]), Category.STAY, component))
    for extra in snapshot.get("extras", []):
        lines.append((extra["name"], Decimal(extra["amount"]), Category.STAY, "room"))
    for tax in snapshot_taxes(booking):
        if tax.included:
            continue
        # an added VAT is its component's VAT ("vat:room"); a fee outside VAT has no component
        lines.append((tax.name, tax.amount, Category.TAX, f"vat:{tax.component}" if tax.rate is not None else ""))
    if not lines or sum((line[1] for line in lines), ZERO) != booking.total:
        return [
            (phrase(gettext_noop("Stay at %(hotel)s"), hotel=booking.hotel.name), booking.total, Category.STAY, "room")
        ]
    return lines


def ledger_stay_charge(*, booking, actor_kind="system", actor=None, channel="") -> list[LedgerEntry]:
    """The booking's stay, one charge per price line, when it is confirmed (once: a later confirmation of the same
    booking, e.g. a late payment after the hold lapsed, finds them written)."""
    charges = {
        f"{booking.reference}:stay:{index}"[:120]: line
        for index, line in enumerate(_stay_lines(booking))
        if line[1] != 0
    }
    # One query for both questions: is the stay charged already, and which of these keys exist (as _write asks)?
    found = list(
        LedgerEntry.objects.filter(
            Q(booking=booking, kind=Kind.CHARGE, category__in=[Category.STAY, Category.TAX]) | Q(key__in=charges)
        ).values_list("key", "booking_id", "kind", "category")
    )
    if any(b == booking.pk and k == Kind.CHARGE and c in (Category.STAY, Category.TAX) for _key, b, k, c in found):
        return []
    taken = {key for key, *_rest in found}
    # One insert for them all; the caller holds the booking's row lock, so nobody else writes these keys meanwhile.
    return LedgerEntry.objects.bulk_create(
        [
            _entry(
                booking,
                key=key,
                kind=Kind.CHARGE,
                category=category,
                description=description,
                amount=amount,
                tax_component=component,
                actor_kind=actor_kind,
                actor=actor,
                channel=channel,
                occurred_at=booking.confirmed_at,
            )
            for key, (description, amount, category, component) in charges.items()
            if key not in taken
        ]
    )


def _stay_reverse(booking, *, key: str, description, actor_kind, actor, channel) -> list[LedgerEntry]:
    """The stay's charges taken back, one entry per VAT component (so documents keep their VAT breakdown), keyed
    ``<reference>:<key>:<component>``; nothing for a booking that was never charged."""
    stay = (
        booking.ledger_entries.filter(kind=Kind.CHARGE, category__in=STAY_CATEGORIES)
        .values("tax_component")
        .annotate(total=Sum("amount"))
        .order_by("tax_component")
    )
    written = []
    for row in stay:
        if row["total"] == 0:
            continue
        entry = _write(
            booking,
            key=f"{booking.reference}:{key}:{row['tax_component'] or 'none'}",
            kind=Kind.CHARGE,
            category=Category.STAY_CANCELLED,
            description=description,
            amount=-row["total"],
            tax_component=row["tax_component"],
            actor_kind=actor_kind,
            actor=actor,
            channel=channel,
        )
        if entry:
            written.append(entry)
    return written


def ledger_cancellation_record(*, booking, actor_kind="system", actor=None, channel="") -> list[LedgerEntry]:
    """A cancellation: the stay's charges taken back (one entry per VAT component, so documents keep their VAT
    breakdown) and the penalty kept under the policy charged. Nothing for a booking that was never charged."""
    written = _stay_reverse(
        booking,
        key="cancelled",
        description=phrase(gettext_noop("Stay cancelled")),
        actor_kind=actor_kind,
        actor=actor,
        channel=channel,
    )
    if written and booking.cancellation_penalty:
        entry = _write(
            booking,
            key=f"{booking.reference}:cancellation_penalty",
            kind=Kind.CHARGE,
            category=Category.CANCELLATION_PENALTY,
            description=phrase(gettext_noop("Cancellation charge")),
            amount=booking.cancellation_penalty,
            tax_component="room",
            actor_kind=actor_kind,
            actor=actor,
            channel=channel,
        )
        written.append(entry)
    return written


def ledger_no_show_record(*, booking, fee: Decimal, actor_kind="staff", actor=None, channel="") -> list[LedgerEntry]:
    """A no-show: the stay was not given, so its charges are taken back (per VAT component, as a cancellation's
    are) and the no-show fee is charged instead, in the transaction that marks the booking. The fee is what the
    policy keeps at arrival, and never less than what the guest has paid (nothing is refunded for a no-show), so
    the balance due is exactly what is left to charge to the saved card. Written once (deterministic keys)."""
    written = _stay_reverse(
        booking,
        key="no_show:stay",
        description=phrase(gettext_noop("Stay not taken (no-show)")),
        actor_kind=actor_kind,
        actor=actor,
        channel=channel,
    )
    if written and fee > 0:
        entry = _write(
            booking,
            key=f"{booking.reference}:no_show_fee",
            kind=Kind.CHARGE,
            category=Category.NO_SHOW_FEE,
            description=phrase(gettext_noop("No-show fee")),
            amount=fee,
            tax_component="room",
            actor_kind=actor_kind,
            actor=actor,
            channel=channel,
        )
        if entry:
            written.append(entry)
    return written


def ledger_charge_add(
    *,
    booking,
    key: str,
    category: str,
    amount: Decimal,
    description,
    tax_component: str = "room",
    actor_kind="system",
    actor=None,
    channel="",
    books_description: str = "",
) -> LedgerEntry | None:
    """Any other charge (a no-show fee, a change's difference, an extra, a reduction when negative), written once
    per ``key`` (which the caller makes deterministic for the change). None when the key was written before.
    ``description`` is a ``phrase`` (what the guest reads, in their language) or a plain text; ``books_description``
    is the books' own wording when it says more than the guest's (a change's summary)."""
    return _write(
        booking,
        key=f"{booking.reference}:{key}",
        kind=Kind.CHARGE,
        category=category,
        description=description,
        amount=amount,
        tax_component=tax_component,
        actor_kind=actor_kind,
        actor=actor,
        channel=channel,
        books_description=books_description,
    )


def ledger_payment_record(*, payment: Payment) -> LedgerEntry | None:
    """A payment the bank says is paid (in the transaction that records it)."""
    return _write(
        payment.booking,
        key=f"payment:{payment.pk}",
        kind=Kind.PAYMENT,
        category=Category.PAYMENT,
        description=(
            phrase(gettext_noop("Card payment %(card)s"), card=payment.card_display)
            if payment.card_last4
            else phrase(gettext_noop("Payment"))
        ),
        amount=payment.amount,
        payment=payment,
        bank_reference=payment.bank_transaction_id,
        occurred_at=payment.paid_at,
        channel="bank",
    )


# How a guest reads a desk payment's method (the admin's choice labels are staff English).
METHOD_NAMES = {"cash": gettext_noop("Cash"), "bank_transfer": gettext_noop("Bank transfer")}
# Offline "payments" that are only a promise: nothing was received yet.
PROMISES = ("pay_at_hotel",)


def ledger_offline_payment_record(*, offline_payment) -> LedgerEntry | None:
    """Money staff took for a booking at the desk (cash, a bank transfer), or paid back there (a refund entry), in
    the transaction that records it; "pay at the hotel" is a promise, not money, and writes nothing."""
    if offline_payment.method in PROMISES or offline_payment.amount <= 0:
        return None
    paid_back = offline_payment.direction == "paid_back"
    method = METHOD_NAMES.get(offline_payment.method) or offline_payment.get_method_display()
    details = {"method": {"msgid": method}, "reference": offline_payment.reference}
    return _write(
        offline_payment.booking,
        key=f"offline_payment:{offline_payment.pk}",
        kind=Kind.REFUND if paid_back else Kind.PAYMENT,
        category=Category.REFUND if paid_back else Category.PAYMENT,
        description=(
            phrase(gettext_noop("Paid back: %(method)s, reference %(reference)s"), **details)
            if paid_back
            else phrase(gettext_noop("%(method)s, reference %(reference)s"), **details)
        ),
        amount=offline_payment.amount,
        offline_payment=offline_payment,
        bank_reference=offline_payment.reference,
        occurred_at=offline_payment.recorded_at,
        actor_kind="staff",
        actor=offline_payment.recorded_by,
        channel="admin",
    )


STAFF_REFUND = "staff "  # a staff member's refund (bookings.admin_views): a reduction of the price


def ledger_refund_record(*, refund: Refund) -> LedgerEntry | None:
    """A refund the bank has settled (in the transaction that settles it, which holds the booking's lock). A staff
    member's refund is also a reduction of what the guest owes: a negative charge, and an invoice effect for its
    credit note."""
    booking = refund.payment.booking
    if refund.reason.startswith(STAFF_REFUND):
        from bookings.models import BookingEffect
        from bookings.outbox import effect_write

        reduction = ledger_charge_add(
            booking=booking,
            key=f"reduction:refund-{refund.pk}",
            category=Category.REDUCTION,
            amount=-refund.amount,
            description=phrase(gettext_noop("Reduction")),
            books_description=refund.reason,
            actor_kind="staff",
            channel="admin",
        )
        if reduction is not None:
            effect_write(
                booking=booking,
                kind=BookingEffect.Kind.INVOICE,
                key=f"{booking.reference}:reduced:invoice:refund-{refund.pk}",
            )
    return _write(
        booking,
        key=f"refund:{refund.pk}",
        kind=Kind.REFUND,
        category=Category.REFUND,
        description=phrase(gettext_noop("Refund")),
        books_description=f"Refund: {refund.reason}" if refund.reason else "",
        amount=refund.amount,
        refund=refund,
        bank_reference=refund.bank_refund_id,
        occurred_at=refund.settled_at,
        channel="bank",
    )


def ledger_refund_refused(*, refund: Refund) -> LedgerEntry | None:
    """The bank refused a refund: a reduction written with it (a staff refund) is taken back, since the guest did
    not get the money; asking again writes a new reduction with the new refund."""
    booking = refund.payment.booking
    reduction = booking.ledger_entries.filter(key=f"{booking.reference}:reduction:refund-{refund.pk}").first()
    if reduction is None:
        return None
    return ledger_charge_add(
        booking=booking,
        key=f"reduction-refused:refund-{refund.pk}",
        category=Category.REDUCTION,
        amount=-reduction.amount,
        description=phrase(gettext_noop("Reduction withdrawn: the bank refused the refund")),
        tax_component=reduction.tax_component,
        channel="bank",
    )


@dataclass(frozen=True)
class Balance:
    currency: str
    charged: Decimal
    paid: Decimal
    refunded: Decimal

    @property
    def paid_net(self) -> Decimal:
        """What the guest has paid and kept paid: payments less settled refunds."""
        return self.paid - self.refunded

    @property
    def due(self) -> Decimal:
        """What the guest still owes; negative when they are owed money (a refund not settled yet)."""
        return self.charged - self.paid + self.refunded

    def as_dict(self) -> dict:
        return {
            "currency": self.currency,
            "charged": str(self.charged),
            "paid": str(self.paid),
            "refunded": str(self.refunded),
            "due": str(self.due),
        }


def booking_balance(booking) -> Balance:
    """The booking's balance from its ledger, in one query."""
    sums = booking.ledger_entries.aggregate(
        charged=Sum("amount", filter=Q(kind=Kind.CHARGE)),
        paid=Sum("amount", filter=Q(kind=Kind.PAYMENT)),
        refunded=Sum("amount", filter=Q(kind=Kind.REFUND)),
    )
    return Balance(
        currency=booking.currency,
        charged=sums["charged"] or ZERO,
        paid=sums["paid"] or ZERO,
        refunded=sums["refunded"] or ZERO,
    )


def bookings_with_balance(queryset):
    """``queryset`` of bookings annotated with their ledger sums (``ledger_charged``, ``ledger_paid``,
    ``ledger_refunded``), so a page of bookings reads its balances in the same query."""
    from django.db.models import DecimalField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    def total(kind):
        sums = (
            LedgerEntry.objects.filter(booking=OuterRef("pk"), kind=kind)
            .order_by()
            .values("booking")
            .annotate(s=Sum("amount"))
            .values("s")
        )
        return Coalesce(Subquery(sums, output_field=DecimalField()), Value(ZERO), output_field=DecimalField())

    return queryset.annotate(
        ledger_charged=total(Kind.CHARGE), ledger_paid=total(Kind.PAYMENT), ledger_refunded=total(Kind.REFUND)
    )


def booking_balance_of(booking) -> Balance:
    """The balance of a booking from :func:`bookings_with_balance`'s annotations when it has them, else queried."""
    if hasattr(booking, "ledger_charged"):
        return Balance(booking.currency, booking.ledger_charged, booking.ledger_paid, booking.ledger_refunded)
    return booking_balance(booking)


def booking_ledger(booking):
    """The booking's entries, oldest first, with who made them."""
    return booking.ledger_entries.select_related("actor").order_by("occurred_at", "id")
