"""Reads for campaigns, scoped by owner."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

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
