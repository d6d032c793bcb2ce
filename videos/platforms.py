"""The six platforms the product card names, with audience, reach and commission defaults.

Used by the data migration that seeds them and by tests that flush the database.
"""

from decimal import Decimal

from django.utils.translation import pgettext_lazy

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
]  # fmt: skip


# What a creator reads: each platform's name in the page's language (抖音 in Chinese).
LABELS = {
    "douyin": pgettext_lazy("platform", "Douyin"),
    "kuaishou": pgettext_lazy("platform", "Kuaishou"),
    "bilibili": pgettext_lazy("platform", "Bilibili"),
    "xigua": pgettext_lazy("platform", "Xigua"),
    "wechat-channels": pgettext_lazy("platform", "WeChat Channels"),
    "youtube-shorts": pgettext_lazy("platform", "YouTube Shorts"),
}


def platforms_ensure(platform_model) -> None:
    """Create or refresh the platforms (the model class is passed in so migrations can use
    their historical model)."""
    for name, slug, tags, scale, commission, length in PLATFORMS:
        platform_model.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "audience_tags": tags,
                "traffic_scale": scale,
                "commission_rate": Decimal(commission),
                "ideal_length_seconds": length,
            },
        )
