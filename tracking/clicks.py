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
  deploy, runserver's reload) writes its buffer on the way out (atexit). A process killed with
  SIGKILL, by the OOM killer or by a power loss loses the clicks of its last
  TRACKING_CLICK_FLUSH_SECONDS.
- When the database is unreachable the redirect keeps answering (a target already cached), and
  the clicks wait in memory and are written once it is back, up to TRACKING_CLICK_BUFFER_MAX
  clicks per process; beyond that new clicks are dropped and the drop is logged.
- A batch is one transaction: all of its clicks are written or none, and a failed batch is
  tried again whole. Clicks of a link deleted meanwhile are left out (deleting a link deletes
  its clicks anyway).
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


def clicks_insert(rows: Sequence[ClickRow]) -> int:
    """Insert clicks in one transaction, leaving out those whose link no longer exists;
    returns how many were sent. One statement on PostgreSQL (the rows travel as three arrays),
    one executemany elsewhere."""
    if not rows:
        return 0
    alias = router.db_for_write(LinkClick)
    connection = connections[alias]
    clicked_at = LinkClick._meta.get_field("clicked_at")
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            link_ids, times, visitors = zip(*rows, strict=True)
            cursor.execute(_batch_sql(alias), (list(link_ids), list(times), list(visitors)))
        else:
            cursor.executemany(
                _batch_sql(alias),
                [
                    (link_id, clicked_at.get_db_prep_value(at, connection), visitor, link_id)
                    for link_id, at, visitor in rows
                ],
            )
    return len(rows)


@lru_cache(maxsize=4)
def _batch_sql(alias: str) -> str:
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = quote(LinkClick._meta.db_table)
    columns = ", ".join(
        quote(LinkClick._meta.get_field(name).column) for name in ("link", "clicked_at", "visitor")
    )
    links = quote(TrackingLink._meta.db_table)
    link_pk = quote(TrackingLink._meta.pk.column)
    if connection.vendor == "postgresql":
        return (
            f"INSERT INTO {table} ({columns}) "
            "SELECT c.link_id, c.clicked_at, c.visitor "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[]) "
            "AS c(link_id, clicked_at, visitor) "
            f"WHERE EXISTS (SELECT 1 FROM {links} l WHERE l.{link_pk} = c.link_id)"
        )
    return (
        f"INSERT INTO {table} ({columns}) SELECT %s, %s, %s "
        f"WHERE EXISTS (SELECT 1 FROM {links} WHERE {link_pk} = %s)"
    )


def _insert_one_by_one(rows: Sequence[ClickRow]) -> int:
    """A batch the database refused for its data (not for being unreachable): write its
    clicks one by one and drop, with a log line, any the database refuses on its own, so one
    bad row can never hold back the others for good."""
    written = 0
    for row in rows:
        try:
            written += clicks_insert([row])
        except (DataError, IntegrityError):
            logger.exception("click %r refused by the database; dropped", row)
    return written


class ClickBuffer:
    """The clicks of one process waiting for the batch writer; thread-safe.

    The writer thread starts with the first click of a process, so a server that forks its
    workers (gunicorn) gets one per worker, never one in the parent.
    """

    def __init__(self) -> None:
        self._rows: deque[ClickRow] = deque()
        self._write_lock = threading.Lock()  # one batch at a time
        self._wake = threading.Event()
        self._pid: int | None = None
        self._start_lock = threading.Lock()
        self.dropped = 0

    def add(self, row: ClickRow) -> None:
        if self._pid != os.getpid():
            self._start()
        if len(self._rows) >= settings.TRACKING_CLICK_BUFFER_MAX:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.error(
                    "click buffer full (%d clicks waiting for the database): %d clicks dropped",
                    len(self._rows),
                    self.dropped,
                )
            return
        self._rows.append(row)
        if len(self._rows) >= settings.TRACKING_CLICK_BATCH:
            self._wake.set()

    def __len__(self) -> int:
        return len(self._rows)

    def flush(self) -> int:
        """Write every click waiting now, batch by batch; returns how many were written. A
        batch that fails goes back to the front of the buffer and the error is raised."""
        written = 0
        with self._write_lock:
            while self._rows:
                batch = []
                for _ in range(min(len(self._rows), settings.TRACKING_CLICK_BATCH)):
                    batch.append(self._rows.popleft())
                try:
                    written += clicks_insert(batch)
                except (DataError, IntegrityError):
                    written += _insert_one_by_one(batch)
                except BaseException:
                    self._rows.extendleft(reversed(batch))
                    raise
        return written

    def _start(self) -> None:
        with self._start_lock:
            if self._pid == os.getpid():
                return
            # A forked child inherits the parent's buffer contents: those are the parent's
            # to write (its own writer or its exit does), not the child's.
            self._rows.clear()
            self._write_lock = threading.Lock()
            self._wake = threading.Event()
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="tracking-click-writer", daemon=True).start()

    def _run(self) -> None:
        pid = os.getpid()
        while self._pid == pid:
            self._wake.wait(settings.TRACKING_CLICK_FLUSH_SECONDS or 1.0)
            self._wake.clear()
            if self._rows:
                self._write_quietly()

    def _write_quietly(self) -> None:
        connection = connections[router.db_for_write(LinkClick)]
        try:
            self.flush()
        except Exception:
            logger.exception("writing %d buffered clicks failed; trying again", len(self._rows))
            connection.close()  # a broken connection is reopened by the next batch
        else:
            connection.close_if_unusable_or_obsolete()  # honours CONN_MAX_AGE

    def exit_flush(self) -> None:
        """At interpreter exit: write what is left, in the exiting thread."""
        if self._pid == os.getpid() and self._rows:
            try:
                written = self.flush()
            except Exception:
                logger.exception("%d buffered clicks could not be written at exit", len(self))
            else:
                logger.info("wrote %d buffered clicks at exit", written)


buffer = ClickBuffer()
atexit.register(buffer.exit_flush)
