"""The beat task picks a due connection and a real Celery worker syncs it end to end on the
configured database and broker (PostgreSQL and Redis in CI), against a local fake Bilibili."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from celery import current_app
from django.conf import settings
from django.core.management import call_command
from werkzeug import Response

from connectors.models import PlatformConnection
from connectors.platform_services import (
    platform_connection_create,
    platform_connection_sync_request,
    platform_connections_due,
)
from connectors.tasks import platform_connection_sync
from tests.factories import CreatorFactory
from tests.processes import ROOT, database_url, wait_for
from videos.models import VideoSnapshot

BV = "BV1xx411c7mD"


def view(request):
    body = {"code": 0, "message": "0", "data": {
        "bvid": request.args["bvid"], "title": "Python in 60 s", "pubdate": int(time.time()) - 600,
        "stat": {"view": 4200, "danmaku": 1, "reply": 2, "favorite": 3, "coin": 4, "share": 5,
                 "like": 6}}}  # fmt: skip
    return Response(json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_sync_platforms_command_prints_what_it_fetched(httpserver, settings, capsys):
    settings.BILIBILI_API_BASE = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/x/web-interface/view").respond_with_handler(view)
    creator = CreatorFactory(username="cmd-creator")
    platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV])
    call_command("sync_platforms", owner="cmd-creator", platform="bilibili")
    out = capsys.readouterr().out
    assert "fetched 1 videos, stored" in out and "created 1 videos" in out
    assert VideoSnapshot.objects.filter(video__owner=creator).count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_scheduled_sync_end_to_end(httpserver):
    httpserver.expect_request("/x/web-interface/view").respond_with_handler(view)
    creator = CreatorFactory(username=f"pw-{uuid.uuid4().hex[:6]}")
    connection = platform_connection_create(owner=creator, platform="bilibili", video_ids=[BV])
    assert connection.pk in platform_connections_due()

    queue = f"test-platforms-{uuid.uuid4().hex[:8]}"
    log_path = ROOT / "var" / f"worker-{queue}.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", "1",
             "--loglevel=info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url(),
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "CELERY_QUEUE": queue,
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "BILIBILI_API_BASE": httpserver.url_for("").rstrip("/"),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            # what the beat task does for each due connection, on the test's queue
            for pk in platform_connections_due():
                platform_connection_sync.apply_async(args=[pk], queue=queue)
            wait_for(
                lambda: VideoSnapshot.objects.filter(video__owner=creator).exists(),
                timeout=120,
                what="the worker to store the synced snapshot",
            )
            # "Sync now", as the page and the API ask for it: the service's event becomes the
            # task after the commit (on the test's queue)
            default_queue = current_app.conf.task_default_queue
            current_app.conf.task_default_queue = queue
            try:
                platform_connection_sync_request(connection=connection)
            finally:
                current_app.conf.task_default_queue = default_queue
            wait_for(
                lambda: len([r for r in httpserver.log if "view" in r[0].path]) >= 2,
                timeout=60,
                what="the second sync",
            )
            time.sleep(1)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
    connection.refresh_from_db()
    assert connection.status == PlatformConnection.Status.ACTIVE and connection.last_success_at
    assert connection.next_run_at is not None  # a video an hour old: synced again within the hour
    # one snapshot per sync minute: two when the second sync ran in the next minute
    snaps = list(VideoSnapshot.objects.filter(video__owner=creator))
    assert 1 <= len(snaps) <= 2 and len({snap.observed_at for snap in snaps}) == len(snaps)
    assert all(snap.views == 4200 and snap.source == "connector" for snap in snaps)
