"""The seed's own courses.csv: read it strictly, import it as courses and videos, report on it.

The seed (section 5.2) keeps one row per video of a course::

    course_id, video_length, video_quality, video实用性, interaction_frequency,
    interaction_depth, sales_initial, sales_time, sales_price

``video_length`` is L of DESIGN.md's content quality, in **minutes** (CourseReel stores
``Video.length_seconds`` = round(minutes × 60)); ``video_quality`` is Q (production level) and
``video实用性`` is U (usefulness), both whole numbers 1–5 as the ``Video`` fields are. The sales
columns describe the course, so every row of a course must repeat the same values.

Reading validates the whole file before anything is written, so a bad file is refused with
every problem (row number as a spreadsheet shows it, header = row 1, and column) and leaves the
database untouched. The figures are DESIGN.md's formulas from ``analytics.formulas``, not the
seed's code (whose printed 3.9 / 0.85 / 800 are wrong).
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from statistics import fmean
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from analytics.formulas import (
    ENGAGEMENT_WEIGHTS,
    QUALITY_WEIGHTS,
    composite_quality,
    content_quality,
    engagement,
    sales_forecast,
)
from courses import services as course_services
from courses.models import Course, PriceTier
from videos import services as video_services
from videos.models import PipelineStatus, Platform, Video

from .results import ImportIssue, IssueLog
from .results import ImportResult as FileResult
from .tables import Table, table_chunks, table_open

COURSE_ID = "course_id"
VIDEO_LENGTH = "video_length"
VIDEO_QUALITY = "video_quality"
VIDEO_USEFULNESS = "video实用性"
FREQUENCY = "interaction_frequency"
DEPTH = "interaction_depth"
SALES_INITIAL = "sales_initial"
SALES_TIME = "sales_time"
SALES_PRICE = "sales_price"
COLUMNS = (
    COURSE_ID,
    VIDEO_LENGTH,
    VIDEO_QUALITY,
    VIDEO_USEFULNESS,
    FREQUENCY,
    DEPTH,
    SALES_INITIAL,
    SALES_TIME,
    SALES_PRICE,
)
# Columns that describe the course rather than the video: all of a course's rows must agree.
COURSE_COLUMNS = (SALES_PRICE, SALES_INITIAL, SALES_TIME)

SEED_GROWTH_RATE = 0.05
DEFAULT_PLATFORM = "douyin"
TIER_NAME = "Standard"
SNAPSHOT_KEY = "seed_courses_csv"
MAX_PROBLEMS = 50
CHUNK_ROWS = 5000
PREVIEW_COURSES = 20

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_MAX_COURSE_ID = Course._meta.get_field("external_id").max_length
_MAX_LENGTH_SECONDS = 2_147_483_647  # PositiveIntegerField's ceiling on every backend
_MAX_PRICE = Decimal("99999999.99")
CENT = Decimal("0.01")  # PriceTier.list_price: 10 digits, 2 decimals


# --- reading and validating ---------------------------------------------------------------
#
# The file is read by ``imports.tables``, the reader every import shares: encodings (UTF-8 with
# or without BOM, GB18030), NUL bytes, unclosed quotes, stray cells and XLSX workbooks are
# checked there, and problems are ``ImportIssue`` rows in one ``IssueLog``, so a seed file and a
# platform export are refused in the same words.


class SeedFileError(Exception):
    """The file cannot be used; carries every problem found so the user fixes them in one go."""

    def __init__(self, name: str, log: IssueLog):
        self.name = name
        self.log = log
        super().__init__(self.report())

    @property
    def problems(self) -> list[ImportIssue]:
        return self.log.issues

    def report(self) -> str:
        count = self.log.total
        lines = [f"{self.name}: {count} problem{'s' if count != 1 else ''}, nothing was written"]
        lines += [f"  {problem}" for problem in self.log.issues]
        if self.log.more:
            lines.append(f"  ... and {self.log.more} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class SeedRow:
    """One video row, parsed; ``position`` is n, its place among its course's rows (from 1)."""

    row: int
    course_id: str
    position: int
    video_length: float
    video_quality: int
    usefulness: int
    interaction_frequency: float
    interaction_depth: float
    sales_initial: float
    sales_time: float
    sales_price: Decimal
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def platform_video_id(self) -> str:
        return f"seed-{self.course_id}-{self.position}"

    @property
    def length_seconds(self) -> int:
        return round(self.video_length * 60)

    def snapshot(self) -> dict[str, Any]:
        """The row as JSON, every column kept (the price as text so no cent is rounded)."""
        data: dict[str, Any] = {
            "row": self.row,
            "n": self.position,
            "platform_video_id": self.platform_video_id,
            VIDEO_LENGTH: self.video_length,
            VIDEO_QUALITY: self.video_quality,
            VIDEO_USEFULNESS: self.usefulness,
            FREQUENCY: self.interaction_frequency,
            DEPTH: self.interaction_depth,
            SALES_INITIAL: self.sales_initial,
            SALES_TIME: self.sales_time,
            SALES_PRICE: str(self.sales_price),
        }
        if self.extra:
            data["extra"] = dict(self.extra)
        return data


