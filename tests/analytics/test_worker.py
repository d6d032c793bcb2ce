"""A real Celery worker process, on the configured broker (filesystem or Redis) and database."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from analytics.models import EngagementMetric, RecomputeRun
from analytics.tasks import recompute_owner_metrics
from tests.factories import CreatorFactory, VideoDailyStatFactory, VideoFactory

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue():
    """Start `celery worker` on a queue of its own against the test database; stop it after."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    log = open(ROOT / "var" / f"worker-{queue}.log", "w")
    proc = subprocess.Popen(
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
            "1",
            "--loglevel=info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield queue
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_recomputes_metrics_into_the_database(worker_queue):
    creator = CreatorFactory(username="worker-owner")
    video = VideoFactory(owner=creator)
    VideoDailyStatFactory(video=video, views=400, interactions=40, comments=4, likes=16)

    recompute_owner_metrics.apply_async(args=[creator.id, "worker-test"], queue=worker_queue)

    assert _wait_for(
        lambda: RecomputeRun.objects.filter(
            owner=creator, trigger="worker-test", status=RecomputeRun.Status.SUCCEEDED
        ).exists()
    ), "the worker did not finish the recompute within 60 s"
    lifetime = EngagementMetric.objects.get(video=video, window="lifetime")
    assert lifetime.views == 400
    assert lifetime.frequency == pytest.approx(0.1)
    assert lifetime.depth == pytest.approx(0.5)
    assert lifetime.engagement == pytest.approx(0.3)
