"""No job stays "running" forever: a worker killed with SIGKILL mid-import leaves a job the
reaper settles (failed, with a plain reason and a way to import again); a dead recompute is
failed and queued again; a message the broker lost is sent again. Heartbeats keep live jobs
out of the reaper's hands."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override
from django_celery_beat.models import PeriodicTask

from analytics import services as analytics_services
from analytics.models import RecomputeRun, RecomputeState
from analytics.tasks import recompute_owner_metrics
from config.celery import app as celery_app
from core import jobs
from core.tasks import jobs_reap
from imports import services as import_services
from imports.models import ImportJob
from imports.services import import_job_create, import_jobs_reap
from imports.tasks import import_job_process
from tests.factories import CreatorFactory, VideoDailyStatFactory, VideoFactory
from tests.imports.conftest import ZH_HEADER, csv_text, stat_rows
from tests.processes import ROOT, database_url, wait_for
from videos.models import VideoDailyStat

WORKER_LOST = "The worker stopped while importing; nothing was written — import again."
LONG_AGO = timedelta(hours=2)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(rows: int = 60, name: str = "抖音数据.csv") -> ContentFile:
    return ContentFile(
        csv_text(ZH_HEADER[:8], stat_rows(videos=max(1, rows // 20), days=20)).encode(), name
    )


def _job(owner, **fields) -> ImportJob:
    job = import_job_create(
        owner=owner, kind="stats", file=_upload(), platform="douyin", enqueue=False
    )
    if fields:
        ImportJob.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
    return job


class _BrokerQueue:
    """A queue of our own on the configured broker (filesystem or Redis): what is sent to it
    can be read back, so a test sees that a task really left."""

    def __init__(self) -> None:
        self.name = f"test-stuck-{uuid.uuid4().hex[:8]}"

    def send_to_me(self, monkeypatch, task) -> None:
        monkeypatch.setattr(
            task, "delay", lambda *args: task.apply_async(args=list(args), queue=self.name)
        )

    def received(self) -> list[tuple[str, list]]:
        """(task name, args) of every message waiting, taken off the queue."""
        found = []
        with celery_app.connection_for_read() as conn:
            queue = conn.SimpleQueue(self.name)
            try:
                while True:
                    try:
                        message = queue.get(timeout=1)
                    except queue.Empty:
                        break
                    found.append((message.headers["task"], list(message.payload[0])))
                    message.ack()
            finally:
                queue.close()
        return found


@pytest.fixture
def broker_queue(monkeypatch):
    return _BrokerQueue()


# --- the heartbeat ------------------------------------------------------------------------


def test_heartbeat_beats_while_the_block_runs_and_stops_after():
    beats = []
    with jobs.heartbeat(lambda: beats.append(1) or 1, every=0.02):
        wait_for(lambda: len(beats) >= 3, timeout=30, what="three heartbeats")
    after = len(beats)
    threading.Event().wait(0.2)
    assert len(beats) == after
    assert not [t for t in threading.enumerate() if t.name == "job-heartbeat"]


def test_heartbeat_stops_when_the_job_is_no_longer_its_own():
    beats = []
    with jobs.heartbeat(lambda: beats.append(1) or 0, every=0.02):
        wait_for(
            lambda: not [t for t in threading.enumerate() if t.name == "job-heartbeat"],
            timeout=30,
            what="the heartbeat thread to end",
        )
    assert beats == [1]


def test_a_worker_of_this_host_is_alive_only_while_its_process_runs():
    assert jobs.worker_alive(jobs.worker_name())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not jobs.worker_alive(f"{jobs.worker_name().rpartition(':')[0]}:{child.pid}")
    assert not jobs.worker_alive(f"some-other-host:{os.getpid()}")


# --- the import reaper ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_with_a_fresh_heartbeat_is_not_reaped(creator):
    job = _job(
        creator,
        status=ImportJob.Status.VALIDATING,
        heartbeat_at=timezone.now(),
        worker="other-host:4242",
    )
    assert import_jobs_reap() == 0
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATING and job.finished_at is None


@pytest.mark.django_db
def test_a_job_with_a_stale_heartbeat_fails_saying_nothing_was_written(creator, client):
    job = _job(
        creator,
        status=ImportJob.Status.RUNNING,
        heartbeat_at=timezone.now() - LONG_AGO,
        worker="other-host:4242",
    )
    assert jobs_reap()["import jobs"] == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.finished_at is not None
    assert job.errors == [
        {"row": None, "column": None, "message": WORKER_LOST, "code": "worker_lost"}
    ]
    assert job.stop_code == "worker_lost"
    assert import_jobs_reap() == 0  # settled once

    # A late delivery of its message (Redis redelivers after the visibility timeout) finds it
    # finished and writes nothing.
    assert import_job_process.apply(args=[job.pk]).get() == ImportJob.Status.FAILED
    assert not VideoDailyStat.objects.exists()

    # The page stops polling, says why in the reader's language and offers to import again.
    client.force_login(creator)
    page = client.get(reverse("imports:job", args=[job.pk]), headers={"accept-language": "zh-hans"})
    assert page.status_code == 200
    assert "hx-trigger" not in page.text
    with override("zh-hans"):
        assert str(ImportJob.STOP_REASONS["worker_lost"]) in page.text
        assert str(ImportJob.STOP_REASONS["worker_lost"]) != WORKER_LOST
    assert reverse("imports:again", args=[job.pk]) in page.text


@pytest.mark.django_db
def test_a_live_job_keeps_being_polled(creator, client):
    job = _job(creator, status=ImportJob.Status.VALIDATING, heartbeat_at=timezone.now())
    client.force_login(creator)
    page = client.get(reverse("imports:job", args=[job.pk]))
    assert 'hx-trigger="every 1s"' in page.text
    assert reverse("imports:again", args=[job.pk]) not in page.text


@pytest.mark.django_db
def test_import_again_runs_the_stored_file_with_the_same_choices(creator, client):
    job = _job(
        creator,
        status=ImportJob.Status.RUNNING,
        heartbeat_at=timezone.now() - LONG_AGO,
        worker="other-host:4242",
    )
    import_jobs_reap()
    client.force_login(creator)
    response = client.post(reverse("imports:again", args=[job.pk]))
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response.url == reverse("imports:job", args=[again.pk])
    assert again.status == ImportJob.Status.PENDING and again.queued_at is not None
    assert (again.kind, again.platform, again.mode, again.dry_run) == (
        job.kind,
        job.platform,
        job.mode,
        job.dry_run,
    )
    with again.file.open("rb") as new, job.file.open("rb") as old:
        assert new.read() == old.read()
    assert import_services.import_job_run(job_id=again.pk).status == ImportJob.Status.SUCCEEDED
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED  # the stopped one stays as it ended


@pytest.mark.django_db
def test_import_again_is_refused_for_a_file_with_problems(creator, client):
    job = _job(creator)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        errors=[{"row": 3, "column": "播放量", "message": "-9 is negative"}],
        error_count=1,
    )
    client.force_login(creator)
    response = client.post(reverse("imports:again", args=[job.pk]))
    assert response.status_code == 422
    assert ImportJob.objects.count() == 1


@pytest.mark.django_db
def test_a_stale_job_whose_worker_process_still_runs_is_left_on_sqlite(creator):
    """On SQLite the heartbeat pauses inside the job's transaction, so the reaper also asks the
    operating system; elsewhere a stale heartbeat alone decides."""
    job = _job(
        creator,
        status=ImportJob.Status.RUNNING,
        heartbeat_at=timezone.now() - LONG_AGO,
        worker=jobs.worker_name(),  # this very process: alive
    )
    import_jobs_reap()
    job.refresh_from_db()
    expected = (
        ImportJob.Status.RUNNING if connection.vendor == "sqlite" else ImportJob.Status.FAILED
    )
    assert job.status == expected


@pytest.mark.django_db
def test_a_queued_job_whose_message_was_lost_is_sent_again(creator, monkeypatch, broker_queue):
    broker_queue.send_to_me(monkeypatch, import_job_process)
    job = _job(creator, queued_at=timezone.now() - LONG_AGO, queue_attempts=1)
    fresh = _job(creator, queued_at=timezone.now(), queue_attempts=1)

    assert import_jobs_reap() == 1
    assert broker_queue.received() == [("imports.tasks.import_job_process", [job.pk])]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING and job.queue_attempts == 2
    assert job.queued_at > timezone.now() - timedelta(minutes=1)
    assert import_jobs_reap() == 0  # just sent: not lost yet
    fresh.refresh_from_db()
    assert fresh.queue_attempts == 1

    # Both the lost message (if it turns up) and the new one may arrive: one run.
    first = import_services.import_job_run(job_id=job.pk)
    second = import_services.import_job_run(job_id=job.pk)
    assert first.status == second.status == ImportJob.Status.SUCCEEDED
    assert second.finished_at == first.finished_at


@pytest.mark.django_db
def test_a_job_no_worker_ever_starts_fails_clearly(creator, settings):
    job = _job(
        creator,
        queued_at=timezone.now() - LONG_AGO,
        queue_attempts=settings.IMPORT_QUEUE_ATTEMPTS,
    )
    assert import_jobs_reap() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.errors[0]["code"] == "never_started"
    assert job.stop_code == "never_started"


@pytest.mark.django_db
def test_a_job_never_queued_is_not_the_reapers(creator):
    """enqueue=False (a command runs it in-process): nothing was sent, nothing to resend."""
    job = _job(creator)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - LONG_AGO)
    assert import_jobs_reap() == 0
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING and job.queued_at is None


@pytest.mark.django_db
def test_an_import_marks_itself_succeeded_in_the_transaction_of_its_rows(creator, monkeypatch):
    """The claim "nothing was written" of a job left unfinished holds only if the rows and the
    job's success commit together: fail the transaction after the job was marked, and both go."""
    job = _job(creator)
    real = import_services._finish

    def finish_then_crash(job, result):
        real(job, result)
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.SUCCEEDED
        assert VideoDailyStat.objects.exists()
        raise RuntimeError("killed between the rows and the commit")

    monkeypatch.setattr(import_services, "_finish", finish_then_crash)
    with pytest.raises(RuntimeError):
        import_services.import_job_run(job_id=job.pk)
    assert not VideoDailyStat.objects.exists()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED  # by the crash handler, not succeeded


