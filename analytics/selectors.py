"""Reads of stored results, scoped by owner. No recomputation happens here."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import EngagementMetric, ExcludedDay, ForecastPoint, MetricWindow, SalesForecast

UNDERPERFORMING_RATIO = 0.5  # D_F below half the creator's median
UNDERPERFORMING_MIN_VIEWS = 100  # too few views say nothing yet


def engagement_list(*, owner, window: str = MetricWindow.LIFETIME) -> QuerySet[EngagementMetric]:
    return (
        EngagementMetric.objects.owned_by(owner)
        .filter(window=window)
        .select_related("video", "video__platform")
    )


def underperforming_videos(
    *,
    owner,
    window: str = MetricWindow.LAST_28,
    ratio: float = UNDERPERFORMING_RATIO,
    min_views: int = UNDERPERFORMING_MIN_VIEWS,
) -> tuple[float, list[EngagementMetric]]:
    """Videos whose D_F is well below the creator's median D_F over the same window.

    Returns (median, metrics sorted worst first). Only videos with at least ``min_views``
    known views in the window take part, in the median and in the list. Two queries.
    """
    # Known views imply a known D_F; the second condition keeps unknown figures out regardless.
    measured = engagement_list(owner=owner, window=window).filter(
        views__gte=min_views, engagement__isnull=False
    )
    values = sorted(measured.values_list("engagement", flat=True))
    if not values:
        return 0.0, []
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    below = list(measured.filter(engagement__lt=median * ratio).order_by("engagement"))
    return median, below


def forecast_get(*, owner, course_id: int) -> SalesForecast | None:
    """The stored forecast with its points (two queries)."""
    return (
        SalesForecast.objects.owned_by(owner)
        .filter(course_id=course_id)
        .prefetch_related(Prefetch("points", queryset=ForecastPoint.objects.order_by("day")))
        .first()
    )


def ranking_list(*, owner, course_id: int, order: str = "rank"):
    from .models import PlatformRanking

    allowed = {
        "rank": "rank",
        "score": "-score",
        "net_price": "-net_price",
        "audience_match": "-audience_match",
        "traffic_score": "-traffic_score",
        "commission_rate": "commission_rate",
    }
    return (
        PlatformRanking.objects.owned_by(owner)
        .filter(course_id=course_id)
        .select_related("platform")
        .order_by(allowed.get(order, "rank"), "rank")
    )


def last_recompute(*, owner):
    from .models import RecomputeRun

    return RecomputeRun.objects.owned_by(owner).order_by("-started_at").first()


def excluded_day_list(*, owner, course_id: int) -> QuerySet[ExcludedDay]:
    return ExcludedDay.objects.filter(course__owner=owner, course_id=course_id).order_by("day")
