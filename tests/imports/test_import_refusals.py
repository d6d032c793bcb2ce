"""A file with any problem is refused whole: every problem names its spreadsheet row (header =
row 1) and its column as the file spells it, and nothing at all is written."""

from __future__ import annotations

from datetime import date

import pytest

from imports.stats import stats_import_file
from tests.factories import VideoDailyStatFactory, VideoFactory
from videos.models import Video, VideoDailyStat

from .conftest import EN_HEADER, ZH_HEADER, csv_text, stat_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def existing(creator):
    """Rows already in the database, so "nothing written" also means "nothing changed"."""
    video = VideoFactory(owner=creator, platform_video_id="v0")
    VideoDailyStatFactory(video=video, date=date(2026, 3, 1), views=7)
    return video


def snapshot():
    return (
        list(Video.objects.order_by("pk").values()),
        list(VideoDailyStat.objects.order_by("pk").values()),
    )


def refuse(owner, path, **kwargs):
    """Import, assert it was refused and wrote nothing, return the problems as (row, column)."""
    before = snapshot()
    result = stats_import_file(owner=owner, path=path, platform="douyin", **kwargs)
    assert not result.ok and not result.committed
    assert result.created == result.updated == 0 and result.created_videos == []
    assert snapshot() == before
    return result


def where(result) -> list[tuple[int | None, str | None]]:
    return [(issue.row, issue.column) for issue in result.errors]


def test_missing_required_column(creator, existing, write_file):
    header = ["视频ID", "日期", "标题"]  # no count at all
    result = refuse(creator, write_file(csv_text(header, [["v0", "2026-03-02", "x"]])))
    assert len(result.errors) == 1
    assert "no column with a count" in result.errors[0].message
    assert result.ignored_columns == []


def test_no_date_and_no_crawl_time(creator, existing, write_file):
    header = ["视频ID", "点赞量", "whatever"]
    result = refuse(creator, write_file(csv_text(header, [["v0", 1, "x"]])))
    assert "no column for the date or the crawl time" in result.errors[0].message
    assert result.ignored_columns == ["whatever"]  # listed although the file is refused


def test_two_columns_meaning_the_same_field(creator, existing, write_file):
    header = [*EN_HEADER, "播放量"]
    result = refuse(
        creator, write_file(csv_text(header, [["v0", "2026-03-02", 1, 1, 1, 1, 1, 1, 1]]))
    )
    assert where(result) == [(1, "播放量")]


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("2026-02-30", "is not a date"),
        ("yesterday", "is not a date"),
        ("1999-12-31", "before 2000-01-01"),
        ("2099-01-01", "in the future"),
        ("", "date is missing"),
    ],
)
def test_bad_dates(creator, existing, write_file, cell, fragment):
    rows = stat_rows(videos=1, days=3)
    rows[2][1] = cell
    result = refuse(creator, write_file(csv_text(ZH_HEADER[:8], rows)))
    assert where(result) == [(4, "日期")]
    assert fragment in result.errors[0].message


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("-3", "negative"),
        ("1.5", "not a whole number"),
        ("many", "not a number"),
        ("1000000000001", "above the largest count"),
        ("", "missing"),
    ],
)
def test_bad_counts(creator, existing, write_file, cell, fragment):
    rows = stat_rows(videos=1, days=3)
    rows[1][2] = cell  # views of row 3
    result = refuse(creator, write_file(csv_text(ZH_HEADER[:8], rows)))
    assert where(result) == [(3, "播放量")]
    assert fragment in result.errors[0].message


def test_a_bad_optional_count_is_refused_too(creator, existing, write_file):
    rows = stat_rows(videos=1, days=2)
    rows[0][7] = "-1"  # saves
    result = refuse(creator, write_file(csv_text(EN_HEADER, rows)))
    assert where(result) == [(2, "saves")]


