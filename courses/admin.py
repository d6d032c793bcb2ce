from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import OwnedModelAdmin, OwnedTabularInline

from .models import CompetitorPrice, Course, Discount, PriceTier, Sale


class PriceTierInline(OwnedTabularInline):
    model = PriceTier


class DiscountInline(OwnedTabularInline):
    model = Discount
    fields = ("name", "tier", "kind", "value", "starts_at", "ends_at", "code", "max_redemptions")


class CompetitorPriceInline(OwnedTabularInline):
    model = CompetitorPrice


@admin.register(Course)
class CourseAdmin(OwnedModelAdmin):
    list_display = ("title", "level", "topic", "status", "launch_date", "tier_count")
    list_filter = ("level", "status")
    search_fields = ("title", "topic", "target_audience")
    prepopulated_fields = {"slug": ("title",)}
    date_hierarchy = "launch_date"
    inlines = [PriceTierInline, DiscountInline, CompetitorPriceInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_tier_count=Count("tiers", distinct=True))

    @admin.display(description=_("tiers"), ordering="_tier_count")
    def tier_count(self, obj):
        return obj._tier_count


@admin.register(PriceTier)
class PriceTierAdmin(OwnedModelAdmin):
    list_display = ("name", "course", "level", "list_price", "currency")
    list_filter = ("level", "currency")
    search_fields = ("name", "course__title")
    list_select_related = ("course",)


@admin.register(Discount)
class DiscountAdmin(OwnedModelAdmin):
    list_display = ("name", "course", "tier", "kind", "value", "starts_at", "ends_at", "code")
    list_filter = ("kind",)
    search_fields = ("name", "code", "course__title")
    list_select_related = ("course", "tier__course")
    date_hierarchy = "starts_at"


@admin.register(CompetitorPrice)
class CompetitorPriceAdmin(OwnedModelAdmin):
    list_display = ("competitor", "course", "platform", "price", "currency", "observed_on")
    list_filter = ("platform",)
    search_fields = ("competitor", "course__title")
    list_select_related = ("course", "platform")


@admin.register(Sale)
class SaleAdmin(OwnedModelAdmin):
    list_display = ("sold_at", "course", "tier", "platform", "quantity", "unit_price", "order_ref")
    list_filter = ("platform",)
    search_fields = ("order_ref", "tracking_code", "course__title")
    list_select_related = ("course", "tier__course", "platform")
    date_hierarchy = "sold_at"
    autocomplete_fields = ("source_video",)
