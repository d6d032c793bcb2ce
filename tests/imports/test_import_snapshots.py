"""Lifetime totals become snapshots (the days are derived from them: baseline first, gains
after), crawler and creator-centre spellings are understood, a source without views imports
what it has, and the way a file is read is decided in a fixed order and explained."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone, translation

import imports.headers
import imports.stats
import imports.values
from imports.stats import stats_import_file
from tests.factories import VideoDailyStatFactory, VideoFactory, platform
from videos.models import Video, VideoDailyStat, VideoSnapshot

from .conftest import EN_HEADER, csv_text

pytestmark = pytest.mark.django_db

LIFETIME = [
    # a creator-centre copy of lifetime totals, one row a video a day
    ["7301234567890123456", "2026-03-01", 52_000, 2_600, 310],
    ["7301234567890123456", "2026-03-02", 83_200, 4_100, 402],
    ["7301234567890123456", "2026-03-03", 99_840, 4_900, 455],
    ["7301234567890123457", "2026-03-01", 1_000, 50, 5],
    ["7301234567890123457", "2026-03-02", 1_400, 61, 5],
    ["7301234567890123457", "2026-03-03", 1_900, 70, 8],
]


def days_of(video_id: str) -> list[tuple]:
    return list(
        VideoDailyStat.objects.filter(video__platform_video_id=video_id)
        .order_by("date")
        .values_list("date", "views", "likes", "comments")
    )


def local_timestamp(day: date, hour: int) -> int:
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())
    return int(moment.timestamp())


def test_lifetime_totals_imported_alone_are_read_as_such_and_give_the_real_gains(
    creator, write_file
):
    header = ["视频ID", "日期", "播放量", "点赞量", "评论量"]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(header, LIFETIME)), platform="douyin"
    )
    assert result.ok, result.error_lines()
    assert result.mode == "cumulative" and "only grow" in result.mode_reason
    assert days_of("7301234567890123456") == [
        (date(2026, 3, 2), 31_200, 1_500, 92),
        (date(2026, 3, 3), 16_640, 800, 53),
    ]
    assert not VideoDailyStat.objects.filter(views__in=[52_000, 83_200, 99_840]).exists()
    assert result.snapshots_stored == 6 and result.baselines == 2
    assert result.warnings and "baseline" in result.warnings[0]
    snapshot = VideoSnapshot.objects.order_by("observed_at").first()
    local = timezone.localtime(snapshot.observed_at)
    assert (local.date(), local.hour, local.minute, local.second) == (date(2026, 3, 1), 23, 59, 59)
    assert snapshot.source == "file"


def test_creator_centre_cumulative_headers(creator, write_file):
    header = ["作品ID", "日期", "累计播放", "累计点赞", "累计评论", "累计分享", "累计收藏"]
    rows = [["a1", "2026-03-01", 500, 20, 3, 1, 2], ["a1", "2026-03-02", 800, 26, 4, 1, 5]]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(header, rows)), platform="douyin"
    )
    assert result.ok, result.error_lines()
    assert result.mode == "cumulative" and "累计播放" in result.mode_reason
    assert [m["field"] for m in result.column_mapping] == [
        "platform_video_id",
        "date",
        "views",
        "likes",
        "comments",
        "shares",
        "saves",
    ]
    assert days_of("a1") == [(date(2026, 3, 2), 300, 6, 1)]
    assert VideoDailyStat.objects.get().interactions == 6 + 1 + 0 + 3


@pytest.mark.parametrize("scale", [1, 1000], ids=["unix seconds", "milliseconds"])
def test_snake_case_crawler_file_with_a_unix_crawl_time(creator, write_file, scale):
    header = [
        "aweme_id",
        "crawl_time",
        "liked_count",
        "comment_count",
        "share_count",
        "collected_count",
        "play_count",
        "nickname",
    ]
    day, next_day = date(2026, 3, 1), date(2026, 3, 2)
    rows = [
        ["7301234567890123456", local_timestamp(day, 9) * scale, 100, 10, 1, 2, 1000, "me"],
        ["7301234567890123456", local_timestamp(day, 21) * scale, 130, 12, 1, 3, 1500, "me"],
        ["7301234567890123456", local_timestamp(next_day, 9) * scale, 150, 15, 2, 3, 1800, "me"],
    ]
    result = stats_import_file(owner=creator, path=write_file(csv_text(header, rows)))
    assert result.ok, result.error_lines()
    assert result.platform == "Douyin"  # from the aweme_id header
    assert result.mode == "cumulative" and "crawl_time" in result.mode_reason
    assert result.ignored_columns == ["nickname"]
    assert VideoSnapshot.objects.count() == 3
    first = VideoSnapshot.objects.order_by("observed_at").first()
    assert timezone.localtime(first.observed_at).hour == 9
    assert (first.views, first.likes, first.saves) == (1000, 100, 2)
    # 21:00 on day 1 → day 1 gains 500 views; 09:00 on day 2 → day 2 gains 300
    assert days_of("7301234567890123456") == [
        (date(2026, 3, 1), 500, 30, 2),
        (date(2026, 3, 2), 300, 20, 3),
    ]


def test_bilibili_api_field_names_keep_coins_and_danmaku(creator, write_file):
    header = ["bvid", "timestamp", "view", "danmaku", "reply", "favorite", "coin", "share", "like"]
    day, next_day = date(2026, 3, 1), date(2026, 3, 2)
    rows = [
        ["BV1xx411c7mD", local_timestamp(day, 8) * 1000, 900, 12, 30, 40, 50, 6, 70],
        ["BV1xx411c7mD", local_timestamp(next_day, 8) * 1000, 1000, 15, 33, 44, 58, 7, 80],
    ]
    result = stats_import_file(owner=creator, path=write_file(csv_text(header, rows)))
    assert result.ok, result.error_lines()
    assert result.platform == "Bilibili"
    latest = VideoSnapshot.objects.order_by("observed_at").last()
    assert (latest.coins, latest.danmaku, latest.comments, latest.saves) == (58, 15, 33, 44)
    assert days_of("BV1xx411c7mD") == [(date(2026, 3, 2), 100, 10, 3)]


def test_a_file_without_views_imports_what_it_has(creator, write_file):
    header = ["视频ID", "日期", "点赞数", "评论数", "分享数", "收藏数"]
    rows = [["nv", "2026-03-01", 10, 2, 1, 0], ["nv", "2026-03-02", 7, 1, 0, 1]]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(header, rows)), platform="kuaishou"
    )
    assert result.ok, result.error_lines()
    assert result.mode == "daily"
    assert days_of("nv") == [(date(2026, 3, 1), None, 10, 2), (date(2026, 3, 2), None, 7, 1)]
    assert any("views stay unknown" in note for note in result.notes)
    assert result.preview[0]["views"] is None


def test_lifetime_totals_without_views_leave_views_unknown(creator, write_file):
    header = ["视频ID", "crawl_time", "liked_count", "comment_count"]
    day = date(2026, 3, 1)
    rows = [
        ["nv", local_timestamp(day, 10), 10, 1],
        ["nv", local_timestamp(day + timedelta(1), 10), 15, 3],
    ]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(header, rows)), platform="kuaishou"
    )
    assert result.ok, result.error_lines()
    assert VideoSnapshot.objects.filter(views__isnull=True).count() == 2
    assert days_of("nv") == [(date(2026, 3, 2), None, 5, 2)]


@pytest.mark.parametrize(
    ("ids", "slug"),
    [
        (["BV1xx411c7mD", "BV1GJ411x7h7", "av170001"], "bilibili"),
        (["7301234567890123456", "7301234567890123999"], "douyin"),
        (["dQw4w9WgXcQ", "a-b_c1234XY"], "youtube-shorts"),
    ],
)
def test_the_platform_from_the_ids_shapes(creator, write_file, ids, slug):
    rows = [[video_id, "2026-03-01", 10, 2, 1, 1, 0, 0] for video_id in ids]
    result = stats_import_file(owner=creator, path=write_file(csv_text(EN_HEADER, rows)))
    assert result.ok, result.error_lines()
    assert set(Video.objects.values_list("platform__slug", flat=True)) == {slug}


def test_ids_of_different_shapes_name_no_platform(creator, write_file):
    rows = [[video_id, "2026-03-01", 10, 2, 1, 1, 0, 0] for video_id in ("BV1xx411c7mD", "x1")]
    path = write_file(csv_text(EN_HEADER, rows))
    result = stats_import_file(owner=creator, path=path)
    assert not result.ok and "Choose the platform in the form" in result.errors[0].message
    assert "--platform" not in result.errors[0].message
    result = stats_import_file(owner=creator, path=path, interface="command")
    assert "--platform" in result.errors[0].message
    assert not Video.objects.exists()


def test_a_one_day_file_above_the_latest_snapshot_is_a_snapshot(creator, write_file):
    video = VideoFactory(owner=creator, platform_video_id="s1", platform=platform("douyin"))
    observed = timezone.make_aware(datetime(2026, 3, 1, 23, 59, 59))
    VideoSnapshot.objects.create(
        video=video, observed_at=observed, source="connector", views=5000, likes=300, comments=40
    )
    header = ["视频ID", "日期", "播放量", "点赞量", "评论量"]
    path = write_file(csv_text(header, [["s1", "2026-03-02", 5600, 330, 41]]))
    result = stats_import_file(owner=creator, path=path, platform="douyin")
    assert result.ok, result.error_lines()
    assert result.mode == "cumulative" and "at or above" in result.mode_reason
    assert result.baselines == 0
    assert days_of("s1") == [(date(2026, 3, 2), 600, 30, 1)]


def test_a_one_day_file_above_the_stored_days_is_a_snapshot(creator, write_file):
    video = VideoFactory(owner=creator, platform_video_id="s2", platform=platform("douyin"))
    for day in (1, 2, 3):
        VideoDailyStatFactory(video=video, date=date(2026, 3, day), views=1000, likes=50)
    header = ["视频ID", "日期", "播放量", "点赞量"]
    path = write_file(csv_text(header, [["s2", "2026-03-04", 3400, 170]]))
    result = stats_import_file(owner=creator, path=path, platform="douyin")
    assert result.ok and result.mode == "cumulative", result.error_lines()
    assert VideoSnapshot.objects.count() == 1
    assert VideoDailyStat.objects.filter(date=date(2026, 3, 4)).count() == 0  # a baseline


def test_a_one_day_export_of_daily_numbers_stays_daily(creator, write_file):
    video = VideoFactory(owner=creator, platform_video_id="d1", platform=platform("douyin"))
    for day in (1, 2, 3):
        VideoDailyStatFactory(video=video, date=date(2026, 3, day), views=1000, likes=50)
    header = ["视频ID", "日期", "播放量", "点赞量"]
    path = write_file(csv_text(header, [["d1", "2026-03-04", 900, 40]]))
    result = stats_import_file(owner=creator, path=path, platform="douyin")
    assert result.ok and result.mode == "daily", result.error_lines()
    assert "below" in result.mode_reason
    assert days_of("d1")[-1] == (date(2026, 3, 4), 900, 40, 0)
    assert not VideoSnapshot.objects.exists()

    fresh = write_file(csv_text(header, [["d9", "2026-03-04", 900, 40]]), name="fresh.csv")
    result = stats_import_file(owner=creator, path=fresh, platform="douyin")
    assert result.mode == "daily" and "nothing stored" in result.mode_reason


def test_a_daily_file_replacing_derived_days_says_so(creator, write_file):
    header = ["视频ID", "日期", "累计播放量", "累计点赞量", "累计评论量"]
    rows = [["r1", f"2026-03-0{d}", 100 * d * d, 10 * d, d] for d in (1, 2, 3)]
    stats_import_file(owner=creator, path=write_file(csv_text(header, rows)), platform="douyin")
    assert VideoDailyStat.objects.filter(origin="derived").count() == 2
    daily = [["r1", "2026-03-02", 333, 11, 1, 10, 0, 0]]
    result = stats_import_file(
        owner=creator,
        path=write_file(csv_text(EN_HEADER, daily), name="daily.csv"),
        platform="douyin",
        cumulative=False,
    )
    assert result.ok, result.error_lines()
    assert result.replaced_derived == 1
    assert any("derived from snapshots replaced" in note for note in result.notes)
    assert days_of("r1")[0] == (date(2026, 3, 2), 333, 10, 1)


def test_refusals_are_in_the_creators_language(creator, write_file):
    header = ["视频ID", "日期", "标题"]
    path = write_file(csv_text(header, [["v0", "2026-03-02", "x"]]))
    with translation.override("zh-hans"):
        result = stats_import_file(owner=creator, path=path, platform="douyin")
        expected = translation.gettext(
            "no column with a count (views, likes, comments, shares, saves, …; a header such "
            'as "播放量", "点赞数", "like_count" or "累计播放")'
        )
    assert [issue.message for issue in result.errors] == [expected]
    assert expected.startswith("没有") and "like_count" in expected  # translated, names kept


def test_a_job_from_a_chinese_page_is_refused_in_chinese(creator, write_file):
    """The worker has no request: the job carries the page's language to it."""
    from django.core.files.base import ContentFile

    from imports.services import import_job_create, import_job_run

    body = csv_text(["视频ID", "日期", "标题"], [["v0", "2026-03-02", "x"]]).encode()
    with translation.override("zh-hans"):
        job = import_job_create(
            owner=creator,
            kind="stats",
            file=ContentFile(body, name="counts.csv"),
            platform="douyin",
            enqueue=False,
        )
    finished = import_job_run(job_id=job.pk)  # as the worker runs it: in the site's language
    assert finished.language == "zh-hans"
    assert finished.errors and finished.errors[0]["message"].startswith("没有")


