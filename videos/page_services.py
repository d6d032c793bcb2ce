"""Writes behind the video pages: create an idea, move a card, edit a video.

Kept apart from ``videos/services.py`` (the import entry points). The pipeline rules live
here so the select, the drag-and-drop and the edit form refuse the same moves.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.services import metrics_recompute_enqueue

from .models import PipelineStatus, Platform, Video

EDITABLE_FIELDS = (
    "title",
    "topic",
    "target_audience",
    "hashtags",
    "script_opening",
    "script_body",
    "script_closing",
    "status",
    "scheduled_at",
    "published_at",
    "length_seconds",
    "production_level",
    "usefulness",
)
# L, Q and U feed CQ and CQ_F: changing them makes the stored metrics stale.
QUALITY_INPUTS = frozenset({"length_seconds", "production_level", "usefulness"})


def _status_change_check(*, video: Video, new_status: str) -> None:
    """Refuse the moves the pipeline does not allow; raises ValidationError on ``status``."""
    if new_status not in PipelineStatus.values:
        raise ValidationError({"status": _("Unknown pipeline status.")})
    leaving_published = (
        video.status == PipelineStatus.PUBLISHED and new_status != PipelineStatus.PUBLISHED
    )
    if leaving_published and video.daily_stats.exists():
        # Its statistics are real views of a live post; pretending it is unpublished would
        # leave numbers on a video the pipeline says nobody has seen.
        raise ValidationError(
            {"status": _("This video has imported statistics, so it stays published.")}
        )


@transaction.atomic
def video_create(
    *,
    owner,
    title: str,
    platform: Platform,
    course=None,
    topic: str = "",
    target_audience: str = "",
) -> Video:
    """A new idea on the board; the owner always comes from the request, never the input."""
    video = Video(
        owner=owner,
        title=title,
        platform=platform,
        course=course,
        topic=topic,
        target_audience=target_audience,
        status=PipelineStatus.IDEA,
    )
    video.full_clean()
    video.save()
    return video


@transaction.atomic
def video_move(*, video: Video, status: str) -> list[str]:
    """Move a card to another pipeline column; returns warnings worth showing the creator.

    Moving to published stamps the publish time when it is missing (the move *is* the
    publication); moving back before published clears it. Scheduled without a time is allowed
    but flagged, so an unfinished plan is visible rather than refused.
    """
    _status_change_check(video=video, new_status=status)
    warnings: list[str] = []
    if status == video.status:
        return warnings
    update_fields = ["status", "updated_at"]
    if status == PipelineStatus.PUBLISHED and not video.published_at:
        video.published_at = timezone.now()
        update_fields.append("published_at")
    elif status != PipelineStatus.PUBLISHED and video.published_at:
        video.published_at = None
        update_fields.append("published_at")
    if status == PipelineStatus.SCHEDULED and not video.scheduled_at:
        warnings.append(_("No publish time is set yet; add one on the video page."))
    video.status = status
    video.full_clean()
    video.save(update_fields=update_fields)
    return warnings


@transaction.atomic
def video_update(*, video: Video, data: dict[str, Any]) -> Video:
    """Apply the page's edits to the listed fields only, after the pipeline and model rules.

    A change to L, Q or U enqueues a recompute so CQ and CQ_F catch up after the commit.
    """
    changes = {
        name: value
        for name, value in data.items()
        if name in EDITABLE_FIELDS and getattr(video, name) != value
    }
    if "status" in changes:
        _status_change_check(video=video, new_status=changes["status"])
    if not changes:
        return video
    for name, value in changes.items():
        setattr(video, name, value)
    video.full_clean()
    video.save(update_fields=[*changes, "updated_at"])
    if QUALITY_INPUTS & changes.keys():
        metrics_recompute_enqueue(owner_id=video.owner_id, trigger="video_edit")
    return video
