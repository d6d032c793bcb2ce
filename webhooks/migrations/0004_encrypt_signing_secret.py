"""Signing secrets encrypted at rest (core.crypto, keys from COURSEREEL_SECRETS_KEYS).

The column becomes plain text first, so the existing secrets are read as they are and written
back encrypted; only then does the field decrypt on read.
"""

import core.crypto
import webhooks.models
from django.db import migrations, models


def secrets_encrypt(apps, schema_editor):
    WebhookEndpoint = apps.get_model("webhooks", "WebhookEndpoint")
    endpoints = WebhookEndpoint.objects.using(schema_editor.connection.alias)
    for pk, secret in endpoints.values_list("pk", "secret").iterator():
        try:
            core.crypto.secret_decrypt(secret)
            continue  # already encrypted (a rerun)
        except core.crypto.SecretUnreadable:
            pass
        endpoints.filter(pk=pk).update(secret=core.crypto.secret_encrypt(secret))


def secrets_decrypt(apps, schema_editor):
    WebhookEndpoint = apps.get_model("webhooks", "WebhookEndpoint")
    endpoints = WebhookEndpoint.objects.using(schema_editor.connection.alias)
    for pk, secret in endpoints.values_list("pk", "secret").iterator():
        endpoints.filter(pk=pk).update(secret=core.crypto.secret_decrypt(secret))


class Migration(migrations.Migration):

    dependencies = [
        ("webhooks", "0003_last_error_classes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=models.TextField(default=webhooks.models.new_secret, verbose_name="signing secret"),
        ),
        migrations.RunPython(secrets_encrypt, secrets_decrypt),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=core.crypto.EncryptedTextField(
                default=webhooks.models.new_secret, verbose_name="signing secret"
            ),
        ),
    ]
