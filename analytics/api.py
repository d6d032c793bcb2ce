"""API for the stored results (read-only), the creator's weights and recompute runs."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from core.api import IdFilter, OwnedViewSetMixin
from courses import api as courses_api

from .creator_settings import creator_settings_get, creator_settings_update
from .models import (
    CreatorSettings,
    EngagementMetric,
    ExcludedDay,
    ForecastPoint,
    MetricWindow,
    PlatformRanking,
    RecomputeRun,
    SalesForecast,
)
from .selectors import excluded_day_list, forecast_get
from .services import excluded_day_add, excluded_day_remove, metrics_recompute_enqueue

# --- serializers -----------------------------------------------------------------------------


class EngagementMetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = EngagementMetric
        fields = [
            "id",
            "video",
            "window",
            "views",
            "views_unknown_days",
            "interactions",
            "comments",
            "likes",
            "frequency",
            "depth",
            "engagement",
            "content_quality",
            "composite_quality",
            "computed_at",
        ]
        read_only_fields = fields


class ForecastPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = ForecastPoint
        fields = ["day", "units", "lower", "upper", "cumulative_units", "revenue"]
        read_only_fields = fields


class SalesForecastSerializer(serializers.ModelSerializer):
    points = ForecastPointSerializer(many=True, read_only=True)

    class Meta:
        model = SalesForecast
        fields = [
            "id",
            "course",
            "model",
            "s0",
            "growth_rate",
            "growth_rate_overridden",
            "backtest_error_exponential",
            "backtest_error_alternative",
            "parameters",
            "explanation",
            "explanation_code",
            "explanation_numbers",
            "backtest",
            "left_out",
            "history_days",
            "units_next_30",
            "units_next_30_lower",
            "units_next_30_upper",
            "revenue_next_30",
            "computed_at",
            "points",
        ]
        read_only_fields = fields


class ExcludedDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = ExcludedDay
        fields = ["day", "reason", "created_at"]
        read_only_fields = ["created_at"]


class PlatformRankingSerializer(serializers.ModelSerializer):
    platform_name = serializers.CharField(source="platform.name", read_only=True)

    class Meta:
        model = PlatformRanking
        fields = [
            "id",
            "course",
            "platform",
            "platform_name",
            "rank",
            "score",
            "audience_match",
            "traffic_score",
            "commission_rate",
            "net_price",
            "computed_at",
        ]
        read_only_fields = fields


class CreatorSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreatorSettings
        fields = ["owner", *CreatorSettings.SETTING_FIELDS]
        read_only_fields = ["owner"]
        extra_kwargs = {
            **{name: {"min_value": 0} for name in CreatorSettings.WEIGHT_FIELDS},
            "attribution_window_days": {"min_value": 1, "max_value": 90},
        }


class RecomputeRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = RecomputeRun
        fields = ["id", "trigger", "status", "started_at", "finished_at", "rows_written", "error"]
        read_only_fields = fields


class RecomputeEnqueuedSerializer(serializers.Serializer):
    enqueued = serializers.BooleanField()


# --- filters ---------------------------------------------------------------------------------


class EngagementMetricFilter(filters.FilterSet):
    video = IdFilter()
    window = filters.ChoiceFilter(choices=MetricWindow.choices)

    class Meta:
        model = EngagementMetric
        fields = ["video", "window"]


class SalesForecastFilter(filters.FilterSet):
    course = IdFilter()

    class Meta:
        model = SalesForecast
        fields = ["course", "model"]


class PlatformRankingFilter(filters.FilterSet):
    course = IdFilter()
    platform = IdFilter()

    class Meta:
        model = PlatformRanking
        fields = ["course", "platform"]


class RecomputeRunFilter(filters.FilterSet):
    class Meta:
        model = RecomputeRun
        fields = ["status", "trigger"]


# --- views -----------------------------------------------------------------------------------


class EngagementMetricViewSet(OwnedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """F, D, D_F, CQ and CQ_F per video and window, as the last recompute stored them."""

    queryset = EngagementMetric.objects.all()
    serializer_class = EngagementMetricSerializer
    filterset_class = EngagementMetricFilter
    ordering_fields = ["engagement", "composite_quality", "views", "computed_at"]
    ordering = ["video_id", "window"]


class SalesForecastViewSet(OwnedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Each course's stored forecast with its daily points and band."""

    queryset = SalesForecast.objects.prefetch_related(
        Prefetch("points", queryset=ForecastPoint.objects.order_by("day"))
    )
    serializer_class = SalesForecastSerializer
    filterset_class = SalesForecastFilter
    ordering_fields = ["computed_at", "units_next_30", "revenue_next_30"]
    ordering = ["course_id"]


