"""The seed's courses.csv: import_courses and course_report, with DESIGN.md's figures."""

from __future__ import annotations

import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courses.models import Course, PriceTier
from imports.seed_layout import SNAPSHOT_KEY, seed_course_figures, seed_file_parse
from tests.factories import CourseFactory
from videos.models import PipelineStatus, Video

HEADER = (
    "course_id,video_length,video_quality,video实用性,interaction_frequency,"
    "interaction_depth,sales_initial,sales_time,sales_price"
)
WORKED_EXAMPLE = "C1,5,4,3,1,0.3,500,30,99"
# Course C2's two videos are not next to each other: n counts within the course, not the file.
MULTI = [
    WORKED_EXAMPLE,
    "C2,2,3,4,0.5,0.2,100,10,49.9",
    "C1b,1,1,1,0,0,0,0,0",
    "C2,8,5,5,0.7,0.4,100,10,49.90",
]


def write(
    tmp_path: Path,
    rows: list[str],
    *,
    header: str = HEADER,
    encoding: str = "utf-8",
    name: str = "courses.csv",
) -> Path:
    path = tmp_path / name
    path.write_bytes("\r\n".join([header, *rows, ""]).encode(encoding))
    return path


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def state() -> dict[str, list[dict]]:
    """Every row the import can touch, all owners, so 'nothing changed' is a plain ==."""
    return {
        "courses": list(Course.objects.order_by("pk").values()),
        "tiers": list(PriceTier.objects.order_by("pk").values()),
        "videos": list(Video.objects.order_by("pk").values()),
    }


def figure(out: str, symbol: str) -> str:
    match = re.search(rf"^\S.*\s{re.escape(symbol)}\s+= (\S+)", out, re.MULTILINE)
    assert match, f"{symbol} not in:\n{out}"
    return match.group(1)


# --- course_report ------------------------------------------------------------------------


def test_report_prints_the_worked_example_right_and_not_the_seeds_numbers(tmp_path):
    """No db fixture: the report reads only the file (any query would fail this test)."""
    out = run("course_report", write(tmp_path, [WORKED_EXAMPLE]), course_id="C1")

    assert figure(out, "CQ") == "4.00"
    assert figure(out, "F") == "1.00"
    assert figure(out, "D") == "0.30"
    assert figure(out, "D_F") == "0.65"
    assert figure(out, "CQ_F") == "1.99"
    assert figure(out, "S(30)") == "2160.97"
    assert "Revenue at list price         = 213,936.15" in out
    assert "(5 + 4 + 3) / 3 = 4.00" in out
    assert "0.5·F + 0.5·D = 0.5·1 + 0.5·0.3 = 0.65" in out
    assert "0.3·F + 0.3·D + 0.4·CQ = 0.3·1 + 0.3·0.3 + 0.4·4 = 1.99" in out
    assert "500·(1 + 0.05)^30 = 2160.97" in out
    assert "2160.9712 × 99.00 = 213,936.15" in out
    for wrong in ("3.9", "0.85", "800"):
        assert not re.search(rf"(?<![\d.,]){re.escape(wrong)}(?![\d])", out), wrong


def test_figures_of_the_worked_example_are_exact():
    seed = seed_file_parse(f"{HEADER}\n{WORKED_EXAMPLE}\n".encode(), name="x.csv")
    figures = seed_course_figures(seed.courses["C1"])

    assert figures.content_quality == pytest.approx(4)
    assert figures.engagement == pytest.approx(0.65)
    assert figures.composite_quality == pytest.approx(1.99)
    assert figures.sales == pytest.approx(500 * 1.05**30)
    assert figures.revenue == pytest.approx(500 * 1.05**30 * 99)


def test_report_averages_a_course_over_its_rows(tmp_path):
    out = run("course_report", write(tmp_path, MULTI), course_id="C2")

    # CQ = mean((2+3+4)/3, (8+5+5)/3) = mean(3, 6); F = mean(0.5, 0.7); D = mean(0.2, 0.4)
    assert "2 videos (rows 3, 5)" in out
    assert "mean(3.00, 6.00) = 4.50" in out
    assert figure(out, "CQ") == "4.50"
    assert figure(out, "F") == "0.60"
    assert figure(out, "D") == "0.30"
    assert figure(out, "D_F") == "0.45"
    assert figure(out, "CQ_F") == "2.07"  # 0.18 + 0.09 + 1.8
    assert figure(out, "S(10)") == "162.89"  # 100·1.05^10


