"""Video statistics from a platform export: check the whole file, then store it.

The file is read in chunks; each chunk is checked column by column (vectorised) and its good
rows are kept as compact numpy arrays (~100 bytes a row), so a million-row file stays far below
500 MB. Checks that need the whole file (conflicting duplicates, which kind of numbers it
holds) run on those arrays. Only a file without a single problem reaches the database, in one
transaction.

A file holds either daily numbers (upserted as the days' statistics) or lifetime totals
(stored as snapshots, from which ``videos.snapshots`` derives the days: the first snapshot of a
video is a baseline, so no day receives a lifetime total). ``_choose_mode`` says which, and why.
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
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from videos import services as video_services
from videos.models import PipelineStatus, Platform, Video, VideoDailyStat, VideoSnapshot
from videos.snapshots import SNAPSHOT_FIELDS, Observation, snapshots_record

from .headers import (
    COUNT_FIELDS,
    CRAWLED_AT,
    DATE,
    FILE_COUNT_FIELDS,
    PLATFORM,
    PLATFORM_STAT_HEADERS,
    PLATFORM_VIDEO_ID,
    SNAPSHOT_ONLY_FIELDS,
    STAT_FALLBACK_HEADERS,
    STAT_HEADERS,
    STAT_REQUIRED,
    TITLE,
    ColumnMapping,
    map_headers,
    normalize_platform_name,
    platform_from_ids,
    platform_slug_for,
    stat_columns_missing,
)
from .results import ImportResult, IssueLog
from .tables import Table, table_chunks, table_open
from .values import (
    blank_mask,
    days_to_date,
    days_to_moments,
    looks_like_mangled_id,
    moments_to_days,
    parse_counts,
    parse_dates,
    parse_moments,
)

# progress(stage, done, total): stage "validating" after each chunk of rows checked, then
# "running" once, when the checked file starts being written (ImportJob.Status values).
Progress = Callable[[str, int, int], None]
TEXT_FIELDS = {PLATFORM_VIDEO_ID, DATE, TITLE, PLATFORM, CRAWLED_AT}
PREVIEW_ROWS = 10
HISTORY_BATCH = 400
# Counts whose blank cell is a missing number (elsewhere a blank count is 0, as exports write).
MEASURED = ("views", "likes", "comments")
# The unknown-views marker in the counts handed to stats_upsert (stored as NULL).
UNKNOWN = -1
# Fewer consecutive pairs of a video's days than this cannot tell lifetime totals from a small
# file of daily numbers that happen to grow (two or three days of a new video do).
CUMULATIVE_MIN_PAIRS = 3
# A one-day file is compared with the sum of a video's stored daily numbers (as its lifetime
# total) only when at least this many days are stored; otherwise only with its snapshots.
HISTORY_MIN_DAILY_DAYS = 3
VIEWS = COUNT_FIELDS.index("views")
CORRECTIONS_LISTED = 10
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
    """Good rows as growable arrays: video code, day (since 1970), moment (unix seconds: the
    crawl time, else the day's end), the counts (FILE_COUNT_FIELDS) and the spreadsheet row.
    Filled in place, so a million rows cost ~100 MB and no concatenation."""

    def __init__(self, capacity: int) -> None:
        self.size = 0
        self._allocate(max(capacity, 1024))

    def _allocate(self, capacity: int) -> None:
        old = self.size
        fresh = {
            "codes": np.empty(capacity, dtype=np.int32),
            "days": np.empty(capacity, dtype=np.int32),
            "moments": np.empty(capacity, dtype=np.int64),
            "counts": np.empty((capacity, len(FILE_COUNT_FIELDS)), dtype=np.int64),
            "rows": np.empty(capacity, dtype=np.int64),
        }
        for name, array in fresh.items():
            if old:
                array[:old] = getattr(self, name)[:old]
            setattr(self, name, array)

    def add(self, codes, days, moments, counts, rows) -> None:
        end = self.size + len(codes)
        if end > len(self.codes):
            self._allocate(max(end, 2 * len(self.codes)))
        self.codes[self.size : end] = codes
        self.days[self.size : end] = days
        self.moments[self.size : end] = moments
        self.counts[self.size : end] = counts
        self.rows[self.size : end] = rows
        self.size = end

    def sorted(self) -> tuple[np.ndarray, ...]:
        """All rows ordered by video then moment (file order among equals); hands the arrays
        (codes, days, moments, counts, rows) over (the buffer is emptied)."""
        n, self.size = self.size, 0
        order = np.lexsort((self.moments[:n], self.days[:n], self.codes[:n]))
        result = []
        for name in ("codes", "days", "moments", "counts", "rows"):
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
    # set when the file's shape was only just enough to read it as lifetime totals
    weak_mode_warning: str = ""
    present: np.ndarray = field(default_factory=lambda: np.zeros(len(FILE_COUNT_FIELDS), bool))

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
    interface: str = "page",
) -> ImportResult:
    """Check a statistics export as a whole and, if it has no problem, store it.

    ``platform``: the export's platform (a Platform, its slug or name); None takes it from a
    platform column, from headers only one platform uses, or from the ids' shapes.
    ``cumulative``: None decides (``_choose_mode``), True/False forces lifetime totals or daily
    numbers. ``dry_run`` does everything, then rolls back, so the counts in the result are what
    a real run would write. ``progress`` hears how far the check got (see ``Progress``);
    ``on_write(result)`` is called inside the write's transaction once the rows are written,
    so what it records commits with them. ``interface`` ("page" or "command") only words the
    advice of a refusal (choose in the form, or pass --platform). A refused file writes
    nothing (``result.ok`` is False and ``result.errors`` names the row and column of each
    problem).
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
            log.add(
                None,
                None,
                _('unknown platform "%(platform)s" (one of: %(names)s)')
                % {"platform": platform, "names": names},
            )
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
        count_fields=FILE_COUNT_FIELDS,
        fallback=STAT_FALLBACK_HEADERS,
    )
    result.column_mapping = mapping.describe()
    result.ignored_columns = [m["column"] for m in result.column_mapping if not m["field"]]
    for column, message in mapping.problems:
        log.add(1, column, message)
    for message in stat_columns_missing(mapping):
        log.add(1, None, message)
    file_slug = requested_slug
    if file_slug is None and PLATFORM not in mapping.fields:
        file_slug = mapping.platform_slug or ""  # "": to be named by the ids' shapes
    if log:
        return result.refuse(log)

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
    if file_slug == "":
        file_slug = _platform_from_ids(ctx, interface)
        if file_slug is None:
            return result.refuse(log)
    if file_slug:
        result.platform = platforms[file_slug].name
    codes, days, moments, counts, rows = ctx.rows.sorted()
    result.rows = len(codes)
    mode, reason = _choose_mode(ctx, cumulative, codes, days, moments, counts)
    result.mode, result.mode_reason = mode, reason
    if ctx.weak_mode_warning:
        result.warnings.append(ctx.weak_mode_warning)
    key = moments if mode == "cumulative" else days
    codes, days, moments, counts, rows = _drop_duplicates(
        ctx, key, codes, days, moments, counts, rows, result
    )
    _note_unkept(ctx, mode, result)
    if log:
        result.preview = _preview(ctx, mode, codes, days, moments, counts, rows)
        return result.refuse(log)

    if progress:
        progress("running", result.rows_total, result.rows_total)
    with transaction.atomic():
        _lock_owner(owner)
        video_ids = _existing_video_ids(ctx)
        result.preview = _preview(ctx, mode, codes, days, moments, counts, rows)
        result.created_videos = _create_videos(ctx, video_ids, codes, days, rows)
        if log:
            transaction.set_rollback(True)
            return result.refuse(log)
        # Rows are in (video, day) order: new videos got ascending ids, so the unique index
        # is filled mostly in order.
        if mode == "cumulative":
            _record_snapshots(ctx, video_ids, codes, moments, counts, result)
        else:
            _upsert_daily(ctx, video_ids, codes, days, counts, result)
        if dry_run:
            transaction.set_rollback(True)
        else:
            result.committed = True
            if on_write:
                on_write(result)  # in the transaction: what it records commits with the rows
    return result


