"""Daily video statistics from a platform export: check the whole file, then upsert it.

The file is read in chunks; each chunk is checked column by column (vectorised) and its good
rows are kept as compact numpy arrays (~70 bytes a row), so a million-row file stays far below
500 MB. Checks that need the whole file — conflicting duplicates, running totals — run on those
arrays. Only a file without a single problem reaches the database, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from videos import services as video_services
from videos.models import PipelineStatus, Platform, Video, VideoDailyStat

from .headers import (
    COUNT_FIELDS,
    DATE,
    PLATFORM,
    PLATFORM_STAT_HEADERS,
    PLATFORM_VIDEO_ID,
    STAT_HEADERS,
    STAT_REQUIRED,
    TITLE,
    ColumnMapping,
    map_headers,
    normalize_platform_name,
    platform_slug_for,
)
from .results import ImportResult, IssueLog
from .tables import Table, table_chunks, table_open
from .values import blank_mask, days_to_date, looks_like_mangled_id, parse_counts, parse_dates

# progress(stage, done, total): stage "validating" after each chunk of rows checked, then
# "running" once, when the checked file starts being written (ImportJob.Status values).
Progress = Callable[[str, int, int], None]
TEXT_FIELDS = {PLATFORM_VIDEO_ID, DATE, TITLE, PLATFORM}
PREVIEW_ROWS = 10
# Fewer consecutive day pairs than this cannot tell running totals from daily numbers.
CUMULATIVE_MIN_PAIRS = 5
BASELINE_BATCH = 400
VIDEO_ID_MAX_LENGTH = Video._meta.get_field("platform_video_id").max_length
TITLE_MAX_LENGTH = Video._meta.get_field("title").max_length
INTERACTIONS = COUNT_FIELDS.index("interactions")
PART_POSITIONS = [COUNT_FIELDS.index(name) for name in video_services.INTERACTION_PARTS]
# A transaction-scoped advisory lock per creator: two imports of one creator never interleave.
ADVISORY_LOCK_CLASS = 0x1D0


@dataclass
class _Videos:
    """The (platform, platform video id) pairs met in the file, numbered by first appearance."""

    index: dict[tuple[str, str], int] = field(default_factory=dict)
    slugs: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    titles: list[str | None] = field(default_factory=list)

    def code(self, slug: str, video_id: str) -> int:
        key = (slug, video_id)
        code = self.index.get(key)
        if code is None:
            code = self.index[key] = len(self.slugs)
            self.slugs.append(slug)
            self.ids.append(video_id)
            self.titles.append(None)
        return code


class _Rows:
    """Good rows as growable arrays: video code, day (since 1970), the seven counts and the
    spreadsheet row. Filled in place, so a million rows cost ~72 MB and no concatenation."""

    def __init__(self, capacity: int) -> None:
        self.size = 0
        self._allocate(max(capacity, 1024))

    def _allocate(self, capacity: int) -> None:
        old = self.size
        fresh = {
            "codes": np.empty(capacity, dtype=np.int32),
            "days": np.empty(capacity, dtype=np.int32),
            "counts": np.empty((capacity, len(COUNT_FIELDS)), dtype=np.int64),
            "rows": np.empty(capacity, dtype=np.int64),
        }
        for name, array in fresh.items():
            if old:
                array[:old] = getattr(self, name)[:old]
            setattr(self, name, array)

    def add(self, codes, days, counts, rows) -> None:
        end = self.size + len(codes)
        if end > len(self.codes):
            self._allocate(max(end, 2 * len(self.codes)))
        self.codes[self.size : end] = codes
        self.days[self.size : end] = days
        self.counts[self.size : end] = counts
        self.rows[self.size : end] = rows
        self.size = end

    def sorted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """All rows ordered by video then date (file order among equals); hands the arrays
        over (the buffer is emptied)."""
        n, self.size = self.size, 0
        order = np.lexsort((self.days[:n], self.codes[:n]))
        result = []
        for name in ("codes", "days", "counts", "rows"):
            result.append(getattr(self, name)[:n][order])
            setattr(self, name, np.empty(0))  # free each original as soon as it is copied
        self._allocate(0)
        return tuple(result)


@dataclass
class _Context:
    owner: object
    mapping: ColumnMapping
    log: IssueLog
    platforms: dict[str, Platform]
    known_names: dict[str, str]
    file_slug: str | None
    max_count: int
    videos: _Videos = field(default_factory=_Videos)
    rows: _Rows = field(default_factory=lambda: _Rows(0))
    blank_rows: int = 0
    gaps: int = 0  # day gaps inside a video's running totals
    present: np.ndarray = field(default_factory=lambda: np.zeros(len(COUNT_FIELDS), bool))

    def column(self, name: str) -> str:
        return self.mapping.header_of(name)

    def describe(self) -> int:
        """Chunks arrive in row order, so once the log is full later cells cannot make the
        list; they are only counted."""
        return self.log.cap if self.log.room() > 0 else 0

    def report(self, mask: np.ndarray, rows: np.ndarray, column: str, message) -> None:
        positions = np.flatnonzero(mask)
        described = positions[: self.describe()]
        for pos in described:
            text = message(int(pos)) if callable(message) else message
            self.log.add(int(rows[pos]), column, text)
        self.log.add_count(len(positions) - len(described))


def stats_import_file(
    *,
    owner,
    path: str | Path,
    platform: Platform | str | None = None,
    cumulative: bool | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    on_write: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Check a daily-statistics export as a whole and, if it has no problem, upsert it.

    ``platform``: the export's platform (a Platform, its slug or name); None takes it from a
    platform column or from headers only one platform uses. ``cumulative``: None detects
    running totals, True/False forces them on/off. ``dry_run`` does everything, then rolls back,
    so the counts in the result are what a real run would write. ``progress`` hears how far
    the check got (see ``Progress``); ``on_write(result)`` is called inside the write's
    transaction once the rows are written, so what it records commits with them. A refused
    file writes nothing (``result.ok`` is False and
    ``result.errors`` names the row and column of each problem).
    """
    log = IssueLog(settings.IMPORT_MAX_ERRORS)
    result = ImportResult(kind="stats", dry_run=dry_run)
    platforms = {p.slug: p for p in Platform.objects.all()}
    known_names = {
        normalize_platform_name(text): p.slug
        for p in platforms.values()
        for text in (p.name, p.slug)
    }
    requested_slug = None
    if platform is not None:
        requested_slug = (
            platform.slug
            if isinstance(platform, Platform)
            else platform_slug_for(platform, known_names)
        )
        if requested_slug not in platforms:
            names = ", ".join(p.name for p in platforms.values())
            log.add(None, None, f'unknown platform "{platform}" (one of: {names})')
            return result.refuse(log)

    table = table_open(Path(path), log)
    if table is None:
        return result.refuse(log)
    result.encoding = table.encoding
    result.rows_total = table.rows_total or 0

    mapping = map_headers(
        table.header,
        general=STAT_HEADERS,
        required=STAT_REQUIRED,
        per_platform=PLATFORM_STAT_HEADERS,
        platform_slug=requested_slug,
        count_fields=COUNT_FIELDS,
    )
    result.column_mapping = mapping.describe()
    for column, message in mapping.problems:
        log.add(1, column, message)
    file_slug = requested_slug
    if file_slug is None and PLATFORM not in mapping.fields:
        file_slug = mapping.platform_slug
        if file_slug is None:
            log.add(
                None,
                None,
                "which platform is this export from? Name it (--platform) or add a platform column",
            )
    if log:
        return result.refuse(log)
    if file_slug:
        result.platform = platforms[file_slug].name

    ctx = _Context(
        owner=owner,
        mapping=mapping,
        log=log,
        platforms=platforms,
        known_names=known_names,
        file_slug=file_slug,
        max_count=settings.IMPORT_MAX_COUNT,
    )
    ctx.rows = _Rows(table.rows_total or 0)
    _read(table, ctx, progress)
    codes, days, counts, rows = ctx.rows.sorted()
    result.rows = len(codes)
    codes, days, counts, rows = _drop_duplicates(ctx, codes, days, counts, rows, result)
    mode, reason = _choose_mode(ctx, cumulative, codes, counts)
    result.mode, result.mode_reason = mode, reason
    if mode == "cumulative":
        _check_running_totals(ctx, codes, days, counts, rows)
    if log:
        result.preview = _preview(ctx, codes, days, counts, rows)
        return result.refuse(log)

    if progress:
        progress("running", result.rows_total, result.rows_total)
    with transaction.atomic():
        _lock_owner(owner)
        video_ids = _existing_video_ids(ctx)
        if mode == "cumulative":
            counts = _to_daily(ctx, video_ids, codes, days, counts, rows, result)
        result.preview = _preview(ctx, codes, days, counts, rows)
        if log:
            transaction.set_rollback(True)
            return result.refuse(log)
        result.created_videos = _create_videos(ctx, video_ids, codes, days, rows)
        if log:
            transaction.set_rollback(True)
            return result.refuse(log)
        # Rows are in (video, day) order: new videos got ascending ids, so the unique index
        # is filled mostly in order.
        written = video_services.stats_upsert(
            owner_id=owner.pk, video_ids=video_ids[codes], days=days, counts=counts
        )
        result.created, result.updated = written.created, written.updated
        result.unchanged = len(codes) - result.created - result.updated
        if dry_run:
            transaction.set_rollback(True)
        else:
            result.committed = True
            if on_write:
                on_write(result)  # in the transaction: what it records commits with the rows
    return result


