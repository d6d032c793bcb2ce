"""Reading a creator's file — CSV or XLSX — in chunks, after the byte-level checks a
spreadsheet program cannot show (encoding, NUL bytes, unbalanced quotes, stray cells).

CSV files are scanned once as raw bytes with numpy (fast, constant memory): which encoding
(UTF-8 with or without BOM, else GB18030, the superset of the GBK that Excel in China writes),
where each record ends (newlines outside quotes), how many cells each record has. That scan
turns a byte offset into the spreadsheet row a creator would look at, so every byte-level
problem names its row and column. pandas then parses the file chunk by chunk.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils.translation import gettext

from . import bounds
from .results import IssueLog

BLOCK_BYTES = 2 << 20
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
NEWLINE, QUOTE, NUL = 10, 34, 0


@dataclass
class Table:
    """An opened, byte-checked file: its header row and how to read the rest."""

    path: Path
    format: str  # "csv" or "xlsx"
    header: list[str]
    rows_total: int | None  # rows below the header (blank ones included); None if unknown
    encoding: str | None = None
    delimiter: str = ","


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet names a column without a header."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_label(header: list[str], index: int) -> str:
    if 0 <= index < len(header) and header[index]:
        return header[index]
    return no_header_label(index)


def no_header_label(index: int) -> str:
    """A column without a header, named as the spreadsheet names it: "D (no header)"."""
    return gettext("%(letter)s (no header)") % {"letter": column_letter(index)}


def too_many_rows_message(max_rows: int) -> str:
    return gettext("the file has more than %(limit)s rows (IMPORT_MAX_ROWS)") % {
        "limit": f"{max_rows:,}"
    }


def unreadable_xlsx_message(error) -> str:
    return gettext("this is not a readable .xlsx workbook (%(error)s)") % {"error": error}


def table_open(
    path: Path, log: IssueLog, *, max_bytes: int | None = None, max_rows: int | None = None
) -> Table | None:
    """Check the file as a whole and read its header; None (with problems logged) if refused.

    The caps default to the IMPORT_MAX_FILE_MB and IMPORT_MAX_ROWS settings."""
    max_bytes = settings.IMPORT_MAX_FILE_MB * 2**20 if max_bytes is None else max_bytes
    max_rows = settings.IMPORT_MAX_ROWS if max_rows is None else max_rows
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        log.add(None, None, gettext("the file is empty"))
        return None
    if size > max_bytes:
        log.add(
            None,
            None,
            gettext("the file is %(size)s MB; the limit is %(limit)s MB (IMPORT_MAX_FILE_MB)")
            % {"size": f"{size / 2**20:.1f}", "limit": f"{max_bytes / 2**20:.0f}"},
        )
        return None
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(ZIP_MAGIC):
        return _xlsx_open(path, log, max_rows=max_rows)
    if head.startswith(OLE_MAGIC):
        log.add(
            None,
            None,
            gettext("this is an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8"),
        )
        return None
    if head.startswith(UTF16_BOMS):
        log.add(
            None,
            None,
            gettext('this is UTF-16 text (Excel\'s "Unicode text"); save it as CSV UTF-8'),
        )
        return None
    return _csv_open(path, log, max_rows=max_rows)


def table_chunks(
    table: Table,
    columns: dict[str, int],
    *,
    text_fields: set[str],
    chunk_rows: int,
    log: IssueLog,
    max_rows: int,
) -> Iterator[pd.DataFrame]:
    """DataFrames of at most ``chunk_rows`` rows with the mapped columns under their field
    names, indexed by spreadsheet row number. Text fields stay strings (ids keep leading
    zeros); count columns are whatever pandas could read (int64 when clean)."""
    if table.format == "xlsx":
        yield from _xlsx_chunks(table, columns, text_fields, chunk_rows, log, max_rows)
    else:
        yield from _csv_chunks(table, columns, text_fields, chunk_rows, log)


# --- CSV --------------------------------------------------------------------------------------


def _first_undecodable(path: Path, encoding: str) -> int | None:
    """Byte offset of the first byte ``encoding`` cannot decode, or None if all of it decodes."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    base = 0
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(block, final=False)
            except UnicodeDecodeError as exc:
                return base - pending + exc.start
            base += len(block)
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return base - pending + exc.start
    return None


