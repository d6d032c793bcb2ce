"""Snapshots of lifetime counts → daily statistics (the one place that derives them).

A platform (through a connector) or a file of running totals reports what a video has *so far*
at a moment. Each observation is stored once (video, moment); the days are then derived from
consecutive observations:

- the first observation of a video is its baseline: no day receives its lifetime total;
- a gain belongs to the day, in the creator's time zone, of the later observation; several
  observations on one day add up to that day's gain (the day's last observation closes it);
- when two observations are more than a day apart, the gain is split evenly over the days
  between them (the later days get the remainder) and those days are marked ``estimated``;
- a count that falls (a platform correcting itself) is recorded on the snapshot
  (``corrections``) and gives that day no gain for that count, never a negative one; the next
  gain is measured from the corrected value;
- a count the source does not report stays unknown: ``views`` None on the derived day (the
  other counts, which are not nullable, count as 0 gained);
- a day already imported as daily numbers (``origin`` imported) is never overwritten: the
  imported row wins and the outcome counts the days it kept.

``interactions`` of a derived day = likes + comments + shares + saves gained; link clicks 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from . import stats_writer
from .models import StatOrigin, Video, VideoDailyStat, VideoSnapshot
from .services import VIDEO_NOT_YOURS, stats_upsert

SNAPSHOT_FIELDS = VideoSnapshot.COUNT_FIELDS
DAILY_FIELDS = VideoDailyStat.COUNT_FIELDS
UNKNOWN = stats_writer.UNKNOWN
# Daily interactions are the gained likes + comments + shares + saves.
INTERACTION_PARTS = ("likes", "comments", "shares", "saves")
# Videos re-derived per read: bounds the memory of one pass and the size of an IN list.
DERIVE_BATCH_VIDEOS = 10_000
PG_COPY_HEADER_BYTES = 19


@dataclass(frozen=True)
class Observation:
    """One video's lifetime counts at one moment. ``counts`` maps SNAPSHOT_FIELDS names to a
    count; a name left out or None means the source did not report it."""

    video_id: int
    observed_at: datetime  # aware
    counts: dict[str, int | None]


@dataclass(frozen=True)
class Correction:
    video_id: int
    field: str
    before: int
    after: int
    observed_at: datetime


@dataclass
class SnapshotOutcome:
    received: int = 0
    stored: int = 0  # new observations
    repeated: int = 0  # the same video and moment was already stored: nothing written
    baselines: int = 0  # videos seen for the first time: their first observation is a baseline
    days_created: int = 0  # derived daily rows created
    days_updated: int = 0  # derived daily rows whose numbers changed
    days_estimated: int = 0  # derived days that got an even share of a gain over missed days
    kept_imported: int = 0  # days already imported as daily numbers: left as they are
    corrections: list[Correction] = field(default_factory=list)


def snapshots_record(
    *, owner_id: int, source: str, observations: Iterable[Observation]
) -> SnapshotOutcome:
    """Store the observations (the creator's own videos, checked by the caller) and re-derive
    the days they touch, in the caller's transaction; ``stats.changed`` when days changed.
    Recording the same observations again stores nothing and changes nothing; an observation
    of a stored moment with other numbers replaces it (the platform's latest word)."""
    observations = list(observations)
    outcome = SnapshotOutcome(received=len(observations))
    if not observations:
        return outcome
    latest: dict[tuple[int, datetime], Observation] = {}
    for item in observations:
        latest[(item.video_id, item.observed_at.replace(microsecond=0))] = item
    with transaction.atomic():
        video_ids = sorted({video_id for video_id, _ in latest})
        _check_owner(owner_id, video_ids)
        rows = [
            (video_id, moment, tuple(_count(item.counts.get(name)) for name in SNAPSHOT_FIELDS))
            for (video_id, moment), item in latest.items()
        ]
        written = _upsert(rows, source)  # (video, moment, new?) of each row that changed
        outcome.stored = sum(1 for *_, new in written if new)
        outcome.repeated = len(rows) - len(written)
        if written:
            touched: dict[int, datetime] = {}
            new_per_video: dict[int, int] = {}
            for video_id, moment, new in written:
                first = touched.get(video_id)
                touched[video_id] = moment if first is None else min(first, moment)
                new_per_video[video_id] = new_per_video.get(video_id, 0) + int(new)
            per_video: dict[int, int] = {}
            snapshots_derive(
                owner_id=owner_id, since=touched, outcome=outcome, snapshot_counts=per_video
            )
            # A baseline: a video all of whose snapshots are new in this call.
            outcome.baselines = sum(
                1
                for video_id, new in new_per_video.items()
                if new and per_video.get(video_id) == new
            )
    return outcome


def _upsert(rows: list[tuple[int, datetime, tuple]], source: str) -> list[tuple]:
    """Store the observations, one row per (video, moment): a new one is inserted, a stored
    one with other numbers is replaced (the platform's latest word), the same numbers again
    write nothing. Returns (video id, moment, inserted?) of the rows written.

    PostgreSQL: one INSERT … SELECT FROM unnest(arrays) … ON CONFLICT … RETURNING (the rows
    go in as a handful of array parameters; ``xmax = 0`` tells an insert from an update).
    SQLite: the stored moments are read first, then one executemany upsert of the rest."""
    table = connection.ops.quote_name(VideoSnapshot._meta.db_table)
    fields = ", ".join(SNAPSHOT_FIELDS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in ("source", *SNAPSHOT_FIELDS))
    differs = (
        f"({', '.join(f'{table}.{name}' for name in SNAPSHOT_FIELDS)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{name}' for name in SNAPSHOT_FIELDS)})"
    )
    if connection.vendor == "postgresql":
        # the moments as epoch seconds and every column as one array literal: psycopg's
        # list adaptation, value by value, cost more than the statement
        arrays = ", ".join(
            ["%s::int8[]", "%s::int8[]", *(["%s::int8[]"] * len(SNAPSHOT_FIELDS))]
        )
        sql = (
            f"INSERT INTO {table} (video_id, observed_at, source, {fields}, corrections) "
            f"SELECT v, to_timestamp(o), %s, {fields}, '{{}}'::jsonb "
            f"FROM unnest({arrays}) AS u(v, o, {fields}) "
            f"ON CONFLICT (video_id, observed_at) DO UPDATE SET {updates} WHERE {differs} "
            # the moment as epoch seconds: 10,000 datetimes parsed back cost more than the insert
            "RETURNING video_id, EXTRACT(EPOCH FROM observed_at)::int8, (xmax = 0)"
        )
        epochs = [int(row[1].timestamp()) for row in rows]
        params = [
            source,
            _array_literal([row[0] for row in rows]),
            _array_literal(epochs),
            *(_array_literal([row[2][i] for row in rows]) for i in range(len(SNAPSHOT_FIELDS))),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            returned = cursor.fetchall()
        moments = {(row[0], epoch): row[1] for row, epoch in zip(rows, epochs, strict=True)}
        return [(video_id, moments[video_id, epoch], new) for video_id, epoch, new in returned]

    stored = _stored_moments(sorted({row[0] for row in rows}), [row[1] for row in rows])
    written, params = [], []
    adapt = connection.ops.adapt_datetimefield_value
    for video_id, moment, values in rows:
        previous = stored.get((video_id, moment))
        if previous == values:
            continue
        written.append((video_id, moment, previous is None))
        params.append((video_id, adapt(moment), source, *values, "{}"))
    if params:
        columns = ("video_id", "observed_at", "source", *SNAPSHOT_FIELDS, "corrections")
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT (video_id, observed_at) DO UPDATE SET {updates}"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
    return written


def _array_literal(values: list[int | None]) -> str:
    """A PostgreSQL array literal of whole numbers (None: NULL), e.g. ``{1,NULL,3}``."""
    if None in values:
        return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"
    return "{" + ",".join(map(str, values)) + "}"


def _check_owner(owner_id: int, video_ids: list[int]) -> None:
    """Every observation is of the creator's own videos: the service checks it, whoever calls
    (one query; on SQLite one per DERIVE_BATCH_VIDEOS videos)."""
    if connection.vendor == "postgresql":  # one array parameter, not 10,000 placeholders
        table = connection.ops.quote_name(Video._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE owner_id = %s AND id = ANY(%s::int8[])",
                [owner_id, _array_literal(video_ids)],
            )
            if cursor.fetchone()[0] != len(video_ids):
                raise ValidationError({"video": VIDEO_NOT_YOURS})
        return
    for start in range(0, len(video_ids), DERIVE_BATCH_VIDEOS):
        batch = video_ids[start : start + DERIVE_BATCH_VIDEOS]
        own = Video.objects.filter(owner_id=owner_id, pk__in=batch).count()
        if own != len(batch):
            raise ValidationError({"video": VIDEO_NOT_YOURS})


def _count(value) -> int | None:
    if value is None:
        return None
    value = int(value)
    if value < 0:
        raise ValueError("a lifetime count cannot be negative")
    return value


def _stored_moments(video_ids, moments) -> dict[tuple[int, datetime], tuple]:
    """The stored snapshots at the moments being recorded (to tell new from repeated)."""
    found = {}
    low, high = min(moments), max(moments)
    for start in range(0, len(video_ids), DERIVE_BATCH_VIDEOS):
        batch = video_ids[start : start + DERIVE_BATCH_VIDEOS]
        query = VideoSnapshot.objects.filter(
            video_id__in=batch, observed_at__gte=low, observed_at__lte=high
        ).values_list("video_id", "observed_at", *SNAPSHOT_FIELDS)
        for video_id, moment, *values in query:
            found[(video_id, moment)] = tuple(values)
    return found


@dataclass
class Derived:
    """Daily rows derived from snapshots, in (video, day) order, and the corrections met."""

    video_ids: np.ndarray
    days: np.ndarray  # since 1970-01-01, in the creator's time zone
    counts: np.ndarray  # one column per DAILY_FIELDS name; views may be UNKNOWN
    estimated: np.ndarray
    corrections: dict[int, dict[str, list[int]]]  # snapshot id → {field: [before, after]}


def snapshots_derive(
    *,
    owner_id: int,
    video_ids: Iterable[int] | None = None,
    since: dict[int, datetime] | None = None,
    outcome: SnapshotOutcome | None = None,
    snapshot_counts: dict[int, int] | None = None,
) -> SnapshotOutcome:
    """Re-derive the daily rows of the videos from all their snapshots and write the days that
    changed (``since``: per video, the earliest new observation — only days from the one
    before it on are written). In the caller's transaction. ``snapshot_counts``, when given,
    is filled with each video's number of stored snapshots."""
    outcome = outcome or SnapshotOutcome()
    wanted = sorted(since) if since is not None else sorted(set(video_ids or ()))
    tz = timezone.get_current_timezone()
    for start in range(0, len(wanted), DERIVE_BATCH_VIDEOS):
        batch = wanted[start : start + DERIVE_BATCH_VIDEOS]
        ids, videos, seconds, counts = _read_snapshots(batch)
        if not len(ids):
            continue
        if snapshot_counts is not None:
            found, counts_of = np.unique(videos, return_counts=True)
            snapshot_counts.update(zip(found.tolist(), counts_of.tolist(), strict=True))
        local_days = _local_days(seconds, tz)
        derived = derive_days(videos, local_days, counts, ids)
        keep = np.ones(len(derived.video_ids), dtype=bool)
        if since is not None:
            keep = derived.days >= _first_days(videos, local_days, seconds, since, derived)
        if keep.any():
            written = stats_writer_upsert(owner_id, derived, keep)
            outcome.days_created += written.created
            outcome.days_updated += written.updated
            outcome.kept_imported += written.replaced
            outcome.days_estimated += int(derived.estimated[keep].sum())
        _store_corrections(derived.corrections)
        if derived.corrections:
            moments = dict(
                VideoSnapshot.objects.filter(pk__in=list(derived.corrections)).values_list(
                    "pk", "observed_at"
                )
            )
            video_of = dict(zip(ids.tolist(), videos.tolist(), strict=True))
            for snapshot_id, fields in derived.corrections.items():
                moment = moments[snapshot_id]
                if since is not None and moment < since.get(video_of[snapshot_id], moment):
                    continue  # reported when it was recorded
                for name, (before, after) in fields.items():
                    outcome.corrections.append(
                        Correction(video_of[snapshot_id], name, before, after, moment)
                    )
    return outcome


def stats_writer_upsert(owner_id: int, derived: Derived, keep: np.ndarray):
    """Through the daily-statistics service, which emits ``stats.changed``."""
    return stats_upsert(
        owner_id=owner_id,
        video_ids=derived.video_ids[keep],
        days=derived.days[keep],
        counts=derived.counts[keep],
        origin=StatOrigin.DERIVED,
        estimated=derived.estimated[keep],
    )


def _first_days(videos, local_days, seconds, since, derived: Derived) -> np.ndarray:
    """Per derived row: the first day that may have changed — the day after the observation
    before the earliest new one (its gain spreads from there), or the new one's own day.
    Vectorised over the videos (rows are in (video, moment) order)."""
    starts = np.flatnonzero(np.r_[True, videos[1:] != videos[:-1]])
    ends = np.r_[starts[1:], len(videos)]
    group_videos = videos[starts]
    cutoffs = np.fromiter(
        (int(since[v].timestamp()) if v in since else 0 for v in group_videos.tolist()),
        dtype=np.int64,
        count=len(group_videos),
    )
    group = np.repeat(np.arange(len(starts)), ends - starts)
    before_cutoff = (seconds < cutoffs[group]).astype(np.int64)
    position = starts + np.add.reduceat(before_cutoff, starts)
    position = np.minimum(position, ends - 1)
    previous = np.maximum(position - 1, 0)
    first = np.where(
        position > starts,
        np.minimum(local_days[previous] + 1, local_days[position]),
        local_days[position],
    )
    return first[np.searchsorted(group_videos, derived.video_ids)]


def _read_snapshots(video_ids: list[int]):
    """(snapshot ids, video ids, epoch seconds, counts with UNKNOWN for NULL) in (video,
    moment) order. PostgreSQL: one binary COPY parsed by numpy (fixed-width rows)."""
    table = connection.ops.quote_name(VideoSnapshot._meta.db_table)
    values = ", ".join(f"COALESCE({name}, -1)" for name in SNAPSHOT_FIELDS)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT id::int8, video_id::int8, EXTRACT(EPOCH FROM observed_at)::int8, {values} "
            f"FROM {table} WHERE video_id = ANY(ARRAY{video_ids}::int8[]) "
            "ORDER BY video_id, observed_at"
        )
        buffer = bytearray()
        with connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:
                for block in copy:
                    buffer += block
        width = 3 + len(SNAPSHOT_FIELDS)
        dtype = np.dtype(
            [("fields", ">i2")]
            + [item for i in range(width) for item in ((f"l{i}", ">i4"), (f"v{i}", ">i8"))]
        )
        body = memoryview(buffer)[PG_COPY_HEADER_BYTES : len(buffer) - 2]
        rows = np.frombuffer(body, dtype=dtype)
        columns = np.stack([rows[f"v{i}"].astype(np.int64) for i in range(width)], axis=1)
    else:
        placeholders = ", ".join(["%s"] * len(video_ids))
        sql = (
            f"SELECT id, video_id, CAST(strftime('%%s', observed_at) AS INTEGER), {values} "
            f"FROM {table} WHERE video_id IN ({placeholders}) ORDER BY video_id, observed_at"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, video_ids)
            fetched = cursor.fetchall()
        width = 3 + len(SNAPSHOT_FIELDS)
        columns = np.array(fetched, dtype=np.int64).reshape(len(fetched), width)
    return columns[:, 0], columns[:, 1], columns[:, 2], columns[:, 3:]


def _local_days(seconds: np.ndarray, tz) -> np.ndarray:
    """Days since 1970-01-01 of each moment on the creator's calendar."""
    moments = pd.to_datetime(seconds, unit="s", utc=True).tz_convert(tz).tz_localize(None)
    return moments.to_numpy().astype("datetime64[D]").astype(np.int64)


def derive_days(
    videos: np.ndarray, days: np.ndarray, counts: np.ndarray, snapshot_ids: np.ndarray
) -> Derived:
    """The derivation itself, on arrays in (video, moment) order: ``counts`` holds the
    SNAPSHOT_FIELDS lifetime counts (UNKNOWN where not reported). Pure numpy."""
    n = len(videos)
    first = np.r_[True, videos[1:] != videos[:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    known = counts >= 0
    # Per field, the position of the last known value up to each row, within the video.
    last_known = np.where(known, np.arange(n)[:, None], -1)
    last_known = np.maximum.accumulate(last_known, axis=0)
    before = np.full_like(last_known, -1)
    before[1:] = last_known[:-1]
    before[before < starts[:, None]] = -1
    before[first] = -1
    has_gain = known & (before >= 0)
    prior = np.where(has_gain, counts[np.maximum(before, 0), np.arange(counts.shape[1])], 0)
    gains = np.where(has_gain, counts - prior, UNKNOWN)
    falls = has_gain & (gains < 0)
    corrections: dict[int, dict[str, list[int]]] = {}
    for row, column in zip(*np.nonzero(falls), strict=True):
        corrections.setdefault(int(snapshot_ids[row]), {})[SNAPSHOT_FIELDS[column]] = [
            int(prior[row, column]),
            int(counts[row, column]),
        ]
    gains[falls] = 0
    estimated_rows = _spread_over_unknown(gains, has_gain, before, days)

    segments = np.flatnonzero(~first)  # every observation after a video's first one
    if not len(segments):
        empty = np.empty(0, dtype=np.int64)
        return Derived(
            empty,
            empty,
            np.empty((0, len(DAILY_FIELDS)), np.int64),
            empty.astype(bool),
            corrections,
        )
    day_to = days[segments]
    day_from = days[segments - 1]
    spread = np.maximum(day_to - day_from, 1)
    estimated_segment = (spread > 1) | estimated_rows[segments]
    # One expanded row per (segment, day it covers): the days after the earlier observation
    # up to the later one's day.
    total = int(spread.sum())
    segment_of = np.repeat(np.arange(len(segments)), spread)
    offset = np.arange(total) - np.repeat(np.cumsum(spread) - spread, spread)
    day = day_to[segment_of] - spread[segment_of] + 1 + offset
    seg_gains = gains[segments][segment_of]
    k = spread[segment_of][:, None]
    unknown = seg_gains == UNKNOWN
    base = np.where(unknown, 0, seg_gains) // k
    remainder = np.where(unknown, 0, seg_gains) % k
    share = base + (offset[:, None] >= (k - remainder))
    video = videos[segments][segment_of]

    # Sum the shares per (video, day): several observations on one day add up.
    order = np.lexsort((day, video))
    video, day, share, unknown = video[order], day[order], share[order], unknown[order]
    estimated = estimated_segment[segment_of][order]
    new_group = np.r_[True, (video[1:] != video[:-1]) | (day[1:] != day[:-1])]
    group_starts = np.flatnonzero(new_group)
    summed = np.add.reduceat(share, group_starts, axis=0)
    sizes = np.diff(np.r_[group_starts, len(video)])[:, None]
    all_unknown = np.add.reduceat(unknown.astype(np.int64), group_starts, axis=0) == sizes
    summed[all_unknown] = UNKNOWN
    out = np.zeros((len(group_starts), len(DAILY_FIELDS)), dtype=np.int64)
    for name in ("views", "comments", "likes", "shares", "saves"):
        column = summed[:, SNAPSHOT_FIELDS.index(name)]
        out[:, DAILY_FIELDS.index(name)] = column if name == "views" else np.maximum(column, 0)
    out[:, DAILY_FIELDS.index("interactions")] = sum(
        out[:, DAILY_FIELDS.index(name)] for name in INTERACTION_PARTS
    )
    return Derived(
        video_ids=video[group_starts],
        days=day[group_starts],
        counts=out,
        estimated=np.logical_or.reduceat(estimated, group_starts),
        corrections=corrections,
    )


def _spread_over_unknown(gains, has_gain, before, days) -> np.ndarray:
    """A count the observations between two that report it did not know (a source without
    views between two with them): its gain belongs to all the days since the one that knew
    it, spread evenly (the later days get the remainder) over the observations in between,
    which then know it too; those days are estimated when it spans more than one. In place
    on ``gains``; returns the rows whose days became estimated. Rare, so a plain loop."""
    n = len(days)
    estimated = np.zeros(n, dtype=bool)
    rows, columns = np.nonzero(has_gain & (before >= 0) & (before < np.arange(n)[:, None] - 1))
    for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
        start = int(before[row, column])
        span = int(days[row] - days[start])
        if span <= 0:
            continue  # all on one day: the day's observations add up as they are
        gain = int(gains[row, column])
        whole, extra = divmod(gain, span)

        def upto(k: int, whole=whole, extra=extra, span=span) -> int:
            # the gain of the first k days of the span: the last ``extra`` days get one more
            return k * whole + max(0, k - (span - extra))

        for position in range(start + 1, row + 1):
            low = int(days[position - 1] - days[start])
            high = int(days[position] - days[start])
            if high == low and position != row:
                continue  # adds no day: its day's share comes with the observation before
            gains[position, column] = upto(high) - upto(low)
            if span > 1 and high > low:
                estimated[position] = True
    return estimated


def _store_corrections(corrections: dict[int, dict[str, list[int]]]) -> None:
    """Record on each snapshot the counts that fell since the one before (and clear what a
    re-derivation no longer finds there is not needed: snapshots do not change order)."""
    if not corrections:
        return
    stored = dict(
        VideoSnapshot.objects.filter(pk__in=list(corrections)).values_list("pk", "corrections")
    )
    changed = [
        VideoSnapshot(pk=pk, corrections=fields)
        for pk, fields in corrections.items()
        if stored.get(pk) != fields
    ]
    if changed:
        VideoSnapshot.objects.bulk_update(changed, ["corrections"], batch_size=1_000)