@pytest.mark.django_db
def test_a_database_outage_hands_the_job_back_for_the_tasks_retry(creator, monkeypatch):
    job = _job(creator)
    real = import_services.stats_import_file
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(import_services, "stats_import_file", flaky)
    with pytest.raises(OperationalError):
        import_services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING and job.heartbeat_at is None
    assert import_services.import_job_run(job_id=job.pk).status == ImportJob.Status.SUCCEEDED


# --- the recompute reaper -------------------------------------------------------------------


def _stale_creator():
    creator = CreatorFactory(username=f"r-{uuid.uuid4().hex[:6]}")
    video = VideoFactory(owner=creator, course=None)
    VideoDailyStatFactory(video=video, views=400, interactions=40)
    return creator


def _dead_run(creator, *, heartbeat_age: timedelta) -> RecomputeRun:
    started = timezone.now() - heartbeat_age - timedelta(seconds=5)
    run = RecomputeRun.objects.create(
        owner=creator,
        trigger="killed",
        started_at=started,
        heartbeat_at=timezone.now() - heartbeat_age,
        worker="other-host:4242",
    )
    RecomputeState.objects.update_or_create(
        owner=creator,
        defaults={
            "stale_since": started - timedelta(seconds=10),
            "queued_at": started - timedelta(seconds=1),
            "run_started_at": started,
        },
    )
    return run