def _platform_from_ids(ctx: _Context, interface: str) -> str | None:
    """No platform given, no platform column, no platform-only header: the ids may still say
    it (BV…, 19-digit aweme ids, 11-character YouTube ids) when every one of them agrees."""
    slug = platform_from_ids(ctx.videos.ids)
    if slug is None or slug not in ctx.platforms:
        if interface == "command":
            message = _(
                "which platform is this export from? Name it with --platform, or add a "
                "platform column"
            )
        else:
            message = _(
                "which platform is this export from? Choose the platform in the form, or add "
                "a platform column"
            )
        ctx.log.add(None, None, message)
        return None
    ctx.file_slug = slug
    ctx.videos.slugs = [slug] * len(ctx.videos.slugs)
    ctx.videos.index = {(slug, video_id): code for (_s, video_id), code in ctx.videos.index.items()}
    return slug


def _note_unkept(ctx: _Context, mode: str, result: ImportResult) -> None:
    """Columns read but with nowhere to go in this mode: said, not silently dropped."""
    if mode == "cumulative":
        unkept = [n for n in ("interactions", "link_clicks") if n in ctx.mapping.fields]
        if unkept:
            result.notes.append(
                _(
                    "%(columns)s: not kept from lifetime totals (a derived day's interactions "
                    "are its likes + comments + shares + saves)"
                )
                % {"columns": ", ".join(f'"{ctx.column(n)}"' for n in unkept)}
            )
    else:
        unkept = [n for n in SNAPSHOT_ONLY_FIELDS if n in ctx.mapping.fields]
        if unkept:
            result.notes.append(
                _("%(columns)s: kept only from lifetime totals (snapshots), not as daily numbers")
                % {"columns": ", ".join(f'"{ctx.column(n)}"' for n in unkept)}
            )
    if "views" not in ctx.mapping.fields:
        result.notes.append(
            _("the file has no views column: views stay unknown (not 0) for these days")
        )


