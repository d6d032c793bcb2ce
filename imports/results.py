"""What an import reports back: its problems (row + column as the creator sees them) and counts.

The same objects serve the management commands (printed), the import job (stored as JSON) and
the page/API built on top (rendered), so all three say the same thing about a file.
"""

from __future__ import annotations

import heapq
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class ImportIssue:
    """One problem. ``row`` is the spreadsheet row (header = 1), None for the whole file;
    ``column`` is the header as written in the file."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f'column "{self.column}"')
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class IssueLog:
    """Collects problems, keeps the ``cap`` with the lowest row numbers and counts the rest.

    Files are checked chunk by chunk and check by check, so problems arrive out of row order;
    keeping the lowest rows means the listed ones are the first a creator meets in the file.
    """

    def __init__(self, cap: int) -> None:
        self.cap = max(1, cap)
        self.total = 0
        self._heap: list[tuple[int, int, ImportIssue]] = []  # (-row, -seq, issue): a max-heap

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.total += 1
        issue = ImportIssue(row, column, message)
        key = (-(row if row is not None else 0), -self.total, issue)
        if len(self._heap) < self.cap:
            heapq.heappush(self._heap, key)
        elif key > self._heap[0]:
            heapq.heapreplace(self._heap, key)

    def add_count(self, extra: int) -> None:
        """Problems found but not worth describing (beyond what the cap would show anyway)."""
        self.total += extra

    def room(self) -> int:
        """How many more problems are worth describing in full."""
        return self.cap - len(self._heap)

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total

    @property
    def issues(self) -> list[ImportIssue]:
        ordered = sorted(self._heap, key=lambda item: (-item[0], -item[1]))
        return [issue for _, _, issue in ordered]

    @property
    def more(self) -> int:
        return self.total - len(self._heap)

    def lines(self) -> list[str]:
        lines = [str(issue) for issue in self.issues]
        if self.more:
            lines.append(f"… and {self.more} more")
        return lines


@dataclass
class ImportResult:
    """The outcome of one file, written or not.

    ``ok`` is False when the file was refused (nothing written); ``committed`` is True only when
    rows went into the database (never for a dry run).
    """

    kind: str
    dry_run: bool = False
    committed: bool = False
    rows: int = 0  # data rows read (blank rows are not counted)
    rows_total: int = 0  # rows in the file below the header, blank ones included
    created: int = 0  # rows (stats or sales) that did not exist
    updated: int = 0  # rows that existed with other values
    unchanged: int = 0  # rows that existed with the same values
    created_videos: list[str] = field(default_factory=list)  # platform video ids
    mode: str = ""  # "daily" or "cumulative" (stats only)
    mode_reason: str = ""  # why, in the language active when the file was read
    # Lifetime totals (mode "cumulative") are stored as snapshots and the days derived from
    # them: created/updated then count derived days, unchanged the snapshots already stored.
    snapshots_stored: int = 0
    snapshots_repeated: int = 0
    baselines: int = 0  # videos seen for the first time: their first snapshot is a baseline
    days_derived: int = 0
    days_estimated: int = 0
    kept_imported: int = 0  # days imported as daily numbers that the snapshots left alone
    corrections: int = 0  # counts that fell (listed in notes)
    replaced_derived: int = 0  # daily file: days derived from snapshots it replaced
    ignored_columns: list[str] = field(default_factory=list)  # headers no field answers to
    platform: str | None = None  # platform name when the whole file is for one platform
    encoding: str | None = None
    column_mapping: list[dict[str, str | None]] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # notes the creator should not miss
    errors: list[ImportIssue] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def refuse(self, log: IssueLog) -> ImportResult:
        self.errors = log.issues
        self.error_count = log.total
        self.committed = False
        self.created = self.updated = self.unchanged = 0
        self.created_videos = []
        return self

    def error_lines(self) -> list[str]:
        lines = [str(issue) for issue in self.errors]
        if self.error_count > len(self.errors):
            lines.append(f"… and {self.error_count - len(self.errors)} more")
        return lines

    def summary(self) -> str:
        """One line for a command's output or a job's list row."""
        if not self.ok:
            return f"refused: {self.error_count} problem(s); nothing was written"
        verb = "would write" if self.dry_run else "wrote"
        parts = [
            f"{self.rows} rows read",
            f"{verb} {self.created} new and {self.updated} changed row(s)",
            f"{self.unchanged} unchanged",
        ]
        if self.kind == "stats":
            parts.append(f"{len(self.created_videos)} new video(s)")
            parts.append(f"mode {self.mode} ({self.mode_reason})")
            if self.mode == "cumulative":
                parts.append(
                    f"{self.snapshots_stored} snapshot(s) stored, {self.baselines} baseline(s), "
                    f"{self.days_estimated} estimated day(s), {self.kept_imported} kept "
                    "imported daily row(s)"
                )
            elif self.replaced_derived:
                parts.append(f"{self.replaced_derived} derived day(s) replaced")
        if self.kind == "courses":
            parts.extend(self.notes)
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the job stores it; an API can return it)."""
        data = asdict(self)
        data["errors"] = [issue.as_dict() for issue in self.errors]
        data["ok"] = self.ok
        return data