@pytest.mark.django_db
def test_a_dead_recompute_is_failed_and_queued_again(monkeypatch, broker_queue):
    broker_queue.send_to_me(monkeypatch, recompute_owner_metrics)
    creator = _stale_creator()
    run = _dead_run(creator, heartbeat_age=LONG_AGO)

    assert jobs_reap()["recomputes"] == 1
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.FAILED and run.error == "worker lost"
    assert broker_queue.received() == [
        ("analytics.tasks.recompute_owner_metrics", [creator.pk, "reaper"])
    ]
    state = RecomputeState.objects.get(owner=creator)
    assert state.queued_at > state.run_started_at  # a recompute is waiting: no second send
    assert jobs_reap()["recomputes"] == 0
    assert broker_queue.received() == []

    # The queued recompute runs (the dead run no longer holds the creator's slot).
    done = analytics_services.metrics_recompute_owner(owner_id=creator.pk, trigger="reaper")
    assert done.status == RecomputeRun.Status.SUCCEEDED
    assert RecomputeState.objects.get(owner=creator).stale_since is None


@pytest.mark.django_db
def test_a_live_recompute_is_not_reaped(monkeypatch, broker_queue):
    broker_queue.send_to_me(monkeypatch, recompute_owner_metrics)
    creator = _stale_creator()
    run = _dead_run(creator, heartbeat_age=timedelta(seconds=1))

    assert jobs_reap()["recomputes"] == 0
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.RUNNING
    assert broker_queue.received() == []


@pytest.mark.django_db
def test_a_recompute_queued_but_never_started_is_sent_again(monkeypatch, broker_queue):
    broker_queue.send_to_me(monkeypatch, recompute_owner_metrics)
    creator = _stale_creator()
    RecomputeState.objects.update_or_create(
        owner=creator,
        defaults={"stale_since": timezone.now() - LONG_AGO, "queued_at": timezone.now() - LONG_AGO},
    )
    assert jobs_reap()["recomputes"] == 1
    assert broker_queue.received() == [
        ("analytics.tasks.recompute_owner_metrics", [creator.pk, "reaper"])
    ]