@dataclass(frozen=True)
class SeedCourse:
    """A course's rows; the sales columns are the same on each (validated)."""

    course_id: str
    rows: tuple[SeedRow, ...]

    @property
    def sales_initial(self) -> float:
        return self.rows[0].sales_initial

    @property
    def sales_time(self) -> float:
        return self.rows[0].sales_time

    @property
    def sales_price(self) -> Decimal:
        return self.rows[0].sales_price


@dataclass(frozen=True)
class SeedFile:
    name: str
    encoding: str
    courses: dict[str, SeedCourse]

    @property
    def row_count(self) -> int:
        return sum(len(course.rows) for course in self.courses.values())


def seed_file_read(path: str | Path, *, name: str | None = None) -> SeedFile:
    """Read and validate a file in the seed layout (CSV or XLSX); raises ``SeedFileError``
    listing every problem by row and column."""
    path = Path(path)
    name = name or path.name
    log = IssueLog(MAX_PROBLEMS)
    try:
        table = table_open(path, log)
    except OSError as exc:
        log.add(None, None, _("cannot read the file (%(error)s)") % {"error": exc})
        raise SeedFileError(name, log) from exc
    if table is None:
        raise SeedFileError(name, log)
    header = _header(table.header, log)
    if log:
        raise SeedFileError(name, log)
    rows, sales = _rows(_records(table, log), header, labels=table.header, log=log)
    if not rows and not log:
        log.add(2, None, _("the file has a header but no data rows"))
    _disagreements(sales, header, table.header, log)
    if log:
        raise SeedFileError(name, log)
    return SeedFile(name=name, encoding=table.encoding or table.format, courses=_group(rows))


def seed_file_parse(raw: bytes, *, name: str) -> SeedFile:
    """``seed_file_read`` for bytes in hand (the reader works on files, so they go to one)."""
    suffix = Path(name).suffix or ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(raw)
        handle.flush()
        return seed_file_read(handle.name, name=name)


