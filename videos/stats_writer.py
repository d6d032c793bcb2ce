"""Bulk upsert of daily statistics on (video, date): a staging table, then one statement.

PostgreSQL: binary COPY into a temporary staging table (the rows are packed by numpy, so the
client side costs almost nothing), then ``INSERT … SELECT … ON CONFLICT (video_id, date) DO
UPDATE`` that only touches rows whose numbers changed. Rows that cannot meet a stored row (a new
video's, or days past what is stored) skip the staging and are COPYed straight in, inside a
savepoint that falls back to the upsert if anything clashed. SQLite: staging filled by a batched
``executemany``, then the same upsert. Either way the caller's transaction holds it all.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from django.db import IntegrityError, connection, transaction

from .models import VideoDailyStat

COUNT_FIELDS = VideoDailyStat.COUNT_FIELDS

STAGE = "import_stats_stage"
COPY_CHUNK_ROWS = 200_000
SQLITE_BATCH_ROWS = 50_000
# PostgreSQL's binary COPY header and trailer; dates count days from 2000-01-01.
PG_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
PG_COPY_TRAILER = b"\xff\xff"
PG_EPOCH_DAYS = 10_957  # 2000-01-01 − 1970-01-01
EPOCH = date(1970, 1, 1)

_PG_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("video_len", ">i4"),
        ("video_id", ">i8"),
        ("date_len", ">i4"),
        ("date", ">i4"),
    ]
    + [item for name in COUNT_FIELDS for item in ((f"{name}_len", ">i4"), (name, ">i8"))]
)


def _table() -> str:
    return connection.ops.quote_name(VideoDailyStat._meta.db_table)


def _upsert_sql(returning_counts: bool) -> str:
    columns = ", ".join(("video_id", "date", *COUNT_FIELDS))
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in COUNT_FIELDS)
    changed = " OR ".join(f"t.{name} <> EXCLUDED.{name}" for name in COUNT_FIELDS)
    sql = (
        f"INSERT INTO {_table()} AS t ({columns}) SELECT {columns} FROM {STAGE} WHERE true "
        f"ON CONFLICT (video_id, date) DO UPDATE SET {updates} WHERE {changed}"
    )
    if returning_counts:
        # xmax = 0 marks a freshly inserted row: counts both outcomes without a second scan.
        sql = (
            f"WITH upserted AS ({sql} RETURNING (t.xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FROM upserted"
        )
    return sql


def stats_upsert(*, video_ids: np.ndarray, days: np.ndarray, counts: np.ndarray) -> tuple[int, int]:
    """Insert or update the rows; returns (created, updated). Rows whose stored numbers are
    already equal are left alone, so re-importing a file writes nothing.

    ``days`` are days since 1970-01-01; ``counts`` has one column per COUNT_FIELDS name;
    (video, day) pairs must be unique. Must run inside a transaction.
    """
    if not len(video_ids):
        return 0, 0
    if connection.vendor == "postgresql":
        return _postgresql(video_ids, days, counts)
    return _portable(video_ids, days, counts)


def _pg_rows(video_ids: np.ndarray, days: np.ndarray, counts: np.ndarray) -> bytes:
    rows = np.empty(len(video_ids), dtype=_PG_ROW)
    rows["fields"] = 2 + len(COUNT_FIELDS)
    rows["video_len"], rows["video_id"] = 8, video_ids
    rows["date_len"], rows["date"] = 4, days.astype(np.int64) - PG_EPOCH_DAYS
    for position, name in enumerate(COUNT_FIELDS):
        rows[f"{name}_len"], rows[name] = 8, counts[:, position]
    return rows.tobytes()


def _postgresql(video_ids: np.ndarray, days: np.ndarray, counts: np.ndarray) -> tuple[int, int]:
    fresh = _cannot_collide(video_ids, days)
    created = updated = 0
    if fresh.any():
        columns = ", ".join(("video_id", "date", *COUNT_FIELDS))
        try:
            with transaction.atomic():  # a savepoint: a clash undoes only this COPY
                _copy(f"{_table()} ({columns})", video_ids[fresh], days[fresh], counts[fresh])
            created = int(fresh.sum())
        except IntegrityError:
            # Someone stored one of these days since the ranges were read: upsert them all.
            fresh[:] = False
    if not fresh.all():
        rest = ~fresh
        staged_created, updated = _stage_and_upsert(video_ids[rest], days[rest], counts[rest])
        created += staged_created
    return created, updated


def _cannot_collide(video_ids: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Rows outside their video's stored day range: every row of a new video, the new days of
    an incremental export. They cannot meet a stored row, so they may skip the upsert and go
    in by COPY, PostgreSQL's fastest way in (its batched inserts beat INSERT … SELECT ~2×).
    One aggregate query, whatever the number of rows."""
    videos = np.unique(video_ids)
    first = np.full(len(videos), np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(len(videos), np.iinfo(np.int64).min, dtype=np.int64)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT video_id, min(date), max(date) FROM {_table()} "
            "WHERE video_id = ANY(%s) GROUP BY video_id",
            [videos.tolist()],
        )
        for video_id, low, high in cursor.fetchall():
            position = np.searchsorted(videos, video_id)
            first[position], last[position] = (low - EPOCH).days, (high - EPOCH).days
    position = np.searchsorted(videos, video_ids)
    return (days < first[position]) | (days > last[position])