def _upsert_daily(ctx: _Context, video_ids, codes, days, counts, result: ImportResult) -> None:
    outcome = video_services.stats_upsert(
        owner_id=ctx.owner.pk,
        video_ids=video_ids[codes],
        days=days,
        counts=np.ascontiguousarray(counts[:, : len(COUNT_FIELDS)]),
    )
    # (created, updated) until stats_upsert also says how many derived days it replaced.
    result.created, result.updated = int(outcome[0]), int(outcome[1])
    result.replaced_derived = int(outcome[2]) if len(outcome) > 2 else 0
    result.unchanged = len(codes) - result.created - result.updated
    if result.replaced_derived:
        result.notes.append(
            _("%(count)s day(s) derived from snapshots replaced by this file's daily numbers")
            % {"count": result.replaced_derived}
        )


def _record_snapshots(ctx: _Context, video_ids, codes, moments, counts, result) -> None:
    """Lifetime totals → one observation per row; the days are derived by the snapshot
    service (baseline first, gains after, corrections instead of negative days)."""
    positions = {name: FILE_COUNT_FIELDS.index(name) for name in SNAPSHOT_FIELDS}
    present = [name for name in SNAPSHOT_FIELDS if ctx.present[positions[name]]]
    tz = timezone.get_current_timezone()
    ids = video_ids[codes].tolist()
    columns = {name: counts[:, positions[name]].tolist() for name in present}
    stamps = moments.tolist()
    observations = [
        Observation(
            video_id=ids[i],
            observed_at=datetime.fromtimestamp(stamps[i], tz),
            counts={
                name: (columns[name][i] if name in columns else None) for name in SNAPSHOT_FIELDS
            },
        )
        for i in range(len(ids))
    ]
    outcome = snapshots_record(owner_id=ctx.owner.pk, source="file", observations=observations)
    result.snapshots_stored = outcome.stored
    result.snapshots_repeated = outcome.repeated
    result.baselines = outcome.baselines
    result.days_estimated = outcome.days_estimated
    result.kept_imported = outcome.kept_imported
    result.created, result.updated = outcome.days_created, outcome.days_updated
    result.days_derived = outcome.days_created + outcome.days_updated
    result.unchanged = outcome.repeated
    result.corrections = len(outcome.corrections)
    _note_snapshots(ctx, video_ids, outcome, result)


