"""API for platforms (shared, read-only), videos and their daily statistics."""

from __future__ import annotations

from django.conf import settings
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import (
    MAX_ID,
    IdCursorPagination,
    IdFilter,
    MomentRangeFilter,
    OwnedModelSerializer,
    OwnedViewSetMixin,
    rows_validate,
)

from . import services
from .models import PipelineStatus, Platform, Video, VideoDailyStat
from .selectors import with_lifetime_metrics
from .services import stats_bulk_upsert

# --- serializers -----------------------------------------------------------------------------


class PlatformSerializer(serializers.ModelSerializer):
    class Meta:
        model = Platform
        fields = [
            "id",
            "name",
            "slug",
            "audience_tags",
            "traffic_scale",
            "commission_rate",
            "ideal_length_seconds",
        ]
        read_only_fields = fields


METRIC_FIELDS = (
    "views",
    "interactions",
    "frequency",
    "depth",
    "engagement",
    "content_quality",
    "composite_quality",
    "computed_at",
)


class VideoMetricsSerializer(serializers.Serializer):
    """The video's lifetime figures from the last recompute, read from annotations (no query
    per video); null before the first recompute."""

    views = serializers.IntegerField(source="lifetime_views", allow_null=True)
    interactions = serializers.IntegerField(source="lifetime_interactions")
    frequency = serializers.FloatField(source="lifetime_frequency", allow_null=True)
    depth = serializers.FloatField(source="lifetime_depth")
    engagement = serializers.FloatField(source="lifetime_engagement", allow_null=True)
    content_quality = serializers.FloatField(source="lifetime_content_quality")
    composite_quality = serializers.FloatField(source="lifetime_composite_quality", allow_null=True)
    computed_at = serializers.DateTimeField(source="lifetime_computed_at")

    def to_representation(self, instance):
        if getattr(instance, "lifetime_computed_at", None) is None:
            return None
        return super().to_representation(instance)


class VideoSerializer(OwnedModelSerializer):
    metrics = VideoMetricsSerializer(source="*", read_only=True, allow_null=True)
    length_minutes = serializers.FloatField(read_only=True)

    class Meta:
        model = Video
        fields = [
            "id",
            "owner",
            "course",
            "platform",
            "platform_video_id",
            "title",
            "topic",
            "target_audience",
            "length_seconds",
            "length_minutes",
            "production_level",
            "usefulness",
            "hashtags",
            "script_opening",
            "script_body",
            "script_closing",
            "status",
            "scheduled_at",
            "published_at",
            "metrics",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]


COUNT_KWARGS = {"min_value": 0, "max_value": settings.IMPORT_MAX_COUNT}


class VideoDailyStatSerializer(OwnedModelSerializer):
    class Meta:
        model = VideoDailyStat
        fields = ["id", "video", "date", *VideoDailyStat.COUNT_FIELDS, "origin", "estimated"]
        # Where the day came from (imported, or derived from snapshots) is the writer's call.
        read_only_fields = ["id", "origin", "estimated"]
        extra_kwargs = {
            **{name: COUNT_KWARGS for name in VideoDailyStat.COUNT_FIELDS},
            # null: the source does not report views (unknown, not zero; F leaves the day out).
            "views": {
                **COUNT_KWARGS,
                "allow_null": True,
                "help_text": "null when the source does not report views (unknown, not 0).",
            },
        }


class StatRowSerializer(serializers.Serializer):
    """One row of a bulk statistics request, with the import's rules."""

    video = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    date = serializers.DateField()
    views = serializers.IntegerField(
        **COUNT_KWARGS, allow_null=True, help_text="null: the source does not report views."
    )
    interactions = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Absent or null: likes + comments + shares + saves.",
        **COUNT_KWARGS,
    )
    comments = serializers.IntegerField(default=0, **COUNT_KWARGS)
    likes = serializers.IntegerField(default=0, **COUNT_KWARGS)
    shares = serializers.IntegerField(default=0, **COUNT_KWARGS)
    saves = serializers.IntegerField(default=0, **COUNT_KWARGS)
    link_clicks = serializers.IntegerField(default=0, **COUNT_KWARGS)


