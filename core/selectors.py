"""Reads shared across apps."""

from __future__ import annotations

from django.db.models import Count, Q


def creator_overview(*, owner) -> dict[str, int]:
    """Row counts for the creator's home page, in one query per table."""
    from campaigns.models import Campaign
    from courses.models import Course
    from videos.models import PipelineStatus, Video

    videos = Video.objects.owned_by(owner).aggregate(
        total=Count("id"), published=Count("id", filter=Q(status=PipelineStatus.PUBLISHED))
    )
    return {
        "courses": Course.objects.owned_by(owner).count(),
        "videos": videos["total"],
        "published_videos": videos["published"],
        "campaigns": Campaign.objects.owned_by(owner).count(),
    }
