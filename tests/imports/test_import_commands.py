"""`import_stats`: exit status 0 and a summary for a good file; 1 and every problem (row and
column) for a bad one, with nothing written."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from videos.models import Video, VideoDailyStat

from .conftest import EN_HEADER, ZH_HEADER, csv_text, stat_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """manage.py closes every connection when a command ends; the test still needs its own."""
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


def run(*argv: str) -> int:
    """Run manage.py's entry point in-process (same test database); return its exit status."""
    try:
        ManagementUtility(["manage.py", *argv]).execute()
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def test_good_file_exits_zero_and_summarises(creator, write_file, capsys):
    path = write_file(csv_text(ZH_HEADER[:8], stat_rows(videos=2, days=3)))
    status = run("import_stats", str(path), "--owner", creator.username, "--platform", "douyin")
    out = capsys.readouterr().out
    assert status == 0
    assert "6 rows read; wrote 6 new" in out and "2 new video(s)" in out
    assert VideoDailyStat.objects.count() == 6


def test_bad_file_exits_non_zero_lists_rows_and_columns_and_writes_nothing(
    creator, write_file, capsys
):
    rows = stat_rows(videos=1, days=4)
    rows[1][2] = "-1"
    rows[2][1] = "2026-13-01"
    path = write_file(csv_text(ZH_HEADER[:8], rows))

    status = run("import_stats", str(path), "--owner", creator.username, "--platform", "douyin")

    err = capsys.readouterr().err
    assert status == 1
    assert "refused, nothing was written (2 problem(s))" in err
    assert 'row 3, column "播放量": -1 is negative' in err
    assert 'row 4, column "日期": "2026-13-01" is not a date' in err
    assert not Video.objects.exists() and not VideoDailyStat.objects.exists()


def test_dry_run_prints_the_mapping_and_preview(creator, write_file):
    path = write_file(csv_text(EN_HEADER, stat_rows(videos=1, days=2)))
    out = StringIO()
    call_command(
        "import_stats",
        str(path),
        owner=creator.username,
        platform="douyin",
        dry_run=True,
        stdout=out,
    )
    text = out.getvalue()
    assert '"views" → views' in text and "row 2: platform=Douyin" in text
    assert "dry run, nothing written" in text
    assert not VideoDailyStat.objects.exists()


def test_cumulative_flag(creator, write_file):
    rows = [["v", f"2026-03-0{d + 1}", 10 * (d + 1), 0, 0, 0, 0, 0] for d in range(3)]
    path = write_file(csv_text(EN_HEADER, rows))
    call_command(
        "import_stats", str(path), owner=creator.username, platform="douyin", cumulative=True
    )
    assert set(VideoDailyStat.objects.values_list("views", flat=True)) == {10}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--owner", "nobody", "--platform", "douyin"], 'no user "nobody"'),
        (["--owner", "alice", "--platform", "myspace"], "unknown platform"),
    ],
)
def test_bad_arguments(creator, write_file, argv, message):
    path = write_file(csv_text(EN_HEADER, stat_rows(videos=1, days=1)))
    with pytest.raises(CommandError, match=message):
        call_command("import_stats", str(path), *argv)
    assert not VideoDailyStat.objects.exists()


def test_missing_file(creator):
    assert run("import_stats", "/no/such/file.csv", "--owner", creator.username) == 1


def test_the_command_names_its_platform_option_and_warns_about_baselines(
    creator, write_file, capsys
):
    rows = [["x1", "2026-03-01", 1, 1, 1, 1, 1, 1]]
    with pytest.raises(CommandError, match="--platform"):
        call_command("import_stats", str(write_file(csv_text(EN_HEADER, rows))), owner="alice")
    header = ["视频ID", "日期", "累计播放", "累计点赞"]
    totals = [["c1", "2026-03-01", 100, 5], ["c1", "2026-03-02", 160, 9]]
    out = StringIO()
    call_command(
        "import_stats",
        str(write_file(csv_text(header, totals), name="totals.csv")),
        owner="alice",
        platform="douyin",
        stdout=out,
    )
    assert "warning: 1 video(s) had no lifetime total stored yet" in out.getvalue()
    assert list(VideoDailyStat.objects.values_list("views", flat=True)) == [60]
