"""What creators actually upload: UTF-8 with or without BOM, GB18030/GBK from Excel in China,
CRLF line ends, XLSX workbooks, Chinese number spellings, and running-total exports."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from imports.stats import stats_import_file
from tests.factories import VideoDailyStatFactory, VideoFactory
from videos.models import Video, VideoDailyStat, VideoSnapshot

from .conftest import EN_HEADER, ZH_HEADER, csv_text, stat_rows

pytestmark = pytest.mark.django_db

ROWS = [
    ["视频1", "2026-03-01", 100, 20, 2, 10, 5, 3, "第一期：Python 入门"],
    ["视频1", "2026-03-02", 80, 16, 1, 8, 4, 3, "第一期：Python 入门"],
    ["视频2", "2026-03-01", 50, 6, 1, 3, 1, 1, "面试题「链表」"],
]


def views_by_id():
    return dict(
        VideoDailyStat.objects.order_by("date").values_list("video__platform_video_id", "views")
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_encodings_and_line_ends(creator, write_file, encoding, newline):
    path = write_file(csv_text(ZH_HEADER, ROWS, newline=newline), encoding=encoding)

    result = stats_import_file(owner=creator, path=path, platform="douyin")

    assert result.ok, result.error_lines()
    assert result.encoding == ("gb18030" if encoding in ("gb18030", "gbk") else encoding)
    assert result.rows == 3
    assert set(Video.objects.values_list("platform_video_id", "title")) == {
        ("视频1", "第一期：Python 入门"),
        ("视频2", "面试题「链表」"),
    }
    assert (
        VideoDailyStat.objects.get(video__platform_video_id="视频1", date="2026-03-02").views == 80
    )


def test_header_spellings_are_forgiving(creator, write_file):
    header = ["视频 ID", "日期", "播放量（次）", "Likes", "COMMENTS", "分享数", "收藏数"]
    result = stats_import_file(
        owner=creator,
        path=write_file(csv_text(header, [["a", "2026-03-01", 9, 1, 1, 1, 1]])),
        platform="douyin",
    )
    assert result.ok, result.error_lines()
    assert VideoDailyStat.objects.get().views == 9


def test_tab_separated(creator, write_file):
    text = csv_text(EN_HEADER, stat_rows(videos=1, days=2)).replace(",", "\t")
    result = stats_import_file(owner=creator, path=write_file(text), platform="douyin")
    assert result.ok and result.created == 2


def test_number_and_date_spellings(creator, write_file):
    rows = [
        ["a", "2026/3/1", "1,234", 0, 0, 0, 0, 0],
        ["a", "2026年3月2日", "1.2万", 0, 0, 0, 0, 0],
        ["a", "20260303", "—", 0, 0, 0, 0, 0],
        ["a", "2026-03-04 00:00:00", " 77 ", 0, 0, 0, 0, 0],
    ]
    rows[2][2] = "5"
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(EN_HEADER, rows)), platform="douyin"
    )
    assert result.ok, result.error_lines()
    assert list(VideoDailyStat.objects.order_by("date").values_list("date", "views")) == [
        (date(2026, 3, 1), 1234),
        (date(2026, 3, 2), 12000),
        (date(2026, 3, 3), 5),
        (date(2026, 3, 4), 77),
    ]


def test_a_dash_in_an_optional_column_means_zero(creator, write_file):
    rows = [["a", "2026-03-01", 10, "", 1, 1, "-", "--"]]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(EN_HEADER, rows)), platform="douyin"
    )
    assert result.ok, result.error_lines()
    stat = VideoDailyStat.objects.get()
    assert (stat.shares, stat.saves, stat.interactions) == (0, 0, 2)


def test_leading_zeros_in_ids_are_kept(creator, write_file):
    rows = [["007", "2026-03-01", 1, 0, 0, 0, 0, 0]]
    stats_import_file(owner=creator, path=write_file(csv_text(EN_HEADER, rows)), platform="douyin")
    assert Video.objects.get().platform_video_id == "007"


def test_xlsx_with_typed_cells(creator, write_xlsx):
    rows = [
        [7301234567890, datetime(2026, 3, 1), 100, None, 2, 10, 5, 3, "标题 A"],
        [7301234567890, date(2026, 3, 2), 80.0, 16, 1, 8, 4, 3, "标题 A"],
        ["BV-2", "2026-03-01", "1,000", 6, 1, 3, 1, 1, None],
    ]
    result = stats_import_file(owner=creator, path=write_xlsx(ZH_HEADER, rows), platform="douyin")
    assert result.ok, result.error_lines()
    assert result.encoding is None and result.rows == 3
    assert views_by_id() == {"7301234567890": 80, "BV-2": 1000}
    first = VideoDailyStat.objects.get(video__platform_video_id="7301234567890", date="2026-03-01")
    assert first.interactions == 2 + 10 + 5 + 3
    assert Video.objects.get(platform_video_id="BV-2").title == "Douyin BV-2"


def test_xlsx_problems_name_rows_and_columns(creator, write_xlsx):
    rows = [["a", "2026-03-01", 1, 0, 0, 0, 0, 0], ["a", "not a date", -2, 0, 0, 0, 0, 0]]
    result = stats_import_file(owner=creator, path=write_xlsx(EN_HEADER, rows), platform="douyin")
    assert [(i.row, i.column) for i in result.errors] == [(3, "date"), (3, "views")]
    assert VideoDailyStat.objects.count() == 0


def test_a_workbook_named_csv_is_still_read_as_a_workbook(creator, write_xlsx):
    path = write_xlsx(EN_HEADER, stat_rows(videos=1, days=2), name="export.csv")
    result = stats_import_file(owner=creator, path=path, platform="douyin")
    assert result.ok and result.created == 2


# --- running totals ---------------------------------------------------------------------------

CUMULATIVE_HEADER = ["视频ID", "日期", "累计播放量", "累计点赞量", "累计评论量"]


def test_running_totals_named_by_the_headers_become_snapshots(creator, write_file):
    """Each video's first row is its baseline: no day receives a lifetime total."""
    rows = [
        ["c", "2026-03-01", 100, 10, 1],
        ["c", "2026-03-02", 250, 12, 1],
        ["c", "2026-03-03", 300, 20, 4],
        ["d", "2026-03-02", 40, 4, 0],
    ]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(CUMULATIVE_HEADER, rows)), platform="douyin"
    )
    assert result.ok, result.error_lines()
    assert result.mode == "cumulative" and "累计播放量" in result.mode_reason
    assert result.snapshots_stored == VideoSnapshot.objects.count() == 4
    assert result.baselines == 2 and any("baseline" in w for w in result.warnings)
    c = VideoDailyStat.objects.filter(video__platform_video_id="c").order_by("date")
    assert list(c.values_list("date", "views", "likes", "comments", "interactions")) == [
        (date(2026, 3, 2), 150, 2, 0, 2),
        (date(2026, 3, 3), 50, 8, 3, 11),
    ]
    assert not VideoDailyStat.objects.filter(video__platform_video_id="d").exists()