def test_every_problem_is_listed_in_row_order(creator, existing, write_file):
    rows = stat_rows(videos=1, days=6)
    rows[4][4] = "x"  # row 6, comments
    rows[1][1] = "nope"  # row 3, date
    rows[1][5] = "-1"  # row 3, likes
    result = refuse(creator, write_file(csv_text(EN_HEADER, rows)))
    assert where(result) == [(3, "date"), (3, "likes"), (6, "comments")]
    assert result.error_count == 3


def test_errors_are_capped_with_a_count_of_the_rest(creator, existing, write_file, settings):
    settings.IMPORT_MAX_ERRORS = 5
    rows = stat_rows(videos=1, days=30)
    for row in rows:
        row[2] = "-1"
    result = refuse(creator, write_file(csv_text(EN_HEADER, rows)))
    assert [issue.row for issue in result.errors] == [2, 3, 4, 5, 6]
    assert result.error_count == 30
    assert result.error_lines()[-1] == "… and 25 more"


def test_conflicting_duplicate_rows_for_one_video_and_date(creator, existing, write_file):
    rows = stat_rows(videos=2, days=2)
    clash = list(rows[0])
    clash[3] = 12345  # interactions differ
    rows.append(clash)  # row 6 repeats row 2's video and date
    result = refuse(creator, write_file(csv_text(EN_HEADER, rows)))
    assert where(result) == [(6, "interactions")]
    assert "as row 2" in result.errors[0].message


def test_identical_duplicate_rows_are_counted_once(creator, write_file):
    rows = stat_rows(videos=1, days=2)
    rows.append(list(rows[0]))
    result = stats_import_file(
        owner=creator, path=write_file(csv_text(EN_HEADER, rows)), platform="douyin"
    )
    assert result.ok and result.created == 2
    assert "counted once" in result.notes[0]


def test_nul_byte(creator, existing, write_file):
    text = csv_text(EN_HEADER, stat_rows(videos=1, days=3))
    lines = text.split("\n")
    lines[2] = lines[2].replace("2026", "20\x0026", 1)
    result = refuse(creator, write_file("\n".join(lines)))
    assert where(result) == [(3, "date")]
    assert "NUL" in result.errors[0].message


def test_bytes_that_are_neither_utf8_nor_gb18030(creator, existing, write_file):
    content = csv_text(ZH_HEADER[:8], stat_rows(videos=1, days=4)).encode("utf-8")
    lines = content.split(b"\n")
    lines[3] = lines[3] + b"\xff\xfe\xff"  # row 4, in the last cell
    result = refuse(creator, write_file(b"\n".join(lines)))
    assert where(result) == [(4, "收藏量")]
    assert "neither UTF-8 nor GB18030" in result.errors[0].message


def test_unbalanced_quote(creator, existing, write_file):
    rows = stat_rows(videos=1, days=5)
    text = csv_text(ZH_HEADER, [[*row, "ok"] for row in rows])
    lines = text.split("\n")
    lines[3] = lines[3].replace(",ok", ',"never closed')  # row 4, title
    result = refuse(creator, write_file("\n".join(lines)))
    assert where(result) == [(4, "标题")]
    assert "never closed" in result.errors[0].message


def test_quoted_cells_with_newlines_keep_row_numbers_right(creator, existing, write_file):
    rows = [[*row, "title"] for row in stat_rows(videos=1, days=4)]
    rows[0][8] = "two\nlines"  # row 2 spans two lines of text
    rows[2][2] = "-5"  # row 4 (line 5 of the file)
    result = refuse(creator, write_file(csv_text(ZH_HEADER, rows)))
    assert where(result) == [(4, "播放量")]


def test_blank_lines_are_skipped_but_counted_as_rows(creator, write_file):
    text = csv_text(EN_HEADER, stat_rows(videos=1, days=2))
    text = text.replace("\n", "\n\n", 1)  # an empty row 2
    result = stats_import_file(owner=creator, path=write_file(text), platform="douyin")
    assert result.ok and result.rows == 2 and result.preview[0]["row"] == 3

    broken = text + "v0,2026-03-09,-1,0,0,0,0,0\n"
    refused = refuse(creator, write_file(broken, name="broken.csv"))
    assert where(refused) == [(5, "views")]


