from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"

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
