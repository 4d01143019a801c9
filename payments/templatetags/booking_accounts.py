"""The booking page's account box: balance from the ledger, invoices and credit notes to download, and the form for
the company details an invoice is made out to (``templates/payments/_booking_accounts.html``)."""

from django import template

from payments.forms import BillingDetailsForm
from payments.ledger import booking_balance, booking_ledger
from payments.models import BillingDetails

register = template.Library()


@register.inclusion_tag("payments/_booking_accounts.html", takes_context=True)
def booking_accounts(context, booking, form=None):
    details = BillingDetails.objects.filter(booking=booking).first()
    return {
        "booking": booking,
        "balance": booking_balance(booking),
        "ledger": booking_ledger(booking),
        "documents": booking.invoices.defer("pdf").select_related("corrects").order_by("issued_at", "id"),
        "receipts": booking.payment_receipts.defer("pdf").select_related("payment", "refund__payment"),
        "details": details,
        "form": form or BillingDetailsForm(instance=details),
        "csrf_token": context.get("csrf_token"),
    }
