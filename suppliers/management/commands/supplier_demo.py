from django.core.management.base import BaseCommand

from suppliers.models import Supplier
from suppliers.sandbox_supplier import API_KEY


class Command(BaseCommand):
    help = "Point the demo at the sandbox supplier `make run` starts on port 8002 (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8002")

    def handle(self, *args, url, **options):
        supplier, created = Supplier.objects.get_or_create(
            name="Sandbox Travel", defaults={"base_url": url, "api_key": API_KEY}
        )
        self.stdout.write(f"{'Created' if created else 'Kept'} supplier {supplier.name} at {supplier.base_url}.")