class PlatformRankingViewSet(OwnedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Platforms ranked per course by audience match, traffic and commission."""

    queryset = PlatformRanking.objects.select_related("platform")
    serializer_class = PlatformRankingSerializer
    filterset_class = PlatformRankingFilter
    ordering_fields = ["rank", "score", "net_price"]
    ordering = ["course_id", "rank"]


class RecomputeRunViewSet(OwnedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = RecomputeRun.objects.all()
    serializer_class = RecomputeRunSerializer
    filterset_class = RecomputeRunFilter
    ordering_fields = ["started_at"]
    ordering = ["-started_at"]

    @extend_schema(request=None, responses={202: RecomputeEnqueuedSerializer})
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def enqueue(self, request):
        """Ask a worker to recompute every figure of the requester (runs never overlap)."""
        metrics_recompute_enqueue(owner_id=request.user.pk, trigger="api")
        return Response({"enqueued": True}, status=status.HTTP_202_ACCEPTED)


class CreatorSettingsView(generics.RetrieveUpdateAPIView):
    """The requester's formula and ranking weights; saving new ones triggers a recompute."""

    serializer_class = CreatorSettingsSerializer
    queryset = CreatorSettings.objects.none()

    def get_object(self) -> CreatorSettings:
        return creator_settings_get(owner=self.request.user)

    def perform_update(self, serializer) -> None:
        settings = serializer.instance
        creator_settings_update(settings=settings, data=serializer.validated_data)
        serializer.instance = settings


class CourseViewSet(courses_api.CourseViewSet):
    """The requester's courses. Effective prices and the stored forecast hang off each one."""

    @extend_schema(
        responses={200: SalesForecastSerializer, 404: OpenApiResponse(description="No forecast")}
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def forecast(self, request, pk=None):
        """The stored sales forecast of the course with its daily points."""
        course = self.get_object()
        forecast = forecast_get(owner=request.user, course_id=course.pk)
        if forecast is None:
            raise NotFound("No forecast computed yet.")
        return Response(SalesForecastSerializer(forecast).data)

    @extend_schema(methods=["GET"], request=None, responses={200: ExcludedDaySerializer(many=True)})
    @extend_schema(
        methods=["POST"], request=ExcludedDaySerializer, responses={201: ExcludedDaySerializer}
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        parameters=[OpenApiParameter("day", OpenApiTypes.DATE, required=True)],
        responses={204: None, 404: OpenApiResponse(description="That day is not excluded")},
    )
    @action(
        detail=True,
        methods=["get", "post", "delete"],
        url_path="excluded-days",
        pagination_class=None,
        filter_backends=[],
    )
    def excluded_days(self, request, pk=None):
        """The creator's word on days of the course's forecast fit. POST leaves a day out;
        POST with reason ``restored`` keeps in a day the forecast leaves out by itself (before
        the launch, a stray early sale, a bulk order it down-weights). DELETE
        ?day=YYYY-MM-DD drops the row: an excluded day goes back in, a restored one is left to
        the forecast's own cleaning again. A recompute follows each change."""
        course = self.get_object()  # another creator's course: 404
        if request.method == "GET":
            rows = excluded_day_list(owner=request.user, course_id=course.pk)
            return Response(ExcludedDaySerializer(rows, many=True).data)
        if request.method == "DELETE":
            try:
                day = date.fromisoformat(request.query_params.get("day", ""))
            except ValueError:
                raise ValidationError({"day": "Give the day as YYYY-MM-DD."}) from None
            if not excluded_day_remove(owner=request.user, course_id=course.pk, day=day):
                raise NotFound("That day is not excluded.")
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = ExcludedDaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = excluded_day_add(
            owner=request.user,
            course_id=course.pk,
            day=serializer.validated_data["day"],
            reason=serializer.validated_data.get("reason", ExcludedDay.Reason.OTHER),
        )
        return Response(ExcludedDaySerializer(row).data, status=status.HTTP_201_CREATED)