class StatsBulkSerializer(serializers.Serializer):
    rows = StatRowSerializer(many=True, help_text="Up to API_BULK_MAX_ROWS rows.")


class StatsBulkResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


# --- filters ---------------------------------------------------------------------------------


class VideoFilter(filters.FilterSet):
    course = IdFilter()
    platform = IdFilter()
    status = filters.ChoiceFilter(choices=PipelineStatus.choices)
    published_at = MomentRangeFilter()

    class Meta:
        model = Video
        fields = ["course", "platform", "status", "topic", "platform_video_id", "published_at"]


class VideoDailyStatFilter(filters.FilterSet):
    video = IdFilter()
    date = filters.DateFromToRangeFilter(help_text="date_after / date_before, inclusive.")

    class Meta:
        model = VideoDailyStat
        fields = ["video", "date"]


# --- views -----------------------------------------------------------------------------------


class PlatformViewSet(viewsets.ReadOnlyModelViewSet):
    """The platforms CourseReel knows: shared reference data, the same for every creator."""

    queryset = Platform.objects.all()
    serializer_class = PlatformSerializer
    filterset_fields = ["slug"]
    ordering_fields = ["name", "traffic_scale", "commission_rate"]
    ordering = ["name"]


class VideoViewSet(OwnedViewSetMixin, viewsets.ModelViewSet):
    """The requester's videos with their lifetime engagement and quality figures."""

    queryset = with_lifetime_metrics(Video.objects.all(), METRIC_FIELDS)
    serializer_class = VideoSerializer
    filterset_class = VideoFilter
    ordering_fields = [
        "title",
        "created_at",
        "published_at",
        "status",
        "lifetime_engagement",
        "lifetime_composite_quality",
    ]
    ordering = ["-published_at", "-created_at"]

    # The board's rules (pipeline moves) hold here too.
    def perform_create(self, serializer) -> None:
        video = services.video_create(owner=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=video.pk)

    def perform_update(self, serializer) -> None:
        video = services.video_update(video=serializer.instance, data=serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=video.pk)


class VideoDailyStatViewSet(OwnedViewSetMixin, viewsets.ModelViewSet):
    """One video's numbers for one day. Lists page by cursor (stable while rows arrive)."""

    queryset = VideoDailyStat.objects.all()
    serializer_class = VideoDailyStatSerializer
    filterset_class = VideoDailyStatFilter
    filter_backends = [filters.DjangoFilterBackend]
    pagination_class = IdCursorPagination

    @extend_schema(
        request=StatsBulkSerializer,
        responses={200: StatsBulkResultSerializer},
        description=(
            "Insert or update up to API_BULK_MAX_ROWS daily rows on (video, date), all or "
            'nothing. A refused batch answers 400 with `{"error": {"code": "invalid_rows", '
            '"rows": [{"index", "fields"}]}}` naming every bad row; rows whose numbers did '
            "not change are left alone. The creator's figures are recomputed afterwards."
        ),
    )
    # One day's row through the same service as the admin: stats.changed is announced.
    def perform_create(self, serializer) -> None:
        stat = services.daily_stat_save(
            stat=VideoDailyStat(**serializer.validated_data), owner=self.request.user
        )
        serializer.instance = self.get_queryset().get(pk=stat.pk)

    def perform_update(self, serializer) -> None:
        stat = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(stat, name, value)
        stat = services.daily_stat_save(stat=stat, owner=self.request.user)
        serializer.instance = self.get_queryset().get(pk=stat.pk)

    def perform_destroy(self, instance) -> None:
        services.daily_stat_delete(stat=instance)

    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def bulk(self, request):
        rows = rows_validate(StatRowSerializer, request.data)
        outcome = stats_bulk_upsert(owner=request.user, rows=rows)
        return Response(
            {
                "received": outcome.received,
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
            }
        )
