"""Seed the six platforms the product card names."""

from django.db import migrations

from videos.platforms import platforms_ensure


def seed(apps, schema_editor):
    platforms_ensure(apps.get_model("videos", "Platform"))


class Migration(migrations.Migration):
    dependencies = [("videos", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