def _records(table: Table, log: IssueLog) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row, every cell as trimmed text) for each record below the header."""
    columns = {f"c{index}": index for index in range(len(table.header))}
    chunks = table_chunks(
        table,
        columns,
        text_fields=set(columns),
        chunk_rows=CHUNK_ROWS,
        log=log,
        max_rows=settings.IMPORT_MAX_ROWS,
    )
    for chunk in chunks:
        for row_number, values in zip(chunk.index, chunk.itertuples(index=False), strict=True):
            yield int(row_number), [v.strip() if isinstance(v, str) else "" for v in values]


def _header(labels: list[str], log: IssueLog) -> dict[str, int]:
    """Map each column name to its cell index; names match after trimming, ignoring case."""
    header: dict[str, int] = {}
    for index, label in enumerate(labels):
        name = label.strip().lower()
        if not name:
            continue
        if name in header:
            log.add(1, label, _("appears twice in the header"))
        header.setdefault(name, index)
    for column in COLUMNS:
        if column not in header:
            log.add(1, column, _("missing from the header"))
    return header


# A row's course-level values, kept even when another of its cells is bad, so disagreements
# between a course's rows are reported in the same pass as everything else.
_SalesCells = tuple[int, str, dict[str, float | Decimal]]


def _rows(
    records: Iterable[tuple[int, list[str]]],
    header: dict[str, int],
    *,
    labels: list[str],
    log: IssueLog,
) -> tuple[list[SeedRow], list[_SalesCells]]:
    """Parse every data row, logging problems instead of stopping at the first.

    Columns beyond the seed's are kept verbatim (under their header label) in the snapshot.
    """
    rows: list[SeedRow] = []
    sales: list[_SalesCells] = []
    positions: dict[str, int] = {}
    extras = {labels[index]: name for name, index in header.items() if name not in COLUMNS}
    for row_number, cells in records:
        if not any(cells):
            continue  # blank line: spreadsheets leave them; they carry nothing
        cell = _Cells(row_number, cells, header, labels, log)
        course_id = cell.course_id()
        values = (
            cell.number(VIDEO_LENGTH),
            cell.score(VIDEO_QUALITY),
            cell.score(VIDEO_USEFULNESS),
            cell.number(FREQUENCY),
            cell.number(DEPTH),
            cell.number(SALES_INITIAL),
            cell.number(SALES_TIME),
            cell.price(SALES_PRICE),
        )
        length, quality, useful, frequency, depth, initial, time, price = values
        if course_id is not None:
            parsed = {SALES_INITIAL: initial, SALES_TIME: time, SALES_PRICE: price}
            sales.append(
                (row_number, course_id, {k: v for k, v in parsed.items() if v is not None})
            )
        if course_id is None or any(value is None for value in values) or cell.failed:
            continue
        if length > _MAX_LENGTH_SECONDS / 60:
            cell.fail(
                VIDEO_LENGTH,
                _("%(minutes)s minutes is too long to store") % {"minutes": f"{length:g}"},
            )
            continue
        positions[course_id] = positions.get(course_id, 0) + 1
        rows.append(
            SeedRow(
                row=row_number,
                course_id=course_id,
                position=positions[course_id],
                video_length=length,
                video_quality=int(quality),
                usefulness=int(useful),
                interaction_frequency=frequency,
                interaction_depth=depth,
                sales_initial=initial,
                sales_time=time,
                sales_price=price,
                extra={label: cell.raw(name) for label, name in extras.items() if cell.raw(name)},
            )
        )
    return rows, sales


class _Cells:
    """The cells of one row, read by column name; each reader logs its own problem."""

    def __init__(
        self,
        row: int,
        cells: list[str],
        header: dict[str, int],
        labels: list[str],
        log: IssueLog,
    ):
        self.row, self.cells, self.header, self.labels, self.log = row, cells, header, labels, log
        self.failed = False

    def raw(self, column: str) -> str:
        index = self.header[column]
        return self.cells[index] if index < len(self.cells) else ""

    def fail(self, column: str, message: str) -> None:
        self.failed = True
        self.log.add(self.row, self.labels[self.header[column]], message)

    def course_id(self) -> str | None:
        value = self.raw(COURSE_ID)
        if not value:
            return self.fail(COURSE_ID, _("is empty; every row names its course"))
        if len(value) > _MAX_COURSE_ID:
            return self.fail(
                COURSE_ID, _("is longer than %(limit)s characters") % {"limit": _MAX_COURSE_ID}
            )
        return value

    def number(self, column: str) -> float | None:
        text = self.raw(column)
        if not text:
            return self.fail(column, _("is empty; a number is needed"))
        if not _NUMBER.fullmatch(text):
            return self.fail(column, _("%(value)r is not a number") % {"value": text})
        value = float(text)
        if not math.isfinite(value):
            return self.fail(column, _("%(value)r is too large") % {"value": text})
        if value < 0:
            return self.fail(
                column, _("%(value)s is negative; it must be 0 or more") % {"value": text}
            )
        return value

    def score(self, column: str) -> float | None:
        value = self.number(column)
        if value is None:
            return None
        if not 1 <= value <= 5 or value != int(value):
            return self.fail(
                column,
                _("%(value)s is not a whole number from 1 to 5") % {"value": self.raw(column)},
            )
        return value

    def price(self, column: str) -> Decimal | None:
        if self.number(column) is None:
            return None
        price = Decimal(self.raw(column))
        if price > _MAX_PRICE:  # checked first: quantizing a huge number raises
            return self.fail(
                column,
                _("%(value)s is above the largest price %(limit)s")
                % {"value": self.raw(column), "limit": _MAX_PRICE},
            )
        if price != price.quantize(CENT):
            return self.fail(
                column, _("%(value)s has more than 2 decimal places") % {"value": self.raw(column)}
            )
        return price.quantize(CENT)


def _disagreements(
    sales: Sequence[_SalesCells], header: dict[str, int], labels: list[str], log: IssueLog
) -> None:
    """A course's sales columns must be equal on all its rows, or which one is meant?"""
    first: dict[tuple[str, str], tuple[int, float | Decimal]] = {}
    for row, course_id, values in sales:
        for column, mine in values.items():
            reference_row, theirs = first.setdefault((course_id, column), (row, mine))
            if mine != theirs:
                message = _(
                    "%(mine)s disagrees with %(theirs)s in row %(row)s for course %(course)r; a "
                    "course's %(columns)s must be the same on all its rows"
                ) % {
                    "mine": f"{mine:g}",
                    "theirs": f"{theirs:g}",
                    "row": reference_row,
                    "course": course_id,
                    "columns": ", ".join(COURSE_COLUMNS),
                }
                log.add(row, labels[header[column]], message)


