"""Invoices and credit notes: issued from the booking's ledger, numbered without gaps, immutable once issued.

:func:`invoice_documents_sync` brings a booking's documents in line with its ledger, and is the only writer:

- the charges not invoiced yet, once the guest has paid them (or on request from the booking page), get an
  **invoice** with one line per charge and a VAT breakdown per rate;
- charges taken back (a cancellation, a reduction with a refund) get a **credit note** that references the invoice
  it corrects;
- new company details on a booking already invoiced (``reissue=True``, the guest's request) get a credit note for
  the whole invoice and a new invoice with the new details.

So what was invoiced less what was credited always equals the ledger's charges once the documents are in line.
Each document's number comes from a counter row per legal entity, kind and year, locked (``SELECT … FOR UPDATE``)
in the issuing transaction: a rendering error rolls the number back with the document, so numbers have neither gaps
nor duplicates (a unique constraint holds the same). A database trigger refuses any change to an issued document.
It runs from the ``invoice`` booking effect (``bookings.workflow``), after the commit of the change, and is
idempotent: run twice, the second run finds nothing to issue.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bookings.models import Booking
from hotels.models import LegalEntity

from .ledger import ZERO, booking_balance, snapshot_taxes
from .models import BillingDetails, Invoice, InvoiceSequence, LedgerEntry, Refund
from .pdf import pdf_render

CENT = Decimal("0.01")
PREFIX = {Invoice.Kind.INVOICE: "INV", Invoice.Kind.CREDIT_NOTE: "CN"}


class InvoiceError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def legal_entity_for(hotel) -> LegalEntity:
    """The hotel's legal entity; one made from the hotel's own name and address when staff have not entered one
    yet (they can correct it in the admin: documents issued before keep what they printed)."""
    entity = LegalEntity.objects.filter(hotel=hotel).first()
    if entity:
        return entity
    try:
        with transaction.atomic():
            return LegalEntity.objects.create(
                hotel=hotel,
                company_name=hotel.name,
                address="\n".join(part for part in (hotel.address, hotel.city, hotel.country) if part),
            )
    except IntegrityError:  # made by a concurrent first invoice
        return LegalEntity.objects.get(hotel=hotel)


def billing_details_save(*, booking: Booking, company_name: str, address: str, vat_id: str = "") -> BillingDetails:
    """Set the company a guest wants on the booking's invoices (before or after the stay)."""
    details, _created = BillingDetails.objects.update_or_create(
        booking=booking,
        defaults={"company_name": company_name.strip(), "address": address.strip(), "vat_id": vat_id.strip()},
    )
    return details


def _seller(entity: LegalEntity) -> dict:
    return {
        "company_name": entity.company_name,
        "address": entity.address,
        "tax_id": entity.tax_id,
        "footer": entity.invoice_footer,
    }


def _buyer(booking: Booking) -> dict:
    details = BillingDetails.objects.filter(booking=booking).first()
    buyer = {"guest_name": booking.guest_name, "email": booking.guest_email}
    if details:
        buyer.update(company_name=details.company_name, address=details.address, vat_id=details.vat_id)
    return buyer


def _rates(booking: Booking) -> dict[str, tuple[Decimal, bool]]:
    """VAT rate and "included in the price" per component, from the booking's snapshot."""
    rates = {}
    for tax in snapshot_taxes(booking):
        if tax.rate is not None:
            rate, included = rates.get(tax.component, (Decimal("0"), tax.included))
            rates[tax.component] = (rate + tax.rate, included)
    return rates