def _copy(target: str, video_ids: np.ndarray, days: np.ndarray, counts: np.ndarray) -> None:
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(PG_COPY_SIGNATURE)
            for start in range(0, len(video_ids), COPY_CHUNK_ROWS):
                end = start + COPY_CHUNK_ROWS
                copy.write(_pg_rows(video_ids[start:end], days[start:end], counts[start:end]))
            copy.write(PG_COPY_TRAILER)


def _stage_and_upsert(video_ids: np.ndarray, days: np.ndarray, counts: np.ndarray):
    """COPY into a temporary staging table, then one INSERT … ON CONFLICT DO UPDATE."""
    columns = ", ".join(f"{name} bigint" for name in COUNT_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
        cursor.execute(
            f"CREATE TEMP TABLE {STAGE} (video_id bigint, date date, {columns}) ON COMMIT DROP"
        )
        _copy(STAGE, video_ids, days, counts)
        cursor.execute(_upsert_sql(returning_counts=True))
        created, changed = cursor.fetchone()
        cursor.execute(f"DROP TABLE {STAGE}")
    return int(created), int(changed) - int(created)


def _portable(video_ids: np.ndarray, days: np.ndarray, counts: np.ndarray) -> tuple[int, int]:
    columns = ", ".join(f"{name} integer" for name in COUNT_FIELDS)
    placeholders = ", ".join(["%s"] * (2 + len(COUNT_FIELDS)))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{STAGE}")
        cursor.execute(f"CREATE TEMP TABLE {STAGE} (video_id integer, date text, {columns})")
        for start in range(0, len(video_ids), SQLITE_BATCH_ROWS):
            end = start + SQLITE_BATCH_ROWS
            rows = zip(
                video_ids[start:end].tolist(),
                days[start:end].astype("datetime64[D]").astype(str).tolist(),
                *counts[start:end].T.tolist(),
                strict=True,
            )
            cursor.executemany(f"INSERT INTO {STAGE} VALUES ({placeholders})", list(rows))
        cursor.execute(
            f"SELECT count(*) FROM {STAGE} s JOIN {_table()} t "
            "ON t.video_id = s.video_id AND t.date = s.date"
        )
        existing = cursor.fetchone()[0]
        cursor.execute(_upsert_sql(returning_counts=False))
        changed = cursor.rowcount
        cursor.execute(f"DROP TABLE temp.{STAGE}")
    created = len(video_ids) - existing
    return created, changed - created
