"""Bounded parsing: bomb files (built here, by tests/security/hostile_files.py) are refused in
seconds with the row and column, in the creator's language, and the reading process's memory
stays under MEMORY_BOUND_MB; a sheet is read to its last row whatever its <dimension> says; a
MemoryError in an import fails that job and leaves the worker running."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import translation

from imports.models import ImportJob
from imports.results import IssueLog
from imports.services import import_job_create
from imports.tables import table_chunks, table_open
from imports.tasks import import_job_process
from tests.factories import CreatorFactory
from tests.imports.conftest import ZH_HEADER, csv_text, stat_rows
from tests.processes import ROOT, wait_for
from tests.security import hostile_files as hostile

# Peak RSS growth of a process reading any of the hostile files (README "Security").
MEMORY_BOUND_MB = 100

BUILDERS = {
    "cell_1gb.xlsx": lambda p: hostile.xlsx_big_cell(p, 2**30),
    "cell_3gb.xlsx": lambda p: hostile.xlsx_big_cell(p, 3 * 2**30),
    "cell_100mb.xlsx": lambda p: hostile.xlsx_big_cell(p, 100 * 2**20, random_text=True),
    "billion_laughs.xlsx": lambda p: hostile.xlsx_entities(p, "billion_laughs"),
    "xxe.xlsx": lambda p: hostile.xlsx_entities(p, "xxe"),
    "no_dimension_20000.xlsx": lambda p: hostile.xlsx_rows(p, 20_000),
    "dimension_lie.xlsx": lambda p: hostile.xlsx_rows(p, 5, dimension="A1:J2"),
    "line_50mb.csv": hostile.csv_long_line,
    "header_50mb.csv": hostile.csv_long_header,
    "field_50mb.csv": hostile.csv_long_field,
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    built = {}
    for name, build in BUILDERS.items():
        built[name] = build(folder / name)
    return built


def _read(path: Path) -> tuple[IssueLog, int, float]:
    """(problems, data rows read, seconds): what every import kind does with a file."""
    started = time.monotonic()
    log = IssueLog(50)
    rows = 0
    table = table_open(path, log)
    if table is not None:
        columns = {f"c{i}": i for i in range(len(table.header))}
        for chunk in table_chunks(
            table, columns, text_fields=set(columns), chunk_rows=5000, log=log, max_rows=10**7
        ):
            rows += len(chunk)
    return log, rows, time.monotonic() - started


@pytest.mark.parametrize("name", ["cell_1gb.xlsx", "cell_3gb.xlsx"])
def test_a_workbook_inflating_to_gigabytes_is_refused_from_its_directory(files, name):
    log, rows, seconds = _read(files[name])
    assert files[name].stat().st_size < 20 * 2**20
    assert rows == 0 and seconds < 1
    assert "IMPORT_MAX_DECOMPRESSED_MB" in log.lines()[0]


def test_a_100_mb_cell_is_refused_naming_its_row_and_column(files):
    log, rows, seconds = _read(files["cell_100mb.xlsx"])
    issue = log.issues[0]
    assert (issue.row, issue.column) == (2, "title")
    assert "IMPORT_MAX_CELL_CHARS" in issue.message
    assert rows == 0 and seconds < 5


@pytest.mark.parametrize("name", ["billion_laughs.xlsx", "xxe.xlsx"])
def test_entity_tricks_are_refused_plainly_with_no_traceback(files, name, caplog):
    log, rows, _ = _read(files[name])
    assert rows == 0
    assert "refused as unsafe" in log.lines()[0]
    assert "Traceback" not in caplog.text and "ParseError" not in log.lines()[0]


def test_a_sheet_without_a_dimension_is_read_to_its_last_row(files):
    log, rows, seconds = _read(files["no_dimension_20000.xlsx"])
    assert not log and rows == 20_000
    assert seconds < 30  # was 474 s


def test_a_dimension_that_lies_does_not_drop_rows(files):
    table = table_open(files["dimension_lie.xlsx"], IssueLog(5))
    assert table.rows_total == 5
    log, rows, _ = _read(files["dimension_lie.xlsx"])
    assert not log and rows == 5


def test_a_50_mb_line_of_cells_is_refused_at_row_2(files):
    log, rows, seconds = _read(files["line_50mb.csv"])
    issue = log.issues[0]
    assert issue.row == 2 and "IMPORT_MAX_COLUMNS" in issue.message
    assert rows == 0 and seconds < 3  # was 54 s


def test_a_50_mb_header_is_refused_at_row_1(files):
    log, _, seconds = _read(files["header_50mb.csv"])
    assert log.issues[0].row == 1 and seconds < 3


def test_a_50_mb_field_is_refused_with_row_and_column_not_the_csv_modules_words(files):
    log, _, seconds = _read(files["field_50mb.csv"])
    issue = log.issues[0]
    assert (issue.row, issue.column) == (2, "title")
    assert "IMPORT_MAX_CELL_CHARS" in issue.message
    assert "field larger than field limit" not in str(issue)
    assert seconds < 3


def test_limits_are_settings(files, settings, tmp_path):
    settings.IMPORT_MAX_COLUMNS = 3
    path = tmp_path / "wide.csv"
    path.write_text("a,b\n1,2,3,4")
    log, _, _ = _read(path)
    assert (log.issues[0].row, "IMPORT_MAX_COLUMNS" in log.issues[0].message) == (2, True)
    settings.IMPORT_MAX_CELL_CHARS = 5
    path.write_text("a,b\n1,123456\n")
    settings.IMPORT_MAX_COLUMNS = 500
    log, _, _ = _read(path)
    assert (log.issues[0].row, log.issues[0].column) == (2, "b")


def test_a_limit_speaks_the_creators_language(files):
    with translation.override("zh-hans"):
        log, _, _ = _read(files["line_50mb.csv"])
    assert log.issues[0].message == "该行的单元格超过 500 个（IMPORT_MAX_COLUMNS）"


CHILD = r"""
import json, os, resource, sys, time
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
sys.path.insert(0, os.getcwd())
import django
django.setup()
from tests.security.test_import_limits import _read
import openpyxl, pandas  # noqa: F401  (imported before the baseline)
from pathlib import Path
import gc
def status(field):
    return int(next(l for l in open("/proc/self/status") if l.startswith(field)).split()[1])
