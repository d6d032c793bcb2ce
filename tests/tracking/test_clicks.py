"""The batch click writer (TRACKING_CLICK_FLUSH_SECONDS > 0, the deployed default): clicks wait
in the web process and reach LinkClick in batches — every one of them exactly once, also when a
link was deleted meanwhile, a row is refused, the database connection dies, or the server is
stopped — in-process and under a real gunicorn and runserver."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta

import psycopg
import pytest
import requests
from django.db import connection
from django.utils import timezone

from bench.common import free_port
from tests.factories import CourseFactory, CreatorFactory, VideoFactory
from tests.processes import ROOT, database_url, wait_for
from tracking import services
from tracking.clicks import buffer
from tracking.models import LinkClick

from .test_redirect import BROWSER, click

# The writer thread has a database connection of its own: it must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_buffer(settings):
    """Buffered writes, a writer that does not wake by itself during a test unless asked."""
    settings.TRACKING_CLICK_FLUSH_SECONDS = 60
    buffer._rows.clear()
    yield
    buffer._rows.clear()


@pytest.fixture
def links():
    creator = CreatorFactory()
    course = CourseFactory(owner=creator, sales_page_url="https://shop.example.com/py")
    return [
        services.link_for_video(owner=creator, video=VideoFactory(owner=creator, course=course))
        for _ in range(2)
    ]


def test_the_redirect_only_buffers_and_flush_writes_each_click_once(client, links):
    first, second = links
    for code in (first.code, first.code, second.code):
        assert click(client, code).status_code == 302
    assert LinkClick.objects.count() == 0
    assert len(buffer) == 3
    assert buffer.flush() == 3
    assert len(buffer) == 0
    assert LinkClick.objects.filter(link=first).count() == 2
    assert LinkClick.objects.filter(link=second).count() == 1
    row = LinkClick.objects.filter(link=second).values("visitor", "clicked_at").get()
    assert len(row["visitor"]) == 16
    assert abs(timezone.now() - row["clicked_at"]) < timedelta(minutes=1)
    assert buffer.flush() == 0  # nothing is written twice


def test_the_writer_thread_writes_within_the_flush_interval(client, links, settings):
    settings.TRACKING_CLICK_FLUSH_SECONDS = 0.1
    for _ in range(3):
        click(client, links[0].code)
    buffer._wake.set()  # the thread may be asleep on the fixture's 60 s
    wait_for(lambda: LinkClick.objects.count() == 3, timeout=20, what="the writer thread")
    assert len(buffer) == 0


def test_a_full_batch_wakes_the_writer_before_the_interval(client, links, settings):
    settings.TRACKING_CLICK_BATCH = 4
    for _ in range(4):
        click(client, links[0].code)
    wait_for(lambda: LinkClick.objects.count() == 4, timeout=20, what="a full batch")


def test_clicks_of_a_link_deleted_meanwhile_are_left_out(client, links):
    gone, kept = links
    click(client, gone.code)
    click(client, kept.code)
    gone.delete()
    assert buffer.flush() == 2
    assert list(LinkClick.objects.values_list("link", flat=True)) == [kept.pk]


def test_a_row_the_database_refuses_is_dropped_and_logged_the_others_written(links, caplog):
    now = timezone.now()
    buffer.add((links[0].pk, now, "a" * 16))
    buffer.add((links[0].pk, None, "b" * 16))  # clicked_at is NOT NULL
    buffer.add((links[1].pk, now, "c" * 16))
    with caplog.at_level(logging.ERROR, logger="tracking.clicks"):
        assert buffer.flush() == 2
    assert sorted(LinkClick.objects.values_list("visitor", flat=True)) == ["a" * 16, "c" * 16]
    assert "refused by the database; dropped" in caplog.text
    assert len(buffer) == 0


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("sqlite") or "DATABASE_URL" not in os.environ,
    reason="terminates a PostgreSQL backend",
)
def test_clicks_wait_while_the_connection_is_down_and_are_written_after(links, caplog):
    now = timezone.now()
    for n in range(5):
        buffer.add((links[0].pk, now, f"{n:016x}"))
    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    with psycopg.connect(database_url().replace("postgres://", "postgresql://")) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend])
    with caplog.at_level(logging.ERROR, logger="tracking.clicks"):
        buffer._write_quietly()  # what the writer thread does each round
    assert "trying again" in caplog.text
    assert len(buffer) == 5 and LinkClick.objects.count() == 0  # nothing half-written
    buffer._write_quietly()  # the next round reconnects
    assert len(buffer) == 0
    assert LinkClick.objects.count() == 5


def test_a_batch_that_fails_goes_back_whole_and_in_order(links):
    now = timezone.now()
    rows = [(links[0].pk, now, f"{n:016x}") for n in range(3)]
    for row in rows:
        buffer.add(row)
    connection.ensure_connection()
    connection.connection.close()  # the database connection is gone under Django's feet
    with pytest.raises(Exception):  # noqa: B017 - the driver's own error, per database
        buffer.flush()
    assert list(buffer._rows) == rows
    connection.close()
    assert buffer.flush() == 3
    assert LinkClick.objects.count() == 3


def test_a_full_buffer_drops_new_clicks_and_says_so(links, settings, caplog):
    settings.TRACKING_CLICK_BUFFER_MAX = 2
    now = timezone.now()
    with caplog.at_level(logging.ERROR, logger="tracking.clicks"):
        for n in range(3):
            buffer.add((links[0].pk, now, f"{n:016x}"))
    assert len(buffer) == 2
    assert "click buffer full" in caplog.text
    assert buffer.flush() == 2


SERVERS = {
    # Two forked gthread workers, as deployed.
    "gunicorn": [
        "-m", "gunicorn", "--workers=2", "--worker-class=gthread", "--threads=2",
        "--bind=127.0.0.1:{port}", "config.wsgi:application",
    ],
    # What `make run` starts (and stops with SIGTERM).
    "runserver": ["manage.py", "runserver", "--noreload", "127.0.0.1:{port}"],
}  # fmt: skip


@pytest.fixture(params=sorted(SERVERS))
def server(request):
    """A real web server process on the test database, with a flush interval long enough that
    only the process's exit writes its clicks."""
    port = free_port()
    log = open(ROOT / "var" / f"{request.param}-clicks-{uuid.uuid4().hex[:6]}.log", "w")
    process = subprocess.Popen(
        [sys.executable, *(arg.format(port=port) for arg in SERVERS[request.param])],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "TRACKING_CLICK_FLUSH_SECONDS": "3600",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=2).ok
        except requests.RequestException:
            return False

    try:
        wait_for(up, timeout=60, what=f"{request.param} to answer")
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_stopping_the_server_writes_every_buffered_click_exactly_once(server, links):
    process, base = server
    sent = 0
    sessions = [requests.Session() for _ in range(4)]  # keep-alive: clicks spread over workers
    for n in range(60):
        response = sessions[n % 4].get(
            f"{base}/r/{links[n % 2].code}",
            headers={"User-Agent": BROWSER},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302
        sent += 1
    for session in sessions:
        session.close()
    assert LinkClick.objects.count() == 0  # all still in the workers' buffers
    process.send_signal(signal.SIGTERM)  # a deploy, a restart, `make run` stopping
    assert process.wait(timeout=60) == 0
    assert LinkClick.objects.count() == sent
    assert LinkClick.objects.filter(link=links[0]).count() == sent // 2
