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

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from statistics import fmean
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

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

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_MAX_COURSE_ID = Course._meta.get_field("external_id").max_length
_MAX_LENGTH_SECONDS = 2_147_483_647  # PositiveIntegerField's ceiling on every backend
_MAX_PRICE = Decimal("99999999.99")
CENT = Decimal("0.01")  # PriceTier.list_price: 10 digits, 2 decimals


# --- reading and validating ---------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the file, where a spreadsheet user would look for it."""

    row: int
    column_index: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:  # the file as a whole (unreadable, not CSV)
            return self.message
        where = f"row {self.row}, column {self.column}" if self.column else f"row {self.row}"
        return f"{where}: {self.message}"


class SeedFileError(Exception):
    """The file cannot be used; carries every problem found so the user fixes them in one go."""

    def __init__(self, name: str, problems: Sequence[Problem]):
        self.name = name
        self.problems = sorted(problems)
        super().__init__(self.report())

    def report(self, limit: int = MAX_PROBLEMS) -> str:
        count = len(self.problems)
        lines = [f"{self.name}: {count} problem{'s' if count != 1 else ''}, nothing was written"]
        lines += [f"  {problem}" for problem in self.problems[:limit]]
        if count > limit:
            lines.append(f"  ... and {count - limit} more")
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


