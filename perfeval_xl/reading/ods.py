"""OpenDocument spreadsheets (.ods): measure, price, trim and mark content.xml with expat.

calamine loads every table of an .ods when the file is opened, repeats
included: `number-rows-repeated="200000"` over 200 repeated cells is 40
million cells from a 54 KB file, and a repeated text cell is its text copied
into each. So content.xml is parsed once (xmlscan.parser: comments such as
`<!--</table:table>-->` and decoy attributes are only what they are) for each
table's rows and columns that hold values, the text calamine would copy into
the cells within the limits, and the marks of the tables we read (percent
cells: `office:value-type="percentage"`, or a number whose cell style uses a
`number:percentage-style`; error values). A table past the limits is cut in
a copy (a second expat pass finds the byte ranges), and when all tables
together would hold more than `max_cells`, the tables we do not read are
emptied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from .base import Sheet, Trimmed, held, over, rezip
from .preflight import Limits
from .xmlscan import ascii_compatible, attribute, element_end, local, parse, parser, tag_end

# An error value as LibreOffice shows it in a cell's text (#DIV/0!, #N/A, Err:502 is not one).
_ERROR_TEXT = re.compile(r"#[A-Z0-9/!?]{2,8}")
_CELLS = ("table-cell", "covered-table-cell")


def _count(attrs: dict[str, str], name: str) -> int:
    """A repeat count; of several spellings (a decoy `foo:number-rows-repeated="1"` beside the
    real one), the largest, so that a decoy can only make us measure more, never less."""
    counts = [int(v.strip()) for k, v in attrs.items() if local(k) == name and v.strip().isdigit()]
    return max(1, max(counts)) if counts else 1


@dataclass
class _Table:
    name: str
    rows: int = 0
    cols: int = 0
    text_chars: int = 0     # text calamine would copy into the cells within the limits
    mode: str = "keep"      # keep, trim or empty
    percent: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)


class _Styles:
    """Cell styles whose data style is a percentage (automatic and common styles)."""

    def __init__(self) -> None:
        self.percent_data: set[str] = set()
        self.cell_data: dict[str, str] = {}

    def start(self, n: str, attrs: dict[str, str]) -> None:
        if n == "percentage-style":
            name = attribute(attrs, "name")
            if name:
                self.percent_data.add(name)
        elif n == "style":
            data = attribute(attrs, "data-style-name")
            name = attribute(attrs, "name")
            if data and name:
                self.cell_data[name] = data

    def percent_cells(self) -> set[str]:
        return {name for name, data in self.cell_data.items() if data in self.percent_data}


def read_styles(archive, names: set[str]) -> _Styles:
    styles = _Styles()
    if "styles.xml" in names:
        def start(name, attrs):
            styles.start(local(name), attrs)

        parse(parser(StartElementHandler=start), archive.read("styles.xml"), "styles.xml")
    return styles


def scan_content(content: bytes, wanted, limits: Limits, styles: _Styles) -> list[_Table]:
    """Each table's extent, priced text and (for the wanted ones) marks."""
    tables: list[_Table] = []
    stack: list[list] = []      # [table, next row, marks?]
    max_rows, max_cols = limits.max_rows, limits.max_cols
    names: dict[str, str] = {}
    percent_styles: set[str] | None = None
    st = {"row": None, "cell": None}   # row: [start, repeat, col, has_value]; cell: [col, span, kind, formula, texts, style, calc]

    def start(name, attrs):
        nonlocal percent_styles
        n = names.get(name)
        if n is None:
            n = names[name] = local(name)
        cell = st["cell"]
        if cell is not None:
            if n in _CELLS or n == "table-row" or n == "table":
                pass        # a table inside a cell: measured as its own below
            else:
                cell[7] = True   # the cell has content
                return
        if n == "table":
            table = _Table(attribute(attrs, "name") or "")
            tables.append(table)
            stack.append([table, 0, table.name in wanted])
            st["row"] = st["cell"] = None
        elif not stack:
            if n in ("percentage-style", "style"):
                styles.start(n, attrs)
        elif n == "table-row":
            st["row"] = [stack[-1][1], _count(attrs, "number-rows-repeated"), 0, False]
        elif n in _CELLS and st["row"] is not None:
            if percent_styles is None:
                percent_styles = styles.percent_cells()
            kind = next((v for k, v in attrs.items() if local(k) == "value-type" and not k.startswith("calcext:")), None)
            st["cell"] = [st["row"][2], _count(attrs, "number-columns-repeated"), kind,
                          attribute(attrs, "formula"), [], attribute(attrs, "style-name"),
                          attrs.get("calcext:value-type"), False]

    def text(chunk):
        cell = st["cell"]
        if cell is not None:
            cell[4].append(chunk)

    def end(name):
        n = names.get(name) or local(name)
        if n == "table":
            if stack:
                stack.pop()
            st["row"] = st["cell"] = None
            return
        if not stack:
            return
        table, next_row, marks = stack[-1]
        row = st["row"]
        if n in _CELLS and st["cell"] is not None and row is not None:
            col, span, kind, formula, texts, style, calc, content = st["cell"]
            st["cell"] = None
            row[2] = col + span
            if kind is None and not content:
                return
            row[3] = True
            table.cols = max(table.cols, col + span)
            start_row, repeat = row[0], row[1]
            if start_row >= max_rows or col >= max_cols:
                return
            shown = "".join(texts)
            if shown and kind in (None, "string"):
                table.text_chars += len(shown) * min(span, max_cols - col) * min(repeat, max_rows - start_row)
            if not marks:
                return
            if kind == "percentage" or (kind == "float" and style in percent_styles):
                for offset in range(min(span, max_cols - col)):
                    table.percent.add((start_row, col + offset))
            if calc == "error" or (formula and kind is None and "#" in shown):
                found = next((m.group(0) for t in texts if (m := _ERROR_TEXT.fullmatch(t.strip()))), None)
                table.errors[(start_row, col)] = found or "#ERROR"
        elif n == "table-row" and row is not None:
            if row[3]:
                table.rows = max(table.rows, row[0] + row[1])
            stack[-1][1] = row[0] + row[1]
            st["row"] = None

    parse(parser(StartElementHandler=start, EndElementHandler=end, CharacterDataHandler=text), content, "content.xml")
    return tables


