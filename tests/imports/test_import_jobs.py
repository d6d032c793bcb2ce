"""Import jobs: stored uploads processed by the Celery task, with progress and a kept outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from imports import services as jobs_module
from imports.models import ImportJob
from imports.services import import_job_create, import_job_run
from imports.stats import stats_import_file
from imports.tasks import import_job_process
from tests.factories import CourseFactory, CreatorFactory, PriceTierFactory
from videos.models import Video, VideoDailyStat

from .conftest import EN_HEADER, ZH_HEADER, csv_text, stat_rows

pytestmark = pytest.mark.django_db


def upload(text: str | bytes, name: str = "抖音数据.csv") -> ContentFile:
    return ContentFile(text.encode() if isinstance(text, str) else text, name=name)


def good_csv(videos: int = 2, days: int = 10) -> ContentFile:
    return upload(csv_text(ZH_HEADER[:8], stat_rows(videos=videos, days=days)))


def test_create_stores_the_upload_and_queues_it_after_commit(
    creator, settings, no_enqueue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(owner=creator, kind="stats", file=good_csv(), platform="douyin")

    assert job.status == ImportJob.Status.PENDING
    assert job.original_filename == "抖音数据.csv"
    assert job.file.name.startswith(f"imports/{creator.pk}/")
    assert job.file.path.startswith(str(settings.MEDIA_ROOT))
    assert job.platform.slug == "douyin"
    assert no_enqueue == [("import", (job.pk,))]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"file": upload(b"")}, "file"),
        ({"file": upload("a,b\n1,2\n", name="data.pdf")}, "file"),
        ({"file": good_csv(), "platform": "myspace"}, "platform"),
        ({"file": good_csv(), "kind": "sales", "platform": "douyin"}, "platform"),
        ({"file": good_csv(), "kind": "videos"}, "kind"),
        ({"file": good_csv(), "mode": "weekly"}, "mode"),
    ],
)
def test_create_refuses_at_once_what_needs_no_reading(creator, kwargs, field):
    arguments = {"owner": creator, "kind": "stats", "enqueue": False, **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        import_job_create(**arguments)
    assert field in excinfo.value.message_dict
    assert not ImportJob.objects.exists()


def test_create_refuses_an_oversized_upload(creator, settings):
    settings.IMPORT_MAX_FILE_MB = 0
    with pytest.raises(ValidationError):
        import_job_create(owner=creator, kind="stats", file=good_csv(), enqueue=False)


def test_running_a_job_imports_it_and_reports_progress(creator, settings, monkeypatch):
    settings.IMPORT_CHUNK_ROWS = 7
    job = import_job_create(
        owner=creator,
        kind="stats",
        file=good_csv(videos=2, days=10),
        platform="douyin",
        enqueue=False,
    )
    seen = []
    real = jobs_module.stats_import_file

    def watching(**kwargs):
        progress = kwargs.pop("progress")

        def spy(stage, done, total):
            progress(stage, done, total)
            seen.append(
                ImportJob.objects.values_list("status", "rows_done", "rows_total").get(pk=job.pk)
            )

        return real(progress=spy, **kwargs)

    monkeypatch.setattr(jobs_module, "stats_import_file", watching)

    finished = import_job_run(job_id=job.pk)

    assert seen == [
        ("validating", 0, 20),
        ("validating", 7, 20),
        ("validating", 14, 20),
        ("validating", 20, 20),
        ("running", 20, 20),
    ]
    assert finished.status == ImportJob.Status.SUCCEEDED
    assert finished.rows_done == finished.rows_total == 20
    assert finished.progress_percent == 100
    assert finished.detected_mode == "daily"
    assert finished.errors == [] and finished.error_count == 0
    assert finished.result["created"] == 20 and len(finished.result["created_videos"]) == 2
    assert finished.started_at and finished.finished_at
    assert VideoDailyStat.objects.filter(video__owner=creator).count() == 20


def test_the_service_reports_progress_by_chunk(creator, settings, write_file):
    settings.IMPORT_CHUNK_ROWS = 4
    calls = []
    stats_import_file(
        owner=creator,
        path=write_file(csv_text(EN_HEADER, stat_rows(videos=1, days=10))),
        platform="douyin",
        progress=lambda *args: calls.append(args),
    )
    assert calls == [
        ("validating", 0, 10),
        ("validating", 4, 10),
        ("validating", 8, 10),
        ("validating", 10, 10),
        ("running", 10, 10),
    ]


def test_a_bad_file_ends_failed_with_its_errors_kept(creator):
    rows = stat_rows(videos=1, days=5)
    rows[2][2] = "-4"
    rows[3][1] = "someday"
    job = import_job_create(
        owner=creator,
        kind="stats",
        file=upload(csv_text(ZH_HEADER[:8], rows)),
        platform="douyin",
        enqueue=False,
    )

    finished = import_job_run(job_id=job.pk)

    assert finished.status == ImportJob.Status.FAILED
    assert finished.error_count == 2
    assert finished.errors == [
        {"row": 4, "column": "播放量", "message": "-4 is negative; counts are 0 or more"},
        {
            "row": 5,
            "column": "日期",
            "message": '"someday" is not a date (expected e.g. 2025-03-01)',
        },
    ]
    assert finished.rows_done == finished.rows_total == 5
    assert finished.result["ok"] is False and "nothing was written" in finished.result["summary"]
    assert not Video.objects.exists() and not VideoDailyStat.objects.exists()


def test_a_finished_job_is_not_run_again(creator):
    job = import_job_create(
        owner=creator, kind="stats", file=good_csv(), platform="douyin", enqueue=False
    )
    first = import_job_run(job_id=job.pk)
    second = import_job_run(job_id=job.pk)
    assert second.status == ImportJob.Status.SUCCEEDED
    assert second.finished_at == first.finished_at
    assert second.result["created"] == 20


def test_an_interrupted_job_starts_over(creator):
    """A job whose worker died (no heartbeat for a while) is taken over by a new delivery."""
    job = import_job_create(
        owner=creator, kind="stats", file=good_csv(), platform="douyin", enqueue=False
    )
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        rows_done=13,
        heartbeat_at=timezone.now() - timedelta(hours=1),
        worker="gone-host:1",
    )
    finished = import_job_run(job_id=job.pk)
    assert finished.status == ImportJob.Status.SUCCEEDED and finished.rows_done == 20


def test_a_second_delivery_leaves_a_live_job_alone(creator):
    """A job whose worker still beats is not run twice at once."""
    job = import_job_create(
        owner=creator, kind="stats", file=good_csv(), platform="douyin", enqueue=False
    )
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.VALIDATING, rows_done=13, heartbeat_at=timezone.now()
    )
    second = import_job_run(job_id=job.pk)
    assert second.status == ImportJob.Status.VALIDATING and second.rows_done == 13
    assert not VideoDailyStat.objects.exists()


def test_a_missing_job_is_logged_and_skipped(caplog):
    assert import_job_run(job_id=987654) is None
    assert "no longer exists" in caplog.text
    assert import_job_process.apply(args=[987654]).get() is None


def test_dry_run_job_previews_and_writes_nothing(creator):
    job = import_job_create(
        owner=creator, kind="stats", file=good_csv(), platform="douyin", dry_run=True, enqueue=False
    )
    finished = import_job_run(job_id=job.pk)
    assert finished.status == ImportJob.Status.SUCCEEDED
    assert finished.result["dry_run"] is True and finished.result["created"] == 20
    assert finished.result["preview"][0]["row"] == 2
    assert finished.result["column_mapping"][0] == {
        "column": "视频ID",
        "field": "platform_video_id",
    }
    assert not VideoDailyStat.objects.exists()


def test_requested_mode_reaches_the_import(creator):
    rows = [["v", f"2026-03-{d + 1:02d}", 10 * (d + 1), 0, 0, 0, 0, 0] for d in range(3)]
    job = import_job_create(
        owner=creator,
        kind="stats",
        file=upload(csv_text(EN_HEADER, rows)),
        platform="douyin",
        mode="cumulative",
        enqueue=False,
    )
    finished = import_job_run(job_id=job.pk)
    assert finished.detected_mode == "cumulative"
    assert set(VideoDailyStat.objects.values_list("views", flat=True)) == {10}


def test_sales_job(creator):
    course = CourseFactory(owner=creator, slug="py")
    PriceTierFactory(course=course, name="基础版")
    text = csv_text(
        ["下单时间", "课程", "档位", "数量", "单价"], [["2026-03-01 10:00", "py", "基础版", 1, 99]]
    )
    job = import_job_create(
        owner=creator, kind="sales", file=upload(text, "orders.csv"), enqueue=False
    )
    finished = import_job_run(job_id=job.pk)
    assert finished.status == ImportJob.Status.SUCCEEDED, finished.errors
    assert course.sales.count() == 1


def test_task_runs_the_job(creator):
    job = import_job_create(
        owner=creator, kind="stats", file=good_csv(), platform="douyin", enqueue=False
    )
    assert import_job_process.apply(args=[job.pk]).get() == "succeeded"
    job.refresh_from_db()
    assert job.rows_done == job.rows_total == 20


def test_task_marks_the_job_failed_when_out_of_time(creator, monkeypatch):
    job = import_job_create(
        owner=creator, kind="stats", file=good_csv(), platform="douyin", enqueue=False
    )

    def too_slow(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("imports.services.import_job_run", too_slow)
    import_job_process.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "longer than" in job.errors[0]["message"]


def test_an_unexpected_failure_is_kept_on_the_job(creator, monkeypatch):
    job = import_job_create(
        owner=creator, kind="stats", file=good_csv(), platform="douyin", enqueue=False
    )

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs_module, "stats_import_file", broken)
    with pytest.raises(RuntimeError):
        import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "disk on fire" in job.errors[0]["message"]


def test_jobs_are_scoped_to_their_owner(creator):
    import_job_create(
        owner=creator, kind="stats", file=good_csv(), platform="douyin", enqueue=False
    )
    other = CreatorFactory(username="mallory")
    assert ImportJob.objects.owned_by(creator).count() == 1
    assert ImportJob.objects.owned_by(other).count() == 0


def test_admin_shows_results_read_only(creator, client):
    job = import_job_create(
        owner=creator, kind="stats", file=good_csv(), platform="douyin", enqueue=False
    )
    import_job_run(job_id=job.pk)
    client.force_login(creator)

    listing = client.get(reverse("admin:imports_importjob_changelist"))
    assert listing.status_code == 200 and "抖音数据.csv" in listing.text
    detail = client.get(reverse("admin:imports_importjob_change", args=[job.pk]))
    assert detail.status_code == 200 and "20 new" in detail.text
    assert client.get(reverse("admin:imports_importjob_add")).status_code == 403
