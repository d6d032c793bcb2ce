"""Limits on what reading a creator's file may cost, checked before the file is parsed.

An XLSX is a zip: a 1 MB upload can inflate to gigabytes, and openpyxl loads every shared
string into memory. So the zip's directory is checked first (declared sizes, which Python's
zipfile enforces while reading, and each member's compression ratio), then the XML parts are
streamed in blocks, never parsed, to refuse document types and entities (billion laughs, XXE),
too many shared strings and over-long cells, naming the row and column. Only then does
openpyxl open the file (read-only, with defusedxml as a second guard). CSV limits are applied
by the byte scan in ``tables``.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import defusedxml  # noqa: F401  (installed, openpyxl parses with it)
from django.conf import settings
from django.utils.translation import gettext as _

from .results import IssueLog

BLOCK = 1 << 20
RATIO_MIN_BYTES = 16 << 20  # members smaller than this inflate harmlessly whatever their ratio
CONTINUATION = bytes(range(0x80, 0xC0))
CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
ROW_REF = re.compile(rb'<row\b[^>]*?\br="(\d+)"')


@dataclass(frozen=True)
class Limits:
    decompressed_bytes: int
    compression_ratio: int
    shared_strings: int
    cell_chars: int
    columns: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            decompressed_bytes=settings.IMPORT_MAX_DECOMPRESSED_MB * 2**20,
            compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
            shared_strings=settings.IMPORT_MAX_SHARED_STRINGS,
            cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            columns=settings.IMPORT_MAX_COLUMNS,
        )


def text_chars(data: bytes) -> int:
    """Characters in UTF-8 XML text, entities (&amp; …) counted as about one."""
    return len(data.translate(None, CONTINUATION)) - 3 * data.count(b"&")


def cell_too_long_message(limit: int) -> str:
    return _(
        "the cell has more than %(limit)s characters (IMPORT_MAX_CELL_CHARS); a spreadsheet "
        "cell holds at most 32,767"
    ) % {"limit": f"{limit:,}"}


def too_many_cells_message(limit: int) -> str:
    return _("the row has more than %(limit)s cells (IMPORT_MAX_COLUMNS)") % {"limit": f"{limit:,}"}


class _Refused(Exception):
    def __init__(self, row: int | None, column: str | None, message: str) -> None:
        super().__init__(message)
        self.row, self.column, self.message = row, column, message


@dataclass
class _Long:
    """An over-long text run: in a sheet at a cell ref, or the index-th shared string."""

    member: str
    ref: tuple[str, int] | None = None
    shared_index: int | None = None


def xlsx_check(path: Path, log: IssueLog, limits: Limits | None = None) -> dict[str, int] | None:
    """Refuse an XLSX whose reading would cost too much; otherwise the last row number of each
    worksheet member, counted from its rows (never from its <dimension>)."""
    limits = limits or Limits.from_settings()
    try:
        with zipfile.ZipFile(path) as archive:
            _check_directory(archive, limits)
            return _scan_members(archive, limits)
    except _Refused as refused:
        log.add(refused.row, refused.column, refused.message)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        log.add(None, None, _("this is not a readable .xlsx workbook (%(error)s)") % {"error": exc})
    return None


def _check_directory(archive: zipfile.ZipFile, limits: Limits) -> None:
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if total > limits.decompressed_bytes:
            raise _Refused(
                None,
                None,
                _(
                    "the workbook unpacks to more than %(limit)s MB (IMPORT_MAX_DECOMPRESSED_MB); "
                    "save it as CSV or split it"
                )
                % {"limit": f"{limits.decompressed_bytes // 2**20:,}"},
            )
        if info.file_size > RATIO_MIN_BYTES and info.file_size > limits.compression_ratio * max(
            info.compress_size, 1
        ):
            raise _Refused(
                None,
                None,
                _(
                    "the workbook part %(part)s unpacks %(ratio)s times larger than it is "
                    "stored (more than %(limit)s, IMPORT_MAX_COMPRESSION_RATIO): a zip bomb?"
                )
                % {
                    "part": info.filename,
                    "ratio": f"{info.file_size // max(info.compress_size, 1):,}",
                    "limit": f"{limits.compression_ratio:,}",
                },
            )


def _scan_members(archive: zipfile.ZipFile, limits: Limits) -> dict[str, int]:
    rows: dict[str, int] = {}
    long: _Long | None = None
    for info in archive.infolist():
        name = info.filename
        if not name.endswith((".xml", ".rels")):
            continue
        is_sheet = name.startswith("xl/worksheets/")
        is_shared = name == "xl/sharedStrings.xml"
        found, last_row = _scan_member(archive, name, limits, sheet=is_sheet, shared=is_shared)
        if is_sheet:
            rows[name] = last_row
        long = long or found
    if long is not None:
        _refuse_long(archive, long, limits)
    return rows


def _scan_member(
    archive: zipfile.ZipFile, name: str, limits: Limits, *, sheet: bool, shared: bool
) -> tuple[_Long | None, int]:
    """Stream one XML part: refuse a DTD; count shared strings and rows; find the first text
    run longer than the cell limit (chars ≤ bytes, so only runs that long in bytes are
    counted exactly)."""
    long_run = re.compile(rb">([^<>]{%d,})<" % (limits.cell_chars + 1))
    run = 0  # characters of a text run continuing from the previous block
    run_start: tuple[tuple[str, int] | None, int] = (None, 0)
    strings = 0
    rows = 0
    last_row = 0
    tail = b""
    with archive.open(name) as member:
        while block := member.read(BLOCK):
            window = tail + block
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                raise _Refused(
                    None,
                    None,
                    _(
                        "the workbook declares a document type or entities (%(part)s), which "
                        "spreadsheets never need; it is refused as unsafe"
                    )
                    % {"part": name},
                )
            tail = block[-16:]
            strings_before = strings
            if shared:
                strings += block.count(b"<si>") + block.count(b"<si ")
                if strings > limits.shared_strings:
                    raise _Refused(
                        None,
                        None,
                        _(
                            "the workbook has more than %(limit)s different texts "
                            "(IMPORT_MAX_SHARED_STRINGS)"
                        )
                        % {"limit": f"{limits.shared_strings:,}"},
                    )
            if sheet:
                rows += block.count(b"<row ") + block.count(b"<row>")
                refs = ROW_REF.findall(block)
                last_row = max(last_row, int(refs[-1]) if refs else 0, rows)
            first_lt = block.find(b"<")
            head = block if first_lt < 0 else block[:first_lt]
            if run:
                run += text_chars(head)
                if run > limits.cell_chars:
                    return _long(name, run_start, shared), last_row
            if first_lt < 0:
                continue
            for match in long_run.finditer(block, first_lt):
                if text_chars(match.group(1)) > limits.cell_chars:
                    before = block[: match.start()]
                    return _long(
                        name, _where(before, strings_before, shared, sheet), shared
                    ), last_row
            last_gt, last_lt = block.rfind(b">"), block.rfind(b"<")
            if last_gt > last_lt:
                run = text_chars(block[last_gt + 1 :])
                run_start = _where(block[: last_gt + 1], strings_before, shared, sheet)
            else:
                run = 0
    return None, last_row


def _where(before: bytes, strings: int, shared: bool, sheet: bool):
    """Where a text run starts: the shared string's index (``strings`` were in the blocks
    before this one), or the sheet cell's ref."""
    if shared:
        return (None, strings + before.count(b"<si>") + before.count(b"<si ") - 1)
    if sheet:
        cell = before.rfind(b"<c ")
        if cell >= 0:
            ref = CELL_REF.search(before, cell)
            if ref:
                return ((ref.group(1).decode(), int(ref.group(2))), 0)
    return (None, 0)