def test_messages_and_mode_reasons_go_through_gettext(creator, write_file, monkeypatch):
    """Every refusal and reason is looked up in the catalogue: a marking gettext shows it."""
    for module in (imports.stats, imports.values, imports.headers):
        monkeypatch.setattr(module, "_", lambda text: f"«{text}»")
    rows = [["a", "not a date", 1, 1, 1, 1, 1, 1]]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(EN_HEADER, rows)), platform="douyin"
    )
    assert all(issue.message.startswith("«") for issue in result.errors), result.errors
    good = [["a", "2026-03-01", 1, 1, 1, 1, 1, 1]]
    result = stats_import_file(
        owner=creator,
        path=write_file(csv_text(EN_HEADER, good), name="good.csv"),
        platform="douyin",
    )
    assert result.mode_reason.startswith("«")


def test_a_one_day_daily_export_above_a_young_videos_first_day_stays_daily(creator, write_file):
    """A video's second day beats its first: with one stored daily row that is no sign of
    lifetime totals (the day was lost as a baseline before)."""
    header = ["视频ID", "日期", "播放量", "点赞量", "评论量"]
    first = write_file(csv_text(header, [["y1", "2026-11-01", 100, 10, 1]]), name="d1.csv")
    assert stats_import_file(owner=creator, path=first, platform="douyin").mode == "daily"
    second = write_file(csv_text(header, [["y1", "2026-11-02", 300, 30, 3]]), name="d2.csv")
    result = stats_import_file(owner=creator, path=second, platform="douyin")
    assert result.ok and result.mode == "daily", result.mode_reason
    assert days_of("y1") == [(date(2026, 11, 1), 100, 10, 1), (date(2026, 11, 2), 300, 30, 3)]
    assert not VideoSnapshot.objects.exists()


