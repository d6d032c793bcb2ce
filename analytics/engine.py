"""Vectorised recompute of engagement and quality: one query per input table, pandas math,
upserts on natural keys. No per-video ORM loop.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from videos.models import Video, VideoDailyStat

from . import formulas
from .models import CreatorSettings, EngagementMetric, MetricWindow

# Window → number of days counted back from (and including) today; None = everything.
WINDOW_DAYS = {MetricWindow.LIFETIME: None, MetricWindow.LAST_7: 7, MetricWindow.LAST_28: 28}
UPSERT_BATCH = 2000
METRIC_FIELDS = [
    "views",
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
_DEFAULTS = {
    f.name: f.default
    for f in CreatorSettings._meta.get_fields()
    if f.name in CreatorSettings.WEIGHT_FIELDS
}


def _weights_frame(owner_ids: list[int]) -> pd.DataFrame:
    rows = CreatorSettings.objects.filter(owner_id__in=owner_ids).values("owner_id", *_DEFAULTS)
    frame = pd.DataFrame(list(rows), columns=["owner_id", *_DEFAULTS])
    missing = sorted(set(owner_ids) - set(frame["owner_id"]))
    if missing:
        frame = pd.concat([frame, pd.DataFrame([{"owner_id": o, **_DEFAULTS} for o in missing])])
    return frame.set_index("owner_id")


def engagement_frame(*, owner_ids: list[int], today: date) -> pd.DataFrame:
    """One row per (video, window) with counts and the five figures."""
    videos = pd.DataFrame(
        list(
            Video.objects.filter(owner_id__in=owner_ids).values(
                "id", "owner_id", "length_seconds", "production_level", "usefulness"
            )
        ),
        columns=["id", "owner_id", "length_seconds", "production_level", "usefulness"],
    ).rename(columns={"id": "video_id"})
    if videos.empty:
        return pd.DataFrame()
    stats = pd.DataFrame(
        list(
            VideoDailyStat.objects.filter(
                video__owner_id__in=owner_ids, date__lte=today
            ).values_list("video_id", "date", "views", "interactions", "comments", "likes")
        ),
        columns=["video_id", "date", "views", "interactions", "comments", "likes"],
    )
    weights = _weights_frame(owner_ids)
    videos = videos.join(weights, on="owner_id")
    cq = formulas.content_quality_array(
        videos["length_seconds"] / 60, videos["production_level"], videos["usefulness"]
    )
    videos["content_quality"] = cq

    frames = []
    counts = ["views", "interactions", "comments", "likes"]
    for window, days in WINDOW_DAYS.items():
        scoped = stats if days is None else stats[stats["date"] > today - timedelta(days=days)]
        sums = scoped.groupby("video_id")[counts].sum()
        frame = videos.join(sums, on="video_id")
        frame[counts] = frame[counts].fillna(0).astype(np.int64)
        frame["window"] = str(window)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    frame["frequency"] = formulas.interaction_frequency_array(frame["interactions"], frame["views"])
    frame["depth"] = formulas.interaction_depth_array(
        frame["comments"], frame["likes"], frame["interactions"]
    )
    frame["engagement"] = (
        frame["engagement_weight_f"] * frame["frequency"]
        + frame["engagement_weight_d"] * frame["depth"]
    )
    frame["composite_quality"] = (
        frame["quality_weight_f"] * frame["frequency"]
        + frame["quality_weight_d"] * frame["depth"]
        + frame["quality_weight_cq"] * frame["content_quality"]
    )
    return frame


def engagement_upsert(frame: pd.DataFrame) -> int:
    """Insert or update every (video, window) row; running it twice changes nothing."""
    if frame.empty:
        return 0
    now = timezone.now()
    columns = ["video_id", "window", *METRIC_FIELDS[:-1]]
    written = 0
    with transaction.atomic():
        for start in range(0, len(frame), UPSERT_BATCH):
            chunk = frame.iloc[start : start + UPSERT_BATCH][columns]
            # to_dict gives native Python numbers, which every database driver adapts.
            objs = [EngagementMetric(**row, computed_at=now) for row in chunk.to_dict("records")]
            EngagementMetric.objects.bulk_create(
                objs,
                update_conflicts=True,
                unique_fields=["video", "window"],
                update_fields=METRIC_FIELDS,
            )
            written += len(objs)
    return written


def engagement_recompute(*, owner_ids: list[int], today: date | None = None) -> int:
    today = today or timezone.localdate()
    return engagement_upsert(engagement_frame(owner_ids=owner_ids, today=today))