def _group(rows: Sequence[SeedRow]) -> dict[str, SeedCourse]:
    grouped: dict[str, list[SeedRow]] = {}
    for row in rows:
        grouped.setdefault(row.course_id, []).append(row)
    return {course_id: SeedCourse(course_id, tuple(items)) for course_id, items in grouped.items()}


# --- the seed's three figures, computed right -----------------------------------------------


@dataclass(frozen=True)
class CourseFigures:
    """The seed's content-quality, interaction and sales figures for one course."""

    course: SeedCourse
    video_scores: tuple[float, ...]
    content_quality: float
    frequency: float
    depth: float
    engagement: float
    composite_quality: float
    growth_rate: float
    sales: float
    revenue: float


def seed_course_figures(
    course: SeedCourse, *, growth_rate: float = SEED_GROWTH_RATE
) -> CourseFigures:
    """CQ, F, D, D_F, CQ_F and S(t) for a course, with DESIGN.md's formulas and default weights.

    CQ is the mean of each video's (L + Q + U)/3; F and D are the means of the rows' columns;
    S(t) = S0·(1 + r)^t with S0 = sales_initial, t = sales_time. Raises ``ValueError`` for
    r <= -1 and ``OverflowError`` when S(t) exceeds a float.
    """
    scores = tuple(
        content_quality(row.video_length, row.video_quality, row.usefulness) for row in course.rows
    )
    cq = fmean(scores)
    frequency = fmean(row.interaction_frequency for row in course.rows)
    depth = fmean(row.interaction_depth for row in course.rows)
    sales = sales_forecast(course.sales_initial, growth_rate, course.sales_time)
    revenue = sales * float(course.sales_price)
    if not math.isfinite(revenue):
        raise OverflowError("the revenue is too large to compute")
    return CourseFigures(
        course=course,
        video_scores=scores,
        content_quality=cq,
        frequency=frequency,
        depth=depth,
        engagement=engagement(frequency, depth),
        composite_quality=composite_quality(frequency, depth, cq),
        growth_rate=growth_rate,
        sales=sales,
        revenue=revenue,
    )