def _note_snapshots(ctx: _Context, video_ids, outcome, result: ImportResult) -> None:
    notes = result.notes
    notes.append(
        _("%(count)s snapshot(s) of lifetime totals stored, %(days)s day(s) derived")
        % {"count": outcome.stored, "days": result.days_derived}
    )
    if outcome.repeated:
        notes.append(
            _("%(count)s snapshot(s) were already stored: nothing written for them")
            % {"count": outcome.repeated}
        )
    if outcome.baselines:
        result.warnings.append(
            _(
                "%(count)s video(s) had no lifetime total stored yet: their first snapshot "
                "is a baseline, no day gets its lifetime total"
            )
            % {"count": outcome.baselines}
        )
    if outcome.days_estimated:
        notes.append(
            _(
                "%(count)s day(s) without a snapshot got an even share of the gain over the "
                "missed days (marked estimated)"
            )
            % {"count": outcome.days_estimated}
        )
    if outcome.kept_imported:
        notes.append(
            _("%(count)s day(s) already imported as daily numbers were kept as they are")
            % {"count": outcome.kept_imported}
        )
    platform_ids = {
        int(pk): ctx.videos.ids[code] for code, pk in enumerate(video_ids.tolist()) if pk >= 0
    }
    tz = timezone.get_current_timezone()
    for correction in outcome.corrections[:CORRECTIONS_LISTED]:
        notes.append(
            _(
                '"%(video)s": %(field)s fell from %(before)s to %(after)s on %(date)s (the '
                "platform corrected its count); recorded as a correction, no day goes negative"
            )
            % {
                "video": platform_ids.get(correction.video_id, correction.video_id),
                "field": correction.field,
                "before": correction.before,
                "after": correction.after,
                "date": correction.observed_at.astimezone(tz).date().isoformat(),
            }
        )
    more = len(outcome.corrections) - CORRECTIONS_LISTED
    if more > 0:
        notes.append(_("… and %(count)s more correction(s)") % {"count": more})


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

    days, moments = _read_times(chunk, rows, ok, ctx)
    ok &= days >= 0

    counts = np.zeros((n, len(FILE_COUNT_FIELDS)), dtype=np.int64)
    if "views" not in chunk.columns:
        counts[:, VIEWS] = UNKNOWN
    derive = np.ones(n, dtype=bool)  # rows whose interactions are likes+comments+shares+saves
    for position, name in enumerate(FILE_COUNT_FIELDS):
        if name not in chunk.columns:
            continue
        ctx.present[position] = True
        parsed = parse_counts(chunk[name], max_value=ctx.max_count, describe=ctx.describe())
        column = ctx.column(name)
        ctx.report(
            parsed.bad & ~empty,
            rows,
            column,
            lambda pos, p=parsed: p.problems.get(pos, _("is not a count")),
        )
        ok &= ~parsed.bad
        if name in MEASURED:
            ctx.report(parsed.blank & ~empty, rows, column, _("the number is missing"))
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
        _("likes + comments + shares + saves is above %(max)s") % {"max": f"{ctx.max_count:,}"},
    )
    ok &= ~too_many

    codes = _video_codes(chunk, id_codes, id_values, rows, empty, ctx)
    ok &= codes >= 0
    if TITLE in chunk.columns:
        _remember_titles(chunk[TITLE], codes, ok, ctx)
    ctx.rows.add(codes[ok], days[ok], moments[ok], counts[ok], rows[ok])


