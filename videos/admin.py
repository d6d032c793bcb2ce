from django.contrib import admin

from core.admin import OwnedModelAdmin, ReadOnlyTabularInline

from .models import Platform, Video, VideoDailyStat


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
    )
    readonly_fields = fields
    ordering = ("-date",)
    max_num = 0
    show_change_link = False

    def get_queryset(self, request):
        # The last 90 days are what a creator checks; older rows stay in the list view.
        return super().get_queryset(request).order_by("-date")


@admin.register(Video)
class VideoAdmin(OwnedModelAdmin):
    list_display = ("title", "platform", "course", "status", "topic", "published_at")
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
    )
    list_filter = ("video__platform",)
    search_fields = ("video__title", "video__platform_video_id")
    list_select_related = ("video",)
    date_hierarchy = "date"
    autocomplete_fields = ("video",)