# --- reading ----------------------------------------------------------------------------------


def _read(table: Table, ctx: _Context, progress: Progress | None) -> None:
    total = table.rows_total or 0
    if progress:
        progress("validating", 0, total)
    for chunk in table_chunks(
        table,
        ctx.mapping.fields,
        text_fields=TEXT_FIELDS,
        chunk_rows=settings.IMPORT_CHUNK_ROWS,
        log=ctx.log,
        max_rows=settings.IMPORT_MAX_ROWS,
    ):
        _read_chunk(chunk, ctx)
        if progress:
            done = int(chunk.index[-1]) - 1
            progress("validating", done, max(total, done))


def _read_chunk(chunk: pd.DataFrame, ctx: _Context) -> None:
    rows = chunk.index.to_numpy(dtype=np.int64)
    n = len(chunk)
    id_codes, id_values = pd.factorize(chunk[PLATFORM_VIDEO_ID])
    empty = _empty_rows(chunk, id_codes, id_values)
    ctx.blank_rows += int(empty.sum())
    ok = ~empty

    dates = parse_dates(chunk[DATE], describe=ctx.describe())
    ctx.report(dates.blank & ok, rows, ctx.column(DATE), "the date is missing")
    ctx.report(
        dates.bad & ok, rows, ctx.column(DATE), lambda pos: dates.problems.get(pos, "is not a date")
    )
    ok &= ~dates.blank & ~dates.bad

    counts = np.zeros((n, len(COUNT_FIELDS)), dtype=np.int64)
    derive = np.ones(n, dtype=bool)  # rows whose interactions are likes+comments+shares+saves
    for position, name in enumerate(COUNT_FIELDS):
        if name not in chunk.columns:
            continue
        ctx.present[position] = True
        parsed = parse_counts(chunk[name], max_value=ctx.max_count, describe=ctx.describe())
        column = ctx.column(name)
        ctx.report(
            parsed.bad & ~empty,
            rows,
            column,
            lambda pos, p=parsed: p.problems.get(pos, "is not a count"),
        )
        ok &= ~parsed.bad
        if name in STAT_REQUIRED:
            ctx.report(parsed.blank & ~empty, rows, column, "the number is missing")
            ok &= ~parsed.blank
        counts[:, position] = parsed.values
        if name == "interactions":
            derive = parsed.blank
    counts[derive, INTERACTIONS] = counts[derive][:, PART_POSITIONS].sum(axis=1)
    ctx.present[INTERACTIONS] = True
    too_many = counts[:, INTERACTIONS] > ctx.max_count
    ctx.report(
        too_many & derive & ok,
        rows,
        "interactions",
        f"likes + comments + shares + saves is above {ctx.max_count:,}",
    )
    ok &= ~too_many

    codes = _video_codes(chunk, id_codes, id_values, rows, empty, ctx)
    ok &= codes >= 0
    if TITLE in chunk.columns:
        _remember_titles(chunk[TITLE], codes, ok, ctx)
    ctx.rows.add(codes[ok], dates.values[ok], counts[ok], rows[ok])


