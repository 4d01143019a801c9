from django.core.management.base import BaseCommand
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.periodic import PERIODIC_TASKS


class Command(BaseCommand):
    help = "Create the site's periodic tasks in django-celery-beat (existing ones keep their edited schedule)."

    def handle(self, *args, **options):
        for name, (task, seconds) in PERIODIC_TASKS.items():
            schedule, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
            _, created = PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": schedule})
            self.stdout.write(f"{'created' if created else 'kept'}: {name}")