def test_growth_rate_changes_the_forecast(tmp_path):
    path = write(tmp_path, [WORKED_EXAMPLE])

    out = run("course_report", path, course_id="C1", growth_rate=0.1)

    assert figure(out, "S(30)") == f"{500 * 1.1**30:.2f}" == "8724.70"
    assert "500·(1 + 0.1)^30" in out
    assert figure(out, "CQ") == "4.00"  # only the forecast depends on r


@pytest.mark.parametrize("rate", ["-1", "-2", "nan"])
def test_growth_rate_at_or_below_minus_one_is_refused(tmp_path, rate):
    with pytest.raises(CommandError, match="--growth-rate"):
        path = write(tmp_path, [WORKED_EXAMPLE])
        run("course_report", path, "--course-id=C1", f"--growth-rate={rate}")


def test_unknown_course_id_names_it_and_lists_the_known_ones(tmp_path):
    with pytest.raises(CommandError) as error:
        run("course_report", write(tmp_path, MULTI), course_id="C9")

    assert "'C9'" in str(error.value)
    assert "known ids: C1, C2, C1b" in str(error.value)


def test_report_refuses_a_bad_file_with_row_and_column(tmp_path):
    path = write(tmp_path, [WORKED_EXAMPLE, "C1,5,9,3,1,0.3,500,30,99"])

    with pytest.raises(CommandError, match=r"row 3, column \"video_quality\": 9 is not a whole"):
        run("course_report", path, course_id="C1")


# --- import_courses: success --------------------------------------------------------------


@pytest.mark.django_db
def test_import_creates_courses_tiers_and_videos(tmp_path, creator):
    out = run("import_courses", write(tmp_path, MULTI), owner=creator.username)

    assert "courses:     3 created, 0 updated, 0 unchanged" in out
    assert "price tiers: 3 created, 0 updated, 0 unchanged" in out
    assert "videos:      4 created, 0 updated, 0 unchanged" in out
    course = Course.objects.get(owner=creator, external_id="C2")
    assert (course.title, course.slug) == ("Course C2", "course-c2")
    assert list(course.tiers.values_list("name", "list_price")) == [("Standard", Decimal("49.90"))]
    videos = course.videos.order_by("platform_video_id")
    assert [
        (v.platform_video_id, v.title, v.length_seconds, v.production_level, v.usefulness)
        for v in videos
    ] == [
        ("seed-C2-1", "Seed video 1 of course C2", 120, 3, 4),
        ("seed-C2-2", "Seed video 2 of course C2", 480, 5, 5),
    ]
    assert {(v.owner, v.platform.slug, v.status) for v in videos} == {
        (creator, "douyin", PipelineStatus.PUBLISHED)
    }
    assert all(v.published_at for v in videos)


@pytest.mark.django_db
def test_snapshot_keeps_everything_in_the_file(tmp_path, creator):
    path = write(
        tmp_path,
        ["C1,2.5,4,3,0.9,0.25,500,30,99,first take", "C1,0.33,2,5,0.1,0.5,500,30,99,"],
        header=f"{HEADER},Note",
        name="seed-export.csv",
    )
    run("import_courses", path, owner=creator.username)

    course = Course.objects.get(owner=creator, external_id="C1")
    snapshot = course.import_snapshot[SNAPSHOT_KEY]
    assert snapshot["file"] == "seed-export.csv"
    assert (snapshot["sales_initial"], snapshot["sales_time"], snapshot["sales_price"]) == (
        500,
        30,
        "99.00",
    )
    first, second = snapshot["rows"]
    assert first == {
        "row": 2,
        "n": 1,
        "platform_video_id": "seed-C1-1",
        "video_length": 2.5,
        "video_quality": 4,
        "video实用性": 3,
        "interaction_frequency": 0.9,
        "interaction_depth": 0.25,
        "sales_initial": 500,
        "sales_time": 30,
        "sales_price": "99.00",
        "extra": {"Note": "first take"},
    }
    assert (second["row"], second["video_length"], "extra" in second) == (3, 0.33, False)
    # video_length is in minutes: 2.5 min = 150 s, 0.33 min = 19.8 s → 20 s.
    assert sorted(course.videos.values_list("length_seconds", flat=True)) == [20, 150]


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing(tmp_path, creator):
    path = write(tmp_path, MULTI)
    run("import_courses", path, owner=creator.username)
    before = state()

    out = run("import_courses", path, owner=creator.username)

    assert state() == before  # same rows, same values, same updated_at
    assert "courses:     0 created, 0 updated, 3 unchanged" in out
    assert "price tiers: 0 created, 0 updated, 3 unchanged" in out
    assert "videos:      0 created, 0 updated, 4 unchanged" in out


