# ruff: noqa: E501
"""Hostile files, built by the tests that use them (none are checked in): XLSX bombs whose one
cell inflates far beyond the upload, entity tricks, dimension lies and pathological CSV lines.

Workbooks are written as raw zip members, the way an attacker would, not through openpyxl."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

CHUNK = 16 << 20

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ["video_id", "title", "views"]


def _column(index: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[index]


def _row(number: int, values: list[object]) -> str:
    cells = []
    for index, value in enumerate(values):
        ref = f"{_column(index)}{number}"
        if isinstance(value, int):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def _skeleton(book: zipfile.ZipFile, shared: str | None = None) -> None:
    book.writestr("[Content_Types].xml", CONTENT_TYPES)
    book.writestr("_rels/.rels", RELS)
    book.writestr("xl/workbook.xml", WORKBOOK)
    book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
    book.writestr(
        "xl/sharedStrings.xml",
        shared or f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}" count="0" uniqueCount="0"/>',
    )


def xlsx_big_cell(path: Path, cell_bytes: int, *, random_text: bool = False) -> Path:
    """One data row whose "title" cell (row 2, column B) is a shared string of ``cell_bytes``
    characters: the 1 MB → 1 GB and 3 MB → 3 GB bombs with ``a`` repeated, or (random_text)
    letters that compress only about 1.6:1, so the zip's ratio check leaves them to the cell
    check."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        sheet = (
            f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
            + "".join(f'<c r="{_column(i)}1" t="s"><v>{i}</v></c>' for i in range(3)).join(
                ['<row r="1">', "</row>"]
            )
            + '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c>'
            '<c r="C2"><v>7</v></c></row></sheetData></worksheet>'
        )
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            member.write(
                (
                    f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}" count="5" uniqueCount="5">'
                    + "".join(f"<si><t>{h}</t></si>" for h in HEADER)
                    + "<si><t>v1</t></si><si><t>"
                ).encode()
            )
            left = cell_bytes
            block = b"a" * min(CHUNK, cell_bytes)
            while left > 0:
                if random_text:
                    block = os.urandom(min(CHUNK, left) // 2).hex().encode()
                member.write(block[:left])
                left -= len(block)
            member.write(b"</t></si></sst>")
    return path


def xlsx_rows(path: Path, rows: int, *, dimension: str | None = None) -> Path:
    """A sheet of ``rows`` data rows below a header, with a <dimension> that may lie, or none."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        _skeleton(book)
        body = [_row(1, HEADER)] + [_row(n, [f"v{n}", f"t{n}", n]) for n in range(2, rows + 2)]
        dim = f'<dimension ref="{dimension}"/>' if dimension else ""
        book.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}">{dim}<sheetData>'
            + "".join(body)
            + "</sheetData></worksheet>",
        )
    return path


def xlsx_entities(path: Path, kind: str) -> Path:
    """``billion_laughs`` (nested entities in sharedStrings) or ``xxe`` (an external entity
    naming /etc/passwd in the sheet)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        if kind == "billion_laughs":
            lol = "".join(
                f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i else "lol"}">' for i in range(10)
            )
            shared = (
                f'<?xml version="1.0"?><!DOCTYPE sst [{lol}]>'
                f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
            )
            _skeleton(book, shared=shared)
            sheet = (
                f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
                f'{_row(1, HEADER)}<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
                "</sheetData></worksheet>"
            )
        else:
            _skeleton(book)
            sheet = (
                '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM '
                f'"file:///etc/passwd">]><worksheet xmlns="{MAIN_NS}"><sheetData>'
                f'{_row(1, HEADER)}<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c>'
                "</row></sheetData></worksheet>"
            )
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def csv_long_line(path: Path, megabytes: int = 50) -> Path:
    """A header, then row 2: one 50 MB line of ``a,`` (25 million cells)."""
    with open(path, "wb") as handle:
        handle.write(b"video_id,title,views\n")
        block = b"a," * (CHUNK // 2)
        for _ in range(megabytes * 2**20 // len(block)):
            handle.write(block)
        handle.write(b"\n")
    return path


def csv_long_header(path: Path, megabytes: int = 50) -> Path:
    """A header that is one 50 MB line of ``h,``."""
    with open(path, "wb") as handle:
        block = b"h," * (CHUNK // 2)
        for _ in range(megabytes * 2**20 // len(block)):
            handle.write(block)
        handle.write(b"\nv1,t,1\n")
    return path


def csv_long_field(path: Path, megabytes: int = 50) -> Path:
    """Row 2's "title" is one quoted 50 MB field (the csv module's limit is 131072)."""
    with open(path, "wb") as handle:
        handle.write(b'video_id,title,views\nv1,"')
        block = b"x" * CHUNK
        for _ in range(megabytes * 2**20 // len(block)):
            handle.write(block)
        handle.write(b'",3\nv2,short,4\n')
    return path