def test_a_row_with_more_cells_than_the_header(creator, existing, write_file):
    text = csv_text(EN_HEADER, stat_rows(videos=1, days=3))
    lines = text.split("\n")
    lines[2] += ",surplus"
    result = refuse(creator, write_file("\n".join(lines)))
    assert where(result) == [(3, "I (no header)")]
    assert "has 9 cells but the header has 8 columns" in result.errors[0].message


def test_ids_that_excel_rounded(creator, existing, write_file):
    rows = stat_rows(videos=1, days=2)
    rows[1][0] = "7.23457E+18"
    result = refuse(creator, write_file(csv_text(EN_HEADER, rows)))
    assert where(result) == [(3, "platform_video_id")]
    assert "Excel" in result.errors[0].message


def test_missing_video_id(creator, existing, write_file):
    rows = stat_rows(videos=1, days=2)
    rows[1][0] = "  "
    result = refuse(creator, write_file(csv_text(EN_HEADER, rows)))
    assert where(result) == [(3, "platform_video_id")]


def test_file_size_cap(creator, existing, write_file, settings):
    settings.IMPORT_MAX_FILE_MB = 0
    result = refuse(creator, write_file(csv_text(EN_HEADER, stat_rows(videos=1, days=2))))
    assert "IMPORT_MAX_FILE_MB" in result.errors[0].message


def test_row_cap(creator, existing, write_file, settings):
    settings.IMPORT_MAX_ROWS = 5
    result = refuse(creator, write_file(csv_text(EN_HEADER, stat_rows(videos=1, days=6))))
    assert "more than 5 rows" in result.errors[0].message


def test_row_cap_in_a_workbook(creator, existing, write_xlsx, settings):
    settings.IMPORT_MAX_ROWS = 5
    result = refuse(creator, write_xlsx(EN_HEADER, stat_rows(videos=1, days=6)))
    assert "more than 5 rows" in result.errors[0].message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ".xls"),
        ("视频ID,日期\n".encode("utf-16"), "UTF-16"),
        (b"PK\x03\x04not really a workbook", "not a readable .xlsx"),
    ],
)
def test_files_that_are_not_a_table(creator, existing, write_file, content, fragment):
    result = refuse(creator, write_file(content))
    assert fragment in result.errors[0].message


def test_unknown_platform_names(creator, existing, write_file):
    path = write_file(csv_text(EN_HEADER, stat_rows(videos=1, days=1)))
    before = snapshot()
    result = stats_import_file(owner=creator, path=path, platform="myspace")
    assert not result.ok and "unknown platform" in result.errors[0].message
    assert snapshot() == before


def test_a_file_without_a_platform(creator, existing, write_file):
    path = write_file(csv_text(EN_HEADER, stat_rows(videos=1, days=1)))
    before = snapshot()
    result = stats_import_file(owner=creator, path=path)
    assert not result.ok and "which platform" in result.errors[0].message
    assert snapshot() == before


def test_a_platform_column_that_disagrees_with_the_platform_given(creator, existing, write_file):
    rows = [[*row, "快手"] for row in stat_rows(videos=1, days=2)]
    result = refuse(creator, write_file(csv_text([*EN_HEADER, "平台"], rows)))
    assert where(result) == [(2, "平台"), (3, "平台")]


def test_the_header_row_as_refused_in_a_preview_keeps_the_mapping(creator, existing, write_file):
    rows = stat_rows(videos=1, days=2)
    rows[1][2] = "bad"
    result = refuse(creator, write_file(csv_text(ZH_HEADER[:8], rows)), dry_run=True)
    assert [m["field"] for m in result.column_mapping][:3] == ["platform_video_id", "date", "views"]
    assert [row["row"] for row in result.preview] == [2]