@pytest.mark.django_db
def test_reimport_updates_the_price_and_the_figures_but_keeps_the_creators_edits(tmp_path, creator):
    run("import_courses", write(tmp_path, [WORKED_EXAMPLE]), owner=creator.username)
    course = Course.objects.get(owner=creator, external_id="C1")
    course.title = "Python for interviews"
    course.save()
    Video.objects.filter(course=course).update(title="Hook: 3 interview questions")

    out = run(
        "import_courses", write(tmp_path, ["C1,6,5,3,1,0.3,500,30,129"]), owner=creator.username
    )

    assert "courses:     0 created, 1 updated, 0 unchanged" in out
    assert "price tiers: 0 created, 1 updated, 0 unchanged" in out
    assert "videos:      0 created, 1 updated, 0 unchanged" in out
    course.refresh_from_db()
    assert course.title == "Python for interviews"
    assert list(course.tiers.values_list("name", "list_price")) == [("Standard", Decimal("129"))]
    assert course.import_snapshot[SNAPSHOT_KEY]["sales_price"] == "129.00"
    video = course.videos.get()
    assert (video.title, video.length_seconds, video.production_level) == (
        "Hook: 3 interview questions",
        360,
        5,
    )


@pytest.mark.django_db
def test_the_same_course_id_under_two_creators_is_two_courses(tmp_path, creator, other_creator):
    path = write(tmp_path, [WORKED_EXAMPLE])
    run("import_courses", path, owner=creator.username)
    alices = state()

    out = run("import_courses", path, owner=other_creator.username)
    run("import_courses", write(tmp_path, ["C1,1,1,1,0,0,1,1,1"]), owner=other_creator.username)

    assert "courses:     1 created" in out
    assert Course.objects.filter(external_id="C1").count() == 2
    after = state()
    for table, rows in alices.items():
        assert [r for r in after[table] if r in rows] == rows, table  # alice's rows untouched
    bobs = Course.objects.get(owner=other_creator, external_id="C1")
    assert bobs.tiers.get().list_price == Decimal("1")
    assert Video.objects.filter(owner=other_creator, course=bobs).count() == 1


@pytest.mark.django_db
def test_dry_run_counts_but_writes_nothing(tmp_path, creator):
    run("import_courses", write(tmp_path, [WORKED_EXAMPLE]), owner=creator.username)
    before = state()

    out = run(
        "import_courses",
        write(tmp_path, [*MULTI[1:], "C1,5,4,3,1,0.3,500,30,5"]),
        owner=creator.username,
        dry_run=True,
    )

    assert state() == before
    assert "Dry run of courses.csv" in out
    assert "courses:     2 created, 1 updated, 0 unchanged" in out
    assert "dry run: nothing was written" in out


@pytest.mark.django_db
def test_utf8_bom_and_gb18030_files_import_alike(tmp_path, creator, other_creator):
    rows = ["数据分析,5,4,3,1,0.3,500,30,99", "数据分析,3,3,3,0.5,0.5,500,30,99"]
    utf8 = write(tmp_path, rows, encoding="utf-8-sig", name="utf8.csv")
    gb = write(tmp_path, rows, encoding="gb18030", name="gb.csv")
    assert utf8.read_bytes().startswith(b"\xef\xbb\xbf") and "实用性".encode("gb18030") in (
        gb.read_bytes()
    )

    out_utf8 = run("import_courses", utf8, owner=creator.username)
    out_gb = run("import_courses", gb, owner=other_creator.username)

    assert "(utf-8-sig)" in out_utf8 and "(gb18030)" in out_gb
    for owner in (creator, other_creator):
        course = Course.objects.get(owner=owner, external_id="数据分析")
        assert course.slug == "course-数据分析"
        assert course.videos.count() == 2
    reports = [run("course_report", path, course_id="数据分析") for path in (utf8, gb)]
    assert figure(reports[0], "CQ") == figure(reports[1], "CQ") == "3.50"


