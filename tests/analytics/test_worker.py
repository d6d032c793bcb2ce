"""Real Celery worker processes on the configured broker (filesystem or Redis) and database."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Sum

from analytics import services
from analytics.models import (
    EngagementMetric,
    ForecastPoint,
    PlatformRanking,
    RecomputeRun,
    SalesForecast,
)
from analytics.tasks import (
    recompute_all_metrics,
    recompute_owner_metrics,
    recompute_owners_metrics,
)
from tests.factories import (
    CourseFactory,
    CreatorFactory,
    PriceTierFactory,
    SaleFactory,
    VideoDailyStatFactory,
    VideoFactory,
)
from tests.processes import database_url, wait_for
from videos.models import VideoDailyStat

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class Worker:
    """`celery worker` in its own process group, on a queue of its own, on the test database."""

    def __init__(self, queue: str, *, concurrency: int = 1, **env: str):
        self.log_path = ROOT / "var" / f"worker-{queue}-{uuid.uuid4().hex[:4]}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "-c",
                str(concurrency),
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url(),
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "CELERY_QUEUE": queue,
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                **env,
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children): a lost machine."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def workers():
    started: list[Worker] = []

    def start(queue: str, **kwargs) -> Worker:
        worker = Worker(queue, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _creator_with_data(videos: int = 8):
    creator = CreatorFactory(username=f"w-{uuid.uuid4().hex[:6]}")
    course = CourseFactory(owner=creator, audience_tags=["developers"])
    PriceTierFactory(course=course)
    for n in range(videos):
        video = VideoFactory(owner=creator, course=course)
        for day in range(10):
            VideoDailyStatFactory(video=video, views=100 + n + day, interactions=10 + day)
    for n in range(30):
        SaleFactory(course=course, quantity=1 + n % 3)
    return creator


def _snapshot(owner_id: int) -> dict:
    """Every result row of the creator, without the time it was computed."""
    return {
        "metrics": sorted(
            EngagementMetric.objects.filter(video__owner_id=owner_id).values_list(
                "video_id",
                "window",
                "views",
                "interactions",
                "frequency",
                "depth",
                "engagement",
                "content_quality",
                "composite_quality",
            )
        ),
        "forecasts": sorted(
            SalesForecast.objects.filter(course__owner_id=owner_id).values_list(
                "course_id", "model", "s0", "growth_rate", "units_next_30", "revenue_next_30"
            )
        ),
        "points": sorted(
            ForecastPoint.objects.filter(forecast__course__owner_id=owner_id).values_list(
                "forecast__course_id", "day", "units", "lower", "upper", "revenue"
            )
        ),
        "rankings": sorted(
            PlatformRanking.objects.filter(course__owner_id=owner_id).values_list(
                "course_id", "platform_id", "score", "rank", "net_price"
            )
        ),
    }


def test_real_worker_recomputes_metrics_into_the_database(workers):
    queue = _queue()
    workers(queue)
    creator = CreatorFactory(username="worker-owner")
    video = VideoFactory(owner=creator, course=None)
    VideoDailyStatFactory(video=video, views=400, interactions=40, comments=4, likes=16)

    recompute_owner_metrics.apply_async(args=[creator.id, "worker-test"], queue=queue)

    wait_for(
        lambda: RecomputeRun.objects.filter(
            owner=creator, trigger="worker-test", status=RecomputeRun.Status.SUCCEEDED
        ).exists(),
        what="the worker's recompute",
    )
    lifetime = EngagementMetric.objects.get(video=video, window="lifetime")
    assert lifetime.views == 400
    assert lifetime.frequency == pytest.approx(0.1)
    assert lifetime.depth == pytest.approx(0.5)
    assert lifetime.engagement == pytest.approx(0.3)


def test_two_overlapping_triggers_do_the_work_once(workers):
    # The first run holds the lock for 10 s: long enough for the second task to start while
    # it runs even on a loaded machine (4 s was not, with other suites sharing two cores).
    queue = _queue()
    worker = workers(queue, concurrency=2, RECOMPUTE_TEST_PAUSE_SECONDS="10")
    creator = _creator_with_data(videos=3)

    for _ in range(2):
        recompute_owner_metrics.apply_async(args=[creator.id, "overlap"], queue=queue)

    wait_for(lambda: worker.output().count("succeeded in") == 2, what="both tasks to finish")
    runs = RecomputeRun.objects.filter(owner=creator, trigger="overlap")
    assert list(runs.values_list("status", flat=True)) == [RecomputeRun.Status.SUCCEEDED]
    assert "skipped" in worker.output()
    assert EngagementMetric.objects.filter(video__owner=creator).count() == 9


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"),
    reason="redelivery of a dead worker's task needs the Redis broker's visibility timeout",
)
def test_worker_killed_mid_recompute_then_a_new_worker_ends_identical_to_a_clean_run(workers):
    queue = _queue()
    creator = _creator_with_data()
    first = workers(queue, RECOMPUTE_TEST_PAUSE_SECONDS="60", CELERY_VISIBILITY_TIMEOUT="5")

    recompute_owner_metrics.apply_async(args=[creator.id, "killed"], queue=queue)
    # The run is in the middle: its results are written inside the open transaction and it is
    # paused before committing.
    wait_for(
        lambda: RecomputeRun.objects.filter(
            owner=creator, trigger="killed", status=RecomputeRun.Status.RUNNING
        ).exists(),
        what="the first worker to start the recompute",
    )
    time.sleep(1)
    first.kill()
    # Nothing half-written: the dead worker's transaction was rolled back.
    assert not EngagementMetric.objects.filter(video__owner=creator).exists()
    assert not ForecastPoint.objects.filter(forecast__course__owner=creator).exists()

    workers(queue, CELERY_VISIBILITY_TIMEOUT="5")
    wait_for(
        lambda: RecomputeRun.objects.filter(
            owner=creator, trigger="killed", status=RecomputeRun.Status.SUCCEEDED
        ).exists(),
        timeout=120,
        what="a second worker to redeliver and finish the task",
    )
    runs = dict(
        RecomputeRun.objects.filter(owner=creator).values_list("status", "error").order_by("id")
    )
    assert runs[RecomputeRun.Status.FAILED] == "worker lost"
    after_kill = _snapshot(creator.id)

    services.metrics_recompute_owner(owner_id=creator.id, trigger="clean")
    clean = _snapshot(creator.id)
    assert after_kill == clean
    assert len(clean["metrics"]) == 8 * 3
    assert len(clean["forecasts"]) == 1
    assert len(clean["points"]) == 90
    assert len(clean["rankings"]) == 6


def test_real_worker_runs_the_hourly_recompute_of_the_stale_creators_only(workers):
    queue = _queue()
    # Chunks of one creator each here: the hourly task fans out one subtask per chunk.
    worker = workers(queue, concurrency=2, RECOMPUTE_CHUNK_VIDEOS="1")
    fresh, changed, also_changed = (_creator_with_data(videos=2) for _ in range(3))
    services.metrics_recompute_full()
    assert services.creator_ids_stale() == []
    for creator in (changed, also_changed):
        stat = VideoDailyStatFactory(video=creator.videos.first(), views=5000, interactions=5)
        # What the stats.changed subscriber does in the write's transaction.
        services.figures_mark_stale(owner_id=creator.id)

    recompute_all_metrics.apply_async(queue=queue)

    scheduled = RecomputeRun.objects.filter(
        trigger="schedule", status=RecomputeRun.Status.SUCCEEDED
    )
    wait_for(lambda: scheduled.count() == 2, what="the hourly run's two chunks")
    assert set(scheduled.values_list("owner_id", flat=True)) == {changed.id, also_changed.id}
    assert worker.output().count("recompute_owners_metrics") >= 2
    assert services.creator_ids_stale() == []
    lifetime = EngagementMetric.objects.get(video=stat.video, window="lifetime")
    assert (
        lifetime.views
        == VideoDailyStat.objects.filter(video=stat.video).aggregate(total=Sum("views"))["total"]
    )
    assert not RecomputeRun.objects.filter(owner=fresh, trigger="schedule").exists()


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"),
    reason="redelivery of a dead worker's task needs the Redis broker's visibility timeout",
)
def test_a_chunk_killed_mid_way_is_redone_whole_by_another_worker(workers):
    queue = _queue()
    creators = [_creator_with_data(videos=3) for _ in range(2)]
    ids = [c.id for c in creators]
    first = workers(queue, RECOMPUTE_TEST_PAUSE_SECONDS="60", CELERY_VISIBILITY_TIMEOUT="5")

    recompute_owners_metrics.apply_async(args=[ids, "chunk-killed"], queue=queue)
    running = RecomputeRun.objects.filter(
        trigger="chunk-killed", status=RecomputeRun.Status.RUNNING
    )
    wait_for(lambda: running.count() == 2, what="the chunk's two runs to start")
    time.sleep(1)
    first.kill()
    assert not EngagementMetric.objects.filter(video__owner_id__in=ids).exists()

    workers(queue, CELERY_VISIBILITY_TIMEOUT="5")
    done = RecomputeRun.objects.filter(trigger="chunk-killed", status=RecomputeRun.Status.SUCCEEDED)
    wait_for(lambda: done.count() == 2, timeout=120, what="the chunk redone by a second worker")
    after_kill = [_snapshot(owner_id) for owner_id in ids]
    services.metrics_recompute_owners(owner_ids=ids, trigger="clean")
    assert [_snapshot(owner_id) for owner_id in ids] == after_kill
    assert all(len(snap["metrics"]) == 3 * 3 for snap in after_kill)