def _read_times(chunk: pd.DataFrame, rows: np.ndarray, ok: np.ndarray, ctx: _Context):
    """Each row's day and moment (unix seconds); day -1 where neither can be read. A crawl
    time gives the moment (and the day, in the current time zone, when there is no date); a
    date alone gives the day and its last second as the moment."""
    days = moments = None
    if DATE in chunk.columns:
        dates = parse_dates(chunk[DATE], describe=ctx.describe())
        column = ctx.column(DATE)
        ctx.report(dates.blank & ok, rows, column, _("the date is missing"))
        ctx.report(
            dates.bad & ok, rows, column, lambda pos: dates.problems.get(pos, _("is not a date"))
        )
        days = np.where(dates.blank | dates.bad, -1, dates.values).astype(np.int32)
    if CRAWLED_AT in chunk.columns:
        times = parse_moments(chunk[CRAWLED_AT], describe=ctx.describe())
        column = ctx.column(CRAWLED_AT)
        ctx.report(times.blank & ok, rows, column, _("the crawl time is missing"))
        ctx.report(
            times.bad & ok, rows, column, lambda pos: times.problems.get(pos, _("is not a time"))
        )
        moments = times.values
        crawled = moments_to_days(moments)
        unread = times.blank | times.bad
        if days is None:
            days = np.where(unread, -1, crawled).astype(np.int32)
        else:
            days[unread] = -1
    if moments is None:
        moments = days_to_moments(np.maximum(days, 0))
    return days, moments


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
            id_problem[position] = _("the video id is missing")
        elif len(text) > VIDEO_ID_MAX_LENGTH:
            id_problem[position] = _("the video id is longer than %(max)s characters") % {
                "max": VIDEO_ID_MAX_LENGTH
            }
        elif looks_like_mangled_id(text):
            id_problem[position] = _(
                '"%(id)s" is a long id that Excel turned into a rounded number; '
                "format the column as text and export again"
            ) % {"id": text}
    column = ctx.column(PLATFORM_VIDEO_ID)
    ctx.report((id_codes < 0) & ~empty, rows, column, _("the video id is missing"))
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
        ctx.report(
            (platform_codes < 0) & ~empty, rows, platform_column, _("the platform is missing")
        )
        platform_problem = {}
        for position, slug in enumerate(slugs):
            text = str(platform_values[position]).strip()
            if slug is None or slug not in ctx.platforms:
                platform_problem[position] = _('unknown platform "%(platform)s"') % {
                    "platform": text
                }
            elif ctx.file_slug and slug != ctx.file_slug:
                platform_problem[position] = _('this file is for %(platform)s, not "%(other)s"') % {
                    "platform": ctx.platforms[ctx.file_slug].name,
                    "other": text,
                }
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


