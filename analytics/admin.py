from django.contrib import admin

from core.admin import OwnedModelAdmin

from .models import (
    CreatorSettings,
    EngagementMetric,
    ForecastPoint,
    PlatformRanking,
    RecomputeRun,
    SalesForecast,
)


class ResultAdmin(OwnedModelAdmin):
    """Results are written by the engine; creators read them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CreatorSettings)
class CreatorSettingsAdmin(OwnedModelAdmin):
    list_display = ("owner", "engagement_weight_f", "engagement_weight_d", "quality_weight_cq")


@admin.register(EngagementMetric)
class EngagementMetricAdmin(ResultAdmin):
    list_display = (
        "video",
        "window",
        "views",
        "frequency",
        "depth",
        "engagement",
        "content_quality",
        "composite_quality",
        "computed_at",
    )
    list_filter = ("window", "video__platform")
    search_fields = ("video__title",)
    list_select_related = ("video",)


@admin.register(SalesForecast)
class SalesForecastAdmin(ResultAdmin):
    list_display = (
        "course",
        "model",
        "s0",
        "growth_rate",
        "units_next_30",
        "revenue_next_30",
        "computed_at",
    )
    list_filter = ("model",)
    search_fields = ("course__title",)
    list_select_related = ("course",)


@admin.register(ForecastPoint)
class ForecastPointAdmin(ResultAdmin):
    list_display = ("forecast", "day", "units", "lower", "upper", "cumulative_units", "revenue")
    list_select_related = ("forecast__course",)
    date_hierarchy = "day"


@admin.register(PlatformRanking)
class PlatformRankingAdmin(ResultAdmin):
    list_display = ("course", "rank", "platform", "score", "audience_match", "net_price")
    list_filter = ("platform",)
    list_select_related = ("course", "platform")


@admin.register(RecomputeRun)
class RecomputeRunAdmin(ResultAdmin):
    list_display = ("started_at", "owner", "trigger", "status", "rows_written", "finished_at")
    list_filter = ("status", "trigger")