def seed_course_report(figures: CourseFigures, *, file_name: str) -> str:
    """Label every figure and show its formula with the inputs, so a reader can redo the sum."""
    course, n = figures.course, len(figures.course.rows)
    more = ", …" if n > 10 else ""
    rows = ", ".join(str(row.row) for row in course.rows[:10]) + more
    first = course.rows[0]
    if n == 1:
        cq_inputs = f"({first.video_length:g} + {first.video_quality} + {first.usefulness}) / 3"
    else:
        cq_inputs = f"mean({', '.join(f'{s:.2f}' for s in figures.video_scores[:10])}{more})"
    f, d, cq = figures.frequency, figures.depth, figures.content_quality
    s0, r, t = course.sales_initial, figures.growth_rate, course.sales_time
    (e1, e2), (q1, q2, q3) = ENGAGEMENT_WEIGHTS, QUALITY_WEIGHTS
    plural = "s" if n != 1 else ""

    def figure(label: str, symbol: str, value: str) -> str:
        return f"{label:<23}{symbol:<6} = {value}"

    lines = [
        f"Course {course.course_id} in {file_name}: {n} video{plural} (row{plural} {rows})",
        "Formulas and default weights from DESIGN.md; L = video_length in minutes, "
        "Q = video_quality, U = video实用性.",
        "",
        figure("Content quality", "CQ", f"{cq:.2f}"),
        f"  mean over videos of (L + Q + U) / 3 = {cq_inputs} = {cq:.2f}",
        figure("Interaction frequency", "F", f"{f:.2f}"),
        f"  mean of interaction_frequency over {n} row{plural}",
        figure("Interaction depth", "D", f"{d:.2f}"),
        f"  mean of interaction_depth over {n} row{plural}",
        figure("Engagement", "D_F", f"{figures.engagement:.2f}"),
        f"  {e1:g}·F + {e2:g}·D = {e1:g}·{f:g} + {e2:g}·{d:g} = {figures.engagement:.2f}",
        figure("Composite quality", "CQ_F", f"{figures.composite_quality:.2f}"),
        f"  {q1:g}·F + {q2:g}·D + {q3:g}·CQ = {q1:g}·{f:g} + {q2:g}·{d:g} + {q3:g}·{cq:.4g}"
        f" = {figures.composite_quality:.2f}",
        figure("Sales forecast", f"S({t:g})", f"{figures.sales:.2f} units"),
        f"  S0·(1 + r)^t = {s0:g}·(1 + {r:g})^{t:g} = {figures.sales:.2f}"
        " (S0 = sales_initial, t = sales_time)",
        figure("Revenue at list price", "", f"{figures.revenue:,.2f}"),
        f"  S(t) × sales_price = {figures.sales:.4f} × {course.sales_price}"
        f" = {figures.revenue:,.2f} (before platform commission)",
    ]
    return "\n".join(lines)


# --- importing ------------------------------------------------------------------------------