def _drop_duplicates(ctx: _Context, key, codes, days, moments, counts, rows, result):
    """A row repeated with the same numbers is harmless and counted once; the same video and
    ``key`` (the day for daily numbers, the moment for lifetime totals) with other numbers is
    a conflict the creator must settle."""
    if len(codes) < 2:
        return codes, days, moments, counts, rows
    later = np.flatnonzero((codes[1:] == codes[:-1]) & (key[1:] == key[:-1])) + 1
    if not len(later):
        return codes, days, moments, counts, rows
    differs = (counts[later] != counts[later - 1]).any(axis=1)
    conflicts = later[differs]
    described = conflicts[: ctx.describe()]
    for position in described:
        field_position = int(np.flatnonzero(counts[position] != counts[position - 1])[0])
        name = FILE_COUNT_FIELDS[field_position]
        ctx.log.add(
            int(rows[position]),
            ctx.column(name),
            _(
                'the same video "%(video)s" and date %(date)s as row %(row)s, with other '
                "numbers (%(here)s here, %(there)s there)"
            )
            % {
                "video": ctx.videos.ids[codes[position]],
                "date": days_to_date(days[position]),
                "row": rows[position - 1],
                "here": counts[position, field_position],
                "there": counts[position - 1, field_position],
            },
        )
    ctx.log.add_count(len(conflicts) - len(described))
    repeats = later[~differs]
    if len(repeats):
        result.notes.append(
            _("%(count)s row(s) repeated another row exactly; counted once")
            % {"count": len(repeats)}
        )
    keep = np.ones(len(codes), dtype=bool)
    keep[later] = False  # conflicts go too: the file is refused anyway
    return codes[keep], days[keep], moments[keep], counts[keep], rows[keep]


def _choose_mode(
    ctx: _Context, cumulative: bool | None, codes, days, moments, counts
) -> tuple[str, str]:
    """Daily numbers or lifetime totals, and why, decided in this order: what the creator
    asked; the headers (a running-total prefix, a crawl time instead of a date); the file's
    own shape (counts that only grow over a video's days: 3+ pairs settle it, fewer ask the
    stored history first, then need every video's views to grow); the stored history (one
    day per video at or above what CourseReel holds is a snapshot). Anything else is daily."""
    if cumulative is True:
        return "cumulative", _("lifetime totals (snapshots), as requested")
    if cumulative is False:
        return "daily", _("daily numbers, as requested")
    labelled = ctx.mapping.cumulative_fields
    if labelled:
        mapped = {name for name in FILE_COUNT_FIELDS if name in ctx.mapping.fields}
        if labelled != mapped and CRAWLED_AT not in ctx.mapping.fields:
            daily = sorted(mapped - labelled)
            ctx.log.add(
                1,
                ctx.column(daily[0]),
                _("holds daily numbers while %(columns)s holds running totals; export one kind")
                % {"columns": ", ".join(f'"{ctx.column(n)}"' for n in sorted(labelled))},
            )
        headers = ", ".join(f'"{ctx.column(n)}"' for n in sorted(labelled))
        return "cumulative", _("the headers say lifetime totals (%(headers)s)") % {
            "headers": headers
        }
    if CRAWLED_AT in ctx.mapping.fields and DATE not in ctx.mapping.fields:
        return "cumulative", _(
            'a crawl time ("%(column)s") instead of a date: counts read at a moment are '
            "lifetime totals"
        ) % {"column": ctx.column(CRAWLED_AT)}
    same_video = codes[1:] == codes[:-1]
    pairs = int(same_video.sum())
    if pairs:
        grows = False
        for position in np.flatnonzero(ctx.present):
            column = counts[:, position]
            step = column[1:][same_video] - column[:-1][same_video]
            if (step < 0).any():
                return "daily", _("numbers go down as well as up from day to day")
            grows = grows or bool((step > 0).any())
        if not grows:
            return "daily", _("the numbers stay the same from day to day; read as daily numbers")
        if pairs >= CUMULATIVE_MIN_PAIRS:
            return "cumulative", _(
                "every video's numbers only grow from one day to the next (%(pairs)s day "
                "pairs), as lifetime totals do"
            ) % {"pairs": pairs}
        # Fewer pairs that grow: lifetime totals do, but so can a new video's daily numbers.
        # What CourseReel already holds decides when it can; otherwise the shape does when
        # every video of the file has two or more days, and the result says how little it
        # had to go on.
        video_ids = _existing_video_ids(ctx)
        compared, below, daily_only = _compare_with_history(
            ctx, video_ids, codes, days, moments, counts
        )
        if compared and below:
            return "daily", _(
                "the numbers grow over %(pairs)s day pair(s) but are below what CourseReel "
                "already holds for %(count)s video(s): read as daily numbers"
            ) % {"pairs": pairs, "count": below}
        if daily_only and not compared:
            return "daily", _(
                "the numbers grow over %(pairs)s day pair(s), and CourseReel holds daily "
                "numbers for %(count)s video(s) of the file: read as daily numbers"
            ) % {"pairs": pairs, "count": daily_only}
        if compared:
            return "cumulative", _(
                "the numbers only grow over %(pairs)s day pair(s) and are at or above the "
                "lifetime totals CourseReel holds for %(count)s video(s)"
            ) % {"pairs": pairs, "count": compared}
        if _views_grow_for_every_video(ctx, codes, counts):
            ctx.weak_mode_warning = _(
                "Read as lifetime totals from only %(pairs)s day pair(s) whose numbers grow. "
                "If these are daily numbers, import the file again choosing daily numbers."
            ) % {"pairs": pairs}
            return "cumulative", _(
                "every video's numbers only grow from one day to the next (%(pairs)s day "
                "pair(s)), as lifetime totals do"
            ) % {"pairs": pairs}
        return "daily", _(
            "too few days per video to see lifetime totals; read as daily numbers (choose "
            "lifetime totals if they are)"
        )
    return _mode_from_history(ctx, codes, days, moments, counts)


