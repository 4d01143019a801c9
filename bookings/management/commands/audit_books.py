from django.core.management.base import BaseCommand, CommandError

from bookings.audit import books_audit


class Command(BaseCommand):
    help = (
        "Check that the books add up: rooms sold per night, paid payments, refunded amounts, refunds left unsettled, "
        "side effects stuck. Prints each finding and exits non-zero if there is any."
    )

    def handle(self, *args, **options):
        audit = books_audit()
        for finding in audit.findings:
            self.stdout.write(f"{finding['check']}: {finding['subject']}: {finding['detail']}")
        if audit.findings:
            raise CommandError(f"{len(audit.findings)} finding(s): the books do not add up.")
        self.stdout.write("The books add up.")