def _empty_rows(chunk: pd.DataFrame, id_codes: np.ndarray, id_values) -> np.ndarray:
    """Rows with nothing in any mapped cell (spreadsheets keep blank lines). Only a row without
    a video id can be one, so only those rows are looked at cell by cell."""
    blank_id = np.array([not str(value).strip() for value in id_values] + [True], dtype=bool)
    candidates = np.flatnonzero(blank_id[id_codes])
    empty = np.zeros(len(chunk), dtype=bool)
    if len(candidates):
        subset = chunk.iloc[candidates]
        empty[candidates] = np.logical_and.reduce(
            [blank_mask(subset[name]) for name in chunk.columns]
        )
    return empty


def _video_codes(
    chunk: pd.DataFrame,
    id_codes: np.ndarray,
    id_values,
    rows: np.ndarray,
    empty: np.ndarray,
    ctx: _Context,
) -> np.ndarray:
    """The file-wide number of each row's (platform, video id); -1 where either is unusable."""
    ids = [str(value).strip() for value in id_values]
    id_problem = {}
    for position, text in enumerate(ids):
        if not text or text in {"nan", "None"}:
            id_problem[position] = "the video id is missing"
        elif len(text) > VIDEO_ID_MAX_LENGTH:
            id_problem[position] = f"the video id is longer than {VIDEO_ID_MAX_LENGTH} characters"
        elif looks_like_mangled_id(text):
            id_problem[position] = (
                f'"{text}" is a long id that Excel turned into a rounded number; '
                "format the column as text and export again"
            )
    column = ctx.column(PLATFORM_VIDEO_ID)
    ctx.report((id_codes < 0) & ~empty, rows, column, "the video id is missing")
    if id_problem:
        flagged = np.zeros(len(ids) + 1, dtype=bool)  # last slot: code -1
        flagged[list(id_problem)] = True
        ctx.report(
            flagged[id_codes] & ~empty, rows, column, lambda pos: id_problem[int(id_codes[pos])]
        )

    if PLATFORM in chunk.columns:
        platform_codes, platform_values = pd.factorize(chunk[PLATFORM])
        slugs = [platform_slug_for(value, ctx.known_names) for value in platform_values]
        platform_column = ctx.column(PLATFORM)
        ctx.report((platform_codes < 0) & ~empty, rows, platform_column, "the platform is missing")
        platform_problem = {}
        for position, slug in enumerate(slugs):
            text = str(platform_values[position]).strip()
            if slug is None or slug not in ctx.platforms:
                platform_problem[position] = f'unknown platform "{text}"'
            elif ctx.file_slug and slug != ctx.file_slug:
                platform_problem[position] = (
                    f'this file is for {ctx.platforms[ctx.file_slug].name}, not "{text}"'
                )
        if platform_problem:
            flagged = np.zeros(len(slugs) + 1, dtype=bool)
            flagged[list(platform_problem)] = True
            for position in platform_problem:
                slugs[position] = None
            ctx.report(
                flagged[platform_codes] & ~empty,
                rows,
                platform_column,
                lambda pos: platform_problem[int(platform_codes[pos])],
            )
    else:
        platform_codes, slugs = np.zeros(len(chunk), dtype=np.int64), [ctx.file_slug]

    width = len(ids) + 1
    pairs, pair_values = pd.factorize(platform_codes.astype(np.int64) * width + id_codes)
    lookup = np.full(len(pair_values), -1, dtype=np.int64)
    for position, pair in enumerate(pair_values):
        platform_code, id_code = divmod(int(pair), width)
        if id_code >= len(ids) or id_code < 0 or platform_code < 0:
            continue
        slug = slugs[platform_code]
        if slug is None or id_code in id_problem:
            continue
        lookup[position] = ctx.videos.code(slug, ids[id_code])
    codes = lookup[pairs]
    codes[(id_codes < 0) | (platform_codes < 0)] = -1
    return codes


