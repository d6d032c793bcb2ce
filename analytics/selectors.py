"""Reads of stored results, scoped by owner. No recomputation happens here."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import EngagementMetric, MetricWindow, SalesForecast

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
    views in the window take part, in the median and in the list. Two queries.
    """
    measured = engagement_list(owner=owner, window=window).filter(views__gte=min_views)
    values = sorted(measured.values_list("engagement", flat=True))
    if not values:
        return 0.0, []
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    below = list(measured.filter(engagement__lt=median * ratio).order_by("engagement"))
    return median, below


def forecast_get(*, owner, course_id: int) -> SalesForecast | None:
    return (
        SalesForecast.objects.owned_by(owner)
        .filter(course_id=course_id)
        .prefetch_related("points")
        .first()
    )
