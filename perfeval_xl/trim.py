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
import io
import re
import struct
import zipfile
from array import array
from dataclasses import dataclass, field

from .limits import Container, Limits


@dataclass
class Trimmed:
    """What calamine should read, and the sheets that were cut."""

    data: bytes | None = None                    # a trimmed copy, or None: read the file as it is
    oversize: dict[str, tuple[int, int]] = field(default_factory=dict)   # sheet -> (rows, cols) in the file


def unescape(text: str) -> str:
    """The five predefined XML entities; nothing else is ever expanded."""
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")
    )


def _over(rows: int, cols: int, limits: Limits) -> bool:
    return rows > limits.max_rows or cols > limits.max_cols


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
        if _over(rows, cols, limits):
            trimmed.oversize[name] = (rows, cols)
            replaced[part] = _cut(data, drops)
    if replaced:
        trimmed.data = _rezip(archive, replaced)
    return trimmed


def _rezip(archive: zipfile.ZipFile, replaced: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    # Level 1: the copy is read once, at once; speed matters more than size.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy:
        for info in archive.infolist():
            data = replaced.get(info.filename)
            if data is None:
                data = archive.read(info)
            stored = info.filename == "mimetype"   # ODF wants it first and stored
            copy.writestr(info.filename, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# --- ods --------------------------------------------------------------------

_ODS_TAG = re.compile(
    rb"""<(/?)(?:[\w.-]+:)?(table-row|table-cell|covered-table-cell|table)(?=[\s/>])((?:[^>"'/]+|/(?!>)|"[^"]*"|'[^']*')*)(/?)>"""
)
_ODS_END = {
    kind: re.compile(rb"</(?:[\w.-]+:)?" + kind + rb"\s*>")
    for kind in (b"table", b"table-row", b"table-cell", b"covered-table-cell")
}
_ROWS_REPEATED = re.compile(rb"""(number-rows-repeated\s*=\s*["'])\s*(\d+)\s*(["'])""")
_COLS_REPEATED = re.compile(rb"""(number-columns-repeated\s*=\s*["'])\s*(\d+)\s*(["'])""")
_VALUE_TYPE = re.compile(rb"""\s(?:[\w.-]+:)?value-type\s*=""")
_TABLE_NAME = re.compile(rb"""\s(?:[\w.-]+:)?name\s*=\s*"([^"]*)\"""")


def _repeat(pattern: re.Pattern, attrs: bytes) -> int:
    found = pattern.search(attrs)
    return max(1, int(found.group(2))) if found else 1


@dataclass
class _Table:
    name: str
    rows: int = 0
    cols: int = 0
    mode: str = "keep"     # keep, trim or empty


def _ods_tables(content: bytes) -> list[_Table]:
    """Each table's size in rows and columns that hold values, repeats counted."""
    tables: list[_Table] = []
    stack: list[_Table] = []
    row_start = []          # per open table: index of the next row
    in_row = False
    row_repeat = col = 0
    row_has_value = False
    for tag in _ODS_TAG.finditer(content):
        closing, kind, attrs, empty = tag.groups()
        if kind == b"table":
            if closing:
                if stack:
                    stack.pop()
                    row_start.pop()
            elif not empty:
                name = _TABLE_NAME.search(attrs)
                table = _Table(unescape(name.group(1).decode("utf-8", "replace")) if name else "")
                tables.append(table)
                stack.append(table)
                row_start.append(0)
            continue
        if not stack:
            continue
        table = stack[-1]
        if kind == b"table-row":
            if closing or empty:
                if empty:
                    row_repeat = _repeat(_ROWS_REPEATED, attrs)
                    row_has_value = False
                if row_has_value:
                    table.rows = max(table.rows, row_start[-1] + row_repeat)
                row_start[-1] += row_repeat
                in_row = False
            else:
                in_row, row_repeat, col, row_has_value = True, _repeat(_ROWS_REPEATED, attrs), 0, False
            continue
        if closing or not in_row:
            continue
        span = _repeat(_COLS_REPEATED, attrs)
        if not empty or _VALUE_TYPE.search(attrs):
            row_has_value = True
            table.cols = max(table.cols, col + span)
        col += span
    return tables


def trim_ods(content: bytes, wanted: tuple[str, ...], limits: Limits) -> tuple[bytes | None, dict[str, tuple[int, int]]]:
    """A trimmed content.xml (or None when it fits), and the wanted sheets that were cut."""
    tables = _ods_tables(content)
    oversize = {}
    for table in tables:
        if _over(table.rows, table.cols, limits):
            table.mode = "trim"
            if table.name in wanted:
                oversize.setdefault(table.name, (table.rows, table.cols))
    if _held(((t.rows, t.cols) for t in tables), limits) > limits.max_cells:
        for table in tables:
            if table.name not in wanted:
                table.mode = "empty"
    if all(table.mode == "keep" for table in tables):
        return None, oversize
    return _rewrite_ods(content, tables, limits), oversize


def _held(sizes, limits: Limits) -> int:
    return sum(min(rows, limits.max_rows) * min(cols, limits.max_cols) for rows, cols in sizes)


def _rewrite_ods(content: bytes, tables: list[_Table], limits: Limits) -> bytes:
    pieces: list[bytes] = []
    last = 0
    order = iter(tables)
    stack: list[tuple[_Table, list[int]]] = []
    skip_until = -1

    def emit(upto: int) -> None:
        nonlocal last
        pieces.append(content[last:upto])
        last = upto

    row_kept = False
    col = 0
    for tag in _ODS_TAG.finditer(content):
        if tag.start() < skip_until:
            continue
        closing, kind, attrs, empty = tag.groups()
        if kind == b"table":
            if closing:
                if stack:
                    stack.pop()
            elif not empty:
                stack.append((next(order, _Table("")), [0]))
            continue
        if not stack:
            continue
        table, next_row = stack[-1]
        if kind == b"table-row":
            if closing:
                continue
            start, repeat = next_row[0], _repeat(_ROWS_REPEATED, attrs)
            next_row[0] += repeat
            col = 0
            if table.mode == "keep":
                row_kept = True
                continue
            if table.mode == "empty" or start >= limits.max_rows:
                # Rows only count up: every row from here to the end of the table goes.
                end = _ODS_END[b"table"].search(content, tag.end())
                emit(tag.start())
                last = skip_until = end.start() if end else len(content)
                row_kept = False
            else:
                row_kept = True
                if start + repeat > limits.max_rows:
                    emit(tag.start())
                    pieces.append(_set_repeat(tag.group(0), _ROWS_REPEATED, limits.max_rows - start))
                    last = tag.end()
            continue
        if closing or table.mode == "keep" or not row_kept:
            continue
        start, span = col, _repeat(_COLS_REPEATED, attrs)
        col += span
        if start >= limits.max_cols:
            end = tag.end() if empty else _element_end(content, kind, tag.end())
            emit(tag.start())
            last = skip_until = end
        elif start + span > limits.max_cols:
            emit(tag.start())
            pieces.append(_set_repeat(tag.group(0), _COLS_REPEATED, limits.max_cols - start))
            last = tag.end()
    emit(len(content))
    return b"".join(pieces)


def _element_end(content: bytes, kind: bytes, after: int) -> int:
    end = _ODS_END[kind].search(content, after)
    return end.end() if end else len(content)


def _set_repeat(tag: bytes, pattern: re.Pattern, count: int) -> bytes:
    return pattern.sub(lambda m: m.group(1) + str(count).encode() + m.group(3), tag, count=1)


def trim_ods_file(archive: zipfile.ZipFile, wanted: tuple[str, ...], limits: Limits) -> Trimmed:
    content = archive.read("content.xml")
    data, oversize = trim_ods(content, wanted, limits)
    trimmed = Trimmed(oversize=oversize)
    if data is not None:
        trimmed.data = _rezip(archive, {"content.xml": data})
    return trimmed


# --- xls --------------------------------------------------------------------

_BOF, _EOF, _BOUNDSHEET, _CODEPAGE, _STRING = 0x0809, 0x000A, 0x0085, 0x0042, 0x0207
_FORMULAS = {0x0006, 0x0206, 0x0406}
# Records that put a value in one cell: row and column are their first 4 bytes.
_VALUE_RECORDS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6, 0x0205, *_FORMULAS}
_MULRK = 0x00BD
# A record type no reader knows: a record beyond the limits is renamed to it,
# keeping its length, so that every offset in the stream stays valid.
_IGNORED = 0x0FFF


def _records(stream: bytes, position: int):
    while position + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, position)
        yield position, kind, length
        position += 4 + length