def _remember_titles(titles: pd.Series, codes: np.ndarray, ok: np.ndarray, ctx: _Context) -> None:
    """The first title of each video, used only if the video has to be created."""
    usable = ok & titles.notna().to_numpy()
    if not usable.any():
        return
    firsts = pd.DataFrame({"code": codes[usable], "title": titles.to_numpy()[usable]})
    for code, title in firsts.drop_duplicates("code").itertuples(index=False):
        text = str(title).strip()
        if text and ctx.videos.titles[code] is None:
            ctx.videos.titles[code] = text[:TITLE_MAX_LENGTH]


# --- whole-file checks ------------------------------------------------------------------------


def _drop_duplicates(ctx: _Context, codes, days, counts, rows, result: ImportResult):
    """A row repeated with the same numbers is harmless and counted once; the same video and
    day with other numbers is a conflict the creator must settle."""
    if len(codes) < 2:
        return codes, days, counts, rows
    later = np.flatnonzero((codes[1:] == codes[:-1]) & (days[1:] == days[:-1])) + 1
    if not len(later):
        return codes, days, counts, rows
    differs = (counts[later] != counts[later - 1]).any(axis=1)
    conflicts = later[differs]
    described = conflicts[: ctx.describe()]
    for position in described:
        field_position = int(np.flatnonzero(counts[position] != counts[position - 1])[0])
        name = COUNT_FIELDS[field_position]
        ctx.log.add(
            int(rows[position]),
            ctx.column(name),
            f'the same video "{ctx.videos.ids[codes[position]]}" and date '
            f"{days_to_date(days[position])} as row {rows[position - 1]}, with other numbers "
            f"({counts[position, field_position]} here, {counts[position - 1, field_position]} "
            "there)",
        )
    ctx.log.add_count(len(conflicts) - len(described))
    repeats = later[~differs]
    if len(repeats):
        result.notes.append(f"{len(repeats)} row(s) repeated another row exactly; counted once")
    keep = np.ones(len(codes), dtype=bool)
    keep[later] = False  # conflicts go too: the file is refused anyway
    return codes[keep], days[keep], counts[keep], rows[keep]


