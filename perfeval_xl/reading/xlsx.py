"""Keep python-calamine inside the row and column limits.

calamine loads a sheet as one dense rectangle from its first to its last
cell, before we can ask for only the first rows. One cell at XFD1048576 makes
it ask for 17 billion cells (the process aborts); one cell at IV65536 of an
.xls costs half a gigabyte; an .ods can repeat one value over a million rows
in a few bytes. And for .xls and .ods it loads every sheet, not only the
ones we read.

So before calamine opens a file we measure each sheet from its own XML or
BIFF records: the last row and column that hold a value (cells with only a
style are free: calamine skips them). A sheet that goes past `max_rows` or
`max_cols` is cut to the limits in a copy held in memory, which calamine
reads instead of the file, and the reader reports `too-many-rows` with the
sheet's real size. When the sheets of an .xls/.ods together would hold more
than `max_cells`, the sheets we do not read are emptied in that copy too.
The file itself is never touched.
"""


from __future__ import annotations

import functools
import re
import zipfile
from pathlib import PurePosixPath

from ..cells import parse_a1
from .base import Sheet, Trimmed, is_percent_code, over, rezip, unescape
from .preflight import Limits


def _col_of(letters: bytes) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ch - 64
    return col - 1


# --- xlsx / xlsm ------------------------------------------------------------

_SHEETDATA = re.compile(rb"<(?:[\w.-]+:)?sheetData\b[^>]*?(/?)>")
_SHEETDATA_END = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>")
_XLSX_TAG = re.compile(rb"""<(?:[\w.-]+:)?(row|c)(?=[\s/>])((?:[^>"'/]+|/(?!>)|"[^"]*"|'[^']*')*)(/?)>""")
_ROW_END = re.compile(rb"</(?:[\w.-]+:)?row\s*>")
_CELL_END = re.compile(rb"</(?:[\w.-]+:)?c\s*>")
_VALUE_CELL = re.compile(rb"""<(?:[\w.-]+:)?c(?=[\s>])(?:[^>"']|"[^"]*"|'[^']*')*(?<!/)>""")
_R_ATTR = re.compile(rb"""\sr\s*=\s*["']\s*([A-Za-z]*)([0-9]*)\s*["']""")


def measure_xlsx_sheet(data: bytes, limits: Limits) -> tuple[int, int, list[tuple[int, int]]]:
    """(rows, cols) that hold values, and the byte ranges to drop to fit the limits."""
    opening = _SHEETDATA.search(data)
    if opening is None or opening.group(1):
        return 0, 0, []
    closing = _SHEETDATA_END.search(data, opening.end())
    stop = closing.start() if closing else len(data)
    max_rows, max_cols = limits.max_rows, limits.max_cols
    rows = cols = 0
    drops: list[tuple[int, int]] = []
    row = col = -1
    skip_until = -1
    for tag in _XLSX_TAG.finditer(data, opening.end(), stop):
        begin = tag.start()
        if begin < skip_until:
            continue
        kind, attrs, empty = tag.groups()
        ref = _R_ATTR.search(attrs) if b"r" in attrs else None
        if kind == b"row":
            row = int(ref.group(2)) - 1 if ref and ref.group(2) else row + 1
            col = -1
            if row >= max_rows and not empty:
                # Past the limit: drop the whole row, and look inside only for whether it holds a value.
                end = _ROW_END.search(data, tag.end(), stop)
                skip_until = end.end() if end else stop
                if _VALUE_CELL.search(data, tag.end(), skip_until):
                    rows = max(rows, row + 1)
                _add_drop(drops, begin, skip_until)
            continue
        cell_row = row
        if ref:
            col = _col_of(ref.group(1)) if ref.group(1) else col + 1
            if ref.group(2):
                cell_row = int(ref.group(2)) - 1
        else:
            col += 1
        if empty:
            continue   # <c .../> holds no value: calamine skips it
        if cell_row >= rows:
            rows = cell_row + 1
        if col >= cols:
            cols = col + 1
        if cell_row >= max_rows or col >= max_cols:
            end = _CELL_END.search(data, tag.end(), stop)
            skip_until = end.end() if end else stop
            _add_drop(drops, begin, skip_until)
    return rows, cols, drops


def _add_drop(drops: list[tuple[int, int]], start: int, end: int) -> None:
    if drops and drops[-1][1] == start:
        drops[-1] = (drops[-1][0], end)   # consecutive rows: one range, not a million
    else:
        drops.append((start, end))


def _cut(data: bytes, drops: list[tuple[int, int]]) -> bytes:
    pieces, last = [], 0
    for start, end in drops:
        pieces.append(data[last:start])
        last = end
    pieces.append(data[last:])
    return b"".join(pieces)


@functools.lru_cache(maxsize=8)
def _plain_sheet_data(max_rows: int) -> re.Pattern:
    """sheetData as Excel, WPS, LibreOffice and xlsxwriter write it, that is plainly within `max_rows` rows.

    Every row tag starts with r="N" and every cell tag with r="A1" (one
    letter), with fewer digits than `max_rows` has; attribute values are
    double-quoted and hold no < or >; any other tag or text holds no row or
    cell tag. On such a sheet measure_xlsx_sheet sees exactly these tags with
    exactly these references, so its rows are below max_rows and its
    columns at most 26.
    """
    digits = len(str(max_rows)) - 1      # r="999" for 5,000 rows
    if digits < 1:
        return re.compile(rb"(?!)")      # matches nothing: always measure
    number = rb"[0-9]{1,%d}" % digits
    attributes = rb'(?:\ [\w:.-]++="[^"<>]*+")*+\ ?/?>'
    return re.compile(
        rb"(?:[^<]++"
        + rb'|<row\ r="' + number + rb'"' + attributes
        + rb'|<c\ r="[A-Z]' + number + rb'"' + attributes
        + rb"|<(?!(?:[\w.-]+:)?(?:row|c)(?=[\s/>]))[^<>]*+>"
        + rb")*+"
    )


