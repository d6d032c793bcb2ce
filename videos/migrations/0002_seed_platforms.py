"""The six platforms the product card names, with audience, reach and commission defaults."""

from decimal import Decimal

from django.db import migrations

PLATFORMS = [
    # name, slug, audience tags, traffic scale 1-10, commission, ideal length (s)
    ("Douyin", "douyin", ["mass market", "beginners", "career changers"], 10, "0.10", 45),
    ("Kuaishou", "kuaishou", ["mass market", "lower-tier cities", "beginners"], 8, "0.10", 60),
    ("Bilibili", "bilibili", ["students", "developers", "long-form learners"], 7, "0.30", 300),
    ("Xigua", "xigua", ["professionals", "long-form learners"], 5, "0.20", 240),
    ("WeChat Channels", "wechat-channels", ["professionals", "developers", "managers"], 7,
     "0.05", 60),
    ("YouTube Shorts", "youtube-shorts", ["overseas chinese", "developers", "english learners"],
     6, "0.30", 50),
]


def seed(apps, schema_editor):
    Platform = apps.get_model("videos", "Platform")
    for name, slug, tags, scale, commission, length in PLATFORMS:
        Platform.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "audience_tags": tags,
                "traffic_scale": scale,
                "commission_rate": Decimal(commission),
                "ideal_length_seconds": length,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("videos", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