def _mode_from_history(ctx: _Context, codes, days, moments, counts):
    """One day per video: lifetime totals are at or above what CourseReel already holds for
    each video (its latest snapshot, else the sum of its stored days before the file's day);
    a day's own numbers are far below it."""
    video_ids = _existing_video_ids(ctx)  # only this last step needs the database
    compared, below, _daily_only = _compare_with_history(
        ctx, video_ids, codes, days, moments, counts
    )
    if not compared:
        return "daily", _(
            "one day per video and nothing stored to compare it with: read as daily numbers"
        )
    if below:
        return "daily", _(
            "one day per video, below what CourseReel already holds for %(count)s video(s): "
            "read as daily numbers"
        ) % {"count": below}
    return "cumulative", _(
        "one day per video, at or above the lifetime totals CourseReel already holds for "
        "%(count)s video(s): read as a snapshot of lifetime totals"
    ) % {"count": compared}


def _views_grow_for_every_video(ctx: _Context, codes, counts) -> bool:
    """Every video of the file has two or more days and its views (or, without views, its
    first measured count) grow at every step: what lifetime totals do and daily numbers
    seldom do for long."""
    if not (np.unique(codes, return_counts=True)[1] >= 2).all():
        return False
    present = [FILE_COUNT_FIELDS.index(name) for name in MEASURED
               if ctx.present[FILE_COUNT_FIELDS.index(name)]]  # fmt: skip
    if not present:
        return False
    column = counts[:, present[0]]
    same_video = codes[1:] == codes[:-1]
    return bool((column[1:][same_video] > column[:-1][same_video]).all())


