from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        # Guest data in the books (accounts.privacy): a company's details on a booking and the ledger's descriptions
        # are scrubbed of the guest's name when their data is erased; issued invoices are kept as issued.
        from accounts.privacy import personal_data_register

        from .models import BillingDetails, LedgerEntry

        personal_data_register(
            BillingDetails,
            rows=lambda s: BillingDetails.objects.filter(booking_id__in=s.booking_ids),
            scrub=("company_name", "address"),
        )
        personal_data_register(
            LedgerEntry,
            rows=lambda s: LedgerEntry.objects.filter(booking_id__in=s.booking_ids),
            scrub=("description",),
        )