@pytest.mark.django_db
def test_platform_option_and_unknown_platform(tmp_path, creator):
    path = write(tmp_path, [WORKED_EXAMPLE])

    with pytest.raises(CommandError, match=r"no platform 'tiktok'; known: bilibili, douyin"):
        run("import_courses", path, owner=creator.username, platform="tiktok")
    assert Course.objects.count() == 0

    run("import_courses", path, owner=creator.username, platform="bilibili")
    assert Video.objects.get(owner=creator).platform.slug == "bilibili"


@pytest.mark.django_db
def test_unknown_owner_is_refused(tmp_path):
    with pytest.raises(CommandError, match="--owner: no user named 'nobody'"):
        run("import_courses", write(tmp_path, [WORKED_EXAMPLE]), owner="nobody")


@pytest.mark.django_db
def test_slug_taken_by_another_of_the_creators_courses_gets_a_suffix(tmp_path, creator):
    CourseFactory(owner=creator, slug="course-c1")

    run("import_courses", write(tmp_path, [WORKED_EXAMPLE]), owner=creator.username)

    assert Course.objects.get(owner=creator, external_id="C1").slug == "course-c1-2"


# --- import_courses: refusals -------------------------------------------------------------

GOOD = "C1,5,4,3,1,0.3,500,30,99"
REFUSALS = {
    "missing column": (
        [GOOD.rsplit(",", 1)[0]],
        HEADER.rsplit(",", 1)[0],
        ['row 1, column "sales_price": missing from the header'],
    ),
    "non-numeric": (
        [GOOD, "C2,abc,4,3,1,0.3,500,30,99"],
        HEADER,
        ["row 3, column \"video_length\": 'abc' is not a number"],
    ),
    "empty cell": (
        [GOOD, "C2,5,4,3,,0.3,500,30,99"],
        HEADER,
        ['row 3, column "interaction_frequency": is empty'],
    ),
    "negative": (
        [GOOD, "C2,5,4,3,1,-0.3,-500,30,99"],
        HEADER,
        [
            'row 3, column "interaction_depth": -0.3 is negative',
            'row 3, column "sales_initial": -500 is negative',
        ],
    ),
    "quality outside 1-5": (
        [GOOD, "C2,5,6,3,1,0.3,500,30,99", "C3,5,4,0,1,0.3,500,30,99", "C4,5,3.5,3,1,0,1,1,1"],
        HEADER,
        [
            'row 3, column "video_quality": 6 is not a whole number from 1 to 5',
            'row 4, column "video实用性": 0 is not a whole number from 1 to 5',
            'row 5, column "video_quality": 3.5 is not a whole number from 1 to 5',
        ],
    ),
    "empty course id": (
        [GOOD, " ,5,4,3,1,0.3,500,30,99"],
        HEADER,
        ['row 3, column "course_id": is empty'],
    ),
    "course rows disagree": (
        [GOOD, "C2,5,4,3,1,0.3,10,5,20", "C1,5,4,3,1,0.3,500,31,129"],
        HEADER,
        [
            "row 4, column \"sales_time\": 31 disagrees with 30 in row 2 for course 'C1'",
            "row 4, column \"sales_price\": 129.00 disagrees with 99.00 in row 2 for course 'C1'",
        ],
    ),
    "disagreement beside another problem in the same pass": (
        ["C1,5,7,3,1,0.3,500,30,99", "C1,5,4,3,1,0.3,500,30,129"],
        HEADER,
        [
            'row 2, column "video_quality": 7 is not a whole number from 1 to 5',
            "row 3, column \"sales_price\": 129.00 disagrees with 99.00 in row 2 for course 'C1'",
        ],
    ),
    "price with fractions of a cent": (
        [GOOD, "C2,5,4,3,1,0.3,500,30,9.999"],
        HEADER,
        ['row 3, column "sales_price": 9.999 has more than 2 decimal places'],
    ),
    "too many cells": (
        [GOOD, "C2,5,4,3,1,0.3,500,30,99,extra"],
        HEADER,
        ['row 3, column "J (no header)": has 10 cells but the header has 9 columns'],
    ),
    "blank lines still count as rows": (
        [GOOD, "", "C2,5,4,3,1,0.3,500,30,x"],
        HEADER,
        ["row 4, column \"sales_price\": 'x' is not a number"],
    ),
    "header only": ([], HEADER, ["row 2: the file has a header but no data rows"]),
    "numbers too large to store": (
        [GOOD, "C2,1e307,4,3,1,0.3,500,30,99", "C3,5,4,3,1,0.3,500,30,1e40"],
        HEADER,
        [
            'row 3, column "video_length": 1e+307 minutes is too long to store',
            'row 4, column "sales_price": 1e40 is above the largest price 99999999.99',
        ],
    ),
    "column named twice": (
        [f"{GOOD},4"],
        f"{HEADER},Video_Quality",
        ['row 1, column "Video_Quality": appears twice in the header'],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_a_bad_file_is_refused_whole_naming_row_and_column(tmp_path, creator, case):
    rows, header, messages = REFUSALS[case]
    # An earlier import exists; the bad file's good rows would change it, but must not.
    run(
        "import_courses",
        write(tmp_path, ["C1,1,1,1,0,0,500,30,49"], name="old.csv"),
        owner=creator.username,
    )
    before = state()
    path = write(tmp_path, rows, header=header)

    with pytest.raises(CommandError) as error:
        run("import_courses", path, owner=creator.username)
    with pytest.raises(CommandError) as report_error:
        run("course_report", path, course_id="C1")

    assert state() == before
    for message in messages:
        assert message in str(error.value)
        assert message in str(report_error.value)
    assert "nothing was written" in str(error.value)


@pytest.mark.django_db
def test_every_problem_is_listed_up_to_fifty(tmp_path, creator):
    rows = [f"C{i},5,4,3,1,0.3,500,30,{'x' if i % 2 else -1}" for i in range(60)]

    with pytest.raises(CommandError) as error:
        run("import_courses", write(tmp_path, rows), owner=creator.username)

    message = str(error.value)
    assert message.startswith("courses.csv: 60 problems, nothing was written")
    assert 'row 2, column "sales_price": -1 is negative' in message
    assert "row 3, column \"sales_price\": 'x' is not a number" in message
    assert 'row 51, column "sales_price"' in message
    assert 'row 52, column "sales_price"' not in message
    assert message.endswith("... and 10 more")
    assert Course.objects.count() == 0


@pytest.mark.django_db
def test_bytes_neither_utf8_nor_gb18030_are_refused(tmp_path, creator):
    path = tmp_path / "courses.csv"
    path.write_bytes(f"{HEADER}\r\n".encode() + b"C1,5,4,3,1,0.3,500,30,99\xff\xff\r\n")

    refused = r"row 2, column \"sales_price\": these bytes are neither UTF-8 nor GB18030"
    with pytest.raises(CommandError, match=refused):
        run("import_courses", path, owner=creator.username)
    assert Course.objects.count() == 0


def test_a_forecast_too_large_for_a_float_is_refused(tmp_path):
    path = write(tmp_path, ["C1,5,4,3,1,0.3,500,100000,99"])

    with pytest.raises(CommandError, match=r"S\(t\) for course 'C1' is too large to compute"):
        run("course_report", path, course_id="C1")


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        run("course_report", tmp_path / "nope.csv", course_id="C1")


def test_import_marks_figures_stale_and_a_dry_run_does_not(
    tmp_path, creator, monkeypatch, django_capture_on_commit_callbacks
):
    from analytics.models import RecomputeState

    sent = []
    monkeypatch.setattr(
        "analytics.tasks.recompute_owner_metrics.delay", lambda *args: sent.append(args)
    )
    stale = RecomputeState.objects.filter(owner=creator, stale_since__isnull=False)
    with django_capture_on_commit_callbacks(execute=True):
        run("import_courses", write(tmp_path, MULTI), owner=creator.username, dry_run=True)
    assert not stale.exists() and sent == []
    with django_capture_on_commit_callbacks(execute=True):
        run("import_courses", write(tmp_path, MULTI), owner=creator.username)
    # Courses and videos written through their services: stale in the transaction, one
    # recompute queued after it, however many rows the file held.
    assert stale.exists()
    assert sent == [(creator.pk, "course.changed")]
