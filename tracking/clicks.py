"""Counted clicks on their way to the database: written by the request or by a batch writer.

With TRACKING_CLICK_FLUSH_SECONDS = 0 the redirect inserts its click before answering (one
INSERT per click). With a positive value (the default, 1 s) the redirect only appends the
click to a buffer of its own process and answers; a background thread of that process inserts
the buffered clicks in one statement per batch, every TRACKING_CLICK_FLUSH_SECONDS or as soon as
TRACKING_CLICK_BATCH clicks are waiting. The redirect then does no database work at all, which
is what lets it answer about as fast as a plain redirect (bench/bench_redirect.py).

What that trades, stated plainly:
- A click reaches LinkClick up to TRACKING_CLICK_FLUSH_SECONDS after its redirect (the funnel
  recompute reads minutes-old data anyway).
- A process that stops normally (gunicorn's SIGTERM/SIGQUIT/SIGINT, a graceful reload or
  deploy, a max_requests restart, `manage.py runserver --noreload` stopped with SIGTERM)
  waits for the batch in progress and writes the rest of its buffer on the way out (atexit).
  A process killed with SIGKILL, by the OOM killer or by a power loss loses the clicks of its
  last TRACKING_CLICK_FLUSH_SECONDS.
- When the database is unreachable the redirect keeps answering (a target already cached), and
  the clicks wait in memory and are written once it is back, up to TRACKING_CLICK_BUFFER_MAX
  clicks per process; beyond that new clicks are dropped and the drop is logged. The writer
  backs off (1 s up to 30 s between attempts) instead of hammering a recovering database.
- A batch is one transaction: all of its clicks are written or none, and a failed batch is
  tried again whole. Clicks of a link deleted meanwhile are left out (deleting a link deletes
  its clicks anyway). One corner can count twice: the connection dying after the database
  committed a batch but before the reply arrived makes the batch look failed, and it is
  written again.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.db import DataError, IntegrityError, connections, router, transaction

from .models import LinkClick, TrackingLink

logger = logging.getLogger(__name__)

ClickRow = tuple[int, datetime, str]  # link id, clicked at, visitor hash
# Seconds between attempts while the database refuses batches (the last one repeats).
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
# How long the exit flush waits for a batch in progress and for its own: below gunicorn's
# graceful_timeout (30 s), after which the worker is killed.
EXIT_WAIT_SECONDS = 20.0
_CLICKED_AT = LinkClick._meta.get_field("clicked_at")


def click_insert_now(row: ClickRow) -> None:
    """One click, one INSERT, committed before the redirect answers
    (TRACKING_CLICK_FLUSH_SECONDS = 0).

    Raw SQL rather than ``LinkClick.objects.create``: the model instance, save signals and
    ``RETURNING id`` doubled the INSERT's CPU time in the redirect (about 220 against 110 µs)
    and nothing uses them (no receiver listens to LinkClick saves).

    On PostgreSQL, when the click is its own transaction (autocommit, as in the redirect), the
    INSERT also calls ``set_config('synchronous_commit', 'off', true)``: the one-statement form
    of ``SET LOCAL synchronous_commit TO OFF`` in a transaction around the INSERT, without the
    three extra round trips of BEGIN / SET LOCAL / COMMIT. The commit then returns without
    waiting for its WAL record to reach the disk (the WAL writer flushes it within
    ``wal_writer_delay``, 200 ms by default), so a click no longer waits for an fsync. The trade:
    if the database server crashes or its machine loses power, the clicks committed in that
    last fraction of a second may be missing after recovery. Nothing is ever corrupted or half
    written (recovery ends at a consistent point, each click whole or absent), a crash or kill
    of the web process loses nothing (the row is committed before the 302 is sent), and the
    setting lasts for this one transaction only, so nothing else on the connection (sales,
    imports) is affected. Inside a caller's transaction the plain INSERT is used and the
    caller's commit keeps its own durability.
    """
    link_id, at, visitor = row
    connection = connections[router.db_for_write(LinkClick)]
    clicked_at = _CLICKED_AT.get_db_prep_value(at, connection)
    asynchronous = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute(_one_sql(connection.alias, asynchronous), (link_id, clicked_at, visitor))


def clicks_insert(rows: Sequence[ClickRow]) -> int:
    """Insert clicks in one transaction, leaving out those whose link no longer exists;
    returns how many rows were inserted. One statement on PostgreSQL (the rows travel as three
    arrays), one executemany elsewhere."""
    if not rows:
        return 0
    alias = router.db_for_write(LinkClick)
    connection = connections[alias]
    times = [_CLICKED_AT.get_db_prep_value(at, connection) for _link, at, _visitor in rows]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            link_ids = [link_id for link_id, _at, _visitor in rows]
            visitors = [visitor for _link, _at, visitor in rows]
            cursor.execute(_batch_sql(alias), (link_ids, times, visitors))
        else:
            cursor.executemany(
                _batch_sql(alias),
                [
                    (link_id, at, visitor, link_id)
                    for (link_id, _at, visitor), at in zip(rows, times, strict=True)
                ],
            )
        return max(cursor.rowcount, 0)


def _insert_into(alias: str) -> str:
    """``INSERT INTO linkclick (link, clicked_at, visitor) `` quoted for the database."""
    quote = connections[alias].ops.quote_name
    columns = ", ".join(
        quote(LinkClick._meta.get_field(name).column) for name in ("link", "clicked_at", "visitor")
    )
    return f"INSERT INTO {quote(LinkClick._meta.db_table)} ({columns}) "


@lru_cache(maxsize=8)
def _one_sql(alias: str, asynchronous: bool) -> str:
    if asynchronous:
        # PostgreSQL evaluates a volatile function in a FROM subquery even though its result
        # is unused (it never prunes or inlines one), so the setting is in force at commit.
        return (
            _insert_into(alias) + "SELECT %s, %s, %s "
            "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous_commit"
        )
    return _insert_into(alias) + "VALUES (%s, %s, %s)"


@lru_cache(maxsize=4)
def _batch_sql(alias: str) -> str:
    connection = connections[alias]
    quote = connection.ops.quote_name
    links = quote(TrackingLink._meta.db_table)
    link_pk = quote(TrackingLink._meta.pk.column)
    if connection.vendor == "postgresql":
        return (
            _insert_into(alias) + "SELECT c.link_id, c.clicked_at, c.visitor "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[]) "
            "AS c(link_id, clicked_at, visitor) "
            f"WHERE EXISTS (SELECT 1 FROM {links} l WHERE l.{link_pk} = c.link_id)"
        )
    return (
        _insert_into(alias) + "SELECT %s, %s, %s "
        f"WHERE EXISTS (SELECT 1 FROM {links} WHERE {link_pk} = %s)"
    )


class ClickBuffer:
    """The clicks of one process waiting for its writer thread; thread-safe.

    The writer starts with the first click of a process, so a server that forks its workers
    (gunicorn) gets one per worker and none in the parent; a writer that died is started again
    by the next click. While the database refuses batches the writer backs off (RETRY_DELAYS)
    instead of retrying on every click.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._rows: deque[ClickRow] = deque()
        self._write_lock = threading.Lock()  # one batch at a time
        self._start_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0
        self.failures = 0

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, row: ClickRow) -> None:
        if self._stop.is_set():  # a click after the exit flush: write it now
            try:
                clicks_insert([row])
            except Exception:
                logger.exception("click %r arrived after the exit flush and was lost", row)
            return
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._start()
        rows = self._rows
        if len(rows) >= settings.TRACKING_CLICK_BUFFER_MAX:
            self.dropped += 1
            if self.dropped == 1:
                logger.error(
                    "click buffer full (%d clicks waiting for the database): new clicks are "
                    "dropped until it drains",
                    len(rows),
                )
            return
        rows.append(row)
        if len(rows) >= settings.TRACKING_CLICK_BATCH and not self._wake.is_set():
            self._wake.set()

    def flush(self, *, timeout: float = -1) -> int:
        """Write every click waiting now, batch by batch; returns how many rows were inserted.
        A batch that fails goes back to the front of the buffer, in order, and the error is
        raised; a batch refused for its data is written row by row instead."""
        if not self._write_lock.acquire(timeout=timeout):
            raise TimeoutError("another flush of the click buffer is still running")
        try:
            written = 0
            while self._rows:
                batch = []
                for _ in range(min(len(self._rows), settings.TRACKING_CLICK_BATCH)):
                    batch.append(self._rows.popleft())
                try:
                    written += clicks_insert(batch)
                except (DataError, IntegrityError):
                    written += self._insert_one_by_one(batch)
                except BaseException:
                    self._rows.extendleft(reversed(batch))
                    raise
            return written
        finally:
            self._write_lock.release()

    def _insert_one_by_one(self, batch: list[ClickRow]) -> int:
        """A batch the database refused for its data: write its clicks one by one and drop,
        with a log line, any it refuses on its own, so one bad row never holds back the rest.
        If the database becomes unreachable meanwhile, the clicks not yet written go back."""
        remaining = deque(batch)
        written = 0
        try:
            while remaining:
                try:
                    written += clicks_insert([remaining[0]])
                except (DataError, IntegrityError):
                    logger.exception("click %r refused by the database; dropped", remaining[0])
                remaining.popleft()
        except BaseException:
            self._rows.extendleft(reversed(remaining))
            raise
        return written

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            if self._thread is not None:
                logger.error("the click writer thread had stopped; starting it again")
            self._thread = threading.Thread(
                target=self._run, name="tracking-click-writer", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        delay = 0.0
        try:
            while not self._stop.is_set():
                if delay:
                    self._stop.wait(delay)  # backing off: new clicks do not cut it short
                else:
                    self._wake.wait(settings.TRACKING_CLICK_FLUSH_SECONDS or 1.0)
                    self._wake.clear()
                if self._stop.is_set():
                    break
                try:
                    delay = 0.0 if self._write_round() else self._retry_delay()
                except Exception:
                    logger.exception("the click writer failed unexpectedly")
                    delay = self._retry_delay()
        finally:
            connections.close_all()  # this thread's own connection

    def _retry_delay(self) -> float:
        return RETRY_DELAYS[min(max(self.failures, 1), len(RETRY_DELAYS)) - 1]

    def _write_round(self) -> bool:
        """One round of the writer: write what waits; False when the database refused."""
        if not self._rows:
            return True
        connection = connections[router.db_for_write(LinkClick)]
        try:
            self.flush()
        except Exception:
            self.failures += 1
            if self.failures == 1:
                logger.exception(
                    "writing %d buffered clicks failed; trying again with back-off", len(self)
                )
            else:
                logger.warning(
                    "writing %d buffered clicks failed again (attempt %d)", len(self), self.failures
                )
            try:
                connection.close()  # a broken connection is reopened by the next attempt
            except Exception:  # closing a dead connection may fail too
                pass
            return False
        if self.failures:
            logger.info("buffered clicks written again after %d failed attempts", self.failures)
            self.failures = 0
        if self.dropped:
            logger.error("%d clicks were dropped while the click buffer was full", self.dropped)
            self.dropped = 0
        connection.close_if_unusable_or_obsolete()  # honours CONN_MAX_AGE
        return True

    def close(self) -> None:
        """Stop the writer and write what is left, in the calling thread (at interpreter exit:
        gunicorn's graceful stop, a reload, runserver stopped). A batch the writer is in the
        middle of is waited for, so it commits before the process ends."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=EXIT_WAIT_SECONDS)
        if not self._rows:
            return
        try:
            written = self.flush(timeout=EXIT_WAIT_SECONDS)
        except Exception:
            logger.exception("%d buffered clicks could not be written at exit", len(self))
        else:
            logger.info("wrote %d buffered clicks at exit", written)


buffer = ClickBuffer()
# A forked child starts with an empty buffer, fresh locks and no writer: the clicks it
# inherited are the parent's to write.
os.register_at_fork(after_in_child=lambda: buffer._reset())
atexit.register(lambda: buffer.close())
