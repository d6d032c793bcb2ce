"""An import job end to end: queued on commit, picked up by a real `celery worker` process on the
configured broker (filesystem or Redis) and database, its progress and outcome on the row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from imports.models import ImportJob
from imports.services import import_job_create
from imports.tasks import import_job_process
from tests.factories import CreatorFactory
from tests.processes import database_url
from videos.models import VideoDailyStat

from .conftest import ZH_HEADER, csv_text, stat_rows

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_queue(settings):
    """A worker on a queue of its own, sharing the test database and MEDIA_ROOT."""
    queue = f"test-import-{uuid.uuid4().hex[:8]}"
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / f"worker-{queue}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", "1",
         "--loglevel=info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_QUEUE": queue,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    yield queue
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def _wait_for_finish(job_id: int, timeout: float = 90.0) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.25)
    raise AssertionError(f"the worker did not finish import job {job_id} within {timeout} s")


def test_a_real_worker_processes_good_and_bad_files(worker_queue):
    creator = CreatorFactory(username="import-worker")
    good = import_job_create(
        owner=creator,
        kind="stats",
        file=ContentFile(csv_text(ZH_HEADER[:8], stat_rows(videos=3, days=20)).encode(), "ok.csv"),
        platform="douyin",
        enqueue=False,
    )
    rows = stat_rows(videos=1, days=3)
    rows[1][2] = "-9"
    bad = import_job_create(
        owner=creator,
        kind="stats",
        file=ContentFile(csv_text(ZH_HEADER[:8], rows).encode(), "bad.csv"),
        platform="douyin",
        enqueue=False,
    )
    for job in (good, bad):
        import_job_process.apply_async(args=[job.pk], queue=worker_queue)

    good = _wait_for_finish(good.pk)
    assert good.status == ImportJob.Status.SUCCEEDED, good.errors
    assert good.rows_done == good.rows_total == 60
    assert VideoDailyStat.objects.filter(video__owner=creator).count() == 60

    bad = _wait_for_finish(bad.pk)
    assert bad.status == ImportJob.Status.FAILED
    assert bad.errors == [
        {"row": 3, "column": "播放量", "message": "-9 is negative; counts are 0 or more"}
    ]
