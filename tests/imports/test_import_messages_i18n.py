"""The file-level refusals (tables.py), the sales list's and the course file's row problems
and the upload refusals all go through gettext, and a job started from a Chinese page shows
them in Chinese on its page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

import imports.sales
import imports.seed_layout
import imports.tables
from imports.models import ImportJob
from imports.results import IssueLog
from imports.services import import_job_run
from imports.tables import table_open
from tests.factories import platform

pytestmark = pytest.mark.django_db

BROKEN_XLSX = b"PK\x03\x04" + b"not really a zip" * 8
OLD_XLS = b"\xd0\xcf\x11\xe0" + b"\x00" * 64
UTF16 = "\ufeffa,b\n1,2\n".encode("utf-16")
EXTRA_CELLS = "视频ID,日期,播放量\nv1,2026-11-20,10,oops\n".encode()


def mark(text: str) -> str:
    return f"«{text}»"


@pytest.mark.parametrize(
    "content",
    [b"", BROKEN_XLSX, OLD_XLS, UTF16, EXTRA_CELLS, b'a,b\n"1,2\n', b"a,b\n1,\x002\n", b",\n1,2\n"],
    ids=["empty", "broken-xlsx", "xls", "utf16", "extra-cells", "open-quote", "nul", "no-header"],
)
def test_file_refusals_go_through_gettext(content, tmp_path, monkeypatch):
    monkeypatch.setattr(imports.tables, "gettext", mark)
    monkeypatch.setattr(imports.tables.bounds, "_", mark)
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    log = IssueLog(20)
    assert table_open(path, log) is None
    assert log.issues
    for issue in log.issues:
        assert issue.message.startswith("«"), issue
        if issue.column and "no header" in issue.column:
            assert issue.column.startswith("«"), issue


def test_sales_row_problems_go_through_gettext(creator, write_file, monkeypatch):
    from imports.sales import sales_import_file

    monkeypatch.setattr(imports.sales, "_", mark)
    rows = (
        "course,sold_at,quantity,unit_price,platform\n"
        "nope,not a date,zero,free,nowhere\n"
        ",2999-01-01 10:00,1.5,1.234,douyin\n"
    )
    result = sales_import_file(owner=creator, path=write_file(rows, name="sales.csv"))
    assert result.errors
    assert all(issue.message.startswith("«") for issue in result.errors), result.errors


def test_course_file_problems_go_through_gettext(creator, write_file, monkeypatch):
    from imports.seed_layout import SeedFileError, seed_file_read

    monkeypatch.setattr(imports.seed_layout, "_", mark)
    with pytest.raises(SeedFileError) as refused:
        seed_file_read(write_file("course_id,video_length\n,abc\n", name="courses.csv"))
    assert refused.value.problems
    assert all(p.message.startswith("«") for p in refused.value.problems), refused.value.problems


def _upload_in_chinese(client, content, name):
    data = {
        "kind": "stats",
        "mode": "auto",
        "platform": platform("douyin").id,
        "file": SimpleUploadedFile(name, content, content_type="application/octet-stream"),
        "preview_first": "on",
    }
    return client.post("/imports/", data, HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.mark.parametrize(
    ("content", "name", "msgid"),
    [
        (BROKEN_XLSX, "export.xlsx", "this is not a readable .xlsx workbook (%(error)s)"),
        (
            OLD_XLS,
            "export.csv",
            "this is an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8",
        ),
        (
            EXTRA_CELLS,
            "export.csv",
            "has %(cells)s cells but the header has %(columns)s columns "
            "(a comma inside a cell that is not quoted?)",
        ),
    ],
    ids=["broken-xlsx", "xls", "extra-cells"],
)
def test_the_chinese_import_page_shows_file_refusals_in_chinese(
    creator_client, creator, django_capture_on_commit_callbacks, content, name, msgid
):
    with django_capture_on_commit_callbacks(execute=False):
        response = _upload_in_chinese(creator_client, content, name)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.get(owner=creator)
    assert job.language == "zh-hans"
    import_job_run(job_id=job.id)  # the worker, in the site's language: the job carries zh-hans
    page = creator_client.get(f"/imports/{job.id}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    with translation.override("zh-hans"):
        chinese = translation.gettext(msgid)
    assert chinese != msgid, "no Chinese for this message in the catalogue"
    head = chinese.split("%(")[0]
    assert head and head in html
    english = msgid.split("%(")[0]
    assert english not in html
    if "cells" in msgid:
        with translation.override("zh-hans"):
            assert translation.gettext("%(letter)s (no header)") % {"letter": "D"} in html
