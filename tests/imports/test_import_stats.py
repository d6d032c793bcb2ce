"""Daily-statistics import: good files upsert, re-imports are idempotent, creators stay apart."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from imports.stats import stats_import_file
from tests.factories import CreatorFactory, VideoDailyStatFactory, VideoFactory, platform
from videos.models import PipelineStatus, Video, VideoDailyStat

from .conftest import EN_HEADER, ZH_HEADER, csv_text, stat_rows

pytestmark = pytest.mark.django_db


def test_canonical_headers_import_every_row_and_create_the_videos(creator, write_file):
    path = write_file(csv_text(EN_HEADER, stat_rows(videos=3, days=4)))

    result = stats_import_file(owner=creator, path=path, platform="douyin")

    assert result.ok, result.error_lines()
    assert (result.rows, result.created, result.updated, result.unchanged) == (12, 12, 0, 0)
    assert result.committed and result.mode == "daily"
    assert sorted(result.created_videos) == ["v0", "v1", "v2"]
    videos = Video.objects.filter(owner=creator)
    assert videos.count() == 3
    video = videos.get(platform_video_id="v0")
    assert video.platform.slug == "douyin"
    assert video.status == PipelineStatus.PUBLISHED
    assert timezone.localtime(video.published_at).date() == date(2026, 3, 1)
    stat = VideoDailyStat.objects.get(video=video, date=date(2026, 3, 1))
    assert (stat.views, stat.interactions, stat.comments, stat.likes) == (1000, 100, 10, 50)
    assert (stat.shares, stat.saves, stat.link_clicks) == (5, 3, 0)


def test_chinese_headers_with_titles_and_link_clicks(creator, write_file):
    header = [*ZH_HEADER, "链接点击"]
    rows = [
        ["7301", "2026-03-01", 500, 80, 10, 40, 20, 10, "Python 面试 3 分钟", 7],
        ["7301", "2026-03-02", 300, 40, 5, 20, 10, 5, "Python 面试 3 分钟", 2],
    ]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(header, rows)), platform="抖音"
    )

    assert result.ok, result.error_lines()
    assert result.platform == "Douyin"
    assert {m["column"]: m["field"] for m in result.column_mapping}["播放量"] == "views"
    video = Video.objects.get(owner=creator, platform_video_id="7301")
    assert video.title == "Python 面试 3 分钟"
    assert list(VideoDailyStat.objects.filter(video=video).values_list("views", "link_clicks")) == [
        (500, 7),
        (300, 2),
    ]


def test_interactions_absent_are_likes_comments_shares_saves(creator, write_file):
    header = ["视频ID", "日期", "播放量", "评论量", "点赞量", "分享量", "收藏量"]
    rows = [["a", "2026-03-01", 100, 3, 10, 2, 1]]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(header, rows)), platform="douyin"
    )
    assert result.ok, result.error_lines()
    assert VideoDailyStat.objects.get().interactions == 16


def test_blank_interactions_cell_is_derived_for_that_row_only(creator, write_file):
    rows = [["a", "2026-03-01", 100, "", 3, 10, 2, 1], ["a", "2026-03-02", 100, 99, 3, 10, 2, 1]]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(EN_HEADER, rows)), platform="douyin"
    )
    assert result.ok, result.error_lines()
    assert list(VideoDailyStat.objects.values_list("interactions", flat=True)) == [16, 99]


def test_existing_video_is_matched_by_platform_id_and_keeps_its_title(creator, write_file):
    video = VideoFactory(owner=creator, platform_video_id="known", title="My own title")
    rows = [["known", "2026-03-01", 10, 1, 1, 1, 0, 0, "Title in the export"]]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(ZH_HEADER, rows)), platform=video.platform
    )
    assert result.ok and result.created_videos == []
    video.refresh_from_db()
    assert video.title == "My own title"
    assert video.daily_stats.get().views == 10


def test_reimporting_the_same_file_changes_nothing(creator, write_file):
    path = write_file(csv_text(EN_HEADER, stat_rows(videos=2, days=5)))
    stats_import_file(owner=creator, path=path, platform="douyin")
    before = list(VideoDailyStat.objects.order_by("pk").values())

    again = stats_import_file(owner=creator, path=path, platform="douyin")

    assert again.ok
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)
    assert again.created_videos == []
    assert list(VideoDailyStat.objects.order_by("pk").values()) == before
    assert Video.objects.count() == 2


def test_a_corrected_file_updates_the_values(creator, write_file):
    rows = stat_rows(videos=1, days=3)
    stats_import_file(owner=creator, path=write_file(csv_text(EN_HEADER, rows)), platform="douyin")
    rows[1][2] = 4242  # views of day 2 corrected
    corrected = stats_import_file(
        owner=creator,
        path=write_file(csv_text(EN_HEADER, rows), name="fixed.csv"),
        platform="douyin",
    )
    assert (corrected.created, corrected.updated, corrected.unchanged) == (0, 1, 2)
    assert VideoDailyStat.objects.get(date=date(2026, 3, 2)).views == 4242
    assert VideoDailyStat.objects.count() == 3


def test_another_creators_ids_create_own_videos_and_leave_theirs_alone(write_file):
    alice, bob = CreatorFactory(username="alice"), CreatorFactory(username="bob")
    alices_video = VideoFactory(owner=alice, platform_video_id="shared-id")
    VideoDailyStatFactory(video=alices_video, date=date(2026, 3, 1), views=111)
    alice_before = list(VideoDailyStat.objects.filter(video__owner=alice).values())

    rows = [["shared-id", "2026-03-01", 999, 9, 9, 9, 9, 9]]
    result = stats_import_file(
        owner=bob, path=write_file(csv_text(EN_HEADER, rows)), platform=alices_video.platform
    )

    assert result.ok and result.created_videos == ["shared-id"]
    bobs_video = Video.objects.get(owner=bob, platform_video_id="shared-id")
    assert bobs_video.pk != alices_video.pk
    assert bobs_video.daily_stats.get().views == 999
    assert list(VideoDailyStat.objects.filter(video__owner=alice).values()) == alice_before
    assert Video.objects.filter(owner=alice).count() == 1


def test_dry_run_reports_what_it_would_write_and_writes_nothing(creator, write_file):
    path = write_file(csv_text(EN_HEADER, stat_rows(videos=2, days=3)))
    result = stats_import_file(owner=creator, path=path, platform="douyin", dry_run=True)

    assert result.ok and result.dry_run and not result.committed
    assert (result.created, len(result.created_videos)) == (6, 2)
    assert result.preview[0]["row"] == 2 and result.preview[0]["platform_video_id"] == "v0"
    assert len(result.preview) == 6
    assert Video.objects.count() == 0 and VideoDailyStat.objects.count() == 0


def test_platform_from_a_platform_column(creator, write_file):
    header = [*EN_HEADER, "平台"]
    rows = [
        ["x1", "2026-03-01", 10, 1, 1, 0, 0, 0, "抖音"],
        ["x1", "2026-03-01", 20, 2, 2, 0, 0, 0, "B站"],
    ]
    result = stats_import_file(owner=creator, path=write_file(csv_text(header, rows)))
    assert result.ok, result.error_lines()
    assert set(Video.objects.values_list("platform__slug", "platform_video_id")) == {
        ("douyin", "x1"),
        ("bilibili", "x1"),
    }


def test_platform_from_a_header_only_one_platform_uses(creator, write_file):
    header = ["BV号", "日期", "播放", "点赞", "评论", "收藏", "分享"]
    result = stats_import_file(
        owner=creator,
        path=write_file(csv_text(header, [["BV1xx411c7mD", "2026-03-01", 10, 1, 1, 1, 1]])),
    )
    assert result.ok, result.error_lines()
    assert result.platform == "Bilibili"
    assert Video.objects.get().platform == platform("bilibili")


def test_recompute_is_enqueued_after_commit_only_when_something_changed(
    creator, write_file, no_enqueue, django_capture_on_commit_callbacks
):
    path = write_file(csv_text(EN_HEADER, stat_rows(videos=1, days=2)))
    with django_capture_on_commit_callbacks(execute=True):
        stats_import_file(owner=creator, path=path, platform="douyin")
    # The import created a video and its days (video.changed, then stats.changed) in one
    # transaction: one recompute is queued, named after the first event.
    assert no_enqueue == [("recompute", (creator.pk, "video.changed"))]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        stats_import_file(owner=creator, path=path, platform="douyin")  # nothing changes
        stats_import_file(owner=creator, path=path, platform="douyin", dry_run=True)
    assert callbacks == [] and len(no_enqueue) == 1


def test_query_count_does_not_grow_with_the_file(write_file):
    """No per-row (or per-video) queries: 10 rows and 200 rows cost the same. Each creator has
    one stored day among the file's, so both the COPY path and the upsert path are taken."""
    counts = []
    for videos, days, name in ((2, 5, "small.csv"), (20, 10, "large.csv")):
        owner = CreatorFactory()
        known = VideoFactory(owner=owner, platform_video_id="v0", platform=platform("douyin"))
        VideoDailyStatFactory(video=known, date=date(2026, 3, 1), views=1)
        path = write_file(csv_text(EN_HEADER, stat_rows(videos=videos, days=days)), name=name)
        with CaptureQueriesContext(connection) as queries:
            result = stats_import_file(owner=owner, path=path, platform="douyin")
        assert result.ok, result.error_lines()
        assert (result.created, result.updated) == (videos * days - 1, 1)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 20