def seed_file_read(path: str | Path) -> SeedFile:
    """Read and validate a file in the seed layout; raises ``SeedFileError`` listing problems."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SeedFileError(
            str(path), [Problem(0, 0, "", f"cannot read the file ({exc})")]
        ) from exc
    return seed_file_parse(raw, name=path.name)


def seed_file_parse(raw: bytes, *, name: str) -> SeedFile:
    """Parse bytes in the seed layout (UTF-8 with or without BOM, or GB18030; any newlines)."""
    text, encoding, problem = _decode(raw)
    if problem:
        raise SeedFileError(name, [problem])
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        problem = Problem(0, 0, "", f"not a readable CSV file ({exc})")
        raise SeedFileError(name, [problem]) from exc
    header, problems = _header(records[0] if records else [])
    if problems:
        raise SeedFileError(name, problems)
    labels = [cell.strip() for cell in records[0]]
    rows, sales, problems = _rows(records[1:], header, labels=labels)
    if not rows and not problems:
        problems.append(Problem(2, 0, "", "the file has a header but no data rows"))
    problems += _disagreements(sales)
    if problems:
        raise SeedFileError(name, problems)
    return SeedFile(name=name, encoding=encoding, courses=_group(rows))


def _decode(raw: bytes) -> tuple[str, str, Problem | None]:
    """Spreadsheets save CSV as UTF-8 (often with a BOM) or, in Chinese locales, GB18030."""
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = ("utf-8-sig",)
    else:
        candidates = ("utf-8", "gb18030")
    error: UnicodeDecodeError | None = None
    for encoding in candidates:
        try:
            return raw.decode(encoding), encoding, None
        except UnicodeDecodeError as exc:
            error = error or exc
    assert error is not None
    row = raw[: error.start].count(b"\n") + 1
    message = (
        f"byte {error.start} is not valid {' or '.join(c.upper() for c in candidates)} text; "
        "save the file as CSV in UTF-8 or GB18030"
    )
    return "", "", Problem(row, 0, "", message)


def _header(cells: list[str]) -> tuple[dict[str, int], list[Problem]]:
    """Map each column name to its cell index; names match after trimming, ignoring case."""
    names = [cell.strip().lower() for cell in cells]
    problems: list[Problem] = []
    if not any(names):
        return {}, [Problem(1, 0, "", "the header row is missing or empty")]
    header: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            continue
        if name in header:
            problems.append(
                Problem(1, index + 1, cells[index].strip(), "appears twice in the header")
            )
        header.setdefault(name, index)
    for order, column in enumerate(COLUMNS, start=1):
        if column not in header:
            problems.append(Problem(1, order, column, "missing from the header"))
    return header, problems


# A row's course-level values, kept even when another of its cells is bad, so disagreements
# between a course's rows are reported in the same pass as everything else.
_SalesCells = tuple[int, str, dict[str, float | Decimal]]


def _rows(
    records: Iterable[list[str]], header: dict[str, int], *, labels: list[str]
) -> tuple[list[SeedRow], list[_SalesCells], list[Problem]]:
    """Parse every data row, collecting problems instead of stopping at the first.

    Columns beyond the seed's are kept verbatim (under their header label) in the snapshot.
    """
    rows: list[SeedRow] = []
    sales: list[_SalesCells] = []
    problems: list[Problem] = []
    positions: dict[str, int] = {}
    width = max(header.values()) + 1
    extras = {labels[index]: name for name, index in header.items() if name not in COLUMNS}
    for row_number, cells in enumerate(records, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank line: spreadsheets leave them; they carry nothing
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            problems.append(
                Problem(row_number, 0, "", f"has {len(cells)} cells but the header has {width}")
            )
        cell = _Cells(row_number, cells, header, problems)
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
            problems.append(cell.problem(VIDEO_LENGTH, f"{length:g} minutes is too long to store"))
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
    return rows, sales, problems


class _Cells:
    """The cells of one row, read by column name; each reader records its own problem."""

    def __init__(self, row: int, cells: list[str], header: dict[str, int], problems: list[Problem]):
        self.row, self.cells, self.header, self.problems = row, cells, header, problems
        self.failed = False

    def raw(self, column: str) -> str:
        index = self.header[column]
        return self.cells[index].strip() if index < len(self.cells) else ""

    def problem(self, column: str, message: str) -> Problem:
        index = COLUMNS.index(column) + 1 if column in COLUMNS else 0
        return Problem(self.row, index, column, message)

    def fail(self, column: str, message: str) -> None:
        self.failed = True
        self.problems.append(self.problem(column, message))

    def course_id(self) -> str | None:
        value = self.raw(COURSE_ID)
        if not value:
            return self.fail(COURSE_ID, "is empty; every row names its course")
        if len(value) > _MAX_COURSE_ID:
            return self.fail(COURSE_ID, f"is longer than {_MAX_COURSE_ID} characters")
        return value

    def number(self, column: str) -> float | None:
        text = self.raw(column)
        if not text:
            return self.fail(column, "is empty; a number is needed")
        if not _NUMBER.fullmatch(text):
            return self.fail(column, f"{text!r} is not a number")
        value = float(text)
        if not math.isfinite(value):
            return self.fail(column, f"{text!r} is too large")
        if value < 0:
            return self.fail(column, f"{text} is negative; it must be 0 or more")
        return value

    def score(self, column: str) -> float | None:
        value = self.number(column)
        if value is None:
            return None
        if not 1 <= value <= 5 or value != int(value):
            return self.fail(column, f"{self.raw(column)} is not a whole number from 1 to 5")
        return value

    def price(self, column: str) -> Decimal | None:
        if self.number(column) is None:
            return None
        price = Decimal(self.raw(column))
        if price > _MAX_PRICE:  # checked first: quantizing a huge number raises
            return self.fail(column, f"{self.raw(column)} is above the largest price {_MAX_PRICE}")
        if price != price.quantize(CENT):
            return self.fail(column, f"{self.raw(column)} has more than 2 decimal places")
        return price.quantize(CENT)


def _disagreements(sales: Sequence[_SalesCells]) -> list[Problem]:
    """A course's sales columns must be equal on all its rows, or which one is meant?"""
    first: dict[tuple[str, str], tuple[int, float | Decimal]] = {}
    problems = []
    for row, course_id, values in sales:
        for column, mine in values.items():
            reference_row, theirs = first.setdefault((course_id, column), (row, mine))
            if mine != theirs:
                message = (
                    f"{mine:g} disagrees with {theirs:g} in row {reference_row} for course "
                    f"{course_id!r}; a course's {', '.join(COURSE_COLUMNS)} must be the same "
                    "on all its rows"
                )
                problems.append(Problem(row, COLUMNS.index(column) + 1, column, message))
    return problems


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
                    f"course {seed_course.course_id!r} could not be saved ({exc}); "
                    "nothing was written, try again"
                ) from exc
        # The services announced course.changed / video.changed: the figures follow after
        # the commit, and a dry run rolls the announcements back with the rows.
        if dry_run:
            transaction.set_rollback(True)
    return result


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