@dataclass
class Tally:
    """Rows created, changed, or found already equal to the file (what proves idempotency)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, *, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"

    def shown(self) -> str:
        """The same in the language of the job (the import page's notes)."""
        return _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do), for the command to print."""

    seed: SeedFile
    owner_username: str
    platform_name: str
    dry_run: bool
    courses: Tally = field(default_factory=Tally)
    tiers: Tally = field(default_factory=Tally)
    videos: Tally = field(default_factory=Tally)

    def summary(self) -> str:
        seed = self.seed
        lines = [
            f"{'Dry run of' if self.dry_run else 'Imported'} {seed.name} ({seed.encoding}): "
            f"{_plural(len(seed.courses), 'course')}, {_plural(seed.row_count, 'video row')}, for "
            f"{self.owner_username} on {self.platform_name}",
            f"courses:     {self.courses}",
            f"price tiers: {self.tiers}",
            f"videos:      {self.videos}",
        ]
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class SeedImportError(Exception):
    """A valid file the import still refused (unknown platform, a database conflict).

    Raised before the first write or from inside the transaction, so nothing was written.
    """


def seed_platform_get(*, slug: str) -> Platform:
    try:
        return Platform.objects.get(slug=slug)
    except Platform.DoesNotExist:
        known = ", ".join(Platform.objects.order_by("slug").values_list("slug", flat=True))
        raise SeedImportError(f"--platform: no platform {slug!r}; known: {known}") from None


def seed_courses_import(
    *, owner, seed: SeedFile, platform_slug: str = DEFAULT_PLATFORM, dry_run: bool = False
) -> ImportResult:
    """Upsert the file's courses, "Standard" tiers and videos for ``owner``, in one transaction.

    Keys are natural: a course by (owner, external_id = course_id), its tier by name, a video by
    (owner, platform, ``seed-<course_id>-<n>``), so re-importing a file changes nothing and
    another creator's rows are never read or written. The file owns the figures it carries
    (price, length, Q, U, course link, snapshot); titles, status and publish time are set only
    when a row is created, so the creator's later edits survive a re-import. A dry run does the
    same work and rolls it back, so its counts are the real ones.
    """
    platform = seed_platform_get(slug=platform_slug)
    result = ImportResult(
        seed=seed, owner_username=owner.get_username(), platform_name=platform.name, dry_run=dry_run
    )
    with transaction.atomic():
        courses = {
            course.external_id: course
            for course in Course.objects.owned_by(owner)
            .filter(external_id__in=list(seed.courses))
            .select_for_update()
        }
        tiers = {
            tier.course_id: tier
            for tier in PriceTier.objects.filter(course__in=courses.values(), name=TIER_NAME)
        }
        video_ids = [row.platform_video_id for c in seed.courses.values() for row in c.rows]
        videos = {
            video.platform_video_id: video
            for video in Video.objects.owned_by(owner).filter(
                platform=platform, platform_video_id__in=video_ids
            )
        }
        for seed_course in seed.courses.values():
            try:
                course = _course_upsert(
                    owner, seed, seed_course, courses.get(seed_course.course_id), result
                )
                _tier_upsert(course, seed_course, tiers.get(course.pk), result)
                for row in seed_course.rows:
                    _video_upsert(
                        owner, course, platform, row, videos.get(row.platform_video_id), result
                    )
            except (ValidationError, IntegrityError) as exc:
                # The file was valid, so this is the database disagreeing, e.g. another import
                # of the same course committing first. The transaction rolls back entirely.
                raise SeedImportError(
                    _(
                        "course %(course)r could not be saved (%(error)s); nothing was written, "
                        "try again"
                    )
                    % {"course": seed_course.course_id, "error": exc}
                ) from exc
        # The services announced course.changed / video.changed: the figures follow after
        # the commit, and a dry run rolls the announcements back with the rows.
        if dry_run:
            transaction.set_rollback(True)
    return result


def seed_import_file(
    *,
    owner,
    path: Path,
    name: str | None = None,
    platform: Platform | None = None,
    dry_run: bool = False,
    progress=None,
    on_write=None,
) -> FileResult:
    """The import job's way in: read, validate and import a seed-layout file, reporting in the
    same ``ImportResult`` the stats and sales imports use (problems by row and column)."""
    path = Path(path)
    name = name or path.name
    result = FileResult(kind="courses", dry_run=dry_run)
    try:
        seed = seed_file_read(path, name=name)
    except SeedFileError as exc:
        return result.refuse(exc.log)
    result.rows = result.rows_total = seed.row_count
    result.encoding = seed.encoding
    if progress:
        progress("running", 0, seed.row_count)
    slug = platform.slug if platform else DEFAULT_PLATFORM
    with transaction.atomic():
        try:
            done = seed_courses_import(owner=owner, seed=seed, platform_slug=slug, dry_run=dry_run)
        except SeedImportError as exc:
            log = IssueLog(1)
            log.add(None, None, str(exc))
            return result.refuse(log)
        _tally(result, done, seed)
        if on_write and result.committed:
            on_write(result)  # in the transaction: what it records commits with the rows
    return result


def _tally(result: FileResult, done: ImportResult, seed: SeedFile) -> None:
    tallies = (done.courses, done.tiers, done.videos)
    result.created = sum(t.created for t in tallies)
    result.updated = sum(t.updated for t in tallies)
    result.unchanged = sum(t.unchanged for t in tallies)
    result.committed = not done.dry_run
    result.platform = done.platform_name
    result.notes = [
        _("courses: %(tally)s") % {"tally": done.courses.shown()},
        _("price tiers: %(tally)s") % {"tally": done.tiers.shown()},
        _("videos: %(tally)s") % {"tally": done.videos.shown()},
    ]
    result.preview = [
        {
            COURSE_ID: course.course_id,
            "videos": len(course.rows),
            SALES_PRICE: str(course.sales_price),
            SALES_INITIAL: course.sales_initial,
            SALES_TIME: course.sales_time,
        }
        for course in list(seed.courses.values())[:PREVIEW_COURSES]
    ]


def _course_snapshot(seed: SeedFile, course: SeedCourse) -> dict[str, Any]:
    return {
        "file": seed.name,
        SALES_INITIAL: course.sales_initial,
        SALES_TIME: course.sales_time,
        SALES_PRICE: str(course.sales_price),
        "rows": [row.snapshot() for row in course.rows],
    }


def _course_upsert(owner, seed: SeedFile, seed_course: SeedCourse, course, result) -> Course:
    # Other importers may keep their own keys in the snapshot; only ours is replaced.
    snapshot = _course_snapshot(seed, seed_course)
    if course is None:
        course = Course(
            owner=owner,
            external_id=seed_course.course_id,
            title=f"Course {seed_course.course_id}",
            slug=_unique_slug(owner, seed_course.course_id),
            import_snapshot={SNAPSHOT_KEY: snapshot},
        )
        course_services.course_row_save(row=course)
        result.courses.count(created=True, changed=True)
        return course
    changed = course.import_snapshot.get(SNAPSHOT_KEY) != snapshot
    if changed:
        course.import_snapshot = {**course.import_snapshot, SNAPSHOT_KEY: snapshot}
        course_services.course_update(
            course=course, data={"import_snapshot": course.import_snapshot}
        )
    result.courses.count(created=False, changed=changed)
    return course


def _unique_slug(owner, course_id: str) -> str:
    """course-<id>, then -2, -3… if the creator already uses it (slugs are unique per owner)."""
    max_length = Course._meta.get_field("slug").max_length
    base = slugify(f"course-{course_id}", allow_unicode=True)[: max_length - 6].strip("-")
    taken = set(
        Course.objects.owned_by(owner).filter(slug__startswith=base).values_list("slug", flat=True)
    )
    slug, suffix = base, 1
    while slug in taken:
        suffix += 1
        slug = f"{base}-{suffix}"
    return slug


def _tier_upsert(course: Course, seed_course: SeedCourse, tier, result) -> None:
    price = seed_course.sales_price
    if tier is None:
        tier = PriceTier(course=course, name=TIER_NAME, list_price=price)
        course_services.course_row_save(row=tier)
        result.tiers.count(created=True, changed=True)
        return
    changed = tier.list_price != price
    if changed:
        tier.list_price = price
        course_services.course_row_update(row=tier, data={"list_price": tier.list_price})
    result.tiers.count(created=False, changed=changed)


def _video_upsert(owner, course: Course, platform: Platform, row: SeedRow, video, result) -> None:
    figures = {
        "length_seconds": row.length_seconds,
        "production_level": row.video_quality,
        "usefulness": row.usefulness,
    }
    if video is None:
        video = Video(
            owner=owner,
            platform=platform,
            platform_video_id=row.platform_video_id,
            title=f"Seed video {row.position} of course {row.course_id}",
            status=PipelineStatus.PUBLISHED,
            # The file has no dates; the first import is when CourseReel learned of the video.
            published_at=timezone.now(),
            course=course,
            **figures,
        )
        video_services.video_save(video=video)
        result.videos.count(created=True, changed=True)
        return
    changed_fields = [name for name, value in figures.items() if getattr(video, name) != value]
    for name in changed_fields:
        setattr(video, name, figures[name])
    if video.course_id != course.pk:
        video.course = course
        changed_fields.append("course")
    if changed_fields:
        video_services.video_save(video=video)
    result.videos.count(created=False, changed=bool(changed_fields))
