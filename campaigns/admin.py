from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import OwnedModelAdmin, OwnedTabularInline

from . import services
from .models import Campaign, InteractionTactic, LiveSession, ScheduledPost


class PostWritesMixin:
    """Posts in the admin follow the planner's rules (campaigns.services)."""

    def service_check(self, request, instance) -> None:
        if instance.campaign_id and instance.platform_id and instance.planned_at:
            services.post_check(
                campaign=instance.campaign,
                platform=instance.platform,
                planned_at=instance.planned_at,
                post=instance,
            )

    def service_save(self, request, instance, change: bool):
        return services.post_save(post=instance)

    def service_delete(self, request, instance) -> None:
        services.post_delete(post=instance)


class CampaignRowWrites:
    """Campaigns, live sessions and tactics save through the campaign services."""

    def service_save(self, request, instance, change: bool):
        if isinstance(instance, Campaign):
            return services.campaign_save(campaign=instance)
        return services.campaign_row_save(row=instance)

    def service_delete(self, request, instance) -> None:
        if isinstance(instance, Campaign):
            services.campaign_delete(campaign=instance)
        else:
            services.campaign_row_delete(row=instance)


class ScheduledPostInline(PostWritesMixin, OwnedTabularInline):
    model = ScheduledPost
    fields = (
        "planned_at",
        "platform",
        "video",
        "title",
        "hashtags",
        "phase_label",
        "is_suggestion",
    )
    readonly_fields = ("phase_label",)

    @admin.display(description=_("phase"))
    def phase_label(self, obj):
        return obj.get_phase_display() if obj.pk else "—"


class LiveSessionInline(CampaignRowWrites, OwnedTabularInline):
    model = LiveSession


class InteractionTacticInline(CampaignRowWrites, OwnedTabularInline):
    model = InteractionTactic


@admin.register(Campaign)
class CampaignAdmin(CampaignRowWrites, OwnedModelAdmin):
    list_display = ("name", "course", "launch_date", "prelaunch_days", "followup_days")
    search_fields = ("name", "course__title", "goal")
    list_select_related = ("course",)
    date_hierarchy = "launch_date"
    filter_horizontal = ("platforms",)
    inlines = [ScheduledPostInline, LiveSessionInline, InteractionTacticInline]


@admin.register(ScheduledPost)
class ScheduledPostAdmin(PostWritesMixin, OwnedModelAdmin):
    list_display = ("__str__", "campaign", "platform", "planned_at", "phase_label", "is_suggestion")
    list_filter = ("platform", "is_suggestion")
    search_fields = ("title", "hashtags", "video__title", "campaign__name")
    list_select_related = ("campaign", "platform", "video")
    date_hierarchy = "planned_at"

    @admin.display(description=_("phase"))
    def phase_label(self, obj):
        return obj.get_phase_display()


@admin.register(LiveSession)
class LiveSessionAdmin(CampaignRowWrites, OwnedModelAdmin):
    list_display = ("title", "campaign", "platform", "starts_at", "duration_minutes")
    list_filter = ("platform",)
    search_fields = ("title", "topic", "campaign__name")
    list_select_related = ("campaign", "platform")


@admin.register(InteractionTactic)
class InteractionTacticAdmin(CampaignRowWrites, OwnedModelAdmin):
    list_display = ("text", "kind", "campaign", "platform", "starts_at")
    list_filter = ("kind", "platform")
    search_fields = ("text", "campaign__name")
    list_select_related = ("campaign", "platform")
