"""What the bank shows for a payment (on its hosted page, and often on the guest's statement): in the booking's
language, like the e-mails and documents, whoever opens the session (the guest's click, staff, beat).

The bank compares a retried request's body with the first one's under the same idempotency key, so a description
is computed once, stored in the payment's ``bank_request`` when the payment is written, and sent again unchanged
(:func:`bank_description`)."""

from django.utils import translation
from django.utils.translation import gettext

from display.dates import format_stay


def checkout_description(booking) -> str:
    """The stay paid at checkout: ``Hôtel du Parc, 5–8 déc. 2026``."""
    with translation.override(booking.language or None):
        return gettext("%(hotel)s, %(dates)s") % {
            "hotel": booking.hotel.name,
            "dates": format_stay(booking.check_in, booking.check_out),
        }


def change_description(booking) -> str:
    """The difference a change costs: ``Hôtel du Parc, modification de ABC123``."""
    with translation.override(booking.language or None):
        return gettext("%(hotel)s, change to %(reference)s") % {
            "hotel": booking.hotel.name,
            "reference": booking.reference,
        }


def charge_description(charge) -> str:
    """A charge owed later, paid through a payment link: ``Solde``."""
    with translation.override(charge.booking.language or None):
        return str(charge.get_purpose_display())


def bank_description(payment, *, legacy: str) -> str:
    """The description this payment's first request carried. A payment written before descriptions were stored
    sent ``legacy`` (the English text of that time), which a retry must send again."""
    return payment.bank_request.get("description", legacy)
