from django.core.management.base import BaseCommand

from bookings.balances import balances_split
from bookings.models import Booking
from payments.models import ScheduledCharge


class Command(BaseCommand):
    help = (
        "Once, after deploying balances per date: a confirmed booking of several rooms that owes its rooms' balances "
        "as one charge on the earliest date gets one charge per room's date. Safe to run again."
    )

    def handle(self, *args, **options):
        bookings = Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            rooms__gt=1,
            scheduled_charges__purpose="balance",
            scheduled_charges__status=ScheduledCharge.Status.SCHEDULED,
        ).distinct()
        split = 0
        for booking in bookings.iterator():
            if balances_split(booking=booking):
                split += 1
                self.stdout.write(f"{booking.reference}: balances spread over its rooms' dates")
        self.stdout.write(f"{split} booking(s) changed.")