def _choose_encoding(path: Path, head: bytes) -> tuple[str, int | None]:
    """UTF-8 (BOM or not) first, then GB18030; the offset of the undecodable byte if neither
    reads the whole file (from whichever got further)."""
    if head.startswith(UTF8_BOM):
        return "utf-8-sig", _first_undecodable(path, "utf-8-sig")
    utf8_failure = _first_undecodable(path, "utf-8")
    if utf8_failure is None:
        return "utf-8", None
    gb_failure = _first_undecodable(path, "gb18030")
    if gb_failure is None:
        return "gb18030", None
    if gb_failure > utf8_failure:
        return "gb18030", gb_failure
    return "utf-8", utf8_failure


def _header_end(head: bytes) -> int:
    """Offset of the newline that ends the header record (quotes respected); -1 if the header
    goes on past ``head``."""
    data = np.frombuffer(head, dtype=np.uint8)
    newlines = np.flatnonzero(data == NEWLINE)
    quotes = np.flatnonzero(data == QUOTE)
    outside = newlines[(np.searchsorted(quotes, newlines) & 1) == 0]
    return int(outside[0]) if len(outside) else -1


class _Refused(Exception):
    def __init__(self, row: int | None, column: str | None, message: str) -> None:
        super().__init__(message)
        self.row, self.column, self.message = row, column, message