def vat_breakdown(booking: Booking, lines: list[dict]) -> list[dict]:
    """The VAT per rate of a document's ``lines`` (``amount`` and ``tax_component`` each).

    Lines of a component whose VAT is included carry it inside their amount (VAT = gross × rate / (100 + rate),
    rounded once per rate); where the VAT was added, it is its own line ("vat:<component>") and the component's
    lines are net. Lines outside VAT (a city tax) are listed at no rate. The rows' gross amounts add up to the
    document's total."""
    rates = _rates(booking)
    gross: dict[str, Decimal] = {}
    added: dict[str, Decimal] = {}
    for line in lines:
        component, amount = line["tax_component"], Decimal(line["amount"])
        if component.startswith("vat:"):
            added[component[4:]] = added.get(component[4:], ZERO) + amount
        else:
            gross[component] = gross.get(component, ZERO) + amount
    rows: dict[Decimal | None, dict] = {}
    for component in sorted(set(gross) | set(added)):
        rate, included = rates.get(component, (None, True)) if component else (None, True)
        base = gross.get(component, ZERO)
        if component in added:
            net, vat = base, added[component]
        elif rate:
            vat = (base * rate / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
            net = base - vat
        else:
            net, vat = base, ZERO
        row = rows.setdefault(rate, {"rate": rate, "net": ZERO, "vat": ZERO, "gross": ZERO})
        row["net"] += net
        row["vat"] += vat
        row["gross"] += net + vat
    return [
        {
            "rate": None if r["rate"] is None else str(r["rate"]),
            "net": str(r["net"]),
            "vat": str(r["vat"]),
            "gross": str(r["gross"]),
        }
        for r in sorted(rows.values(), key=lambda r: (r["rate"] is None, r["rate"] or 0))
        if r["gross"] or r["vat"]
    ]


def _line(entry: LedgerEntry, sign: int = 1) -> dict:
    return {
        "entry": entry.pk,
        "date": entry.occurred_at.date().isoformat(),
        "description": entry.description,
        "category": entry.category,
        "tax_component": entry.tax_component,
        "amount": str(entry.amount * sign),
    }


def _number(entity: LegalEntity, kind: str, year: int) -> int:
    """The next number of ``kind`` for ``entity`` in ``year``, from its counter row locked until the caller's
    transaction ends (so a document that is not issued after all gives its number back)."""
    InvoiceSequence.objects.get_or_create(entity=entity, kind=kind, year=year)
    sequence = InvoiceSequence.objects.select_for_update().get(entity=entity, kind=kind, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _issue(*, booking, entity, kind, lines, corrects=None, refund=None) -> Invoice:
    total = sum((Decimal(line["amount"]) for line in lines), ZERO)
    issued_at = timezone.now()
    year = issued_at.year
    sequence = _number(entity, kind, year)
    document = Invoice(
        kind=kind,
        entity=entity,
        booking=booking,
        corrects=corrects,
        refund=refund,
        year=year,
        sequence=sequence,
        number=f"{PREFIX[kind]}-{year}-{sequence:05d}",
        issued_at=issued_at,
        currency=booking.currency,
        total=total,
        seller=_seller(entity),
        buyer=corrects.buyer if corrects is not None else _buyer(booking),  # a credit note names whom it corrects
        lines=lines,
        vat_breakdown=vat_breakdown(booking, lines),
    )
    document.pdf = pdf_render(
        "payments/invoice.html",
        {
            "document": document,
            "booking": booking,
            "hotel": booking.hotel,
            "is_credit_note": kind != "invoice",
            "is_advance": is_advance(document),
            "is_final": any(line.get("category") == DEDUCTION for line in lines),
        },
    )
    document.save(force_insert=True)
    return document


ADVANCE, DEDUCTION = "advance", "advance_deduction"


def is_advance(document: Invoice) -> bool:
    """An advance invoice: a deposit (or another payment made before the stay is paid in full) invoiced when paid."""
    return document.is_advance


def _by_component(lines) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line["tax_component"]] = totals.get(line["tax_component"], ZERO) + Decimal(line["amount"])
    return totals


def _allocate(amount: Decimal, weights: dict[str, Decimal]) -> dict[str, Decimal]:
    """``amount`` split over the components in proportion to their positive ``weights``, in cents, the rounding
    remainder on the largest component, so the parts add up to ``amount`` exactly."""
    weights = {c: w for c, w in weights.items() if w > 0}
    whole = sum(weights.values(), ZERO)
    if not weights or whole <= 0:
        return {"room": amount}
    parts = {c: (amount * w / whole).quantize(CENT, rounding=ROUND_HALF_UP) for c, w in weights.items()}
    largest = max(weights, key=lambda c: weights[c])
    parts[largest] += amount - sum(parts.values(), ZERO)
    return {c: a for c, a in parts.items() if a}


COMPONENT_NAMES = {"room": _("accommodation"), "meals": _("meals"), "": _("taxes and fees")}


def _component_name(component: str) -> str:
    if component.startswith("vat:"):
        return str(_("VAT"))
    return str(COMPONENT_NAMES.get(component, component))


def _advance_lines(booking: Booking, amount: Decimal, charges: list[LedgerEntry]) -> list[dict]:
    """An advance invoice's lines: ``amount`` (what the guest paid before the stay is paid in full) shared over the
    VAT components of the charges it pays towards, so its VAT breakdown is the deposit's share of the stay's."""
    weights: dict[str, Decimal] = {}
    for charge in charges:
        weights[charge.tax_component] = weights.get(charge.tax_component, ZERO) + charge.amount
    today = timezone.now().date().isoformat()
    description = str(
        _("Advance payment (deposit) for the stay of %(check_in)s – %(check_out)s")
        % {"check_in": booking.check_in.isoformat(), "check_out": booking.check_out.isoformat()}
    )
    parts = _allocate(amount, weights)
    return [
        {
            "entry": None,
            "date": today,
            "description": description if len(parts) == 1 else f"{description} · {_component_name(component)}",
            "category": ADVANCE,
            "tax_component": component,
            "amount": str(part),
        }
        for component, part in parts.items()
    ]


def _deduction_lines(advance: Invoice) -> list[dict]:
    """What a final invoice takes off for ``advance``: its lines less what credit notes took back of it, per VAT
    component, negative."""
    left = _by_component(advance.lines)
    for note in advance.credit_notes.all():
        for component, amount in _by_component(note.lines).items():
            left[component] = left.get(component, ZERO) - amount
    today = timezone.now().date().isoformat()
    description = str(_("Less advance invoice %(number)s") % {"number": advance.number})
    return [
        {
            "entry": None,
            "date": today,
            "description": description,
            "category": DEDUCTION,
            "advance": advance.number,
            "tax_component": component,
            "amount": str(-amount),
        }
        for component, amount in sorted(left.items())
        if amount
    ]


def _remaining_lines(document: Invoice) -> list[dict]:
    """An invoice's lines less what credit notes took back of it (what a credit note in full must take back)."""
    notes = list(document.credit_notes.all())
    if not notes:
        return [dict(line) for line in document.lines]
    left = _by_component(document.lines)
    for note in notes:
        for component, amount in _by_component(note.lines).items():
            left[component] = left.get(component, ZERO) - amount
    today = timezone.now().date().isoformat()
    return [
        {
            "entry": None,
            "date": today,
            "description": str(_("Correction")),
            "category": "reduction",
            "tax_component": component,
            "amount": str(amount),
        }
        for component, amount in sorted(left.items())
        if amount
    ]


def _credits(invoices: list[Invoice], amount: Decimal) -> list[tuple[Invoice, Decimal]]:
    """Which invoices a credit of ``amount`` corrects: the latest one, and when it is an advance's final invoice
    worth less than the credit, the rest from the invoices before it (latest first), so no credit note takes
    back more than the invoice it corrects. Returns ``(invoice, amount)`` pairs."""
    credits = []
    for document in reversed(invoices):
        left = document.total - sum((n.total for n in document.credit_notes.all()), ZERO)
        part = min(left, amount)
        if part > 0:
            credits.append((document, part))
            amount -= part
        if amount <= 0:
            break
    if amount > 0:  # more than was ever invoiced (should not happen): the latest invoice takes the rest
        if credits:
            credits[0] = (credits[0][0], credits[0][1] + amount)
        else:
            credits.append((invoices[-1], amount))
    return credits


def invoice_documents_sync(*, booking: Booking, reissue: bool = False) -> list[Invoice]:
    """Issue what the ledger calls for (see the module's docstring); returns the documents issued now.

    Deposits follow the advance-invoice scheme (German *Anzahlungsrechnung* / *Schlussrechnung*, French *facture
    d'acompte* / *facture de solde*, as EU VAT law has it: VAT is due on a payment received before the supply):
    what the guest paid while charges are still owed is invoiced when it is paid (an **advance invoice**, its VAT
    the deposit's share of each rate); once everything is paid the **final invoice** lists every charge and takes
    off each advance invoice (negative lines per VAT component), so the documents still add up to the ledger.
    Every document takes the next number of the entity's one invoice series.

    Runs under the booking's lock, so two runs at once issue nothing twice. Raises ``PdfError`` when a PDF can't be
    rendered (nothing is issued then, and no number is used)."""
    issued = []
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("hotel").get(pk=booking.pk)
        entity = legal_entity_for(booking.hotel)
        documents = list(booking.invoices.prefetch_related("credit_notes").order_by("issued_at", "id"))
        invoices = [d for d in documents if d.kind == Invoice.Kind.INVOICE]
        charges = list(booking.ledger_entries.filter(kind=LedgerEntry.Kind.CHARGE).order_by("id"))
        charged = sum((c.amount for c in charges), ZERO)
        invoiced = sum((d.signed_total for d in documents), ZERO)
        covered = {line["entry"] for d in documents for line in d.lines if line.get("entry")}
        deducted = {line.get("advance") for d in invoices for line in d.lines if line.get("category") == DEDUCTION}
        open_advances = [d for d in invoices if is_advance(d) and d.number not in deducted]

        if reissue and invoices and invoiced == charged > 0 and invoices[-1].buyer != _buyer(booking):
            # what is invoiced is credited in whole, and invoiced again to the new buyer
            lines = [_line(c) for c in charges]
            live = [d for d in invoices if d.total > sum((n.total for n in d.credit_notes.all()), ZERO)]
            if len(live) > 1:  # an advance and its final invoice: each credited for what is left of it
                for document in live:
                    issued.append(
                        _issue(
                            booking=booking,
                            entity=document.entity,
                            kind=Invoice.Kind.CREDIT_NOTE,
                            lines=_remaining_lines(document),
                            corrects=document,
                        )
                    )
            else:
                issued.append(
                    _issue(
                        booking=booking,
                        entity=invoices[-1].entity,
                        kind=Invoice.Kind.CREDIT_NOTE,
                        lines=lines,
                        corrects=invoices[-1],
                    )
                )
            issued.append(_issue(booking=booking, entity=entity, kind=Invoice.Kind.INVOICE, lines=lines))
            return issued

        new = [c for c in charges if c.pk not in covered]
        difference = charged - invoiced
        paid_net = booking_balance(booking).paid_net
        if difference > 0 and paid_net >= charged:
            deductions = [line for advance in open_advances for line in _deduction_lines(advance)]
            lines = [_line(c) for c in new] + deductions
            if sum((Decimal(line["amount"]) for line in lines), ZERO) != difference:
                lines = [
                    {
                        "entry": None,
                        "date": timezone.now().date().isoformat(),
                        "description": str(_("Charges")),
                        "category": "stay",
                        "tax_component": "room",
                        "amount": str(difference),
                    }
                ]
            issued.append(_issue(booking=booking, entity=entity, kind=Invoice.Kind.INVOICE, lines=lines))
        elif difference > 0 and paid_net > invoiced and new:
            # paid before the stay is paid in full (a deposit): an advance invoice for what was paid
            amount = min(paid_net, charged) - invoiced
            issued.append(
                _issue(
                    booking=booking,
                    entity=entity,
                    kind=Invoice.Kind.INVOICE,
                    lines=_advance_lines(booking, amount, new),
                )
            )
        elif difference < 0 and invoices:
            refund = (
                Refund.objects.filter(payment__booking=booking, credit_note__isnull=True)
                .exclude(status=Refund.Status.FAILED)
                .order_by("-created_at")
                .first()
            )
            for corrected, amount in _credits(invoices, -difference):
                lines = [_line(c, sign=-1) for c in new]
                if amount != -difference or sum((Decimal(line["amount"]) for line in lines), ZERO) != amount:
                    # the corrected invoice's share of each VAT rate is taken back
                    weights = _by_component(corrected.lines) if is_advance(corrected) else {"room": amount}
                    lines = [
                        {
                            "entry": None,
                            "date": timezone.now().date().isoformat(),
                            "description": str(_("Correction")),
                            "category": "reduction",
                            "tax_component": component,
                            "amount": str(part),
                        }
                        for component, part in _allocate(amount, weights).items()
                    ]
                issued.append(
                    _issue(
                        booking=booking,
                        entity=corrected.entity,
                        kind=Invoice.Kind.CREDIT_NOTE,
                        lines=lines,
                        corrects=corrected,
                        refund=refund,
                    )
                )
                refund = None  # a refund has one credit note: the first
    return issued
