"""The batch click writer (TRACKING_CLICK_FLUSH_SECONDS > 0, the deployed default): clicks wait
in the web process and reach LinkClick in batches — every one of them exactly once, also when a
link was deleted meanwhile, a row is refused, the database connection dies or refuses for a
while, or the server is stopped mid-batch — in-process and under a real gunicorn and
runserver."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
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
from tracking import clicks, services
from tracking.models import LinkClick

from .test_redirect import BROWSER, click

# The writer thread has a database connection of its own: it must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)
postgresql_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="uses PostgreSQL triggers and backends",
)


@pytest.fixture
def buffer(settings, monkeypatch):
    """A buffer and writer of this test's own (the redirect uses it), with a flush interval
    long enough that the writer only wakes when a test asks it to."""
    settings.TRACKING_CLICK_FLUSH_SECONDS = 60
    fresh = clicks.ClickBuffer()
    monkeypatch.setattr(clicks, "buffer", fresh)
    yield fresh
    fresh._rows.clear()
    fresh.close()


@pytest.fixture
def links():
    creator = CreatorFactory()
    course = CourseFactory(owner=creator, sales_page_url="https://shop.example.com/py")
    return [
        services.link_for_video(owner=creator, video=VideoFactory(owner=creator, course=course))
        for _ in range(2)
    ]


@pytest.fixture
def linkclick_triggers():
    """PostgreSQL triggers on LinkClick inserts for one test — a database that refuses, or
    drops the connection, for real — removed afterwards with the sequences they count in."""
    created: list[str] = []

    def install(name: str, body: str, *, each: str = "ROW") -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE FUNCTION test_linkclick_{name}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NEW; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER test_linkclick_{name} BEFORE INSERT ON tracking_linkclick "
                f"FOR EACH {each} EXECUTE FUNCTION test_linkclick_{name}()"
            )
        created.append(name)

    def remove() -> None:
        connection.close()  # a connection a trigger killed is not reused
        with connection.cursor() as cursor:
            for name in created:
                cursor.execute(
                    f"DROP TRIGGER IF EXISTS test_linkclick_{name} ON tracking_linkclick"
                )
                cursor.execute(f"DROP FUNCTION IF EXISTS test_linkclick_{name}()")
            cursor.execute("DROP SEQUENCE IF EXISTS test_linkclick_count")
        created.clear()

    with connection.cursor() as cursor:
        # Sequences survive the rollback of a refused INSERT: they count attempts.
        cursor.execute("CREATE SEQUENCE IF NOT EXISTS test_linkclick_count")
    install.remove = remove
    yield install
    remove()


def sequence_value() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM test_linkclick_count")
        last_value, is_called = cursor.fetchone()
    return last_value if is_called else 0


def rows(link, n: int, *, start: int = 0) -> list[tuple]:
    now = timezone.now()
    return [(link.pk, now, f"{start + i:016x}") for i in range(n)]


def test_the_redirect_only_buffers_and_flush_writes_each_click_once(client, links, buffer):
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


def test_the_writer_thread_writes_within_the_flush_interval(client, links, buffer, settings):
    settings.TRACKING_CLICK_FLUSH_SECONDS = 0.1
    for _ in range(3):
        click(client, links[0].code)
    wait_for(lambda: LinkClick.objects.count() == 3, timeout=20, what="the writer thread")
    assert len(buffer) == 0


def test_a_full_batch_wakes_the_writer_before_the_interval(client, links, buffer, settings):
    settings.TRACKING_CLICK_BATCH = 4
    for _ in range(3):
        click(client, links[0].code)
    time.sleep(0.3)
    assert LinkClick.objects.count() == 0  # three wait for the interval (60 s)...
    click(client, links[0].code)
    wait_for(lambda: LinkClick.objects.count() == 4, timeout=20, what="a full batch")


def test_a_writer_that_died_is_started_again_by_the_next_click(links, buffer):
    buffer.add(rows(links[0], 1)[0])
    first = buffer._thread
    buffer._stop.set()
    buffer._wake.set()
    first.join(timeout=10)
    buffer._stop.clear()
    buffer.add(rows(links[0], 1, start=1)[0])
    assert buffer._thread is not first and buffer._thread.is_alive()


def test_clicks_of_a_link_deleted_meanwhile_are_left_out(client, links, buffer):
    gone, kept = links
    click(client, gone.code)
    click(client, kept.code)
    gone.delete()
    assert buffer.flush() == 1
    assert list(LinkClick.objects.values_list("link", flat=True)) == [kept.pk]


def test_a_row_the_database_refuses_is_dropped_and_logged_the_others_written(links, buffer, caplog):
    now = timezone.now()
    buffer.add((links[0].pk, now, "a" * 16))
    buffer.add((links[0].pk, None, "b" * 16))  # clicked_at is NOT NULL
    buffer.add((links[1].pk, now, "c" * 16))
    with caplog.at_level(logging.ERROR, logger="tracking.clicks"):
        assert buffer.flush() == 2
    assert sorted(LinkClick.objects.values_list("visitor", flat=True)) == ["a" * 16, "c" * 16]
    assert "refused by the database; dropped" in caplog.text
    assert len(buffer) == 0


def test_naive_click_times_are_read_in_the_creators_time_zone(links, buffer, settings):
    naive = timezone.now().replace(tzinfo=None, microsecond=0)
    buffer.add((links[0].pk, naive, "d" * 16))
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        buffer.flush()
    stored = LinkClick.objects.get().clicked_at
    assert stored == timezone.make_aware(naive)  # TIME_ZONE, the same as a direct write


@postgresql_only
def test_a_value_too_long_is_dropped_alone(links, buffer, caplog):
    buffer.add((links[0].pk, timezone.now(), "e" * 16))
    buffer.add((links[0].pk, timezone.now(), "f" * 40))  # visitor is varchar(16): DataError
    with caplog.at_level(logging.ERROR, logger="tracking.clicks"):
        assert buffer.flush() == 1
    assert list(LinkClick.objects.values_list("visitor", flat=True)) == ["e" * 16]
    assert "refused by the database; dropped" in caplog.text


@postgresql_only
def test_clicks_wait_while_the_connection_is_down_and_are_written_after(links, buffer, caplog):
    for row in rows(links[0], 5):
        buffer.add(row)
    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    with psycopg.connect(database_url().replace("postgres://", "postgresql://")) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend])
    with caplog.at_level(logging.ERROR, logger="tracking.clicks"):
        assert buffer._write_round() is False  # what the writer thread does each round
    assert "trying again with back-off" in caplog.text
    assert len(buffer) == 5 and LinkClick.objects.count() == 0  # nothing half-written
    assert buffer._write_round() is True  # the next round reconnects
    assert len(buffer) == 0
    assert LinkClick.objects.count() == 5


@postgresql_only
def test_the_connection_dying_during_the_row_by_row_retry_keeps_the_unwritten_clicks(
    links, buffer, linkclick_triggers
):
    # Statements are numbered; the batch (statement 1) is refused for one row's data, and in
    # the row-by-row retry that follows, one row kills its own connection.
    linkclick_triggers("statements", "PERFORM nextval('test_linkclick_count');", each="STATEMENT")
    linkclick_triggers(
        "rows",
        "IF NEW.visitor = 'bbbbbbbbbbbbbbbb' THEN RAISE EXCEPTION 'bad row' "
        "USING ERRCODE = 'invalid_parameter_value'; END IF; "
        "IF NEW.visitor = 'deaddeaddeaddead' AND currval('test_linkclick_count') > 1 THEN "
        "PERFORM pg_terminate_backend(pg_backend_pid()); END IF;",
    )
    batch = [
        (links[0].pk, timezone.now(), visitor)
        for visitor in ("a" * 16, "b" * 16, "deaddeaddeaddead", "c" * 16)
    ]
    for row in batch:
        buffer.add(row)
    with pytest.raises(Exception):  # noqa: B017 - the driver's error for a killed backend
        buffer.flush()
    assert list(LinkClick.objects.values_list("visitor", flat=True)) == ["a" * 16]
    assert list(buffer._rows) == batch[2:]  # back in the buffer, in order
    linkclick_triggers.remove()
    assert buffer.flush() == 2
    assert sorted(LinkClick.objects.values_list("visitor", flat=True)) == [
        "a" * 16,
        "c" * 16,
        "deaddeaddeaddead",
    ]


@postgresql_only
def test_while_the_database_refuses_the_writer_backs_off_then_catches_up(
    links, buffer, settings, linkclick_triggers, caplog
):
    linkclick_triggers(
        "refuse",
        "PERFORM nextval('test_linkclick_count'); RAISE EXCEPTION 'refusing clicks';",
        each="STATEMENT",
    )
    settings.TRACKING_CLICK_FLUSH_SECONDS = 0.05
    settings.TRACKING_CLICK_BATCH = 10
    sent = 0
    with caplog.at_level(logging.INFO, logger="tracking.clicks"):
        deadline = time.monotonic() + 3.5
        while time.monotonic() < deadline:  # a click every 10 ms, each full batch wakes it
            buffer.add(rows(links[0], 1, start=sent)[0])
            sent += 1
            time.sleep(0.01)
        attempts = sequence_value()
        # First attempt, then 1 s and 2 s later: 2 to 4 within 3.5 s, not one per click.
        assert 2 <= attempts <= 4, attempts
        assert LinkClick.objects.count() == 0 and len(buffer) == sent
        linkclick_triggers.remove()
        wait_for(
            lambda: LinkClick.objects.count() == sent, timeout=30, what="the writer to catch up"
        )
    assert caplog.text.count("trying again with back-off") == 1  # logged once, then warnings
    assert "written again after" in caplog.text


def test_closing_waits_for_the_batch_the_writer_is_writing(links, buffer, monkeypatch):
    inside = threading.Event()
    insert = clicks.clicks_insert

    def slow_insert(batch):
        inside.set()
        time.sleep(0.5)  # the writer is mid-batch when the process starts to exit
        return insert(batch)

    monkeypatch.setattr(clicks, "clicks_insert", slow_insert)
    for row in rows(links[0], 5):
        buffer.add(row)
    buffer._wake.set()
    assert inside.wait(10)
    assert len(buffer) == 0  # the writer holds the whole batch
    buffer.close()  # what atexit does
    assert LinkClick.objects.count() == 5


def test_a_batch_that_fails_goes_back_whole_and_in_order(links, buffer):
    batch = rows(links[0], 3)
    for row in batch:
        buffer.add(row)
    connection.ensure_connection()
    connection.connection.close()  # the database connection is gone under Django's feet
    with pytest.raises(Exception):  # noqa: B017 - the driver's own error, per database
        buffer.flush()
    assert list(buffer._rows) == batch
    connection.close()
    assert buffer.flush() == 3
    assert LinkClick.objects.count() == 3


def test_a_full_buffer_drops_new_clicks_and_says_so(links, buffer, settings, caplog):
    settings.TRACKING_CLICK_BUFFER_MAX = 2
    with caplog.at_level(logging.ERROR, logger="tracking.clicks"):
        for row in rows(links[0], 3):
            buffer.add(row)
        assert len(buffer) == 2 and buffer.dropped == 1
        assert "click buffer full" in caplog.text
        assert buffer._write_round() is True
    assert LinkClick.objects.count() == 2
    assert "1 clicks were dropped" in caplog.text
    assert buffer.dropped == 0


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
