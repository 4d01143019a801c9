from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Bookings")

    def ready(self):
        from accounts.privacy import personal_data_register

        from .changes import without_guest_names
        from .models import BookingChange

        # A change records the rooms before and after it, guest names included: blanked with the bookings'.
        personal_data_register(
            BookingChange,
            rows=lambda subject: BookingChange.objects.filter(booking_id__in=subject.booking_ids),
            replace={
                "before": lambda change: without_guest_names(change.before),
                "after": lambda change: without_guest_names(change.after),
            },
            scrub=("summary",),
        )
