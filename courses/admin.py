from datetime import timedelta

from django.contrib import admin
from django.db.models import Count
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import OwnedModelAdmin, OwnedTabularInline
from core.panels import panels_context

from . import services
from .models import CompetitorPrice, Course, Discount, PriceTier, Sale


class CourseRowWrites:
    """Courses, tiers, discounts and competitor prices save through the course services."""

    def service_save(self, request, instance, change: bool):
        return services.course_row_save(row=instance)

    def service_delete(self, request, instance) -> None:
        services.course_row_delete(row=instance)


class PriceTierInline(CourseRowWrites, OwnedTabularInline):
    model = PriceTier
    # The order is changed on the course's edit page (moving one tier renumbers the others);
    # here it is shown, and a new tier goes to the end.
    readonly_fields = ("position",)


class DiscountInline(CourseRowWrites, OwnedTabularInline):
    model = Discount
    fields = ("name", "tier", "kind", "value", "starts_at", "ends_at", "code", "max_redemptions")


class CompetitorPriceInline(CourseRowWrites, OwnedTabularInline):
    model = CompetitorPrice


class SaleInline(OwnedTabularInline):
    """The course's sales of the last week, and a row to add one; older sales are on the
    sales list (a course may have thousands)."""

    model = Sale
    verbose_name_plural = _("sales of the last 7 days")
    fields = ("sold_at", "tier", "platform", "quantity", "unit_price", "order_ref", "tracking_code")
    extra = 0
    recent_days = 7

    def get_queryset(self, request):
        since = timezone.now() - timedelta(days=self.recent_days)
        return super().get_queryset(request).filter(sold_at__gte=since)

    def service_save(self, request, instance, change: bool):
        return services.sale_save(sale=instance)

    def service_save_rows(self, request, rows: list) -> None:
        services.sales_save(sales=rows)


@admin.register(Course)
class CourseAdmin(CourseRowWrites, OwnedModelAdmin):
    list_display = (
        "title",
        "level",
        "topic",
        "status",
        "launch_date",
        "tier_count",
        "forecast_units_30",
    )
    list_filter = ("level", "status")
    search_fields = ("title", "topic", "target_audience")
    prepopulated_fields = {"slug": ("title",)}
    date_hierarchy = "launch_date"
    inlines = [PriceTierInline, DiscountInline, CompetitorPriceInline, SaleInline]
    readonly_fields = ("forecast_summary", "last_recompute")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        main = [f for f in fieldsets[0][1]["fields"] if f not in self.readonly_fields]
        return [
            (None, {"fields": main}),
            (_("Forecast (recomputed by the workers)"),
             {"fields": ["forecast_summary", "last_recompute"]}),
        ]  # fmt: skip

    @admin.display(description=_("sales forecast"))
    def forecast_summary(self, obj):
        forecast = getattr(obj, "forecast", None) if obj and obj.pk else None
        if forecast is None:
            return _("Not computed yet.")
        rate = (
            gettext("%(model)s: r = %(rate)s / day (set by you)")
            if forecast.growth_rate_overridden
            else gettext("%(model)s: r = %(rate)s / day")
        ) % {"model": forecast.get_model_display(), "rate": f"{forecast.growth_rate:.4f}"}
        lines = [
            rate,
            gettext("Next 30 days: %(units)s units (%(low)s–%(high)s), net revenue ¥%(revenue)s")
            % {
                "units": f"{forecast.units_next_30:,.0f}",
                "low": f"{forecast.units_next_30_lower:,.0f}",
                "high": f"{forecast.units_next_30_upper:,.0f}",
                "revenue": f"{forecast.revenue_next_30:,.2f}",
            },
            # In the reader's language from its code: analytics (a layer above this one)
            # provides the words through a panel; the stored English sentence otherwise.
            panels_context("course.admin.forecast", forecast=forecast).get(
                "explanation", forecast.explanation
            ),
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    @admin.display(description=_("last recompute"))
    def last_recompute(self, obj):
        # Runs belong to analytics, above courses: reached through the owner's relation.
        runs = obj.owner.recompute_runs.order_by("-started_at") if obj and obj.pk else None
        run = runs.first() if runs is not None else None
        if run is None:
            return _("Never.")
        when = timezone.localtime(run.finished_at or run.started_at)
        return f"{run.get_status_display()} · {date_format(when, 'DATETIME_FORMAT')}" + (
            f" · {run.error}" if run.error else ""
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("forecast")
            .annotate(_tier_count=Count("tiers", distinct=True))
        )

    @admin.display(description=_("units, next 30 days"), ordering="forecast__units_next_30")
    def forecast_units_30(self, obj):
        forecast = getattr(obj, "forecast", None)
        return "—" if forecast is None else f"{forecast.units_next_30:.0f}"

    @admin.display(description=_("tiers"), ordering="_tier_count")
    def tier_count(self, obj):
        return obj._tier_count


@admin.register(PriceTier)
class PriceTierAdmin(CourseRowWrites, OwnedModelAdmin):
    list_display = ("name", "course", "position", "level", "list_price", "currency")
    list_filter = ("level", "currency")
    search_fields = ("name", "course__title")
    list_select_related = ("course",)
    readonly_fields = ("position",)


@admin.register(Discount)
class DiscountAdmin(CourseRowWrites, OwnedModelAdmin):
    list_display = ("name", "course", "tier", "kind", "value", "starts_at", "ends_at", "code")
    list_filter = ("kind",)
    search_fields = ("name", "code", "course__title")
    list_select_related = ("course", "tier__course")
    date_hierarchy = "starts_at"


@admin.register(CompetitorPrice)
class CompetitorPriceAdmin(CourseRowWrites, OwnedModelAdmin):
    list_display = ("competitor", "course", "platform", "price", "currency", "observed_on")
    list_filter = ("platform",)
    search_fields = ("competitor", "course__title")
    list_select_related = ("course", "platform")


@admin.register(Sale)
class SaleAdmin(OwnedModelAdmin):
    list_display = (
        "sold_at",
        "course",
        "tier",
        "platform",
        "quantity",
        "unit_price",
        "order_ref",
        "credited_to",
    )
    list_filter = ("platform", "attribution__method")
    search_fields = ("order_ref", "tracking_code", "course__title")
    list_select_related = ("course", "tier__course", "platform", "attribution__video")
    date_hierarchy = "sold_at"
    autocomplete_fields = ("source_video",)
    # What a shop connection sent is the shop's to change: its key, currency and refunds are
    # shown, not edited (a refund goes through sale_refund).
    readonly_fields = (
        "credited_to",
        "connection",
        "currency",
        "original_amount",
        "original_currency",
        "exchange_rate",
        "refunded_at",
        "refund_amount",
        "refund_ids",
        "channel",
    )

    @admin.display(description=_("credited to"), ordering="attribution__method")
    def credited_to(self, obj):
        """Which video the recompute credited the sale to, and by which rule."""
        attribution = getattr(obj, "attribution", None) if obj and obj.pk else None
        if attribution is None:
            return _("Not computed yet.")
        video = attribution.video.title if attribution.video_id else "—"
        return f"{video} ({attribution.get_method_display()})"

    # Recorded sales announce sale.recorded like the API's and the importer's.
    def service_save(self, request, instance, change: bool):
        return services.sale_save(sale=instance)