class _Structure:
    """One numpy pass over the raw bytes: record boundaries (newlines outside quotes), cells per
    record, NUL bytes, an unclosed quote. Turns byte offsets into (row, column) as it goes."""

    def __init__(self, separator: int, header: list[str], log: IssueLog, max_rows: int) -> None:
        self.separator = separator
        self.header = header
        self.log = log
        self.max_rows = max_rows
        self.quotes = 0  # quotes before the current block
        self.separators = 0  # separators outside quotes before the current block
        self.records = 0  # complete records before the current block (header included)
        self.last_boundary = -1
        self.separators_at_boundary = 0
        self.last_quote: tuple[int, int] | None = None  # (offset, cell index)
        self.nul_cells: list[tuple[int, int]] = []  # (row, cell index)
        self.nul_count = 0
        self.extra_cells: list[tuple[int, int]] = []  # (row, cells)
        self.extra_count = 0
        self.too_many_rows = False
        self.located: dict[int, tuple[int, int]] = {}
        self.max_columns = settings.IMPORT_MAX_COLUMNS
        self.max_chars = settings.IMPORT_MAX_CELL_CHARS
        self.field_start = 0  # offset of the field still open at the end of the last block
        self.field_where: tuple[int, int] = (1, 0)
        self.refused = False

    def scan(self, path: Path, locate: list[int]) -> int:
        """Scan the file; returns the number of records (header included)."""
        base = 0
        with open(path, "rb") as handle:
            while block := handle.read(BLOCK_BYTES):
                try:
                    self._block(np.frombuffer(block, dtype=np.uint8), base, locate)
                    self._bounds(block, base)
                except _Refused as refused:
                    self.log.add(refused.row, refused.column, refused.message)
                    self.refused = True
                    return self.records
                base += len(block)
                if self.records - 1 > self.max_rows:
                    self.too_many_rows = True
                    return self.records
        return self._finish(base)

    def _block(self, data: np.ndarray, base: int, locate: list[int]) -> None:
        newlines = np.flatnonzero(data == NEWLINE)
        quotes = np.flatnonzero(data == QUOTE)
        separators = np.flatnonzero(data == self.separator)
        if len(quotes):
            boundaries = newlines[((self.quotes + np.searchsorted(quotes, newlines)) & 1) == 0]
            separators = separators[((self.quotes + np.searchsorted(quotes, separators)) & 1) == 0]
        elif self.quotes & 1:
            boundaries, separators = newlines[:0], separators[:0]
        else:
            boundaries = newlines
        seps_before = self.separators + np.searchsorted(separators, boundaries)
        starts = np.concatenate(([self.separators_at_boundary], seps_before[:-1]))

        records, separators_before = self.records, self.separators
        separators_at_boundary = self.separators_at_boundary

        def where(offset: int) -> tuple[int, int]:
            """(spreadsheet row, 0-based cell index) of a byte offset within this block."""
            k = int(np.searchsorted(boundaries, offset))
            start = separators_at_boundary if k == 0 else int(seps_before[k - 1])
            cell = separators_before + int(np.searchsorted(separators, offset)) - start
            return records + k + 1, cell

        cells = seps_before - starts + 1
        limit = len(self.header)
        record_numbers = self.records + np.arange(len(boundaries))
        extra = np.flatnonzero((cells > limit) & (record_numbers > 0))
        self.extra_count += len(extra)
        for k in extra[: self.log.room()]:
            self.extra_cells.append((int(record_numbers[k]) + 1, int(cells[k])))

        nuls = np.flatnonzero(data == NUL)
        self.nul_count += len(nuls)
        for offset in nuls[: max(self.log.room(), 1)]:
            self.nul_cells.append(where(int(offset)))
        for offset in locate:
            if base <= offset < base + len(data):
                self.located[offset] = where(offset - base)

        self._delimiters = base + np.union1d(separators, boundaries)
        self._where = where
        self._open_cells = (
            self.separators
            + len(separators)
            - (int(seps_before[-1]) if len(boundaries) else self.separators_at_boundary)
        )
        self._after_last = (
            where(int(self._delimiters[-1] - base) + 1)
            if len(self._delimiters)
            else self.field_where
        )

        if len(quotes):
            # With an odd number of quotes in the file, the last one opens the unclosed cell.
            self.last_quote = (base + int(quotes[-1]), where(int(quotes[-1]))[1])

        self.quotes += len(quotes)
        self.separators += len(separators)
        if len(boundaries):
            self.last_boundary = base + int(boundaries[-1])
            self.separators_at_boundary = int(seps_before[-1])
            self.records += len(boundaries)

    def _bounds(self, block: bytes, base: int) -> None:
        """Refuse at once (not after reading on) a record with more than IMPORT_MAX_COLUMNS
        cells or a field longer than IMPORT_MAX_CELL_CHARS, so a 50 MB line costs one block."""
        open_cells = self._open_cells + 1
        if self.records > 0 and open_cells > self.max_columns:
            raise _Refused(self.records + 1, None, bounds.too_many_cells_message(self.max_columns))
        ends = self._delimiters  # absolute offsets of separators and record ends, sorted
        starts = np.concatenate(([self.field_start], ends[:-1] + 1))
        lengths = ends - starts
        for k in np.flatnonzero(lengths > self.max_chars):
            start, end = int(starts[k]), int(ends[k])
            if start >= base:
                chars = bounds.text_chars(block[start - base : end - base])
            else:  # begun in an earlier block: its bytes are gone, count them as chars / 4
                chars = (end - start) // 4
            if chars > self.max_chars:
                row, cell = self._where_at(k, start, base)
                self._refuse_field(row, cell)
        if len(ends):
            self.field_start = int(ends[-1]) + 1
            self.field_where = self._after_last
        if (base + len(block) - self.field_start) // 4 > self.max_chars:
            self._refuse_field(*self.field_where)

    def _where_at(self, k: int, start: int, base: int) -> tuple[int, int]:
        return self.field_where if k == 0 and start < base else self._where(start - base)

    def _refuse_field(self, row: int, cell: int) -> None:
        raise _Refused(
            row, column_label(self.header, cell), bounds.cell_too_long_message(self.max_chars)
        )

    def _finish(self, size: int) -> int:
        records = self.records
        if size > self.last_boundary + 1:  # a last record without a final newline
            records += 1
            cells = self.separators - self.separators_at_boundary + 1
            if cells > len(self.header) and records > 1:
                self.extra_count += 1
                self.extra_cells.append((records, cells))
        if self.quotes & 1 and self.last_quote:
            _, cell = self.last_quote
            self.log.add(
                self.records + 1,
                column_label(self.header, cell),
                gettext(
                    'a quote (") opens a cell here and is never closed, so the rest of the file '
                    "would be read as one cell"
                ),
            )
        for row, cell in sorted(set(self.nul_cells)):
            self.log.add(
                row,
                column_label(self.header, cell),
                gettext("contains a NUL byte (a damaged file?)"),
            )
        if self.nul_count > len(self.nul_cells):
            self.log.add_count(1)  # more NUL bytes: one more problem, not one per byte
        for row, cells in self.extra_cells:
            self.log.add(
                row,
                no_header_label(len(self.header)),
                gettext(
                    "has %(cells)s cells but the header has %(columns)s columns "
                    "(a comma inside a cell that is not quoted?)"
                )
                % {"cells": f"{cells:,}", "columns": f"{len(self.header):,}"},
            )
        self.log.add_count(self.extra_count - len(self.extra_cells))
        return records