def _choose_mode(ctx: _Context, cumulative: bool | None, codes, counts) -> tuple[str, str]:
    if cumulative is True:
        return "cumulative", "running totals, as requested"
    if cumulative is False:
        return "daily", "daily numbers, as requested"
    labelled = ctx.mapping.cumulative_fields
    if labelled:
        mapped = {name for name in COUNT_FIELDS if name in ctx.mapping.fields}
        if labelled != mapped:
            daily = sorted(mapped - labelled)
            ctx.log.add(
                1,
                ctx.column(daily[0]),
                "holds daily numbers while "
                + ", ".join(f'"{ctx.column(n)}"' for n in sorted(labelled))
                + " holds running totals; export one kind",
            )
        headers = ", ".join(f'"{ctx.column(n)}"' for n in sorted(labelled))
        return "cumulative", f"the headers say running totals ({headers})"
    same_video = codes[1:] == codes[:-1]
    pairs = int(same_video.sum())
    if pairs < CUMULATIVE_MIN_PAIRS:
        return "daily", "too few days per video to see running totals; read as daily numbers"
    views = COUNT_FIELDS.index("views")
    grows = False
    for position in np.flatnonzero(ctx.present):
        column = counts[:, position]
        step = column[1:][same_video] - column[:-1][same_video]
        if (step < 0).any():
            return "daily", "numbers go down as well as up from day to day"
        grows = grows or (position == views and bool((step > 0).any()))
    if grows:
        return (
            "cumulative",
            f"every video's numbers only grow from one day to the next ({pairs} day pairs), "
            "as running totals do",
        )
    return "daily", "numbers go down as well as up from day to day"