def test_running_totals_are_detected_from_the_numbers(creator, write_file):
    rows = [
        [f"v{v}", f"2026-03-{d + 1:02d}", 100 * (d + 1) + v, 10 * (d + 1), d, 0, 0, 0]
        for v in range(2)
        for d in range(4)
    ]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(EN_HEADER, rows)), platform="douyin"
    )
    assert result.ok and result.mode == "cumulative"
    assert "only grow" in result.mode_reason
    assert set(
        VideoDailyStat.objects.exclude(date="2026-03-01").values_list("views", flat=True)
    ) == {100}


def test_daily_numbers_are_not_mistaken_for_running_totals(creator, write_file):
    result = stats_import_file(
        owner=creator,
        path=write_file(csv_text(EN_HEADER, stat_rows(videos=2, days=6))),
        platform="douyin",
    )
    assert result.mode == "daily"


def test_forcing_daily_keeps_growing_numbers_as_they_are(creator, write_file):
    rows = [["v", f"2026-03-{d + 1:02d}", 100 * (d + 1), 0, 0, 0, 0, 0] for d in range(8)]
    result = stats_import_file(
        owner=creator,
        path=write_file(csv_text(EN_HEADER, rows)),
        platform="douyin",
        cumulative=False,
    )
    assert result.mode == "daily" and "as requested" in result.mode_reason
    assert VideoDailyStat.objects.order_by("date").last().views == 800