def _compare_with_history(ctx, video_ids, codes, days, moments, counts) -> tuple[int, int, int]:
    """(videos with stored history to compare with, of which below it, videos whose stored
    history is only a few daily rows). One or two queries per HISTORY_BATCH videos; a video's
    first row in the file is compared."""
    file_ids = video_ids[codes]
    known = np.flatnonzero(file_ids >= 0)
    if not len(known):
        return 0, 0, 0
    positions = [
        i
        for i, name in enumerate(FILE_COUNT_FIELDS)
        if ctx.present[i] and name in SNAPSHOT_FIELDS and name in ctx.mapping.fields
    ]
    if not positions:
        return 0, 0, 0
    names = [FILE_COUNT_FIELDS[i] for i in positions]
    row_of: dict[int, int] = {}
    for i in known.tolist():  # rows are in (video, moment) order: keep each video's first
        row_of.setdefault(int(file_ids[i]), int(i))
    daily_only = 0
    latest_moment = datetime.fromtimestamp(int(moments.max()), timezone.get_current_timezone())
    first_day = days_to_date(int(days.min()))
    stored: dict[int, list] = {}
    ids = list(row_of)
    for start in range(0, len(ids), HISTORY_BATCH):
        batch = ids[start : start + HISTORY_BATCH]
        last = (
            VideoSnapshot.objects.filter(video_id__in=batch, observed_at__lte=latest_moment)
            .values("video_id")
            .annotate(at=Max("observed_at"))
            .order_by()
        )
        condition = Q()
        for item in last:
            condition |= Q(video_id=item["video_id"], observed_at=item["at"])
        if condition:
            for item in VideoSnapshot.objects.filter(condition).values("video_id", *names):
                stored[item["video_id"]] = [item[name] for name in names]
        rest = [video_id for video_id in batch if video_id not in stored]
        daily_names = [name for name in names if name in COUNT_FIELDS]
        if rest and daily_names:
            # Stored daily numbers add up to a lifetime total only over enough days: a young
            # video's next day easily beats the sum of its first one or two.
            sums = (
                VideoDailyStat.objects.filter(video_id__in=rest, date__lt=first_day)
                .values("video_id")
                .annotate(days=Count("id"), **{f"sum_{name}": Sum(name) for name in daily_names})
                .order_by()
            )
            for item in sums:
                if item["days"] >= HISTORY_MIN_DAILY_DAYS:
                    stored[item["video_id"]] = [item.get(f"sum_{name}") for name in names]
            # the others that CourseReel holds daily numbers for (before or within the file)
            unsummed = [video_id for video_id in rest if video_id not in stored]
            if unsummed:
                daily_only += (
                    VideoDailyStat.objects.filter(video_id__in=unsummed)
                    .values("video_id")
                    .distinct()
                    .count()
                )
    compared = below = 0
    for video_id, totals in stored.items():
        file_counts = counts[row_of[video_id], positions]
        pairs = [(int(c), t) for c, t in zip(file_counts, totals, strict=True) if t is not None]
        if not any(t > 0 for _c, t in pairs):
            continue
        compared += 1
        below += any(c < t for c, t in pairs)
    return compared, below, daily_only


def _preview(ctx: _Context, mode: str, codes, days, moments, counts, rows) -> list[dict]:
    """The first rows of the file as they will be stored: daily numbers, or snapshots of
    lifetime totals (with the moment they were observed)."""
    if not len(rows):
        return []
    if len(rows) > PREVIEW_ROWS:
        first = np.argpartition(rows, PREVIEW_ROWS - 1)[:PREVIEW_ROWS]
    else:
        first = np.arange(len(rows))
    first = first[np.argsort(rows[first])]
    tz = timezone.get_current_timezone()
    fields = SNAPSHOT_FIELDS if mode == "cumulative" else COUNT_FIELDS
    shown = [
        name
        for name in fields
        if mode != "cumulative" or ctx.present[FILE_COUNT_FIELDS.index(name)]
    ]
    preview = []
    for position in first:
        code = int(codes[position])
        item = {
            "row": int(rows[position]),
            "platform": ctx.platforms[ctx.videos.slugs[code]].label,
            "platform_video_id": ctx.videos.ids[code],
        }
        if mode == "cumulative":
            item["observed_at"] = datetime.fromtimestamp(int(moments[position]), tz).isoformat()
        else:
            item["date"] = days_to_date(days[position]).isoformat()
        for name in shown:
            value = int(counts[position, FILE_COUNT_FIELDS.index(name)])
            item[name] = None if value == UNKNOWN else value
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
        owner_id=ctx.owner.pk, videos=[video for _code, video in new]
    )
    for (code, _video), video in zip(new, created, strict=True):
        video_ids[code] = video.pk
    return [video.platform_video_id for _code, video in new]