def _check_running_totals(ctx: _Context, codes, days, counts, rows) -> None:
    """In a running-total export nothing ever goes down."""
    if len(codes) < 2:
        return
    same_video = codes[1:] == codes[:-1]
    for position, name in enumerate(COUNT_FIELDS):
        falls = np.flatnonzero(same_video & (counts[1:, position] < counts[:-1, position])) + 1
        described = falls[: ctx.describe()]
        for at in described:
            ctx.log.add(
                int(rows[at]),
                ctx.column(name),
                f"the running total falls from {counts[at - 1, position]} (row {rows[at - 1]}) "
                f"to {counts[at, position]}; a cumulative export never goes down",
            )
        ctx.log.add_count(len(falls) - len(described))
    ctx.gaps = int((same_video & (days[1:] - days[:-1] > 1)).sum())


def _preview(ctx: _Context, codes, days, counts, rows) -> list[dict]:
    """The first rows of the file as they will be stored (daily numbers)."""
    if not len(rows):
        return []
    if len(rows) > PREVIEW_ROWS:
        first = np.argpartition(rows, PREVIEW_ROWS - 1)[:PREVIEW_ROWS]
    else:
        first = np.arange(len(rows))
    first = first[np.argsort(rows[first])]
    preview = []
    for position in first:
        code = int(codes[position])
        item = {
            "row": int(rows[position]),
            "platform": ctx.platforms[ctx.videos.slugs[code]].name,
            "platform_video_id": ctx.videos.ids[code],
            "date": days_to_date(days[position]).isoformat(),
        }
        item.update({name: int(counts[position, i]) for i, name in enumerate(COUNT_FIELDS)})
        item["title"] = ctx.videos.titles[code] or ""
        preview.append(item)
    return preview


# --- database ---------------------------------------------------------------------------------


def _lock_owner(owner) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_CLASS, owner.pk])


def _existing_video_ids(ctx: _Context) -> np.ndarray:
    """Database id per file video code, -1 for videos this creator does not have yet. Only the
    owner's videos are looked at: another creator's ids never match."""
    video_ids = np.full(len(ctx.videos.ids), -1, dtype=np.int64)
    if not len(video_ids):
        return video_ids
    platform_ids = {slug: ctx.platforms[slug].pk for slug in set(ctx.videos.slugs)}
    known = {
        (platform_id, platform_video_id): pk
        for pk, platform_id, platform_video_id in Video.objects.filter(
            owner=ctx.owner, platform_id__in=platform_ids.values()
        )
        .exclude(platform_video_id="")
        .values_list("pk", "platform_id", "platform_video_id")
    }
    for code, (slug, video_id) in enumerate(zip(ctx.videos.slugs, ctx.videos.ids, strict=True)):
        video_ids[code] = known.get((platform_ids[slug], video_id), -1)
    return video_ids