@pytest.mark.django_db
def test_a_failing_reaper_does_not_stop_the_others(monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(jobs._reapers, "broken", broken)
    settled = jobs.jobs_reap()
    assert settled["broken"] == 0 and {"import jobs", "recomputes"} <= set(settled)


# --- the schedule ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_schedules_the_reaper_every_job_reaper_seconds():
    assert MigrationRecorder.Migration.objects.filter(
        app="core", name="0003_job_reaper_schedule"
    ).exists()
    migration = importlib.import_module("core.migrations.0003_job_reaper_schedule")

    migration.unschedule(django_apps, None)
    assert not PeriodicTask.objects.filter(name=migration.TASK_NAME).exists()
    migration.schedule(django_apps, None)
    task = PeriodicTask.objects.get(name=migration.TASK_NAME)
    assert task.task == "core.tasks.jobs_reap" and task.enabled
    assert task.expire_seconds == settings.JOB_REAPER_SECONDS
    assert (task.interval.every, task.interval.period) == (settings.JOB_REAPER_SECONDS, "seconds")
    assert task.task in celery_app.tasks  # the name beat sends is a registered task


# --- a real worker, killed -------------------------------------------------------------------


def _live_members(pgid: int) -> list[int]:
    """Processes of the group that are not zombies (killed, not yet reaped by a parent)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


class _Worker:
    """`celery worker` (prefork, one child) in a process group of its own, on a queue of its
    own, on the test database and broker; imports sleep after each chunk of rows."""

    def __init__(self, queue: str, media_root: Path) -> None:
        self.log_path = ROOT / "var" / f"worker-{queue}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", "1",
             "--loglevel=info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url(),
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "CELERY_QUEUE": queue,
                "MEDIA_ROOT": str(media_root),
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "IMPORT_CHUNK_ROWS": "10",
                "IMPORT_TEST_PAUSE_SECONDS": "6",
                "JOB_HEARTBEAT_SECONDS": "0.3",
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        else:
            for pid in _live_members(self.proc.pid):
                os.kill(pid, signal.SIGKILL)
        self.log.close()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kill", ["main process", "process group"])
def test_a_worker_killed_mid_import_leaves_a_job_the_reaper_fails(kill, settings):
    """SIGKILL of the worker's main process (the probe), or of its whole group (a lost
    machine, the OOM killer's cgroup kill). With prefork, the child running the task is killed
    with its parent (Celery sets PR_SET_PDEATHSIG); either way the heartbeat stops, nothing
    was written, and the reaper fails the job within a few of its ticks."""
    settings.JOB_STALE_SECONDS = 2
    queue = f"test-stuck-{uuid.uuid4().hex[:8]}"
    worker = _Worker(queue, settings.MEDIA_ROOT)
    try:
        creator = CreatorFactory(username=f"k-{uuid.uuid4().hex[:6]}")
        job = import_job_create(
            owner=creator, kind="stats", file=_upload(rows=200), platform="douyin", enqueue=False
        )
        import_job_process.apply_async(args=[job.pk], queue=queue)

        def checking() -> bool:
            current = ImportJob.objects.get(pk=job.pk)
            return current.status == ImportJob.Status.VALIDATING and current.rows_done > 0

        wait_for(checking, timeout=120, what="the worker to start checking the file")
        job.refresh_from_db()
        worker_pid = int(job.worker.rpartition(":")[2])
        assert worker_pid != worker.proc.pid  # a pool child runs it, not the main process

        # Alive: its thread beats while the task sleeps after a chunk, and the reaper, run
        # for longer than the stale threshold, leaves it alone.
        beats = {job.heartbeat_at}
        deadline = timezone.now() + timedelta(seconds=settings.JOB_STALE_SECONDS * 2)
        while timezone.now() < deadline:
            jobs_reap()
            beats.add(ImportJob.objects.get(pk=job.pk).heartbeat_at)
            threading.Event().wait(0.2)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.VALIDATING, job.errors
        assert len(beats) >= 3

        if kill == "main process":
            os.kill(worker.proc.pid, signal.SIGKILL)
        else:
            os.killpg(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait(timeout=10)
        wait_for(
            lambda: not _live_members(worker.proc.pid),
            timeout=30,
            what="the pool child to die with its parent",
        )

        def reaped() -> bool:
            jobs_reap()
            return ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.FAILED

        wait_for(reaped, timeout=60, what="the reaper to fail the job")
        job.refresh_from_db()
        assert job.finished_at is not None
        assert job.errors == [
            {"row": None, "column": None, "message": WORKER_LOST, "code": "worker_lost"}
        ]
        assert not VideoDailyStat.objects.filter(video__owner=creator).exists()
    finally:
        worker.stop()
