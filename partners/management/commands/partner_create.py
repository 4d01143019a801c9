from django.core.management.base import BaseCommand, CommandError

from hotels.models import Hotel
from partners.models import Partner
from partners.services import partner_key_issue


class Command(BaseCommand):
    help = "Create a partner (or reuse one by name), issue a new API key and print it on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--test", action="store_true", help="A test partner (may send the Test header).")
        parser.add_argument("--hotels", default="", help="Comma-separated hotel slugs the partner may sell.")
        parser.add_argument("--webhook-url", default="")

    def handle(self, *args, name, test, hotels, webhook_url, **options):
        name = name.strip()
        if not name or len(name) > 120:
            raise CommandError("--name must be 1 to 120 characters.")
        partner, created = Partner.objects.get_or_create(name=name, defaults={"is_test": test})
        if test and not partner.is_test:
            partner.is_test = True
        if webhook_url:
            partner.webhook_url = webhook_url
        partner.save()
        slugs = [s.strip() for s in hotels.split(",") if s.strip()]
        if slugs:
            found = list(Hotel.objects.filter(slug__in=slugs))
            missing = set(slugs) - {h.slug for h in found}
            if missing:
                raise CommandError(f"Unknown hotel slugs: {', '.join(sorted(missing))}")
            partner.hotels.set(found)
        self.stderr.write(f"{'Created' if created else 'Reusing'} partner {partner.name} (test={partner.is_test}).")
        self.stdout.write(partner_key_issue(partner=partner))
