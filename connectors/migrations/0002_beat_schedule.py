"""The poll of pull connections (Xiaoe-tech) in django-celery-beat's tables, editable in the
admin; every SALES_POLL_SECONDS as the setting reads when migrating."""

from django.conf import settings
from django.db import migrations

TASK_NAME = "Poll shop connections for sales"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(
        every=settings.SALES_POLL_SECONDS, period="seconds"
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "connectors.tasks.sales_connections_poll",
            "interval": every,
            "expire_seconds": settings.SALES_POLL_SECONDS,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
