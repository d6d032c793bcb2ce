"""The job reaper in django-celery-beat's tables, every JOB_REAPER_SECONDS (read when this
migration runs; operators edit the interval in the admin afterwards)."""

from django.conf import settings
from django.db import migrations

TASK_NAME = "Settle jobs whose worker died"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(
        every=settings.JOB_REAPER_SECONDS, period="seconds"
    )
    # A tick no worker took within its period is dropped, not run in a burst later.
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "core.tasks.jobs_reap",
            "interval": every,
            "expire_seconds": settings.JOB_REAPER_SECONDS,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_api_tokens_from_authtoken"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