def _csv_open(path: Path, log: IssueLog, *, max_rows: int) -> Table | None:
    with open(path, "rb") as handle:
        head = handle.read(BLOCK_BYTES)
    encoding, bad_offset = _choose_encoding(path, head)
    end = _header_end(head)
    if end < 0 and len(head) == BLOCK_BYTES:
        log.add(
            1,
            None,
            gettext("the header row is longer than %(size)s MB; is this really a CSV file?")
            % {"size": BLOCK_BYTES >> 20},
        )
        return None
    header_bytes = (head if end < 0 else head[:end]).rstrip(b"\r")
    if header_bytes.startswith(UTF8_BOM):
        header_bytes = header_bytes[len(UTF8_BOM) :]
    delimiter = next((d for d in (",", "\t", ";") if d.encode() in header_bytes), ",")
    header_text = header_bytes.decode(encoding.replace("-sig", ""), errors="replace")
    max_columns, max_chars = settings.IMPORT_MAX_COLUMNS, settings.IMPORT_MAX_CELL_CHARS
    if header_bytes.count(delimiter.encode()) >= max_columns:
        log.add(1, None, bounds.too_many_cells_message(max_columns))
        return None
    csv.field_size_limit(max_chars)
    try:
        header = [
            cell.strip()
            for cell in next(csv.reader(io.StringIO(header_text), delimiter=delimiter), [])
        ]
    except csv.Error:
        log.add(1, None, bounds.cell_too_long_message(max_chars))
        return None
    if not any(header):
        log.add(1, None, gettext("the header row is empty"))
        return None

    structure = _Structure(ord(delimiter), header, log, max_rows)
    records = structure.scan(path, [bad_offset] if bad_offset is not None else [])
    if structure.refused:
        return None
    if structure.too_many_rows:
        log.add(None, None, too_many_rows_message(max_rows))
        return None
    if bad_offset is not None:
        row, cell = structure.located.get(bad_offset, (None, 0))
        log.add(
            row,
            column_label(header, cell) if row else None,
            gettext(
                "these bytes are neither UTF-8 nor GB18030/GBK text; save the file as CSV UTF-8"
            ),
        )
    if log:
        return None
    return Table(
        path=path,
        format="csv",
        header=header,
        rows_total=max(records - 1, 0),
        encoding=encoding,
        delimiter=delimiter,
    )


def _csv_chunks(
    table: Table,
    columns: dict[str, int],
    text_fields: set[str],
    chunk_rows: int,
    log: IssueLog,
) -> Iterator[pd.DataFrame]:
    names = [f"c{index}" for index in range(len(table.header))]
    rename = {f"c{index}": name for name, index in columns.items()}
    dtype = {f"c{index}": object for name, index in columns.items() if name in text_fields}
    reader = pd.read_csv(
        table.path,
        sep=table.delimiter,
        header=0,
        names=names,
        usecols=list(rename),
        dtype=dtype,
        encoding=table.encoding,
        skip_blank_lines=False,
        keep_default_na=False,
        na_values=[""],
        index_col=False,
        chunksize=chunk_rows,
        engine="c",
        low_memory=False,
    )
    try:
        with reader:
            for chunk in reader:
                chunk = chunk.rename(columns=rename)
                chunk.index = chunk.index + 2
                yield chunk
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        log.add(
            None, None, gettext("the file could not be read as CSV: %(error)s") % {"error": exc}
        )


# --- XLSX -------------------------------------------------------------------------------------


