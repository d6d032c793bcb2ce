"""Reads for the video pages, scoped by owner, each a fixed number of queries.

The pages read stored rows only: daily statistics as imported and the metrics the recompute
engine wrote. Nothing here computes a metric.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.utils import timezone

from .models import PipelineStatus, Platform, Video, VideoDailyStat

CHART_DAYS = 90
# Cards a column shows before "show all": a long published column would bury the others.
COLUMN_LIMIT = 8


@dataclass
class BoardColumn:
    status: str
    label: str
    videos: list[Video] = field(default_factory=list)
    limit: int | None = COLUMN_LIMIT

    @property
    def count(self) -> int:
        return len(self.videos)

    @property
    def shown(self) -> list[Video]:
        return self.videos if self.limit is None else self.videos[: self.limit]

    @property
    def hidden_count(self) -> int:
        return self.count - len(self.shown)

    @property
    def expanded(self) -> bool:
        return self.limit is None and self.count > COLUMN_LIMIT


@dataclass
class DailySeries:
    """Per-day views and interactions over the chart window; None marks a day without a row."""

    days: list[date]
    views: list[int | None]
    interactions: list[int | None]

    @property
    def is_empty(self) -> bool:
        return not self.days


def platform_list() -> QuerySet[Platform]:
    return Platform.objects.order_by("name")


def video_list(
    *,
    owner,
    platform_slug: str | None = None,
    course_id: int | None = None,
    without_course: bool = False,
    search: str = "",
) -> QuerySet[Video]:
    """The creator's videos with platform and course joined in (one query)."""
    videos = Video.objects.owned_by(owner).select_related("platform", "course")
    if platform_slug:
        videos = videos.filter(platform__slug=platform_slug)
    if course_id:
        videos = videos.filter(course_id=course_id)
    if without_course:
        videos = videos.filter(course__isnull=True)
    search = search.strip()
    if search:
        videos = videos.filter(
            Q(title__icontains=search)
            | Q(topic__icontains=search)
            | Q(target_audience__icontains=search)
            | Q(hashtags__icontains=search)
        )
    return videos.order_by("-updated_at", "-id")


def videos_without_course_count(*, owner) -> int:
    """How many of the creator's videos sell no course yet (the board filter, the dashboard)."""
    return Video.objects.owned_by(owner).filter(course__isnull=True).count()


def _column_sort_key(video: Video) -> tuple:
    """Scheduled cards by their slot (unset last), published newest first, others by edit."""
    far = datetime.max.replace(tzinfo=timezone.get_current_timezone())
    if video.status == PipelineStatus.SCHEDULED:
        return (video.scheduled_at or far,)
    if video.status == PipelineStatus.PUBLISHED:
        stamp = video.published_at or video.updated_at
        return (-stamp.timestamp(),)
    return (-video.updated_at.timestamp(),)


def board_columns(
    videos: QuerySet[Video] | list[Video], *, expand: str | None = None
) -> list[BoardColumn]:
    """Split videos into the six pipeline columns, in pipeline order (no extra query).

    Each column shows its first COLUMN_LIMIT cards, except the ``expand`` one, which shows all.
    """
    columns = {
        value: BoardColumn(value, label, limit=None if value == expand else COLUMN_LIMIT)
        for value, label in PipelineStatus.choices
    }
    for video in videos:
        columns[video.status].videos.append(video)
    for column in columns.values():
        column.videos.sort(key=_column_sort_key)
    return list(columns.values())


def video_get(*, owner, video_id: int) -> Video:
    """The creator's video with platform, course and stored metrics (two queries).

    Raises Video.DoesNotExist for another creator's id, so it looks missing.
    """
    return (
        Video.objects.owned_by(owner)
        .select_related("platform", "course")
        .prefetch_related("metrics")
        .get(pk=video_id)
    )


def video_daily_series(*, video: Video, days: int = CHART_DAYS) -> DailySeries:
    """The ``days`` days up to the video's latest imported day, gaps as None (one query).

    Anchored on the latest row rather than today, so an older export still draws a chart.
    """
    rows = list(
        VideoDailyStat.objects.filter(video=video)
        .order_by("-date")
        .values("date", "views", "interactions")[:days]
    )
    if not rows:
        return DailySeries(days=[], views=[], interactions=[])
    last = rows[0]["date"]
    first = last - timedelta(days=days - 1)
    by_day = {row["date"]: row for row in rows if row["date"] >= first}
    first = min(by_day)
    span = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return DailySeries(
        days=span,
        views=[by_day[d]["views"] if d in by_day else None for d in span],
        interactions=[by_day[d]["interactions"] if d in by_day else None for d in span],
    )


# The value of analytics' MetricWindow.LIFETIME: the stored figures over a video's whole life.
# Videos reach them through the ``metrics`` relation, never by importing analytics.
LIFETIME_WINDOW = "lifetime"


def with_lifetime_metrics(queryset: QuerySet[Video], fields: Sequence[str]) -> QuerySet[Video]:
    """One LEFT JOIN to the stored lifetime metrics: ``lifetime_<field>`` on every row of a
    page in one query (None until the first recompute)."""
    return queryset.annotate(
        lifetime=FilteredRelation("metrics", condition=Q(metrics__window=LIFETIME_WINDOW))
    ).annotate(**{f"lifetime_{name}": F(f"lifetime__{name}") for name in fields})
