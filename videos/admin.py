from datetime import timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from analytics.selectors import video_metric_annotations
from core.admin import OwnedModelAdmin, ReadOnlyTabularInline

from .importing.results import ImportIssue
from .models import ImportJob, Platform, Video, VideoDailyStat


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

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**video_metric_annotations())

    @admin.display(description="D_F", ordering="metric_engagement")
    def engagement(self, obj):
        return _figure(obj.metric_engagement)

    @admin.display(description="CQ_F", ordering="metric_composite_quality")
    def composite_quality(self, obj):
        return _figure(obj.metric_composite_quality)


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
    )
    list_filter = ("video__platform",)
    search_fields = ("video__title", "video__platform_video_id")
    list_select_related = ("video",)
    date_hierarchy = "date"
    autocomplete_fields = ("video",)


@admin.register(ImportJob)
class ImportJobAdmin(OwnedModelAdmin):
    """Results only: jobs are created by the import page, the API or the commands, and their
    outcome is what the worker found, so nothing here is editable."""

    list_display = (
        "created_at",
        "original_filename",
        "kind",
        "platform",
        "status",
        "progress",
        "dry_run",
        "error_count",
    )
    list_filter = ("status", "kind", "dry_run")
    search_fields = ("original_filename",)
    list_select_related = ("platform",)
    date_hierarchy = "created_at"
    fields = (
        "original_filename",
        "kind",
        "platform",
        "mode",
        "detected_mode",
        "dry_run",
        "status",
        "progress",
        "started_at",
        "finished_at",
        "summary",
        "error_list",
        "file",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rows checked"))
    def progress(self, job: ImportJob) -> str:
        return f"{job.rows_done:,} / {job.rows_total:,}"

    @admin.display(description=_("result"))
    def summary(self, job: ImportJob) -> str:
        return job.result.get("summary", "")

    @admin.display(description=_("errors"))
    def error_list(self, job: ImportJob) -> str:
        if not job.errors:
            return "—"
        items = format_html_join(
            "",
            "<li>{}</li>",
            ((str(ImportIssue(e.get("row"), e.get("column"), e["message"])),) for e in job.errors),
        )
        more = job.error_count - len(job.errors)
        tail = format_html("<li>… and {} more</li>", more) if more > 0 else ""
        return format_html("<ul>{}{}</ul>", items, tail)
