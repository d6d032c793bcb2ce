"""Bulk upsert of daily statistics on (video, date): a staging table, then one statement.

Two kinds of rows go in: days imported as daily numbers (``origin`` imported: they replace
whatever a day held, and the rows they replaced that had been derived from snapshots are
counted) and days derived from snapshots (``origin`` derived: they never overwrite an imported
day, and the imported days they met are counted). A views count of ``UNKNOWN`` (-1) is stored as
NULL: the source did not report views.

PostgreSQL: binary COPY into a temporary staging table (the rows are packed by numpy, so the
client side costs almost nothing), then ``INSERT … SELECT … ON CONFLICT (video_id, date) DO
UPDATE`` that only touches rows whose numbers changed. Rows that cannot meet a stored row (a new
video's, or days past what is stored) skip the staging and are COPYed straight in, inside a
savepoint that falls back to the upsert if anything clashed. SQLite: staging filled by a batched
``executemany``, then the same upsert. Either way the caller's transaction holds it all.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import numpy as np
from django.db import IntegrityError, connection, transaction

from .models import StatOrigin, VideoDailyStat

COUNT_FIELDS = VideoDailyStat.COUNT_FIELDS
UNKNOWN = -1  # in the views column: not reported (stored as NULL)
VIEWS = COUNT_FIELDS.index("views")
IMPORTED, DERIVED = StatOrigin.IMPORTED.value, StatOrigin.DERIVED.value


class UpsertCounts(NamedTuple):
    created: int
    updated: int
    # imported rows: derived days they replaced; derived rows: imported days left as they were
    replaced: int = 0


STAGE = "import_stats_stage"
COPY_CHUNK_ROWS = 200_000
SQLITE_BATCH_ROWS = 50_000
# PostgreSQL's binary COPY header and trailer; dates count days from 2000-01-01.
PG_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
PG_COPY_TRAILER = b"\xff\xff"
PG_EPOCH_DAYS = 10_957  # 2000-01-01 − 1970-01-01
EPOCH = date(1970, 1, 1)


def _pg_row_dtype(origin: str) -> np.dtype:
    return np.dtype(
        [
            ("fields", ">i2"),
            ("video_len", ">i4"),
            ("video_id", ">i8"),
            ("date_len", ">i4"),
            ("date", ">i4"),
        ]
        + [item for name in COUNT_FIELDS for item in ((f"{name}_len", ">i4"), (name, ">i8"))]
        + [
            ("origin_len", ">i4"),
            ("origin", f"S{len(origin)}"),
            ("estimated_len", ">i4"),
            ("estimated", "u1"),
        ]
    )


def _table() -> str:
    return connection.ops.quote_name(VideoDailyStat._meta.db_table)


ALL_COLUMNS = ("video_id", "date", *COUNT_FIELDS, "origin", "estimated")


def _upsert_sql(origin: str, returning_counts: bool) -> str:
    columns = ", ".join(ALL_COLUMNS)
    values = ", ".join("NULLIF(views, -1)" if name == "views" else name for name in ALL_COLUMNS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in ALL_COLUMNS[2:])
    changed = " OR ".join(f"t.{name} IS DISTINCT FROM EXCLUDED.{name}" for name in ALL_COLUMNS[2:])
    condition = f"({changed})"
    if origin == DERIVED:
        condition = f"t.origin <> '{IMPORTED}' AND {condition}"
    sql = (
        f"INSERT INTO {_table()} AS t ({columns}) SELECT {values} FROM {STAGE} WHERE true "
        f"ON CONFLICT (video_id, date) DO UPDATE SET {updates} WHERE {condition}"
    )
    if returning_counts:
        # xmax = 0 marks a freshly inserted row: counts both outcomes without a second scan.
        # The statement's snapshot predates its own writes: the third count sees the stored
        # origins as they were before, at no extra round trip.
        sql = (
            f"WITH upserted AS ({sql} RETURNING (t.xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted), count(*), ({_met_sql(origin)}) "
            "FROM upserted"
        )
    return sql


def _met_sql(origin: str) -> str:
    """How many staged rows meet a stored row of the other origin (counted before the upsert)."""
    other = DERIVED if origin == IMPORTED else IMPORTED
    return (
        f"SELECT count(*) FROM {STAGE} s JOIN {_table()} t "
        f"ON t.video_id = s.video_id AND t.date = s.date WHERE t.origin = '{other}'"
    )


def stats_upsert(
    *,
    video_ids: np.ndarray,
    days: np.ndarray,
    counts: np.ndarray,
    origin: str = IMPORTED,
    estimated: np.ndarray | None = None,
) -> UpsertCounts:
    """Insert or update the rows; returns (created, updated, replaced). Rows whose stored
    numbers are already equal are left alone, so re-importing a file writes nothing.

    ``days`` are days since 1970-01-01; ``counts`` has one column per COUNT_FIELDS name
    (views may be UNKNOWN); (video, day) pairs must be unique. ``origin`` says what the rows
    are (see the module docstring); ``estimated`` flags derived days spread over a gap.
    Must run inside a transaction.
    """
    if not len(video_ids):
        return UpsertCounts(0, 0, 0)
    if estimated is None:
        estimated = np.zeros(len(video_ids), dtype=bool)
    if connection.vendor == "postgresql":
        return _postgresql(video_ids, days, counts, origin, estimated)
    return _portable(video_ids, days, counts, origin, estimated)


def _pg_rows(video_ids, days, counts, origin: str, estimated) -> bytes:
    rows = np.empty(len(video_ids), dtype=_pg_row_dtype(origin))
    rows["fields"] = len(ALL_COLUMNS)
    rows["video_len"], rows["video_id"] = 8, video_ids
    rows["date_len"], rows["date"] = 4, days.astype(np.int64) - PG_EPOCH_DAYS
    for position, name in enumerate(COUNT_FIELDS):
        rows[f"{name}_len"], rows[name] = 8, counts[:, position]
    rows["origin_len"], rows["origin"] = len(origin), origin.encode()
    rows["estimated_len"], rows["estimated"] = 1, estimated
    return rows.tobytes()


def _postgresql(video_ids, days, counts, origin, estimated) -> UpsertCounts:
    # Rows with unknown views need NULLIF on the way in, which only the staged upsert does.
    fresh = _cannot_collide(video_ids, days) & (counts[:, VIEWS] != UNKNOWN)
    created = updated = replaced = 0
    if fresh.any():
        try:
            with transaction.atomic():  # a savepoint: a clash undoes only this COPY
                _copy(
                    f"{_table()} ({', '.join(ALL_COLUMNS)})",
                    video_ids[fresh],
                    days[fresh],
                    counts[fresh],
                    origin,
                    estimated[fresh],
                )
            created = int(fresh.sum())
        except IntegrityError:
            # Someone stored one of these days since the ranges were read: upsert them all.
            created = 0
            fresh[:] = False
    if not fresh.all():
        rest = ~fresh
        staged_created, updated, replaced = _stage_and_upsert(
            video_ids[rest], days[rest], counts[rest], origin, estimated[rest]
        )
        created += staged_created
    return UpsertCounts(created, updated, replaced)


def _cannot_collide(video_ids: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Rows outside their video's stored day range: every row of a new video, the new days of
    an incremental export. They cannot meet a stored row, so they may skip the upsert and go
    in by COPY, PostgreSQL's fastest way in (its batched inserts beat INSERT … SELECT ~2×).
    One aggregate query, whatever the number of rows."""
    videos = np.unique(video_ids)
    first = np.full(len(videos), np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(len(videos), np.iinfo(np.int64).min, dtype=np.int64)
    with connection.cursor() as cursor:
        # days since 1970 as integers: no date objects to build, one array assignment
        cursor.execute(
            f"SELECT video_id, min(date) - DATE '1970-01-01', max(date) - DATE '1970-01-01' "
            f"FROM {_table()} WHERE video_id = ANY(%s) GROUP BY video_id",
            [videos.tolist()],
        )
        found = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
    if len(found):
        position = np.searchsorted(videos, found[:, 0])
        first[position], last[position] = found[:, 1], found[:, 2]
    position = np.searchsorted(videos, video_ids)
    return (days < first[position]) | (days > last[position])


def _copy(target: str, video_ids, days, counts, origin, estimated) -> None:
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(PG_COPY_SIGNATURE)
            for start in range(0, len(video_ids), COPY_CHUNK_ROWS):
                end = start + COPY_CHUNK_ROWS
                copy.write(
                    _pg_rows(
                        video_ids[start:end],
                        days[start:end],
                        counts[start:end],
                        origin,
                        estimated[start:end],
                    )
                )
            copy.write(PG_COPY_TRAILER)


def _stage_and_upsert(video_ids, days, counts, origin, estimated):
    """COPY into a temporary staging table, then one INSERT … ON CONFLICT DO UPDATE."""
    columns = ", ".join(f"{name} bigint" for name in COUNT_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
        cursor.execute(
            f"CREATE TEMP TABLE {STAGE} (video_id bigint, date date, {columns}, "
            "origin varchar(10), estimated boolean) ON COMMIT DROP"
        )
        _copy(STAGE, video_ids, days, counts, origin, estimated)
        cursor.execute(_upsert_sql(origin, returning_counts=True))
        created, changed, met = cursor.fetchone()
        cursor.execute(f"DROP TABLE {STAGE}")
    return int(created), int(changed) - int(created), int(met)


def _portable(video_ids, days, counts, origin, estimated) -> UpsertCounts:
    columns = ", ".join(f"{name} integer" for name in COUNT_FIELDS)
    placeholders = ", ".join(["%s"] * len(ALL_COLUMNS))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{STAGE}")
        cursor.execute(
            f"CREATE TEMP TABLE {STAGE} (video_id integer, date text, {columns}, "
            "origin text, estimated bool)"
        )
        for start in range(0, len(video_ids), SQLITE_BATCH_ROWS):
            end = start + SQLITE_BATCH_ROWS
            size = len(video_ids[start:end])
            rows = zip(
                video_ids[start:end].tolist(),
                days[start:end].astype("datetime64[D]").astype(str).tolist(),
                *counts[start:end].T.tolist(),
                [origin] * size,
                estimated[start:end].astype(bool).tolist(),
                strict=True,
            )
            cursor.executemany(f"INSERT INTO {STAGE} VALUES ({placeholders})", list(rows))
        other = DERIVED if origin == IMPORTED else IMPORTED
        cursor.execute(
            f"SELECT count(*), coalesce(sum(t.origin = '{other}'), 0) FROM {STAGE} s "
            f"JOIN {_table()} t ON t.video_id = s.video_id AND t.date = s.date"
        )
        existing, met = cursor.fetchone()
        cursor.execute(_upsert_sql(origin, returning_counts=False))
        changed = cursor.rowcount
        cursor.execute(f"DROP TABLE temp.{STAGE}")
    created = len(video_ids) - existing
    return UpsertCounts(created, changed - created, met)