def _cell_text(value: object) -> object:
    """What a cell means as text: integral floats lose their ".0" (ids, counts), dates become
    ISO strings; None stays None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xml_refused() -> tuple[type[Exception], ...]:
    from defusedxml import DefusedXmlException

    return (DefusedXmlException,)


_XML_REFUSED = _xml_refused()


def _UNSAFE_XML() -> str:
    return gettext(
        "the workbook declares a document type or entities, which spreadsheets never need; "
        "it is refused as unsafe"
    )


@contextmanager
def _workbook(path: Path) -> Iterator:
    """The first sheet's workbook, read-only. Opened from a handle, so an upload named .csv
    that is really a workbook still opens (openpyxl checks the name of a path)."""
    import openpyxl

    with open(path, "rb") as handle:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:
            yield workbook
        finally:
            workbook.close()


def _xlsx_open(path: Path, log: IssueLog, *, max_rows: int) -> Table | None:
    """Bounds first (imports.bounds, before openpyxl reads anything); rows are counted from the
    sheet itself, since a <dimension> may lie or be missing."""
    last_rows = bounds.xlsx_check(path, log)
    if last_rows is None:
        return None
    try:
        with _workbook(path) as workbook:
            sheet = workbook.worksheets[0]
            first = next(sheet.iter_rows(max_row=1, values_only=True), None)
            header = [str(_cell_text(v) or "").strip() for v in first or ()]
            while header and not header[-1]:
                header.pop()
            last_row = last_rows.get(getattr(sheet, "_worksheet_path", ""), 0)
            rows_total = max(last_row - 1, 0) if last_row else None
    except _XML_REFUSED:
        log.add(None, None, _UNSAFE_XML())
        return None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, SyntaxError) as exc:
        log.add(None, None, unreadable_xlsx_message(exc))
        return None
    if not any(header):
        log.add(1, None, gettext("the header row is empty"))
        return None
    if len(header) > settings.IMPORT_MAX_COLUMNS:
        log.add(1, None, bounds.too_many_cells_message(settings.IMPORT_MAX_COLUMNS))
        return None
    if rows_total is not None and rows_total > max_rows:
        log.add(None, None, too_many_rows_message(max_rows))
        return None
    return Table(path=path, format="xlsx", header=header, rows_total=rows_total)


def _xlsx_chunks(
    table: Table,
    columns: dict[str, int],
    text_fields: set[str],
    chunk_rows: int,
    log: IssueLog,
    max_rows: int,
) -> Iterator[pd.DataFrame]:
    wanted = list(columns.items())
    max_columns = settings.IMPORT_MAX_COLUMNS
    with _workbook(table.path) as workbook:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # read every row the sheet holds, whatever <dimension> says
        rows = sheet.iter_rows(min_row=2, values_only=True)
        buffer: list[tuple] = []
        first_row = 2
        for number, values in enumerate(rows, start=2):
            if number - 1 > max_rows:
                log.add(None, None, too_many_rows_message(max_rows))
                return
            if len(values) > max_columns:
                log.add(number, None, bounds.too_many_cells_message(max_columns))
                return
            buffer.append(values)
            if len(buffer) >= chunk_rows:
                yield _xlsx_frame(buffer, wanted, text_fields, first_row)
                first_row += len(buffer)
                buffer = []
        if buffer:
            yield _xlsx_frame(buffer, wanted, text_fields, first_row)


def _xlsx_frame(
    rows: list[tuple], wanted: list[tuple[str, int]], text_fields: set[str], first_row: int
) -> pd.DataFrame:
    data = {}
    for name, index in wanted:
        cells = [row[index] if index < len(row) else None for row in rows]
        if name in text_fields:
            data[name] = pd.Series([_cell_text(v) for v in cells], dtype=object)
        else:
            numeric = [
                v if isinstance(v, (int, float)) and not isinstance(v, bool) else None
                for v in cells
            ]
            if all(v is not None or c is None for v, c in zip(numeric, cells, strict=True)):
                data[name] = pd.Series(numeric, dtype=float if None in numeric else None)
            else:
                data[name] = pd.Series([_cell_text(v) for v in cells], dtype=object)
    frame = pd.DataFrame(data)
    frame.index = pd.RangeIndex(first_row, first_row + len(rows))
    return frame
