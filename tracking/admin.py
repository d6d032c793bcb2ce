from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core import codes
from core.admin import OwnedModelAdmin

from .models import FunnelStat, LinkClick, TrackingLink


@admin.register(TrackingLink)
class TrackingLinkAdmin(OwnedModelAdmin):
    list_display = ("printable_code", "video", "post", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("code", "video__title", "post__title")
    readonly_fields = ("code", "created_at")
    autocomplete_fields = ("video", "post")

    def save_model(self, request, obj, form, change):
        if not obj.code:
            obj.code = codes.code_generate()
        super().save_model(request, obj, form, change)

    @admin.display(description=_("code"), ordering="code")
    def printable_code(self, obj):
        return obj.printable_code


@admin.register(LinkClick)
class LinkClickAdmin(OwnedModelAdmin):
    """Read-only: clicks are counted by the redirect, never typed in."""

    list_display = ("link", "clicked_at", "visitor")
    date_hierarchy = "clicked_at"
    list_select_related = ("link",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FunnelStat)
class FunnelStatAdmin(OwnedModelAdmin):
    """Read-only: the recompute fills it."""

    list_display = (
        "scope",
        "key",
        "views",
        "clicks",
        "sales",
        "sales_inferred",
        "net_revenue",
        "computed_at",
    )
    list_filter = ("scope",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
