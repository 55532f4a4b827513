"""OpenDocument spreadsheets (.ods): measuring and trimming content.xml, and marking percent and error cells."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

from .base import Sheet, Trimmed, held, over, rezip, unescape
from .preflight import Limits



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
        if over(table.rows, table.cols, limits):
            table.mode = "trim"
            if table.name in wanted:
                oversize.setdefault(table.name, (table.rows, table.cols))
    if held(((t.rows, t.cols) for t in tables), limits) > limits.max_cells:
        for table in tables:
            if table.name not in wanted:
                table.mode = "empty"
    if all(table.mode == "keep" for table in tables):
        return None, oversize
    return _rewrite_ods(content, tables, limits), oversize


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
        trimmed.data = rezip(archive, {"content.xml": data})
    return trimmed




_TABLE = re.compile(rb"<table:table\b([^>]*)>(.*?)</table:table>", re.S)
_ROW = re.compile(rb"<table:table-row\b([^>]*?)(/>|>(.*?)</table:table-row>)", re.S)
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)(/>|>(.*?)</table:(?:covered-)?table-cell>)", re.S)
_ODS_ATTR = re.compile(rb'([\w:-]+)="([^"]*)"')
_ODS_ERROR_TEXT = re.compile(rb">(#[A-Z0-9/!?]{2,8})<")


def mark_ods(source, sheets: dict[str, Sheet]) -> None:
    with zipfile.ZipFile(source) as archive:
        content = archive.read("content.xml")
    for table in _TABLE.finditer(content):
        attrs = dict(_ODS_ATTR.findall(table.group(1)))
        name = unescape(attrs.get(b"table:name", b"").decode("utf-8", "replace"))
        sheet = sheets.get(name)
        if sheet is None:
            continue
        row = 0
        for row_match in _ROW.finditer(table.group(2)):
            row_attrs = dict(_ODS_ATTR.findall(row_match.group(1)))
            repeat = int(row_attrs.get(b"table:number-rows-repeated", b"1"))
            if row > len(sheet.rows) + 1000:
                break
            col = 0
            for cell in _ODS_CELL.finditer(row_match.group(3) or b""):
                cell_attrs = dict(_ODS_ATTR.findall(cell.group(1)))
                span = int(cell_attrs.get(b"table:number-columns-repeated", b"1"))
                kind = cell_attrs.get(b"office:value-type")
                if kind == b"percentage" and span < 1000:
                    for offset in range(span):
                        sheet.percent.add((row, col + offset))
                formula = cell_attrs.get(b"table:formula")
                body = cell.group(3) or b""
                # LibreOffice marks an error result calcext:value-type="error" and shows
                # it as text (#DIV/0!); other writers leave the value type out.
                if cell_attrs.get(b"calcext:value-type") == b"error" or (formula and kind is None and b"#" in body):
                    shown = _ODS_ERROR_TEXT.search(body)
                    sheet.errors[(row, col)] = shown.group(1).decode("utf-8", "replace") if shown else "#ERROR"
                col += span
            row += repeat
