"""The seed's courses.csv layout as an import job: the /imports/ page and the API accept it,
and it is read by the same reader (encodings, XLSX, problems by row and column) as the rest."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courses.models import Course, PriceTier
from imports.models import ImportJob
from imports.services import import_job_run
from tests.factories import platform
from videos.models import Video

pytestmark = pytest.mark.django_db

HEADER = [
    "course_id", "video_length", "video_quality", "video实用性", "interaction_frequency",
    "interaction_depth", "sales_initial", "sales_time", "sales_price",
]  # fmt: skip
ROWS = [
    ["C1", "5", "4", "3", "1", "0.3", "500", "30", "99"],
    ["C2", "2", "3", "4", "0.5", "0.2", "100", "10", "49.9"],
    ["C2", "8", "5", "5", "0.7", "0.4", "100", "10", "49.90"],
]


def csv_bytes(rows, *, encoding="utf-8-sig") -> bytes:
    return "\r\n".join(",".join(r) for r in [HEADER, *rows]).encode(encoding)


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([row[0], *(float(v) for v in row[1:])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, content, *, name="courses.csv", preview=False, **extra):
    data = {"kind": "courses", "mode": "auto", "file": SimpleUploadedFile(name, content), **extra}
    if preview:
        data["preview_first"] = "on"
    return client.post("/imports/", data)


def test_the_page_imports_courses_tiers_and_videos(creator_client, creator, other_creator):
    response = upload(creator_client, csv_bytes(ROWS))
    job = ImportJob.objects.get(owner=creator)
    assert response.status_code == 302 and job.kind == ImportJob.Kind.COURSES

    import_job_run(job_id=job.id)  # what the worker does
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    courses = Course.objects.owned_by(creator)
    assert sorted(courses.values_list("external_id", flat=True)) == ["C1", "C2"]
    assert PriceTier.objects.filter(course__owner=creator).count() == 2
    assert Video.objects.owned_by(creator).filter(platform__slug="douyin").count() == 3
    assert not Course.objects.owned_by(other_creator).exists()
    # 2 courses + 2 tiers + 3 videos created; the page shows what happened per kind of row.
    assert job.result["created"] == 7 and job.rows_total == 3
    html = creator_client.get(f"/imports/{job.id}/").content.decode()
    assert "videos: 3 created, 0 updated, 0 unchanged" in html
    assert "C2" in html  # the preview lists the courses

    again = ImportJob.objects.get(pk=upload(creator_client, csv_bytes(ROWS)).url.split("/")[-2])
    import_job_run(job_id=again.id)
    again.refresh_from_db()
    assert again.result["created"] == 0 and again.result["unchanged"] == 7


def test_a_preview_writes_nothing_and_can_then_be_imported(creator_client, creator):
    upload(creator_client, csv_bytes(ROWS, encoding="gb18030"), preview=True)
    preview = ImportJob.objects.get(owner=creator)
    import_job_run(job_id=preview.id)
    preview.refresh_from_db()
    assert preview.status == ImportJob.Status.SUCCEEDED and preview.result["created"] == 7
    assert not Course.objects.exists()

    response = creator_client.post(f"/imports/{preview.id}/import/")
    real = ImportJob.objects.exclude(pk=preview.pk).get()
    assert response.url == f"/imports/{real.id}/" and real.kind == ImportJob.Kind.COURSES
    import_job_run(job_id=real.id)
    assert Course.objects.owned_by(creator).count() == 2


def test_an_xlsx_workbook_in_the_layout_imports_alike(creator_client, creator):
    upload(creator_client, xlsx_bytes(ROWS), name="courses.xlsx", platform=platform("bilibili").id)
    job = ImportJob.objects.get(owner=creator)
    import_job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    assert job.result["encoding"] == "xlsx"
    video = Video.objects.get(owner=creator, platform_video_id="seed-C2-2")
    assert video.platform.slug == "bilibili" and video.length_seconds == 480
    assert PriceTier.objects.get(course__external_id="C2").list_price == Decimal("49.90")


def test_a_bad_file_fails_the_job_naming_row_and_column_and_writes_nothing(creator_client, creator):
    bad = [ROWS[0], ["C2", "2", "9", "4", "0.5", "0.2", "100", "10", "49.9"], ["", *ROWS[1][1:]]]
    upload(creator_client, csv_bytes(bad))
    job = ImportJob.objects.get(owner=creator)
    import_job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert {(e["row"], e["column"]) for e in job.errors} == {(3, "video_quality"), (4, "course_id")}
    assert not Course.objects.exists() and not Video.objects.exists()
    html = creator_client.get(f"/imports/{job.id}/").content.decode()
    assert "nothing was written" in html


def test_the_api_accepts_the_kind(client, creator):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(creator)
    response = api.post(
        "/api/v1/import-jobs/",
        {"kind": "courses", "file": SimpleUploadedFile("courses.csv", csv_bytes(ROWS))},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    import_job_run(job_id=job.id)
    assert Course.objects.owned_by(creator).count() == 2


def test_the_courses_and_the_jobs_success_commit_together(creator_client, creator, monkeypatch):
    """A worker dying between the rows and the job's mark must leave neither: the reaper's
    "nothing was written" holds for this kind too."""
    from imports import services as import_services

    upload(creator_client, csv_bytes(ROWS))
    job = ImportJob.objects.get(owner=creator)
    real = import_services._finish

    def finish_then_crash(job, result):
        real(job, result)
        assert Course.objects.exists()
        raise RuntimeError("killed between the rows and the commit")

    monkeypatch.setattr(import_services, "_finish", finish_then_crash)
    with pytest.raises(RuntimeError):
        import_job_run(job_id=job.id)
    assert not Course.objects.exists() and not Video.objects.exists()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