def _group_starts(codes: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes


def _to_daily(ctx: _Context, video_ids, codes, days, counts, rows, result: ImportResult):
    """Running totals → each day's own numbers. The first day of a video in the file subtracts
    what CourseReel already holds for it before that day, so a later export continues an
    earlier one instead of counting its history again."""
    daily = np.empty_like(counts)
    np.subtract(counts[1:], counts[:-1], out=daily[1:])
    starts = _group_starts(codes)
    daily[starts] = counts[starts]
    baselines = _stored_totals_before(video_ids, codes, days, starts)
    for start in starts:
        before = baselines.get(int(codes[start]))
        if before is None:
            continue
        daily[start] = counts[start] - before
        below = np.flatnonzero(daily[start] < 0)
        if len(below):
            name = COUNT_FIELDS[int(below[0])]
            ctx.log.add(
                int(rows[start]),
                ctx.column(name),
                f"the running total {counts[start, below[0]]} is below the "
                f"{before[below[0]]} already imported for this video before "
                f"{days_to_date(days[start])}",
            )
    if ctx.gaps:
        result.notes.append(
            f"{ctx.gaps} gap(s) between days of a video: each gap's growth is counted on the day "
            "after it"
        )
    return daily


def _stored_totals_before(video_ids, codes, days, starts) -> dict[int, np.ndarray]:
    """Per file video code: the sums CourseReel holds for the video before its first day in
    the file (only videos that have any). One query per BASELINE_BATCH videos."""
    wanted = [
        (int(codes[s]), int(video_ids[codes[s]]), days_to_date(days[s]))
        for s in starts
        if video_ids[codes[s]] >= 0
    ]
    totals: dict[int, np.ndarray] = {}
    for start in range(0, len(wanted), BASELINE_BATCH):
        batch = wanted[start : start + BASELINE_BATCH]
        condition = Q()
        for _, video_id, first_day in batch:
            condition |= Q(video_id=video_id, date__lt=first_day)
        code_of = {video_id: code for code, video_id, _ in batch}
        sums = (
            VideoDailyStat.objects.filter(condition)
            .values("video_id")
            .annotate(**{f"sum_{name}": Sum(name) for name in COUNT_FIELDS})
            .order_by()
        )
        for item in sums:
            totals[code_of[item["video_id"]]] = np.array(
                [item[f"sum_{name}"] or 0 for name in COUNT_FIELDS], dtype=np.int64
            )
    return totals


def _create_videos(ctx: _Context, video_ids, codes, days, rows) -> list[str]:
    """Videos the creator does not have yet: published (they have numbers), titled from the
    file when it has titles, published on their first day in the file."""
    missing = np.flatnonzero(video_ids < 0)
    if not len(missing):
        return []
    starts = _group_starts(codes)
    first_day = dict(zip(codes[starts].tolist(), days[starts].tolist(), strict=True))
    first_row = dict(zip(codes[starts].tolist(), rows[starts].tolist(), strict=True))
    tz = timezone.get_current_timezone()
    new = []
    for code in missing.tolist():
        platform = ctx.platforms[ctx.videos.slugs[code]]
        video_id = ctx.videos.ids[code]
        video = Video(
            owner=ctx.owner,
            platform=platform,
            platform_video_id=video_id,
            title=ctx.videos.titles[code] or f"{platform.name} {video_id}"[:TITLE_MAX_LENGTH],
            status=PipelineStatus.PUBLISHED,
            published_at=timezone.make_aware(
                datetime.combine(days_to_date(first_day[code]), time.min), tz
            ),
        )
        try:
            # Owner and platform are rows in hand (their validation would query per video);
            # uniqueness is the upsert's business.
            video.full_clean(
                exclude=["course", "owner", "platform"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                column = ctx.column(name) if name in (PLATFORM_VIDEO_ID, TITLE) else name
                ctx.log.add(first_row[code], column, "; ".join(messages))
            continue
        new.append((code, video))
    if ctx.log:
        return []
    created = video_services.videos_create_imported(
        owner_id=ctx.owner.pk, videos=[video for _, video in new]
    )
    for (code, _), video in zip(new, created, strict=True):
        video_ids[code] = video.pk
    return [video.platform_video_id for _, video in new]
