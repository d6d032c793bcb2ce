"""The imports page: upload, preview (dry run), import, progress and history."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportJob
from imports.services import import_job_run
from tests.factories import platform
from videos.models import VideoDailyStat

pytestmark = pytest.mark.django_db

GOOD = (
    "视频ID,日期,播放量,点赞量,评论量,分享量,收藏量\n"
    "vid-a,2026-11-20,1000,50,10,5,7\n"
    "vid-a,2026-11-21,1200,60,12,6,8\n"
    "vid-b,2026-11-21,300,9,1,0,2\n"
).encode("utf-8-sig")
BAD = (
    "视频ID,日期,播放量,点赞量,评论量,分享量,收藏量\n"
    "vid-a,2026-11-20,-5,1,1,1,1\n"
    "vid-a,not a date,10,1,1,1,1\n"
).encode()


def _upload(client, content, *, preview=True, name="export.csv"):
    data = {
        "kind": "stats",
        "mode": "auto",
        "platform": platform("douyin").id,
        "file": SimpleUploadedFile(name, content, content_type="text/csv"),
    }
    if preview:
        data["preview_first"] = "on"
    return client.post("/imports/", data)


def test_preview_then_import(creator_client, creator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = _upload(creator_client, GOOD)
    preview = ImportJob.objects.get(owner=creator)
    assert response.status_code == 302 and response.url == f"/imports/{preview.id}/"
    assert preview.dry_run and preview.status == ImportJob.Status.PENDING
    page = creator_client.get(f"/imports/{preview.id}/")
    assert b'hx-trigger="every 1s"' in page.content  # polls while the worker is busy

    import_job_run(job_id=preview.id)  # what the worker does
    page = creator_client.get(f"/imports/{preview.id}/", HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert page.templates[0].name == "imports/_job.html"
    assert "every 1s" not in html  # finished: polling stops
    assert "播放量" in html and "Import this file" in html
    assert not VideoDailyStat.objects.exists()

    with django_capture_on_commit_callbacks(execute=False):
        response = creator_client.post(f"/imports/{preview.id}/import/")
    real = ImportJob.objects.exclude(pk=preview.pk).get()
    assert response.url == f"/imports/{real.id}/"
    assert not real.dry_run
    import_job_run(job_id=real.id)
    real.refresh_from_db()
    assert real.status == ImportJob.Status.SUCCEEDED
    assert real.rows_done == real.rows_total == 3
    assert VideoDailyStat.objects.filter(video__owner=creator).count() == 3
    history = creator_client.get("/imports/")
    assert [j.id for j in history.context["jobs"]] == [real.id, preview.id]


def test_bad_file_lists_errors_by_row_and_column_and_cannot_be_imported(creator_client, creator):
    _upload(creator_client, BAD)
    job = ImportJob.objects.get(owner=creator)
    import_job_run(job_id=job.id)
    html = creator_client.get(f"/imports/{job.id}/").content.decode()
    assert "nothing was written" in html
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.error_count >= 2
    rows = {e["row"] for e in job.errors}
    assert {2, 3} <= rows
    response = creator_client.post(f"/imports/{job.id}/import/")
    assert response.status_code == 422
    assert ImportJob.objects.count() == 1


def test_wrong_file_type_is_refused_on_the_form(creator_client):
    response = _upload(creator_client, b"%PDF-1.4", name="report.pdf")
    assert response.status_code == 422
    assert "file" in response.context["form"].errors
    assert not ImportJob.objects.exists()


def test_another_creators_job_is_404(client, creator, other_creator):
    client.force_login(creator)
    _upload(client, GOOD)
    job = ImportJob.objects.get()
    client.force_login(other_creator)
    assert client.get(f"/imports/{job.id}/").status_code == 404
    assert client.post(f"/imports/{job.id}/import/").status_code == 404
    assert job.original_filename.encode() not in client.get("/imports/").content


@pytest.mark.parametrize("jobs", [1, 8])
def test_imports_page_query_count_is_fixed(
    creator_client, creator, jobs, django_assert_num_queries
):
    for _ in range(jobs):
        _upload(creator_client, GOOD)
    # session, user, platforms (the form's choices), the history
    with django_assert_num_queries(4):
        assert creator_client.get("/imports/").status_code == 200


def test_a_refused_file_lists_its_ignored_columns_and_asks_for_the_platform_in_the_form(
    creator_client, creator
):
    content = "视频ID,日期,播放量,备注\nv1,2026-11-20,10,x\n".encode()
    creator_client.post(
        "/imports/",
        {
            "kind": "stats",
            "mode": "auto",
            "file": SimpleUploadedFile("export.csv", content, content_type="text/csv"),
        },
    )
    job = ImportJob.objects.get(owner=creator)
    import_job_run(job_id=job.id)
    html = creator_client.get(f"/imports/{job.id}/").content.decode()
    assert "nothing was written" in html
    assert "Choose the platform in the form" in html and "--platform" not in html
    assert 'data-testid="ignored-columns"' in html and "<code>备注</code>" in html


def test_a_lifetime_totals_file_shows_its_snapshots_and_baselines(creator_client, creator):
    content = (
        "视频ID,日期,累计播放,累计点赞,累计评论\n"
        "vid-a,2026-11-20,1000,50,10\n"
        "vid-a,2026-11-21,1200,60,12\n"
    ).encode()
    _upload(creator_client, content, preview=False)
    job = ImportJob.objects.get(owner=creator)
    import_job_run(job_id=job.id)
    html = creator_client.get(f"/imports/{job.id}/").content.decode()
    assert 'data-testid="snapshot-figures"' in html
    assert "lifetime totals (stored as snapshots)" in html
    assert "their first snapshot is a baseline" in html
    assert list(VideoDailyStat.objects.values_list("views", flat=True)) == [200]


def test_the_columns_are_named_in_the_creators_language(
    creator_client, creator, django_capture_on_commit_callbacks
):
    """The page names the fields in plain words (the stored result keeps the machine names)."""
    creator_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    with django_capture_on_commit_callbacks(execute=False):
        _upload(creator_client, GOOD)
    job = ImportJob.objects.get(owner=creator)
    import_job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.result["preview"][0]["platform_video_id"] == "vid-a"  # the result keeps the keys
    html = creator_client.get(f"/imports/{job.id}/").content.decode()
    assert "平台上的视频 ID" in html and "链接点击" in html and "抖音" in html
    assert '<th scope="col" data-field="platform_video_id">' in html
    assert ">platform_video_id<" not in html and ">link_clicks<" not in html
