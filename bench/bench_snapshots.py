"""Snapshot derivation benchmark: daily statistics from 1,000,000 snapshots (× SCALE).

10,000 videos × ~100 daily snapshots over 111 days of lifetime counts (a tenth of the days
missed, so gains are split over gaps; a few counts corrected downwards; some snapshots
without views). Compared, in the same run and on the same rows, with the one SQL statement a
hand-written derivation
would be: ``INSERT INTO`` the daily table ``SELECT`` the differences from ``LAG()`` over each
video's snapshots (no baselines, no gap splitting, no time zone, no corrections: the floor).
Both write into the same empty daily table, with its indexes; best of two runs each.
Goal (issue 13): derive ≤ 2× the LAG statement.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_snapshots.py
    SCALE=0.01 .venv/bin/python bench/bench_snapshots.py        # 10,000 snapshots
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import SCALE, figure, setup_django, vacuum_analyze

SNAPSHOTS = max(2_000, int(1_000_000 * SCALE))
PER_VIDEO = 100
SPAN_DAYS = 111  # a tenth of the days missed: ~100 snapshots a video
BENCH_USER = "bench-snapshots"
GOAL = 2.0


def seed():
    import numpy as np
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from videos.models import PipelineStatus, Platform, Video, VideoDailyStat, VideoSnapshot

    user_model = get_user_model()
    user_model.objects.filter(username=BENCH_USER).delete()
    owner = user_model.objects.create_user(BENCH_USER, password="x")
    platform = Platform.objects.get(slug="douyin")
    videos = SNAPSHOTS // PER_VIDEO
    with transaction.atomic():
        created = Video.objects.bulk_create(
            [
                Video(
                    owner=owner,
                    platform=platform,
                    platform_video_id=f"bench{i}",
                    title=f"bench {i}",
                    status=PipelineStatus.PUBLISHED,
                )
                for i in range(videos)
            ],
            batch_size=5_000,
        )
    ids = np.array([video.pk for video in created], dtype=np.int64)
    rng = np.random.default_rng(13)
    days = np.tile(np.arange(SPAN_DAYS), videos)
    video = np.repeat(ids, SPAN_DAYS)
    keep = (rng.random(len(days)) > 0.1) | (days == 0)  # a tenth of the days missed
    video, days = video[keep], days[keep]
    gains = rng.gamma(1.1, 400, size=(len(days), 7)).astype(np.int64)
    totals = np.zeros_like(gains)
    for column in range(7):
        frame = np.cumsum(gains[:, column])
        starts = np.r_[0, np.flatnonzero(video[1:] != video[:-1]) + 1]
        offset = np.repeat(
            frame[starts] - gains[starts, column], np.diff(np.r_[starts, len(video)])
        )
        totals[:, column] = frame - offset
    totals[rng.random(len(days)) < 0.002, 0] -= 50  # a platform correcting itself
    np.maximum(totals, 0, out=totals)
    table = VideoSnapshot._meta.db_table
    base = np.datetime64("2026-01-01T14:00:00")
    moments = (base + days.astype("timedelta64[D]")).astype(str)
    views = totals[:, 0].astype(object)
    views[rng.random(len(days)) < 0.01] = None  # some snapshots without views
    suffix = "+00:00" if connection.vendor == "postgresql" else ""
    moments = np.char.replace(moments, "T", " ")
    rows = [
        (int(v), f"{m}{suffix}", "connector", views[i], *map(int, totals[i, 1:]), "{}")
        for i, (v, m) in enumerate(zip(video, moments, strict=True))
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        VideoDailyStat.objects.filter(video__owner=owner).delete()
        columns = (
            "video_id, observed_at, source, views, likes, comments, shares, saves, coins, "
            "danmaku, corrections"
        )
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 11)})", rows
            )
    vacuum_analyze()
    return owner, ids.tolist(), len(rows)


def lag_statement(owner_id: int) -> None:
    from django.db import connection, transaction

    from videos.models import VideoDailyStat, VideoSnapshot

    daily, snaps = VideoDailyStat._meta.db_table, VideoSnapshot._meta.db_table
    day = "(s.observed_at)::date" if connection.vendor == "postgresql" else "date(s.observed_at)"
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    diff = ", ".join(
        f"{greatest}({name} - LAG({name}) OVER w, 0) AS {name}"
        for name in ("views", "likes", "comments", "shares", "saves")
    )
    sql = f"""
        INSERT INTO {daily} (video_id, date, views, likes, comments, shares, saves,
                             interactions, link_clicks, origin, estimated)
        SELECT video_id, day, views, likes, comments, shares, saves,
               likes + comments + shares + saves, 0, 'derived', false
        FROM (SELECT s.video_id AS video_id, {day} AS day, {diff}
              FROM {snaps} s JOIN videos_video v ON v.id = s.video_id
              WHERE v.owner_id = %s
              WINDOW w AS (PARTITION BY s.video_id ORDER BY s.observed_at)) AS d
        WHERE likes IS NOT NULL
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [owner_id])


def clear(owner) -> None:
    from videos.models import VideoDailyStat

    VideoDailyStat.objects.filter(video__owner=owner).delete()
    vacuum_analyze()


def main() -> None:
    setup_django("snapshots")
    from django.db import transaction

    from videos.models import VideoDailyStat
    from videos.snapshots import snapshots_derive

    owner, video_ids, count = seed()
    print(f"{count:,} snapshots of {len(video_ids):,} videos")
    best_lag = best_derive = float("inf")
    derived_rows = lag_rows = 0
    for _ in range(2):
        clear(owner)
        start = time.perf_counter()
        lag_statement(owner.pk)
        best_lag = min(best_lag, time.perf_counter() - start)
        lag_rows = VideoDailyStat.objects.filter(video__owner=owner).count()
        clear(owner)
        start = time.perf_counter()
        with transaction.atomic():
            outcome = snapshots_derive(owner_id=owner.pk, video_ids=video_ids)
        best_derive = min(best_derive, time.perf_counter() - start)
        derived_rows = outcome.days_created
    figure("snapshot_derive_seconds", best_derive, "s")
    figure("snapshot_lag_seconds", best_lag, "s")
    figure("snapshot_derive_rows", derived_rows, "rows")
    figure("snapshot_lag_rows", lag_rows, "rows")
    figure("snapshot_derive_vs_lag", best_derive / best_lag, f"ratio (goal ≤ {GOAL})")
    clear(owner)


if __name__ == "__main__":
    main()