def xls_sheets(stream: bytes) -> list[tuple[str, int]]:
    """(name, offset of its BOF) of each worksheet, from the BOUNDSHEET records."""
    sheets = []
    biff8 = True
    codepage = "cp1252"
    for position, kind, length in _records(stream, 0):
        body = stream[position + 4 : position + 4 + length]
        if kind == _BOF and position == 0 and len(body) >= 2:
            biff8 = struct.unpack_from("<H", body)[0] == 0x0600
        elif kind == _CODEPAGE and len(body) >= 2:
            codepage = f"cp{struct.unpack_from('<H', body)[0]}"
        elif kind == _BOUNDSHEET and len(body) >= 7:
            (offset,) = struct.unpack_from("<I", body)
            count = body[6]
            if biff8:
                wide = len(body) > 7 and body[7] & 1
                raw = body[8 : 8 + count * (2 if wide else 1)]
                name = raw.decode("utf-16-le" if wide else "latin-1", "replace")
            else:
                raw = body[7 : 7 + count]
                try:
                    name = raw.decode(codepage)
                except (LookupError, UnicodeDecodeError):
                    name = raw.decode("latin-1")
            sheets.append((name, offset))
        elif kind == _EOF:
            break
    return sheets


@dataclass
class _XlsSheet:
    name: str
    rows: int = 0
    cols: int = 0
    first_value: int | None = None                                # offset of the first value record
    beyond: array = field(default_factory=lambda: array("Q"))     # offsets of value records past the limits
    end: int | None = None     # from here on every value record is past the limits: the sheet can end here


