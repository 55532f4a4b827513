"""Excel 97-2003 workbooks (.xls): measuring, pricing and trimming the BIFF records, and marking percent and error cells.

Everything here reads the one stream python-calamine reads (`Ole.workbook_stream`):
the checks, the trimmed copy and the format pass (xlrd is handed that very
stream, as a bare BIFF stream, so it cannot pick another one).
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass, field

from .base import Sheet, Trimmed, held, is_percent_code, over
from .preflight import Container, Limits



_BOF, _EOF, _BOUNDSHEET, _CODEPAGE, _STRING = 0x0809, 0x000A, 0x0085, 0x0042, 0x0207
_SST, _CONTINUE, _LABELSST, _LABEL = 0x00FC, 0x003C, 0x00FD, 0x0204
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
    strings: array = field(default_factory=lambda: array("L"))   # SST indices of the LABELSST cells kept
    text_chars: int = 0                                          # LABEL text of the cells kept


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
        within = row < max_rows and last_col < max_cols
        if within and kind == _LABELSST and length >= 10:
            sheet.strings.append(struct.unpack_from("<I", stream, here + 10)[0])
        elif within and kind == _LABEL and length >= 8:
            sheet.text_chars += struct.unpack_from("<H", stream, here + 10)[0]
        if not within:
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
    entry = ole.workbook_stream()
    stream = bytearray(ole.read(entry))
    sheets = [_measure_xls_sheet(stream, name, offset, limits) for name, offset in xls_sheets(stream)]
    trimmed = Trimmed()
    changed = False
    empty_others = held(((s.rows, s.cols) for s in sheets), limits) > limits.max_cells
    kept = []
    for sheet in sheets:
        if empty_others and sheet.name not in wanted and sheet.first_value is not None:
            struct.pack_into("<H", stream, sheet.first_value, _EOF)
            changed = True
            continue
        kept.append(sheet)
        if not over(sheet.rows, sheet.cols, limits):
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
    _check_text(stream, kept, limits)
    trimmed.stream = bytes(stream)
    if not changed:
        return trimmed
    copy = bytearray(data)
    done = 0
    for start, size in ole.spans(entry):
        copy[start : start + size] = stream[done : done + size]
        done += size
    trimmed.data = bytes(copy)
    return trimmed




def _check_text(stream: bytes, sheets: list[_XlsSheet], limits: Limits) -> None:
    """calamine reads every sheet of an .xls and copies each SST string into every cell naming it:
    refuse before it does when that text passes `max_text_chars`."""
    from .xlsx import too_complex

    total = sum(sheet.text_chars for sheet in sheets)
    references = sum(len(sheet.strings) for sheet in sheets)
    if not references:
        lengths: list[int] = []
    else:
        lengths = sst_lengths(stream)
    for sheet in sheets:
        for index in sheet.strings:
            if index < len(lengths):
                total += lengths[index]
        if total > limits.max_text_chars:
            break
    if total > limits.max_text_chars:
        raise too_complex(total, limits.max_text_chars, "各工作表（含不读取的工作表）引用的共享字符串", "shared strings the cells refer to")


def sst_lengths(stream: bytes) -> list[int]:
    """Characters of each string of the shared string table (SST and its CONTINUE records)."""
    pieces: list[bytes] = []
    for position, kind, length in _records(stream, 0):
        if kind == _SST:
            pieces = [stream[position + 4 : position + 4 + length]]
        elif kind == _CONTINUE and pieces:
            pieces.append(stream[position + 4 : position + 4 + length])
        elif pieces or kind == _EOF:
            break
    if not pieces or len(pieces[0]) < 8:
        return []
    (unique,) = struct.unpack_from("<I", pieces[0], 4)
    cursor = _Cursor(pieces, 8)
    lengths: list[int] = []
    while len(lengths) < unique and not cursor.done():
        head = cursor.take(3)
        if len(head) < 3:
            break
        count, flags = struct.unpack_from("<H", head)[0], head[2]
        runs = struct.unpack("<H", cursor.take(2).ljust(2, b"\0"))[0] if flags & 0x08 else 0
        extra = struct.unpack("<I", cursor.take(4).ljust(4, b"\0"))[0] if flags & 0x04 else 0
        lengths.append(count)
        cursor.characters(count, flags & 0x01)
        cursor.take(4 * runs + extra, keep=False)
    return lengths


class _Cursor:
    """Reads across the SST's CONTINUE records as Excel splits them."""

    def __init__(self, pieces: list[bytes], at: int) -> None:
        self.pieces, self.piece, self.at = pieces, 0, at

    def done(self) -> bool:
        return self.piece >= len(self.pieces)

    def _room(self) -> int:
        while not self.done() and self.at >= len(self.pieces[self.piece]):
            self.piece, self.at = self.piece + 1, 0
        return 0 if self.done() else len(self.pieces[self.piece]) - self.at

    def take(self, count: int, keep: bool = True) -> bytes:
        out = bytearray()
        while count > 0 and self._room():
            step = min(count, self._room())
            if keep:
                out += self.pieces[self.piece][self.at : self.at + step]
            self.at += step
            count -= step
        return bytes(out)

    def characters(self, count: int, wide: int) -> None:
        """Skip `count` characters; a string split by a CONTINUE restarts there with its flags byte."""
        while count > 0:
            room = self._room()
            if not room:
                return
            if self.at == 0 and self.piece > 0:
                wide = self.pieces[self.piece][0] & 0x01
                self.at = 1
                continue
            step = min(count, room // (2 if wide else 1))
            if step == 0:
                self.at = len(self.pieces[self.piece])
                continue
            self.at += step * (2 if wide else 1)
            count -= step
            if count and self.at >= len(self.pieces[self.piece]):
                self.piece, self.at = self.piece + 1, 0


def mark_xls(stream: bytes, sheets: dict[str, Sheet], limits: Limits) -> None:
    """Error values and percent formats, read by xlrd from the workbook stream calamine read."""
    import xlrd

    # A bare BIFF stream (not an OLE file): xlrd reads exactly these bytes.
    # ragged_rows: a row is as long as its last cell, not padded to the widest.
    book = xlrd.open_workbook(file_contents=stream, formatting_info=True, on_demand=True, ragged_rows=True)
    try:
        for name, sheet in sheets.items():
            xsheet = book.sheet_by_name(name)
            for row in range(min(xsheet.nrows, limits.max_rows)):
                for col in range(min(xsheet.row_len(row), limits.max_cols)):
                    cell = xsheet.cell(row, col)
                    if cell.ctype == xlrd.XL_CELL_ERROR:
                        sheet.errors[(row, col)] = xlrd.error_text_from_code.get(cell.value, "#ERROR")
                    elif cell.ctype == xlrd.XL_CELL_NUMBER:
                        fmt = book.format_map.get(book.xf_list[cell.xf_index].format_key)
                        if fmt is not None and is_percent_code(fmt.format_str):
                            sheet.percent.add((row, col))
    finally:
        book.release_resources()


