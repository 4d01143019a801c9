from django.core.management.base import BaseCommand
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.periodic import PERIODIC_TASKS


class Command(BaseCommand):
    help = (
        "Create the site's periodic tasks in django-celery-beat (existing ones keep their edited schedule, and are "
        "pointed at the task's current name if it moved)."
    )

    def handle(self, *args, **options):
        for name, (task, seconds) in PERIODIC_TASKS.items():
            schedule, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
            periodic, created = PeriodicTask.objects.get_or_create(
                name=name, defaults={"task": task, "interval": schedule}
            )
            if not created and periodic.task != task:
                periodic.task = task
                periodic.save(update_fields=["task"])
                self.stdout.write(f"moved to {task}: {name}")
                continue
            self.stdout.write(f"{'created' if created else 'kept'}: {name}")
