"""Reads for pages: tracking links and funnel figures, always scoped by owner."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from campaigns import phases
from campaigns.models import ScheduledPost

from .models import AttributionMethod, FunnelScope, FunnelStat, SaleAttribution, TrackingLink

SUGGESTIONS_PER_KIND = 3
COURSE_VIDEO_ROWS = 10
PHASE_ORDER = (phases.PRELAUNCH, phases.LAUNCH, phases.FOLLOWUP)


def link_list(*, owner) -> QuerySet[TrackingLink]:
    return TrackingLink.objects.owned_by(owner).select_related(
        "video__platform", "post__platform", "post__campaign"
    )


def funnel_list(*, owner, scope: str | None = None) -> QuerySet[FunnelStat]:
    rows = FunnelStat.objects.owned_by(owner)
    return rows.filter(scope=scope) if scope else rows


@dataclass
class VideoTracking:
    link: TrackingLink | None
    funnel: FunnelStat | None


def video_tracking(*, owner, video_id: int) -> VideoTracking:
    """The video's own link and its funnel row (two queries)."""
    link = (
        TrackingLink.objects.owned_by(owner)
        .filter(video_id=video_id, post__isnull=True)
        .annotate(click_count=Count("clicks"))
        .first()
    )
    funnel = funnel_list(owner=owner, scope=FunnelScope.VIDEO).filter(video_id=video_id).first()
    return VideoTracking(link=link, funnel=funnel)


@dataclass
class CourseFunnel:
    total: FunnelStat | None
    videos: list[FunnelStat]
    platforms: list[FunnelStat]
    unknown_codes: int
    inferred: int = 0
    methods: dict[str, int] = field(default_factory=dict)


def course_funnel(*, owner, course_id: int) -> CourseFunnel:
    """The course's funnel: its total, the best videos and each platform (three queries) and
    how its sales were attributed (one)."""
    rows = funnel_list(owner=owner).filter(course_id=course_id)
    total = rows.filter(scope=FunnelScope.COURSE).first()
    videos = list(
        rows.filter(scope=FunnelScope.VIDEO)
        .filter(views__gt=0)
        .select_related("video__platform")
        .order_by("-net_revenue", "-clicks", "-views")[:COURSE_VIDEO_ROWS]
    )
    platforms = list(
        rows.filter(scope=FunnelScope.PLATFORM)
        .select_related("platform")
        .order_by("-net_revenue", "-views")
    )
    methods = dict(
        SaleAttribution.objects.owned_by(owner)
        .filter(sale__course_id=course_id)
        .values_list("method")
        .annotate(n=Count("sale"))
        .order_by()
    )
    return CourseFunnel(
        total=total,
        videos=videos,
        platforms=platforms,
        unknown_codes=methods.get(AttributionMethod.UNKNOWN_CODE, 0),
        inferred=methods.get(AttributionMethod.LAST_CLICK, 0),
        methods=methods,
    )


@dataclass
class CampaignTracking:
    phases: list[FunnelStat]
    links: list[TrackingLink]  # the posts' links, in posting order
    posts_without_link: int


def campaign_tracking(*, owner, campaign_id: int) -> CampaignTracking:
    """The campaign's funnel per phase, its posts' links with their click counts, and how many
    planned posts have no link yet (three queries)."""
    rows = {
        row.phase: row
        for row in funnel_list(owner=owner, scope=FunnelScope.PHASE).filter(campaign_id=campaign_id)
    }
    links = list(
        TrackingLink.objects.owned_by(owner)
        .filter(post__campaign_id=campaign_id)
        .select_related("post__platform", "post__video")
        .annotate(click_count=Count("clicks"))
        .order_by("post__planned_at", "id")
    )
    without = (
        ScheduledPost.objects.owned_by(owner)
        .filter(campaign_id=campaign_id, is_suggestion=False, tracking_links__isnull=True)
        .count()
    )
    return CampaignTracking(
        phases=[rows[p] for p in PHASE_ORDER if p in rows], links=links, posts_without_link=without
    )


@dataclass
class Suggestions:
    topics: list[FunnelStat]
    platforms: list[FunnelStat]
    hours: list[FunnelStat]
    by_revenue: bool  # False: no credited sales yet, ranked by engagement

    @property
    def empty(self) -> bool:
        return not (self.topics or self.platforms or self.hours)

    @property
    def groups(self) -> list[tuple[str, list[FunnelStat], str]]:
        return [
            (_("Topics"), self.topics, "topic"),
            (_("Platforms"), self.platforms, "platform"),
            (_("Posting hours"), self.hours, "hour"),
        ]


def posting_suggestions(*, owner) -> Suggestions:
    """What to post next: the best topics, platforms and posting hours by their stored score
    (one query)."""
    rows = list(
        funnel_list(owner=owner)
        .filter(scope__in=[FunnelScope.TOPIC, FunnelScope.PLATFORM, FunnelScope.HOUR])
        .filter(course__isnull=True, views__gt=0)
        .select_related("platform")
        .order_by("-score", "-views")
    )
    pick = {scope: [] for scope in (FunnelScope.TOPIC, FunnelScope.PLATFORM, FunnelScope.HOUR)}
    for row in rows:
        if len(pick[row.scope]) < SUGGESTIONS_PER_KIND:
            pick[row.scope].append(row)
    return Suggestions(
        topics=pick[FunnelScope.TOPIC],
        platforms=pick[FunnelScope.PLATFORM],
        hours=pick[FunnelScope.HOUR],
        by_revenue=any(row.sales for row in rows),
    )