def test_forced_running_totals_start_from_a_baseline_and_keep_stored_days(creator, write_file):
    """A later export of running totals is a video's first snapshot: a baseline (its day gets
    no lifetime total), the gain to the next snapshot is split over the missed day, and the
    days imported earlier as daily numbers stay as they are."""
    video = VideoFactory(owner=creator, platform_video_id="cont")
    for day, views, likes in ((1, 100, 10), (2, 50, 5)):
        VideoDailyStatFactory(
            video=video,
            date=date(2026, 3, day),
            views=views,
            interactions=likes + 1,
            comments=1,
            likes=likes,
            shares=0,
            saves=0,
        )
    # platform_video_id, date, views, interactions, comments, likes, shares, saves
    rows = [
        ["cont", "2026-03-03", 180, 19, 2, 16, 0, 0],
        ["cont", "2026-03-05", 200, 24, 2, 20, 0, 0],
    ]
    result = stats_import_file(
        owner=creator,
        path=write_file(csv_text(EN_HEADER, rows)),
        platform=video.platform,
        cumulative=True,
    )
    assert result.ok, result.error_lines()
    assert result.mode == "cumulative" and "as requested" in result.mode_reason
    daily = video.daily_stats.order_by("date").values_list(
        "date", "views", "interactions", "likes", "estimated"
    )
    assert list(daily) == [
        (date(2026, 3, 1), 100, 11, 10, False),
        (date(2026, 3, 2), 50, 6, 5, False),
        (date(2026, 3, 4), 10, 2, 2, True),
        (date(2026, 3, 5), 10, 2, 2, True),
    ]
    assert result.days_estimated == 2 and result.baselines == 1
    assert any("interactions" in note for note in result.notes)  # not kept from totals

    again = stats_import_file(
        owner=creator,
        path=write_file(csv_text(EN_HEADER, rows), name="again.csv"),
        platform=video.platform,
        cumulative=True,
    )
    assert (again.created, again.updated, again.snapshots_stored) == (0, 0, 0)
    assert again.snapshots_repeated == 2


def test_a_running_total_that_falls_is_a_correction_not_a_refusal(creator, write_file):
    rows = [
        ["c", "2026-03-01", 100, 10, 1],
        ["c", "2026-03-02", 150, 12, 1],
        ["c", "2026-03-03", 140, 13, 1],  # the platform corrected its views down
    ]
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(CUMULATIVE_HEADER, rows)), platform="douyin"
    )
    assert result.ok, result.error_lines()
    assert result.corrections == 1
    assert any("fell from 150 to 140" in note for note in result.notes)
    days = VideoDailyStat.objects.order_by("date").values_list("views", "likes")
    assert list(days) == [(50, 2), (0, 1)]  # never a negative day


def test_lifetime_totals_below_the_stored_days_are_a_baseline_not_a_refusal(creator, write_file):
    """v0 holds 7 views imported for 2026-03-01; a first snapshot of 5 is its baseline (it
    says nothing about the days before it) and the stored day stays."""
    video = VideoFactory(owner=creator, platform_video_id="v0")
    VideoDailyStatFactory(video=video, date=date(2026, 3, 1), views=7)
    rows = [["v0", "2026-03-02", 5, 0, 0, 0, 0, 0], ["v0", "2026-03-03", 9, 0, 0, 0, 0, 0]]
    result = stats_import_file(
        owner=creator,
        path=write_file(csv_text(EN_HEADER, rows)),
        platform=video.platform,
        cumulative=True,
    )
    assert result.ok, result.error_lines()
    assert list(video.daily_stats.order_by("date").values_list("date", "views")) == [
        (date(2026, 3, 1), 7),
        (date(2026, 3, 3), 4),
    ]
