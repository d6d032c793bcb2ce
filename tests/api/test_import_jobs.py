"""Import jobs through the API: upload a file, poll the job, read its errors."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportJob
from imports.services import import_job_run
from tests.factories import VideoFactory, platform
from videos.models import VideoDailyStat

pytestmark = pytest.mark.django_db

HEADER = "视频ID,日期,播放量,点赞数,评论数\n"


def upload(client, content: str, name: str = "douyin.csv", **fields):
    body = {"file": SimpleUploadedFile(name, content.encode(), content_type="text/csv"), **fields}
    return client.post("/api/v1/import-jobs/", body, format="multipart")


def test_upload_then_poll_until_finished(api_a, creator, django_capture_on_commit_callbacks):
    video = VideoFactory(owner=creator, platform=platform("douyin"), platform_video_id="v1")
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(
            api_a,
            HEADER + "v1,2026-01-01,100,5,1\nv1,2026-01-02,150,7,2\n",
            platform=platform("douyin").pk,
            mode="daily",
        )
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["status"], job["kind"], job["original_filename"]) == (
        "pending",
        "stats",
        "douyin.csv",
    )
    assert len(callbacks) == 1  # the worker is asked only once the job row is committed

    import_job_run(job_id=job["id"])  # what the worker does

    polled = api_a.get(f"/api/v1/import-jobs/{job['id']}/").json()
    assert polled["status"] == "succeeded", (polled["errors"], polled["result"])
    assert polled["rows_done"] == polled["rows_total"] == 2
    assert polled["progress_percent"] == 100
    assert VideoDailyStat.objects.filter(video=video).count() == 2


def test_a_bad_file_is_reported_on_the_job(api_a, creator):
    VideoFactory(owner=creator, platform=platform("douyin"), platform_video_id="v1")
    job = upload(api_a, HEADER + "v1,2026-01-01,-5,5,1\n", platform=platform("douyin").pk).json()

    import_job_run(job_id=job["id"])

    polled = api_a.get(f"/api/v1/import-jobs/{job['id']}/").json()
    assert polled["status"] == "failed"
    assert polled["error_count"] >= 1
    assert polled["errors"][0]["row"] is not None
    assert not VideoDailyStat.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "field"),
    [("notes.pdf", "x", "file"), ("empty.csv", "", "file")],
)
def test_unacceptable_uploads_are_refused_at_once(api_a, name, content, field):
    response = upload(api_a, content, name=name)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not ImportJob.objects.exists()


def test_json_is_not_an_upload(api_a):
    response = api_a.post("/api/v1/import-jobs/", {"kind": "stats"}, format="json")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