def test_two_days_of_lifetime_totals_alone_are_snapshots_with_a_warning(creator, write_file):
    """The issue's case on a short file: 52,000 then 68,640 lifetime views give one day of
    16,640 and no day of 52,000, and the result says how little it had to go on."""
    header = ["视频ID", "日期", "播放量", "点赞量", "评论量"]
    rows = [["7301234567890123456", "2026-03-01", 52_000, 2_600, 310],
            ["7301234567890123456", "2026-03-02", 68_640, 3_100, 350]]  # fmt: skip
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(header, rows)), platform="douyin"
    )
    assert result.ok and result.mode == "cumulative", result.mode_reason
    assert days_of("7301234567890123456") == [(date(2026, 3, 2), 16_640, 500, 40)]
    assert any("only 1 day pair" in warning for warning in result.warnings)
    assert not VideoDailyStat.objects.filter(views=52_000).exists()


def test_two_growing_days_follow_the_stored_history(creator, write_file):
    """Few growing days: a stored snapshot decides (at or above: totals; below: daily), and a
    video CourseReel holds daily numbers for stays daily."""
    header = ["视频ID", "日期", "播放量", "点赞量"]
    above = VideoFactory(owner=creator, platform_video_id="h1", platform=platform("douyin"))
    VideoSnapshot.objects.create(
        video=above, observed_at=timezone.make_aware(datetime(2026, 3, 1, 12)),
        source="connector", views=5_000, likes=100,
    )  # fmt: skip
    rows = [["h1", "2026-03-02", 5_500, 120], ["h1", "2026-03-03", 6_000, 130]]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(header, rows), name="h1.csv"), platform="douyin"
    )
    assert result.mode == "cumulative" and "at or above" in result.mode_reason
    assert [row[1] for row in days_of("h1")] == [500, 500]

    below = VideoFactory(owner=creator, platform_video_id="h2", platform=platform("douyin"))
    VideoSnapshot.objects.create(
        video=below, observed_at=timezone.make_aware(datetime(2026, 3, 1, 12)),
        source="connector", views=50_000, likes=1_000,
    )  # fmt: skip
    rows = [["h2", "2026-03-02", 500, 12], ["h2", "2026-03-03", 600, 13]]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(header, rows), name="h2.csv"), platform="douyin"
    )
    assert result.mode == "daily" and "below" in result.mode_reason

    daily = VideoFactory(owner=creator, platform_video_id="h3", platform=platform("douyin"))
    for day in (1, 2):
        VideoDailyStatFactory(video=daily, date=date(2026, 3, day), views=10 * day, likes=1)
    rows = [["h3", "2026-03-03", 30, 2], ["h3", "2026-03-04", 40, 3]]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(header, rows), name="h3.csv"), platform="douyin"
    )
    assert result.mode == "daily" and "holds daily numbers" in result.mode_reason
    assert [row[1] for row in days_of("h3")] == [10, 20, 30, 40]