_HEADER = struct.Struct("<HH")


def _measure_xls_sheet(stream: bytes, name: str, offset: int, limits: Limits) -> _XlsSheet:
    sheet = _XlsSheet(name)
    max_rows, max_cols = limits.max_rows, limits.max_cols
    unpack = _HEADER.unpack_from
    depth = 0
    after_dropped_formula = False
    position, size = offset, len(stream)
    while position + 4 <= size:
        kind, length = unpack(stream, position)
        here, position = position, position + 4 + length
        if kind == _BOF:
            depth += 1
            continue
        if kind == _EOF:
            depth -= 1
            if depth <= 0:
                break
            continue
        if depth != 1:
            continue
        if kind == _STRING and after_dropped_formula:
            sheet.beyond.append(here)   # the text result of a formula we dropped
        after_dropped_formula = False
        if kind in _VALUE_RECORDS and length >= 4:
            row, col = unpack(stream, here + 4)
            last_col = col
        elif kind == _MULRK and length >= 6:
            row, col = unpack(stream, here + 4)
            (last_col,) = struct.unpack_from("<H", stream, here + 2 + length)
        else:
            continue
        if sheet.first_value is None:
            sheet.first_value = here
        if row >= sheet.rows:
            sheet.rows = row + 1
        if last_col >= sheet.cols:
            sheet.cols = last_col + 1
        if row >= max_rows or last_col >= max_cols:
            # A MULRK that straddles the column limit goes whole: it cannot be shortened in place.
            sheet.beyond.append(here)
            after_dropped_formula = kind in _FORMULAS
            if sheet.end is None:
                sheet.end = here
        else:
            sheet.end = None
    return sheet


def trim_xls(data: bytes, container: Container, wanted: tuple[str, ...], limits: Limits) -> Trimmed:
    """A copy of the .xls with the records past the limits renamed, and each
    trimmed sheet ended (an EOF record) where only such records follow, so
    that neither calamine nor xlrd walks through a million of them."""
    ole = container.ole
    entry = ole.find(container.workbook_stream)
    stream = bytearray(ole.read(entry))
    sheets = [_measure_xls_sheet(stream, name, offset, limits) for name, offset in xls_sheets(stream)]
    trimmed = Trimmed()
    changed = False
    empty_others = _held(((s.rows, s.cols) for s in sheets), limits) > limits.max_cells
    for sheet in sheets:
        if empty_others and sheet.name not in wanted and sheet.first_value is not None:
            struct.pack_into("<H", stream, sheet.first_value, _EOF)
            changed = True
            continue
        if not _over(sheet.rows, sheet.cols, limits):
            continue
        if sheet.name in wanted:
            trimmed.oversize.setdefault(sheet.name, (sheet.rows, sheet.cols))
        for position in sheet.beyond:
            if sheet.end is not None and position >= sheet.end:
                break
            struct.pack_into("<H", stream, position, _IGNORED)
        if sheet.end is not None:
            struct.pack_into("<H", stream, sheet.end, _EOF)
        changed = True
    if not changed:
        return trimmed
    copy = bytearray(data)
    done = 0
    for start, size in ole.spans(entry):
        copy[start : start + size] = stream[done : done + size]
        done += size
    trimmed.data = bytes(copy)
    return trimmed
