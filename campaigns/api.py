"""API for campaigns (with their phase windows and gaps), posts, live sessions and tactics."""

from __future__ import annotations

from datetime import timedelta

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import (
    IdFilter,
    MomentRangeFilter,
    OwnedModelSerializer,
    OwnedViewSetMixin,
)

from . import services
from .models import Campaign, InteractionTactic, LiveSession, Phase, ScheduledPost
from .selectors import campaign_gaps

# --- serializers -----------------------------------------------------------------------------


class WindowSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class CampaignWindowsSerializer(serializers.Serializer):
    """The campaign's phases as date ranges (inclusive); a window of 0 days is null."""

    prelaunch = WindowSerializer(allow_null=True)
    launch = serializers.DateField()
    followup = WindowSerializer(allow_null=True)

    def to_representation(self, campaign: Campaign) -> dict:
        launch = campaign.launch_date
        prelaunch = followup = None
        if campaign.prelaunch_days:
            prelaunch = {
                "start": launch - timedelta(days=campaign.prelaunch_days),
                "end": launch - timedelta(days=1),
            }
        if campaign.followup_days:
            followup = {
                "start": launch + timedelta(days=1),
                "end": launch + timedelta(days=campaign.followup_days),
            }
        return super().to_representation(
            {"prelaunch": prelaunch, "launch": launch, "followup": followup}
        )


class CampaignSerializer(OwnedModelSerializer):
    windows = CampaignWindowsSerializer(source="*", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "owner",
            "course",
            "name",
            "launch_date",
            "prelaunch_days",
            "followup_days",
            "windows",
            "platforms",
            "goal",
            "goal_units",
            "hashtags",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]


class GapSerializer(serializers.Serializer):
    day = serializers.DateField()
    platform = serializers.IntegerField(source="platform.id")
    platform_name = serializers.CharField(source="platform.name")
    phase = serializers.ChoiceField(choices=Phase.choices)
    is_past = serializers.BooleanField()


class ScheduledPostSerializer(OwnedModelSerializer):
    phase = serializers.ChoiceField(
        choices=Phase.choices,
        read_only=True,
        allow_null=True,
        help_text="Derived from planned_at and the campaign's windows.",
    )

    class Meta:
        model = ScheduledPost
        fields = [
            "id",
            "campaign",
            "video",
            "platform",
            "planned_at",
            "phase",
            "title",
            "hashtags",
            "is_suggestion",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class LiveSessionSerializer(OwnedModelSerializer):
    class Meta:
        model = LiveSession
        fields = ["id", "campaign", "platform", "title", "starts_at", "duration_minutes", "topic"]
        read_only_fields = ["id"]
        extra_kwargs = {"duration_minutes": {"min_value": 1}}


class InteractionTacticSerializer(OwnedModelSerializer):
    class Meta:
        model = InteractionTactic
        fields = ["id", "campaign", "kind", "text", "platform", "starts_at", "duration_minutes"]
        read_only_fields = ["id"]


# --- filters ---------------------------------------------------------------------------------


class CampaignFilter(filters.FilterSet):
    course = IdFilter()
    launch_date = filters.DateFromToRangeFilter()

    class Meta:
        model = Campaign
        fields = ["course", "launch_date"]


class CampaignChildFilter(filters.FilterSet):
    campaign = IdFilter()
    platform = IdFilter()


class ScheduledPostFilter(CampaignChildFilter):
    video = IdFilter()
    planned_at = MomentRangeFilter()

    class Meta:
        model = ScheduledPost
        fields = ["campaign", "platform", "video", "is_suggestion", "planned_at"]


class LiveSessionFilter(CampaignChildFilter):
    starts_at = MomentRangeFilter()

    class Meta:
        model = LiveSession
        fields = ["campaign", "platform", "starts_at"]


class InteractionTacticFilter(CampaignChildFilter):
    class Meta:
        model = InteractionTactic
        fields = ["campaign", "platform", "kind"]


# --- views -----------------------------------------------------------------------------------


class CampaignViewSet(OwnedViewSetMixin, viewsets.ModelViewSet):
    """Launch campaigns: pre-launch, launch day and follow-up windows around a launch date."""

    queryset = Campaign.objects.prefetch_related("platforms")
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    ordering_fields = ["launch_date", "name", "created_at"]
    ordering = ["-launch_date", "-id"]

    def perform_create(self, serializer) -> None:
        campaign = services.campaign_create(owner=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=campaign.pk)

    def perform_update(self, serializer) -> None:
        campaign = services.campaign_update(
            campaign=serializer.instance, data=serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=campaign.pk)

    def perform_destroy(self, instance) -> None:
        services.campaign_delete(campaign=instance)

    @extend_schema(responses=GapSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def gaps(self, request, pk=None):
        """Days in the campaign's windows with no post on one of its platforms."""
        campaign = self.get_object()
        return Response(GapSerializer(campaign_gaps(campaign=campaign), many=True).data)


class ScheduledPostViewSet(OwnedViewSetMixin, viewsets.ModelViewSet):
    """Posts planned in a campaign; the phase follows from the date and is never stored."""

    queryset = ScheduledPost.objects.select_related("campaign")
    serializer_class = ScheduledPostSerializer
    filterset_class = ScheduledPostFilter
    ordering_fields = ["planned_at", "created_at"]
    ordering = ["planned_at", "id"]

    # The planner's rules (day over, platform outside the campaign) hold here too.
    def perform_create(self, serializer) -> None:
        post = services.post_create(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=post.pk)

    def perform_update(self, serializer) -> None:
        post = services.post_update(post=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=post.pk)

    def perform_destroy(self, instance) -> None:
        services.post_delete(post=instance)


class CampaignRowWritesMixin:
    """Live sessions and tactics write through the campaign services (campaign.changed)."""

    def perform_create(self, serializer) -> None:
        row = services.campaign_row_create(
            model=self.get_queryset().model, data=serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=row.pk)

    def perform_update(self, serializer) -> None:
        row = services.campaign_row_update(row=serializer.instance, data=serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=row.pk)

    def perform_destroy(self, instance) -> None:
        services.campaign_row_delete(row=instance)


class LiveSessionViewSet(CampaignRowWritesMixin, OwnedViewSetMixin, viewsets.ModelViewSet):
    queryset = LiveSession.objects.all()
    serializer_class = LiveSessionSerializer
    filterset_class = LiveSessionFilter
    ordering_fields = ["starts_at"]
    ordering = ["starts_at", "id"]


class InteractionTacticViewSet(CampaignRowWritesMixin, OwnedViewSetMixin, viewsets.ModelViewSet):
    """Hashtags and topics to push, and comment-reply slots, per campaign."""

    queryset = InteractionTactic.objects.all()
    serializer_class = InteractionTacticSerializer
    filterset_class = InteractionTacticFilter
    ordering_fields = ["starts_at", "kind"]
    ordering = ["campaign_id", "kind", "starts_at", "id"]
