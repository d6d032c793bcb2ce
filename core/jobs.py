"""Background jobs that never stay "running" forever: a heartbeat while they run, a reaper after.

A worker killed with ``kill -9`` (or lost with its machine) cannot say that its job stopped,
and a broker may already have dropped the message. So a job that runs writes a heartbeat from
a thread of its own (``heartbeat``), and the periodic task ``core.tasks.jobs_reap`` asks each
registered reaper to settle the jobs whose heartbeat is older than ``JOB_STALE_SECONDS``: mark
them failed with a plain reason, or queue them again when that is safe.

Each app registers the reaper of its own jobs from its ``AppConfig.ready`` (``reaper``): core
knows none of them, so the layers hold and a new kind of job (a platform sync, a sales poll)
only adds a function in its app. A reaper settles each job with one conditional UPDATE
(``... WHERE heartbeat is stale``), so a job that beats again, or finishes, in between is left
alone, and two reapers running at once settle each job once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone

logger = logging.getLogger(__name__)

Reaper = Callable[[], int]
_reapers: dict[str, Reaper] = {}


def reaper(name: str) -> Callable[[Reaper], Reaper]:
    """Decorator: run ``fn()`` (→ how many jobs it settled) on every reaper tick. Registering
    a name again replaces the earlier function (a module imported twice)."""

    def register(fn: Reaper) -> Reaper:
        _reapers[name] = fn
        return fn

    return register


def reapers() -> dict[str, Reaper]:
    return dict(_reapers)


def jobs_reap() -> dict[str, int]:
    """Run every registered reaper; one that fails is logged and does not stop the others."""
    settled: dict[str, int] = {}
    for name, fn in reapers().items():
        try:
            settled[name] = fn()
        except Exception:
            logger.exception("the %s reaper failed; it runs again on the next tick", name)
            settled[name] = 0
    return settled


def stale_before(now: datetime | None = None) -> datetime:
    """A heartbeat older than this belongs to a dead worker."""
    return (now or timezone.now()) - timedelta(seconds=settings.JOB_STALE_SECONDS)


def worker_name() -> str:
    """Who runs a job, for the admin and the logs: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def heartbeat_pauses() -> bool:
    """On SQLite the heartbeat pauses while its job is inside a transaction (see heartbeat)."""
    return connections["default"].vendor == "sqlite"


def worker_alive(worker: str) -> bool:
    """Whether the process ``worker`` (a worker_name()) is known to run: on this host, a process
    with that id that is not a zombie. Another host's process is not known to run."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")  # a killed process its parent has not reaped yet


def may_be_dead(worker: str) -> bool:
    """A job whose heartbeat is stale may be settled unless its worker is known to be alive.

    Only asked on SQLite: there a live job's heartbeat pauses during its transaction, so a
    stale one alone does not prove the worker dead; the database is on one machine, where the
    operating system knows. Elsewhere the heartbeat thread never waits for the job's own
    transaction, so a stale heartbeat means a dead (or wedged) worker.
    """
    return not (heartbeat_pauses() and worker_alive(worker))


@contextmanager
def heartbeat(beat: Callable[[], int], *, every: float | None = None) -> Iterator[None]:
    """Call ``beat()`` every ``every`` seconds (JOB_HEARTBEAT_SECONDS) from a thread while the
    block runs. ``beat`` writes the job's heartbeat and returns the rows it updated; 0 (the job
    finished or was taken over) ends the thread.

    The thread has its own database connection, closed when it ends. A beat that fails (the
    database busy or away for a moment) is logged and tried again on the next tick. On SQLite
    no beat is written while the job's own thread is inside a transaction: a commit from the
    side would make that transaction's first write fail (SQLITE_BUSY_SNAPSHOT), and while it
    holds the write lock nobody else, the reaper included, can write anyway.
    """
    interval = settings.JOB_HEARTBEAT_SECONDS if every is None else every
    owner_connection = connections["default"]  # the calling thread's own connection object
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.wait(interval):
                if owner_connection.vendor == "sqlite" and owner_connection.in_atomic_block:
                    continue
                try:
                    if not beat():
                        return
                except DatabaseError as exc:
                    logger.warning("heartbeat not written (%s); trying again", exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="job-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        # A beat waiting for the database (SQLite's busy timeout) ends within that timeout.
        thread.join(timeout=interval + 30)
