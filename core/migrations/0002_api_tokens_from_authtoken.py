"""Move the tokens of DRF's ``rest_framework.authtoken`` (keys in plain text) into
``core.ApiToken`` (their SHA-256 digests), so every integration keeps working with the key it
has, then drop the plain table.

``rest_framework.authtoken`` is no longer installed, so its table is read with SQL when it is
there (a database from before this change) and nothing happens on a new database. Its migration
records and content types go too, so installing the app again later would start clean.
"""

import hashlib
from datetime import UTC

from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder
from django.utils.dateparse import parse_datetime

PLAIN_TABLE = "authtoken_token"


def _aware(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # stored in UTC, as Django writes with USE_TZ
    return value


def plain_tokens_hash(apps, schema_editor):
    connection = schema_editor.connection
    if PLAIN_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("core", "ApiToken")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('key')}, {quote('user_id')}, {quote('created')} FROM {quote(PLAIN_TABLE)}"
        )
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        ApiToken.objects.filter(user_id=user_id).delete()
        token = ApiToken.objects.create(
            user_id=user_id, key_hash=hashlib.sha256(key.encode()).hexdigest(), prefix=key[:8]
        )
        if created is not None:
            ApiToken.objects.filter(pk=token.pk).update(created=_aware(created))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {quote(PLAIN_TABLE)}")
    MigrationRecorder(connection).migration_qs.filter(app="authtoken").delete()
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(connection.alias).filter(app_label="authtoken").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_api_token"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        # Not reversible in substance: the plain keys are gone, only their digests remain.
        migrations.RunPython(plain_tokens_hash, migrations.RunPython.noop),
    ]