def test_cumulative_query_count_does_not_grow_with_the_file(write_file):
    header = ["视频ID", "日期", "累计播放量", "累计点赞量", "累计评论量"]
    counts = []
    for videos, days, name in ((2, 5, "a.csv"), (20, 10, "b.csv")):
        creator = CreatorFactory()
        VideoFactory(owner=creator, platform_video_id="c0", platform=platform("douyin"))
        rows = [
            [f"c{v}", f"2026-03-{d + 1:02d}", 100 * (d + 1), 10 * (d + 1), d + 1]
            for v in range(videos)
            for d in range(days)
        ]
        path = write_file(csv_text(header, rows), name=name)
        with CaptureQueriesContext(connection) as queries:
            result = stats_import_file(owner=creator, path=path, platform="douyin")
        assert result.ok and result.mode == "cumulative", result.error_lines()
        inserts = [
            q for q in queries.captured_queries if 'INSERT INTO "videos_videosnapshot"' in q["sql"]
        ]
        # Snapshots are bulk-inserted: batches only as large as the database's parameter
        # limit allows (SQLite's 999), never one query a row.
        assert len(inserts) <= 1 + len(rows) // 50
        counts.append(len(queries) - len(inserts))
    assert counts[0] == counts[1]


def test_an_incremental_export_adds_new_days_and_updates_overlapping_ones(creator, write_file):
    video = VideoFactory(owner=creator, platform_video_id="inc", platform=platform("douyin"))
    for day in (1, 2, 3):
        VideoDailyStatFactory(video=video, date=date(2026, 3, day), views=day)
    rows = [["inc", f"2026-03-0{day}", 10 * day, 0, 0, 0, 0, 0] for day in (3, 4, 5)]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(EN_HEADER, rows)), platform="douyin"
    )
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert list(video.daily_stats.order_by("date").values_list("views", flat=True)) == [
        1,
        2,
        30,
        40,
        50,
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY fast path is PostgreSQL's")
def test_a_clash_on_the_copy_path_falls_back_to_the_upsert(creator, write_file, monkeypatch):
    """If a row appears between reading the stored ranges and the COPY (another writer), the
    savepoint undoes the COPY and the upsert takes every row."""
    from videos import stats_writer as writers

    video = VideoFactory(owner=creator, platform_video_id="race", platform=platform("douyin"))
    VideoDailyStatFactory(video=video, date=date(2026, 3, 2), views=5)
    monkeypatch.setattr(writers, "_cannot_collide", lambda ids, days: np.ones(len(ids), bool))
    rows = [["race", f"2026-03-0{day}", 100 + day, 0, 0, 0, 0, 0] for day in (1, 2, 3)]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(EN_HEADER, rows)), platform="douyin"
    )
    assert (result.created, result.updated) == (2, 1)
    assert list(video.daily_stats.order_by("date").values_list("views", flat=True)) == [
        101,
        102,
        103,
    ]
