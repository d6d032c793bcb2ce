from datetime import timedelta

from django.contrib import admin
from django.utils import timezone

from core.admin import OwnedModelAdmin, ReadOnlyTabularInline

from . import services
from .models import Platform, Video, VideoDailyStat, VideoSnapshot
from .selectors import with_lifetime_metrics


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "traffic_scale", "commission_rate", "ideal_length_seconds")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


class DailyStatInline(ReadOnlyTabularInline):
    model = VideoDailyStat
    fields = (
        "date",
        "views",
        "interactions",
        "comments",
        "likes",
        "shares",
        "saves",
        "link_clicks",
        "origin",
        "estimated",
    )
    readonly_fields = fields
    ordering = ("-date",)
    max_num = 0
    show_change_link = False

    def get_queryset(self, request):
        # The last 90 days are what a creator checks; older rows stay in the list view.
        since = timezone.localdate() - timedelta(days=90)
        return super().get_queryset(request).filter(date__gte=since).order_by("-date")


@admin.register(Video)
class VideoAdmin(OwnedModelAdmin):
    list_display = (
        "title",
        "platform",
        "course",
        "status",
        "topic",
        "published_at",
        "engagement",
        "composite_quality",
    )
    list_filter = ("status", "platform", "production_level")
    search_fields = ("title", "topic", "hashtags", "platform_video_id")
    list_select_related = ("platform", "course")
    date_hierarchy = "published_at"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "course",
                    "platform",
                    "platform_video_id",
                    "status",
                    "scheduled_at",
                    "published_at",
                )
            },
        ),
        ("Audience and topic", {"fields": ("topic", "target_audience", "hashtags")}),
        ("Quality inputs", {"fields": ("length_seconds", "production_level", "usefulness")}),
        ("Script outline", {"fields": ("script_opening", "script_body", "script_closing")}),
    )
    inlines = [DailyStatInline]

    # The board's pipeline rules hold here too (videos.services).
    def service_check(self, request, instance) -> None:
        services.video_status_check(video=instance, new_status=instance.status)

    def service_save(self, request, instance, change: bool):
        return services.video_save(video=instance)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return with_lifetime_metrics(queryset, ("engagement", "composite_quality"))

    @admin.display(description="D_F", ordering="lifetime_engagement")
    def engagement(self, obj):
        return _figure(obj.lifetime_engagement)

    @admin.display(description="CQ_F", ordering="lifetime_composite_quality")
    def composite_quality(self, obj):
        return _figure(obj.lifetime_composite_quality)


def _figure(value):
    """Stored figures to 3 places; a dash until the first recompute."""
    return "—" if value is None else f"{value:.3f}"


@admin.register(VideoDailyStat)
class VideoDailyStatAdmin(OwnedModelAdmin):
    list_display = (
        "video",
        "date",
        "views",
        "interactions",
        "comments",
        "likes",
        "shares",
        "saves",
        "link_clicks",
        "origin",
        "estimated",
    )
    list_filter = ("video__platform", "origin", "estimated")
    search_fields = ("video__title", "video__platform_video_id")
    list_select_related = ("video",)
    date_hierarchy = "date"
    autocomplete_fields = ("video",)

    # Statistics written here announce stats.changed like every other way in.
    def service_save(self, request, instance, change: bool):
        return services.daily_stat_save(stat=instance, owner=instance.video.owner)

    def service_delete(self, request, instance) -> None:
        services.daily_stat_delete(stat=instance)


@admin.register(VideoSnapshot)
class VideoSnapshotAdmin(OwnedModelAdmin):
    """What the platforms reported, as they reported it: read only (snapshots arrive from
    files and connectors; the days derived from them are the daily statistics)."""

    list_display = (
        "video",
        "observed_at",
        "source",
        "views",
        "likes",
        "comments",
        "shares",
        "saves",
        "coins",
        "danmaku",
        "corrections",
    )
    list_filter = ("source", "video__platform")
    search_fields = ("video__title", "video__platform_video_id")
    list_select_related = ("video",)
    date_hierarchy = "observed_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
