"""Writes for videos: ideas, pipeline moves and edits (the pages, the API and the admin call
the same functions, so they refuse the same moves), and daily statistics (API batches, file
imports and the admin). Each write announces itself on the event hub: ``video.changed`` when
figures depend on what changed, ``stats.changed`` with the videos and days whose numbers moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import RowsInvalid, merge_row_errors, row_error
from core.events import Event, emit

from . import stats_writer
from .models import PipelineStatus, Platform, StatOrigin, Video, VideoDailyStat

COUNT_FIELDS = VideoDailyStat.COUNT_FIELDS
# The parts an absent interactions count is the sum of (DESIGN.md: I = likes + comments +
# shares + saves).
INTERACTION_PARTS = ("likes", "comments", "shares", "saves")

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
# L, Q and U feed CQ and CQ_F; the course, platform and publication feed the funnel and the
# rankings: changing them makes the stored figures stale.
QUALITY_INPUTS = frozenset({"length_seconds", "production_level", "usefulness"})
FIGURE_INPUTS = QUALITY_INPUTS | {"course", "platform", "status", "published_at"}
PROTECTED_FIELDS = frozenset({"id", "owner", "created_at", "updated_at"})


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
    status: str = PipelineStatus.IDEA,
    **fields: Any,
) -> Video:
    """A new video (an idea on the board by default; the API may give any other field). The
    owner always comes from the request, never the input."""
    fields.pop("owner", None)
    video = Video(
        owner=owner,
        title=title,
        platform=platform,
        course=course,
        topic=topic,
        target_audience=target_audience,
        status=status,
        **fields,
    )
    video.full_clean()
    video.save()
    if status == PipelineStatus.PUBLISHED:
        emit(Event.VIDEO_CHANGED, owner_id=owner.pk, payload={"videos": [video.pk]})
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
def video_save(*, video: Video) -> Video:
    """Save a video whose fields a form has already set (the admin): the pipeline and model
    rules of ``video_update``, and ``video.changed`` when figure inputs moved."""
    stored = Video.objects.filter(pk=video.pk).first() if video.pk else None
    if stored is not None and stored.status != video.status:
        _status_change_check(video=stored, new_status=video.status)
    video.full_clean()
    video.save()
    moved = stored is None or any(
        getattr(stored, name) != getattr(video, name) for name in FIGURE_INPUTS
    )
    if moved:
        emit(Event.VIDEO_CHANGED, owner_id=video.owner_id, payload={"videos": [video.pk]})
    return video


def video_status_check(*, video: Video, new_status: str) -> None:
    """The pipeline rule alone, for a form that validates before it saves (the admin)."""
    stored = Video.objects.filter(pk=video.pk).first() if video.pk else None
    if stored is not None and stored.status != new_status:
        _status_change_check(video=stored, new_status=new_status)


@transaction.atomic
def video_update(*, video: Video, data: dict[str, Any]) -> Video:
    """Apply edits (the page's form fields, the API's writable fields, the admin's form)
    after the pipeline and model rules.

    A change to what the figures are computed from (L, Q, U, the course, the platform, the
    publication) announces ``video.changed`` so they catch up after the commit.
    """
    changes = {
        name: value
        for name, value in data.items()
        if name not in PROTECTED_FIELDS and getattr(video, name) != value
    }
    if "status" in changes:
        _status_change_check(video=video, new_status=changes["status"])
    if not changes:
        return video
    for name, value in changes.items():
        setattr(video, name, value)
    video.full_clean()
    video.save(update_fields=[*changes, "updated_at"])
    if FIGURE_INPUTS & changes.keys():
        # L, Q and U feed CQ and CQ_F: the stored figures are stale until the recompute.
        emit(Event.VIDEO_CHANGED, owner_id=video.owner_id, payload={"videos": [video.pk]})
    return video


# --- daily statistics -------------------------------------------------------------------------


def stats_changed_payload(*, video_ids, days) -> dict[str, Any]:
    """``stats.changed``: the videos and the days (ISO dates) whose numbers were written."""
    epoch = date(1970, 1, 1)
    return {
        "videos": sorted({int(v) for v in np.unique(np.asarray(video_ids, dtype=np.int64))}),
        "days": [
            (epoch + timedelta(days=int(d))).isoformat()
            for d in np.unique(np.asarray(days, dtype=np.int64))
        ],
    }


@transaction.atomic
def stats_upsert(
    *,
    owner_id: int,
    video_ids: np.ndarray,
    days: np.ndarray,
    counts: np.ndarray,
    origin: str = StatOrigin.IMPORTED,
    estimated: np.ndarray | None = None,
) -> stats_writer.UpsertCounts:
    """Insert or update daily rows of the creator's own videos (ids already checked by the
    caller) in the caller's transaction; ``stats.changed`` when anything was written.

    ``days`` count from 1970-01-01; ``counts`` has one column per ``COUNT_FIELDS`` name
    (views may be ``stats_writer.UNKNOWN``). Imported rows replace derived ones; derived rows
    (from ``videos.snapshots``) never replace imported ones. Returns (created, updated,
    replaced); unchanged rows are left alone.
    """
    outcome = stats_writer.stats_upsert(
        video_ids=video_ids, days=days, counts=counts, origin=str(origin), estimated=estimated
    )
    created, updated = outcome.created, outcome.updated
    if created or updated:
        emit(
            Event.STATS_CHANGED,
            owner_id=owner_id,
            payload=stats_changed_payload(video_ids=video_ids, days=days),
        )
    return outcome


@transaction.atomic
def daily_stat_save(*, stat: VideoDailyStat, owner) -> VideoDailyStat:
    """One day's numbers of one video, from the admin: the video must be the creator's."""
    if stat.video_id is None or stat.video.owner_id != owner.pk:
        raise ValidationError({"video": _("Choose one of your own videos.")})
    if not stat.interactions:
        stat.interactions = sum(getattr(stat, name) or 0 for name in INTERACTION_PARTS)
    stat.full_clean()
    stat.save()
    day = (stat.date - date(1970, 1, 1)).days
    emit(
        Event.STATS_CHANGED,
        owner_id=owner.pk,
        payload=stats_changed_payload(video_ids=[stat.video_id], days=[day]),
    )
    return stat


@transaction.atomic
def daily_stat_delete(*, stat: VideoDailyStat) -> None:
    owner_id, video_id = stat.video.owner_id, stat.video_id
    day = (stat.date - date(1970, 1, 1)).days
    stat.delete()
    emit(
        Event.STATS_CHANGED,
        owner_id=owner_id,
        payload=stats_changed_payload(video_ids=[video_id], days=[day]),
    )


@transaction.atomic
def videos_create_imported(*, owner_id: int, videos: list[Video]) -> list[Video]:
    """Videos an import found in a file (already checked by it), created in batches."""
    created = Video.objects.bulk_create(videos, batch_size=500)
    if created:
        emit(
            Event.VIDEO_CHANGED,
            owner_id=owner_id,
            payload={"videos": [video.pk for video in created]},
        )
    return created


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class BulkOutcome:
    received: int
    created: int
    updated: int

    @property
    def unchanged(self) -> int:
        return self.received - self.created - self.updated


def stats_bulk_upsert(*, owner, rows: Sequence[dict[str, Any]]) -> BulkOutcome:
    """Insert or update ``rows`` ({video: id, date, views, …}) for the creator's own videos.

    Raises :class:`RowsInvalid` naming each bad row (a video that is not the creator's, a
    (video, date) pair given twice) before anything is written. Two queries plus the upsert,
    whatever the batch size.
    """
    wanted = {row["video"] for row in rows}
    own = set(Video.objects.owned_by(owner).filter(pk__in=wanted).values_list("pk", flat=True))
    errors = []
    seen: dict[tuple[int, date], int] = {}
    for index, row in enumerate(rows):
        key = (row["video"], row["date"])
        if row["video"] not in own:
            errors.append(
                row_error(index, "video", f'Invalid pk "{row["video"]}" - object does not exist.')
            )
        elif key in seen:
            errors.append(
                row_error(index, "date", f"This video and date already appear in row {seen[key]}.")
            )
        else:
            seen[key] = index
    if errors:
        raise RowsInvalid(merge_row_errors(errors))

    video_ids = np.fromiter((row["video"] for row in rows), dtype=np.int64, count=len(rows))
    days = np.fromiter(
        (row["date"].toordinal() - EPOCH_ORDINAL for row in rows), dtype=np.int64, count=len(rows)
    )
    counts = np.array([_counts(row) for row in rows], dtype=np.int64).reshape(
        len(rows), len(COUNT_FIELDS)
    )
    outcome = stats_upsert(owner_id=owner.pk, video_ids=video_ids, days=days, counts=counts)
    return BulkOutcome(received=len(rows), created=outcome.created, updated=outcome.updated)


def _counts(row: dict[str, Any]) -> list[int]:
    values = {name: row.get(name) or 0 for name in COUNT_FIELDS}
    if "views" in row and row["views"] is None:
        values["views"] = stats_writer.UNKNOWN  # not reported: stored as unknown, not 0
    if row.get("interactions") is None:
        values["interactions"] = sum(values[name] for name in INTERACTION_PARTS)
    return [values[name] for name in COUNT_FIELDS]


COURSE_NOT_YOURS = gettext_lazy("Choose one of your own courses.")
VIDEO_NOT_YOURS = gettext_lazy("Choose your own videos.")


@transaction.atomic
def videos_course_assign(*, owner, videos: Sequence[Video], course) -> int:
    """Set the course the videos sell (None clears it); the course must be the creator's and
    so must every video. Each change goes through ``video_update`` (figures catch up)."""
    if course is not None and course.owner_id != owner.pk:
        raise ValidationError({"course": COURSE_NOT_YOURS})
    changed = 0
    for video in videos:
        if video.owner_id != owner.pk:
            raise ValidationError({"videos": VIDEO_NOT_YOURS})
        if video.course_id != (course.pk if course else None):
            video_update(video=video, data={"course": course})
            changed += 1
    return changed
