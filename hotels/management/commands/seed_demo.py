from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from hotels.demo_photos import demo_photo_paths
from hotels.models import Hotel
from hotels.seeding import demo_catalogue_seed


class Command(BaseCommand):
    help = "Create a realistic demo catalogue (or the 10,000-hotel benchmark catalogue with --hotels 10000)."

    def add_arguments(self, parser):
        parser.add_argument("--hotels", type=int, default=60)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the catalogue has hotels.")
        parser.add_argument("--no-photos", action="store_true")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, hotels, days, if_empty, no_photos, seed, **options):
        if hotels < 1 or days < 1:
            raise CommandError("--hotels and --days must be positive.")
        if if_empty and Hotel.objects.exists():
            self.stdout.write("Catalogue already has hotels; nothing to do.")
            return
        photos = [] if no_photos else demo_photo_paths()
        created = demo_catalogue_seed(
            hotels=hotels, days=days, seed=seed, photos=photos, log=lambda msg: self.stdout.write(f"  {msg}")
        )
        # Set the visibility map so the search's index-only scans skip the heap (outside the seeding transaction).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) hotels_nightinventory")
            cursor.execute("ANALYZE hotels_roomtype")
            cursor.execute("ANALYZE hotels_rateplan")
            cursor.execute("ANALYZE hotels_childageband")
            cursor.execute("ANALYZE hotels_hotel")
        self.stdout.write(self.style.SUCCESS(f"Created {created} hotels."))