def _long(name: str, where, shared: bool) -> _Long:
    ref, index = where
    return _Long(member=name, ref=ref, shared_index=index if shared else None)


def _refuse_long(archive: zipfile.ZipFile, long: _Long, limits: Limits) -> None:
    ref = long.ref
    sheet = long.member if long.member.startswith("xl/worksheets/") else None
    if long.shared_index is not None:
        sheet, ref = _shared_string_cell(archive, long.shared_index)
    if ref is None:
        raise _Refused(None, None, cell_too_long_message(limits.cell_chars))
    letters, row = ref
    header = _header_text(archive, sheet, letters) if sheet else None
    raise _Refused(row, header or letters, cell_too_long_message(limits.cell_chars))


def _blocks(archive: zipfile.ZipFile, name: str, overlap: int = 256):
    """A member's blocks, each starting with the end of the one before (so a short pattern
    cut by a block boundary is still seen whole)."""
    tail = b""
    with archive.open(name) as member:
        while block := member.read(BLOCK):
            yield tail + block
            tail = block[-overlap:]


def _shared_string_cell(archive: zipfile.ZipFile, index: int):
    pattern = re.compile(rb"<c\b([^>]*)>\s*<v>%d</v>" % index)
    for name in archive.namelist():
        if not name.startswith("xl/worksheets/"):
            continue
        for block in _blocks(archive, name):
            for match in pattern.finditer(block):
                attrs = match.group(1)
                if b't="s"' in attrs:
                    ref = CELL_REF.search(attrs)
                    if ref:
                        return name, (ref.group(1).decode(), int(ref.group(2)))
    return None, None


def _header_text(archive: zipfile.ZipFile, sheet: str, letters: str) -> str | None:
    """The text of row 1 in that column, if it is short and near the start of the sheet."""
    with archive.open(sheet) as member:
        start = member.read(BLOCK)
    match = re.search(rb'<c\b([^>]*\br="%s1"[^>]*)>(.*?)</c>' % letters.encode(), start, re.S)
    if not match:
        return None
    attrs, body = match.groups()
    if b't="s"' in attrs:
        value = re.search(rb"<v>(\d+)</v>", body)
        return _shared_string(archive, int(value.group(1))) if value else None
    texts = re.findall(rb"<t[^>]*>([^<]*)</t>", body) or re.findall(rb"<v>([^<]*)</v>", body)
    return html.unescape(b"".join(texts).decode("utf-8", "replace")).strip() or None


def _shared_string(archive: zipfile.ZipFile, index: int) -> str | None:
    """The index-th shared string, if it is short (a header)."""
    seen = 0
    with archive.open("xl/sharedStrings.xml") as member:
        block = member.read(BLOCK)
    for match in re.finditer(rb"<si\b[^>]*>(.{0,2000}?)</si>", block, re.S):
        if seen == index:
            texts = re.findall(rb"<t[^>]*>([^<]*)</t>", match.group(1))
            return html.unescape(b"".join(texts).decode("utf-8", "replace")).strip() or None
        seen += 1
    return None
