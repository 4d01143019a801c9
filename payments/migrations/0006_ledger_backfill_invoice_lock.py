"""The ledger of every existing booking, built from what it already records (its price snapshot, its payments and
settled refunds, its cancellation) without changing any amount; and the trigger that makes issued invoices and
credit notes immutable."""

from decimal import Decimal

from django.db import migrations

IMMUTABLE_SQL = """
CREATE FUNCTION payments_invoice_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'invoice %: an issued invoice or credit note can''t be changed or deleted', OLD.number
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER payments_invoice_immutable BEFORE UPDATE OR DELETE ON payments_invoice
    FOR EACH ROW EXECUTE FUNCTION payments_invoice_immutable();
"""
MUTABLE_SQL = """
DROP TRIGGER IF EXISTS payments_invoice_immutable ON payments_invoice;
DROP FUNCTION IF EXISTS payments_invoice_immutable();
"""


def backfill(apps, schema_editor):
    from payments.ledger import _stay_lines

    Booking = apps.get_model("bookings", "Booking")
    Payment = apps.get_model("payments", "Payment")
    Refund = apps.get_model("payments", "Refund")
    LedgerEntry = apps.get_model("payments", "LedgerEntry")

    def entry(booking, key, kind, category, description, amount, at, **extra):
        return LedgerEntry(
            booking_id=booking.pk,
            key=key[:120],
            kind=kind,
            category=category,
            description=str(description)[:200],
            amount=amount,
            currency=booking.currency,
            occurred_at=at,
            actor_kind="system",
            channel="migration",
            **extra,
        )

    batch = []
    bookings = Booking.objects.filter(confirmed_at__isnull=False).select_related("hotel").order_by("pk")
    for booking in bookings.iterator(chunk_size=500):
        by_component = {}
        for index, (description, amount, category, component) in enumerate(_stay_lines(booking)):
            if amount:
                batch.append(
                    entry(
                        booking,
                        f"{booking.reference}:stay:{index}",
                        "charge",
                        category,
                        description,
                        amount,
                        booking.confirmed_at,
                        tax_component=component,
                    )
                )
                by_component[component] = by_component.get(component, Decimal("0")) + amount
        for refund in Refund.objects.filter(payment__booking=booking, status="succeeded", reason__startswith="staff "):
            batch.append(
                entry(
                    booking,
                    f"{booking.reference}:reduction:refund-{refund.pk}",
                    "charge",
                    "reduction",
                    refund.reason,
                    -refund.amount,
                    refund.created_at,
                    tax_component="room",
                )
            )
            by_component["room"] = by_component.get("room", Decimal("0")) - refund.amount
        if booking.status == "cancelled":
            at = booking.cancelled_at or booking.updated_at
            for component, total in sorted(by_component.items()):
                if total:
                    batch.append(
                        entry(
                            booking,
                            f"{booking.reference}:cancelled:{component or 'none'}",
                            "charge",
                            "stay_cancelled",
                            "Stay cancelled",
                            -total,
                            at,
                            tax_component=component,
                        )
                    )
            if booking.cancellation_penalty:
                batch.append(
                    entry(
                        booking,
                        f"{booking.reference}:cancellation_penalty",
                        "charge",
                        "cancellation_penalty",
                        "Cancellation charge",
                        booking.cancellation_penalty,
                        at,
                        tax_component="room",
                    )
                )
        if len(batch) > 2000:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    for payment in Payment.objects.filter(paid_at__isnull=False).select_related("booking").iterator(chunk_size=500):
        card = (
            f"Card payment {payment.card_brand.title()} •••• {payment.card_last4}" if payment.card_last4 else "Payment"
        )
        batch.append(
            entry(
                payment.booking,
                f"payment:{payment.pk}",
                "payment",
                "payment",
                card,
                payment.amount,
                payment.paid_at,
                payment_id=payment.pk,
                bank_reference=payment.bank_transaction_id[:80],
            )
        )
    for refund in Refund.objects.filter(status="succeeded").select_related("payment__booking").iterator(chunk_size=500):
        batch.append(
            entry(
                refund.payment.booking,
                f"refund:{refund.pk}",
                "refund",
                "refund",
                f"Refund: {refund.reason}" if refund.reason else "Refund",
                refund.amount,
                refund.settled_at or refund.created_at,
                refund_id=refund.pk,
                bank_reference=refund.bank_refund_id[:80],
            )
        )
    OfflinePayment = apps.get_model("bookings", "OfflinePayment")
    received = OfflinePayment.objects.exclude(method="pay_at_hotel").filter(amount__gt=0).select_related("booking")
    for offline in received.iterator(chunk_size=500):
        batch.append(
            entry(
                offline.booking,
                f"offline_payment:{offline.pk}",
                "payment",
                "payment",
                f"{offline.method}, reference {offline.reference}",
                offline.amount,
                offline.recorded_at,
                offline_payment_id=offline.pk,
                bank_reference=offline.reference[:80],
            )
        )
    LedgerEntry.objects.bulk_create(batch)


def unbackfill(apps, schema_editor):
    apps.get_model("payments", "LedgerEntry").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_ledger_invoices"), ("bookings", "0011_offline_payments")]

    operations = [
        migrations.RunSQL(IMMUTABLE_SQL, MUTABLE_SQL),
        migrations.RunPython(backfill, unbackfill),
    ]
