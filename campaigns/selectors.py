"""Reads for campaigns, scoped by owner."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from videos.models import Platform

from .models import Campaign, ScheduledPost


def campaign_list(*, owner) -> QuerySet[Campaign]:
    return Campaign.objects.owned_by(owner).select_related("course").prefetch_related("platforms")


@dataclass(frozen=True)
class Gap:
    day: date
    platform: Platform
    phase: str
    is_past: bool


def campaign_posts_by_cell(*, campaign: Campaign) -> dict[tuple[date, int], list[ScheduledPost]]:
    """Posts keyed by (local day, platform id); suggestions count only once accepted."""
    cells: dict[tuple[date, int], list[ScheduledPost]] = defaultdict(list)
    for post in campaign.posts.filter(is_suggestion=False).select_related("video"):
        cells[(timezone.localdate(post.planned_at), post.platform_id)].append(post)
    return cells


def campaign_gaps(*, campaign: Campaign, today: date | None = None) -> list[Gap]:
    """Days in the campaign's windows with no post on one of its chosen platforms.

    Two queries whatever the campaign's size: its platforms and its posts.
    """
    today = today or timezone.localdate()
    platforms = list(campaign.platforms.order_by("name"))
    cells = campaign_posts_by_cell(campaign=campaign)
    return [
        Gap(day=day, platform=platform, phase=campaign.phase_of_day(day), is_past=day < today)
        for day in campaign.days
        for platform in platforms
        if not cells.get((day, platform.id))
    ]


MAX_CHIPS = 3


@dataclass
class PlannerCell:
    day: date
    platform: Platform
    posts: list[ScheduledPost]
    suggestions: list[ScheduledPost]
    phase: str
    is_past: bool

    @property
    def shown(self) -> list[ScheduledPost]:
        return (self.posts + self.suggestions)[:MAX_CHIPS]

    @property
    def more(self) -> int:
        return max(len(self.posts) + len(self.suggestions) - MAX_CHIPS, 0)

    @property
    def is_gap(self) -> bool:
        """Nothing planned: no post, and no suggestion waiting to be accepted or discarded (a
        suggestion takes the "+" box's place and leaves the gap count)."""
        return not self.posts and not self.suggestions


@dataclass
class PlannerDay:
    day: date
    phase: str
    is_past: bool
    is_today: bool


@dataclass
class SpanBar:
    label: str
    title: str
    start: int  # index of the first campaign day it covers
    span: int  # number of days


@dataclass
class Planner:
    campaign: Campaign
    days: list[PlannerDay]
    phase_spans: list[tuple[str, int]]  # (phase, number of days) in order
    rows: list[tuple[Platform, list[PlannerCell]]]
    live: list[list]  # live sessions of each campaign day, in day order
    discount_bars: list[SpanBar]
    suggestions: int
    gaps: int

    @property
    def table_width(self) -> int:
        """Fixed column widths (row head 130 px, days 124 px): chips truncate, never stretch."""
        return 130 + 124 * len(self.days)

    @property
    def discount_lanes(self) -> list[list[tuple[SpanBar | None, int]]]:
        """Discount bars laid out as table rows: each lane is (bar or None, colspan) segments
        covering every day; overlapping discounts go to separate lanes."""
        lanes: list[list[SpanBar]] = []
        for bar in self.discount_bars:
            for lane in lanes:
                if lane[-1].start + lane[-1].span <= bar.start:
                    lane.append(bar)
                    break
            else:
                lanes.append([bar])
        laid_out = []
        for lane in lanes:
            segments: list[tuple[SpanBar | None, int]] = []
            position = 0
            for bar in lane:
                if bar.start > position:
                    segments.append((None, bar.start - position))
                segments.append((bar, bar.span))
                position = bar.start + bar.span
            if position < len(self.days):
                segments.append((None, len(self.days) - position))
            laid_out.append(segments)
        return laid_out


def planner(*, campaign: Campaign, today: date | None = None) -> Planner:
    """The campaign's calendar: days × chosen platforms with posts, gaps, live sessions and
    discount periods. Five queries whatever the number of posts."""
    today = today or timezone.localdate()
    days = campaign.days
    index = {d: i for i, d in enumerate(days)}
    platforms = list(campaign.platforms.order_by("name"))
    posts: dict[tuple[date, int], list[ScheduledPost]] = defaultdict(list)
    suggestions: dict[tuple[date, int], list[ScheduledPost]] = defaultdict(list)
    first = timezone.make_aware(datetime.combine(days[0] - timedelta(days=1), time.min))
    last = timezone.make_aware(datetime.combine(days[-1] + timedelta(days=2), time.min))
    for post in campaign.posts.filter(planned_at__gte=first, planned_at__lt=last).select_related(
        "video"
    ):
        key = (timezone.localdate(post.planned_at), post.platform_id)
        (suggestions if post.is_suggestion else posts)[key].append(post)
    planner_days = [PlannerDay(d, campaign.phase_of_day(d), d < today, d == today) for d in days]
    spans: list[tuple[str, int]] = []
    for d in planner_days:
        if spans and spans[-1][0] == d.phase:
            spans[-1] = (d.phase, spans[-1][1] + 1)
        else:
            spans.append((d.phase, 1))
    rows = []
    gaps = 0
    for platform in platforms:
        cells = []
        for d in planner_days:
            cell = PlannerCell(
                day=d.day,
                platform=platform,
                posts=posts.get((d.day, platform.id), []),
                suggestions=suggestions.get((d.day, platform.id), []),
                phase=d.phase,
                is_past=d.is_past,
            )
            gaps += cell.is_gap
            cells.append(cell)
        rows.append((platform, cells))
    live: dict[int, list] = defaultdict(list)
    for session in campaign.live_sessions.select_related("platform").filter(
        starts_at__gte=first, starts_at__lt=last
    ):
        day = timezone.localdate(session.starts_at)
        if day in index:
            live[index[day]].append(session)
    bars = []
    for discount in campaign.course.discounts.filter(ends_at__gt=first, starts_at__lt=last):
        start_day = max(timezone.localdate(discount.starts_at), days[0])
        end_moment = timezone.localtime(discount.ends_at) - timedelta(microseconds=1)
        end_day = min(end_moment.date(), days[-1])
        if end_day < start_day:
            continue
        bars.append(
            SpanBar(
                label=str(discount),
                title=f"{timezone.localtime(discount.starts_at):%Y-%m-%d %H:%M} – "
                f"{timezone.localtime(discount.ends_at):%Y-%m-%d %H:%M}",
                start=index[start_day],
                span=(end_day - start_day).days + 1,
            )
        )
    bars.sort(key=lambda b: b.start)
    return Planner(
        campaign=campaign,
        days=planner_days,
        phase_spans=spans,
        rows=rows,
        live=[live.get(i, []) for i in range(len(days))],
        discount_bars=bars,
        suggestions=sum(len(v) for v in suggestions.values()),
        gaps=gaps,
    )