def plainly_within(data: bytes, limits: Limits) -> bool:
    """True when a sheet is surely within the limits without measuring it cell by cell.

    SPEED: measure_xlsx_sheet walks every tag in Python (about 1 ms for an
    intake's three sheets); one regex over an ordinary sheet takes a sixth of
    that. False means only "measure it": the caller then does.
    """
    if limits.max_cols < 26:
        return False
    opening = _SHEETDATA.search(data)
    if opening is None or opening.group(1):
        return True       # no cells: measure_xlsx_sheet gives (0, 0)
    closing = _SHEETDATA_END.search(data, opening.end())
    stop = closing.start() if closing else len(data)
    return _plain_sheet_data(limits.max_rows).fullmatch(data, opening.end(), stop) is not None


def trim_xlsx(archive: zipfile.ZipFile, parts: dict[str, str], wanted: tuple[str, ...], limits: Limits) -> Trimmed:
    """calamine reads only the sheets asked for, so only those are measured."""
    trimmed = Trimmed()
    replaced: dict[str, bytes] = {}
    names = set(archive.namelist())
    for name, part in parts.items():
        if name not in wanted or part not in names:
            continue
        data = archive.read(part)
        if plainly_within(data, limits):
            continue
        rows, cols, drops = measure_xlsx_sheet(data, limits)
        if over(rows, cols, limits):
            trimmed.oversize[name] = (rows, cols)
            replaced[part] = _cut(data, drops)
    if replaced:
        trimmed.data = rezip(archive, replaced)
    return trimmed



# --- xlsx / xlsm -----------------------------------------------------------

_NUMFMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"')
_CELLXFS = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")
_ATTR = re.compile(rb'(\w+)="([^"]*)"')
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_REL = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/?)>")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*>([^<]*)</(?:\w+:)?f>")
_PERCENT_BUILTIN = {9, 10}


def _attrs(blob: bytes) -> dict[str, str]:
    return {k.decode(): v.decode("utf-8", "replace") for k, v in _ATTR.findall(blob)}


def mark_xlsx(archive, sheets: dict[str, Sheet]) -> None:
    """Percent formats, error values and value-less formulas of the sheets read, from an open zip."""
    names = set(archive.namelist())
    styles = archive.read("xl/styles.xml") if "xl/styles.xml" in names else b""
    custom = {int(i): code.decode("utf-8", "replace") for i, code in _NUMFMT.findall(styles)}
    percent_styles = set()
    block = _CELLXFS.search(styles)
    for index, xf in enumerate(_XF.findall(block.group(1)) if block else []):
        fmt = int(_attrs(xf).get("numFmtId", "0"))
        if fmt in _PERCENT_BUILTIN or (fmt in custom and is_percent_code(custom[fmt])):
            percent_styles.add(str(index))
    # SPEED: parsing every cell's attributes was a third of the reading time.
    # A cell can only matter if its tag holds the text s="<a percent style>"
    # or t="e", or its body holds a formula's f>; the others are skipped
    # before their attributes are parsed. The test is a superset of the
    # conditions below, so the marks are exactly the same.
    percent_text = re.compile(b"|".join(re.escape(b's="%s"' % s.encode()) for s in sorted(percent_styles))) if percent_styles else None
    targets = sheet_parts(archive, names)
    for name, sheet in sheets.items():
        part = targets.get(name)
        if part is None:
            continue
        data = archive.read(part)
        has_formulas = b"<f>" in data or b"<f " in data or b":f>" in data
        has_errors = b't="e"' in data
        if percent_text is None and not has_errors and not has_formulas:
            continue
        for match in _CELL.finditer(data):
            blob, empty = match.groups()
            if not (
                (percent_text is not None and percent_text.search(blob))
                or (not empty and has_errors and b't="e"' in blob)
                or (not empty and has_formulas and _may_hold_formula(data, match.end()))
            ):
                continue
            attrs = _attrs(blob)
            ref = attrs.get("r")
            if not ref:
                continue
            if attrs.get("s") in percent_styles:
                sheet.percent.add(parse_a1(ref))
            if attrs.get("t") == "e" and not match.group(2):
                end = data.find(b"</c>", match.end())
                found = _VALUE.search(data, match.end(), end if end >= 0 else None)
                sheet.errors[parse_a1(ref)] = found.group(1).decode() if found else "#ERROR"
            elif has_formulas and not match.group(2):
                end = data.find(b"</c>", match.end())
                body = data[match.end() : end] if end >= 0 else b""
                formula = _FORMULA.search(body)
                if formula and formula.group(1).strip() and not _VALUE.search(body):
                    sheet.formulas[parse_a1(ref)] = "=" + unescape(formula.group(1).decode("utf-8", "replace"))


def _may_hold_formula(data: bytes, start: int) -> bool:
    """Whether the body of the cell opening at `start` holds a formula's closing f> (a cheap superset test)."""
    end = data.find(b"</c>", start)
    return b"f>" in (data[start:end] if end >= 0 else b"")


def sheet_parts(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    workbook = archive.read("xl/workbook.xml")
    rels = archive.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    by_id = {}
    for rel in _REL.findall(rels):
        attrs = _attrs(rel)
        target = attrs.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        by_id[attrs.get("Id")] = part
    result = {}
    for blob in _SHEET.findall(workbook):
        attrs = _attrs(blob)
        rid = next((v for k, v in attrs.items() if k == "id"), None)
        if rid in by_id:
            result[unescape(attrs.get("name", ""))] = by_id[rid]
    return result