gc.collect()
# Linux: writing 5 to clear_refs resets the peak (VmHWM) to what is resident now, so the peak
# after reading, less the resident size before, is what reading took; ru_maxrss otherwise.
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base, peak_of = status("VmRSS"), lambda: status("VmHWM")
except OSError:
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_of = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
log, rows, seconds = _read(Path(sys.argv[1]))
peak = peak_of()
print(json.dumps({"refused": bool(log), "rows": rows, "seconds": seconds,
                  "growth_mb": (peak - base) / 1024, "first": (log.lines() or [""])[0]}))
"""


@pytest.mark.parametrize("name", list(BUILDERS))
def test_reading_a_hostile_file_stays_under_the_memory_bound(files, name):
    """In a child process, so its peak RSS (ru_maxrss) is the reading's alone."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(files[name])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{name}: {figures}")
    assert figures["growth_mb"] < MEMORY_BOUND_MB, figures
    assert figures["refused"] == (name not in ("no_dimension_20000.xlsx", "dimension_lie.xlsx"))


# --- a real worker ---------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_memory_error_fails_the_job_and_not_the_worker(settings, tmp_path, monkeypatch):
    """IMPORT_TEST_RAISE=MemoryError makes the import raise as it starts checking rows; the
    job fails with its plain reason and the same worker, still running, does the next job."""
    from tests.security.test_stuck_jobs import _Worker

    settings.MEDIA_ROOT = tmp_path / "media"
    queue = f"test-limits-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("IMPORT_TEST_RAISE", "MemoryError")
    worker = _Worker(queue, settings.MEDIA_ROOT)
    try:
        creator = CreatorFactory(username=f"m-{uuid.uuid4().hex[:6]}")
        upload = csv_text(ZH_HEADER[:8], stat_rows(videos=2, days=5)).encode()
        jobs = [
            import_job_create(
                owner=creator,
                kind="stats",
                file=ContentFile(upload, f"data{n}.csv"),
                platform="douyin",
                enqueue=False,
            )
            for n in range(2)
        ]
        import_job_process.apply_async(args=[jobs[0].pk], queue=queue)

        def finished(job) -> bool:
            return ImportJob.objects.get(pk=job.pk).is_finished

        wait_for(lambda: finished(jobs[0]), timeout=120, what="the first job to end")
        first = ImportJob.objects.get(pk=jobs[0].pk)
        assert first.status == ImportJob.Status.FAILED
        assert first.stop_code == "out_of_memory"
        assert first.errors[0]["message"] == str(ImportJob.STOP_REASONS["out_of_memory"])
        assert worker.proc.poll() is None  # the worker lives on

        ImportJob.objects.filter(pk=jobs[1].pk).update(status=ImportJob.Status.PENDING)
        import_job_process.apply_async(args=[jobs[1].pk], queue=queue)
        wait_for(lambda: finished(jobs[1]), timeout=120, what="the second job to end")
        second = ImportJob.objects.get(pk=jobs[1].pk)
        assert second.stop_code == "out_of_memory"  # same injection: it ran, in the same worker
        assert worker.proc.poll() is None
        assert "Traceback" not in worker.log_path.read_text()
    finally:
        worker.stop()
