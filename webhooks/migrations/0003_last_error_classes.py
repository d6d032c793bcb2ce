"""last_error holds an error class, no longer the receiver's answer: earlier rows kept up to
500 characters of a non-2xx body (possibly an internal service's reply) and the network
error's text (which told a refused port from a filtered one). They are rewritten to the class
they stand for; the bodies are not kept anywhere."""

from django.db import migrations, models


def errors_to_classes(apps, schema_editor):
    WebhookDelivery = apps.get_model("webhooks", "WebhookDelivery")
    rows = WebhookDelivery.objects
    rows.filter(last_error="endpoint disabled").update(last_error="endpoint_disabled")
    known = ["", "endpoint_disabled"]
    rows.exclude(last_error__in=known).filter(last_status_code__isnull=False).update(
        last_error="http_status"
    )
    rows.exclude(last_error__in=[*known, "http_status"]).update(last_error="could_not_connect")


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0002_alter_webhookdelivery_event'),
    ]

    operations = [
        migrations.RunPython(errors_to_classes, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='last_error',
            field=models.TextField(blank=True, choices=[('http_status', 'The receiver answered with an error status'), ('could_not_connect', 'Could not connect to the receiver'), ('address_not_allowed', "The receiver's address is not allowed"), ('endpoint_disabled', 'The endpoint is switched off')], verbose_name='last error'),
        ),
    ]