def _decide(tables: list[_Table], wanted, limits: Limits) -> dict[str, tuple[int, int]]:
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
    return oversize


def _tag(name: str, attrs: dict[str, str], closed: bool) -> bytes:
    body = "".join(f" {key}={quoteattr(value, {chr(9): '&#9;', chr(10): '&#10;', chr(13): '&#13;'})}"
                   for key, value in attrs.items())
    return f"<{name}{body}{'/' if closed else ''}>".encode()


def _rewrite(content: bytes, tables: list[_Table], limits: Limits) -> bytes:
    """content.xml with every row and cell past the limits cut, and emptied tables emptied."""
    pieces: list[bytes] = []
    state = {"last": 0, "skip": 0, "cut_from": None, "col": 0, "row_kept": False}
    order = iter(tables)
    stack: list[list] = []     # [table, next row]
    made = parser()

    def emit(upto: int) -> None:
        pieces.append(content[state["last"]:upto])
        state["last"] = upto

    def set_count(name, attrs, key, count):
        at = made.CurrentByteIndex
        end = tag_end(content, at)
        changed = {k: (str(count) if local(k) == key else v) for k, v in attrs.items()}
        emit(at)
        pieces.append(_tag(name, changed, content[end - 2 : end] == b"/>"))
        state["last"] = end

    def start(name, attrs):
        n = local(name)
        if state["skip"]:
            state["skip"] += 1
            if n == "table":
                next(order, None)     # a table inside a cut cell: keep the order aligned with the scan
            return
        if n == "table":
            stack.append([next(order, _Table("")), 0])
            return
        if not stack or state["cut_from"] is not None:
            return
        table, next_row = stack[-1]
        if n == "table-row":
            first, repeat = next_row, _count(attrs, "number-rows-repeated")
            stack[-1][1] += repeat
            state["col"] = 0
            if table.mode == "keep":
                state["row_kept"] = True
            elif table.mode == "empty" or first >= limits.max_rows:
                # Rows only count up: every row from here to the end of the table goes.
                emit(made.CurrentByteIndex)
                state["cut_from"] = len(stack)
                state["row_kept"] = False
            else:
                state["row_kept"] = True
                if first + repeat > limits.max_rows:
                    set_count(name, attrs, "number-rows-repeated", limits.max_rows - first)
        elif n in _CELLS and table.mode != "keep" and state["row_kept"]:
            first, span = state["col"], _count(attrs, "number-columns-repeated")
            state["col"] += span
            if first >= limits.max_cols:
                emit(made.CurrentByteIndex)
                state["skip"] = 1
                state["skip_start"] = made.CurrentByteIndex
            elif first + span > limits.max_cols:
                set_count(name, attrs, "number-columns-repeated", limits.max_cols - first)

    def end(name):
        if state["skip"]:
            state["skip"] -= 1
            if not state["skip"]:
                state["last"] = element_end(content, state["skip_start"], made.CurrentByteIndex)
            return
        if local(name) == "table" and stack:
            if state["cut_from"] == len(stack):
                state["last"] = made.CurrentByteIndex     # keep </table:table>
                state["cut_from"] = None
            stack.pop()

    made.StartElementHandler = start
    made.EndElementHandler = end
    parse(made, content, "content.xml")
    emit(len(content))
    return b"".join(pieces)


def prepare_ods(archive, wanted, limits: Limits, on_format_error=None) -> tuple[Trimmed, dict[str, _Table]]:
    """Measure, price and mark content.xml; cut it to the limits in a copy if need be.

    styles.xml only refines the percent marks: when it cannot be read,
    `on_format_error` is told (the caller says so with a finding).
    """
    from ..problems import IntakeError
    from .xlsx import too_complex

    names = set(archive.namelist())
    try:
        styles = read_styles(archive, names)
    except IntakeError as exc:
        if exc.problem.code == "xml-entities" or on_format_error is None:
            raise
        on_format_error(exc.problem.params.get("reason", exc.problem.code))
        styles = _Styles()
    content = archive.read("content.xml")
    tables = scan_content(content, wanted, limits, styles)
    oversize = _decide(tables, wanted, limits)
    total = sum(table.text_chars for table in tables if table.mode != "empty")
    if total > limits.max_text_chars:
        raise too_complex(total, limits.max_text_chars, "各工作表（含不读取的工作表）重复的文字单元格", "text of repeated cells")
    trimmed = Trimmed(oversize=oversize)
    if any(table.mode != "keep" for table in tables):
        if not ascii_compatible(content):
            raise too_complex(len(content), 0, "content.xml 超出行列上限且不是 UTF-8 编码", "an oversized content.xml that is not UTF-8")
        trimmed.data = rezip(archive, {"content.xml": _rewrite(content, tables, limits)})
    by_name: dict[str, _Table] = {}
    for table in tables:
        by_name.setdefault(table.name, table)
    return trimmed, by_name


def mark_ods(tables: dict[str, _Table], sheets: dict[str, Sheet]) -> None:
    for name, sheet in sheets.items():
        table = tables.get(name)
        if table is not None:
            sheet.percent |= table.percent
            sheet.errors.update(table.errors)
