"""What a sheet's cells cost and carry, by calamine's rule, and the quick pass over a plain sheet.

`take_cell` is the one statement of the rule: which cells hold a value (and
so stretch the rectangle calamine allocates), what text they make it copy,
and which carry a mark (a percent style, an Excel error, a formula without a
cached value). xlsx.scan_sheet applies it with expat, element by element.

`plain_scan` applies it to a *plain* sheet without calling into Python for
every element, which is most of what reading an intake costs otherwise. A
sheet is plain when regular expressions lex it exactly, which holds when

- expat has parsed it whole with no handler (so it is well formed and has no DOCTYPE: a parse that fails
  here fails the same way in scan_sheet), in UTF-8;
- it has no comment, CDATA section or processing instruction (no `<!`, no
  `<?` past the declaration), so every `<` opens a tag: none can hide in
  text or in an attribute value;
- the name `sheetData` occurs exactly twice, as `<sheetData>` and
  `</sheetData>` (a prefixed, second or self-closing one, or the word in any
  text, and the pass declines; a sheet without it has no cells);
- every `<` between the two is accounted for: by a row tag (`<row `,
  `<row>`, `</row>`), a self-closing cell, or a cell in the one shape Excel,
  WPS, LibreOffice, openpyxl and xlsxwriter write — attributes `r`, `s`,
  `t` in that order with plain values, then an optional `<f>`, `<v>` and
  `<is><t>` with no markup inside (see _CELL). One tag of any other kind
  (a prefix, another attribute order, a quote, a character reference in an
  attribute, a child element, whitespace inside a cell) and the pass
  declines the whole sheet.

A plain sheet past the limits, or over QUICK_MAX_BYTES, is measured cell by
cell (_plain_cut) and gets the byte ranges to cut: each cell that holds a
value outside the limits, runs of them joined across the row tags between.

Anything else returns None and the sheet goes through scan_sheet: the quick
pass may decline a sheet, never measure one differently
(tests/test_reading_plain.py holds the two passes equal).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .preflight import Limits
from .xmlscan import ascii_compatible, parse, parser, text_of

VALUE_EVEN_IF_EMPTY = frozenset({"str", "d"})   # calamine keeps these cells with an empty <v>


@dataclass
class SheetScan:
    rows: int = 0
    cols: int = 0
    drops: list[tuple[int, int]] = field(default_factory=list)
    shared: Counter = field(default_factory=Counter)     # shared string index, as written -> references kept
    text_chars: int = 0                                  # inline and formula-string text kept
    percent: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


def cell_ref(text: str) -> tuple[int | None, int | None]:
    """`AX12` -> (row 11, col 49); either part may be missing (then None)."""
    # SPEED: most references are one or two capital letters and digits.
    if len(text) > 1 and "A" <= text[0] <= "Z":
        if text[1:].isdigit():
            return int(text[1:]) - 1, ord(text[0]) - 65
        if "A" <= text[1] <= "Z" and text[2:].isdigit():
            return (int(text[2:]) - 1 if len(text) > 2 else None), (ord(text[0]) - 64) * 26 + ord(text[1]) - 65
    col = 0
    index = 0
    for ch in text:
        code = ord(ch) | 0x20     # lower case
        if 97 <= code <= 122:
            col = col * 26 + code - 96
            index += 1
        else:
            break
    digits = text[index:]
    row = int(digits) - 1 if digits.isdigit() and digits.isascii() else None
    return row, (col - 1 if index else None)


def holds_value(kind: str | None, value: bytes | None, inline: bytes | None) -> bool:
    """calamine's rule: an inline string, or a `<v>` with text or of a `str`/`d` cell."""
    return inline is not None or (value is not None and (value != b"" or kind in VALUE_EVEN_IF_EMPTY))


def take_cell(scan: SheetScan, limits: Limits, row: int, col: int, holds: bool, kind: str | None,
              value: bytes | None, formula: bytes | None, inline: bytes | None, style: str | None,
              percent_styles: frozenset[str], encoding: str | None) -> bool:
    """Count one cell into `scan`; False when it holds a value outside the limits (not counted further)."""
    within = 0 <= row < limits.max_rows and col < limits.max_cols
    if holds:
        if row >= scan.rows:
            scan.rows = row + 1
        if col >= scan.cols:
            scan.cols = col + 1
        if not within:
            return False
        if kind == "s":
            scan.shared[value] += 1
        elif inline is not None:
            scan.text_chars += len(text_of(inline, encoding))
        elif kind == "str" or kind == "e":
            scan.text_chars += len(value)
        if style is not None and style in percent_styles:
            scan.percent.add((row, col))
        if kind == "e":
            scan.errors[(row, col)] = text_of(value, encoding).strip() or "#ERROR"
            return True
    if within and formula and (not value or not text_of(value, encoding)):
        text = text_of(formula, encoding)
        if text.strip():
            scan.formulas[(row, col)] = "=" + text
    return True


# --- the quick pass ----------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"
# A cell as Excel, WPS, LibreOffice, openpyxl and xlsxwriter write it: attributes r, s, t in
# that order with plain values, then an optional <f> and <v> with plain text.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]{1,6})")?(?: t="([a-zA-Z]{1,9})")?>'
    rb'(<f>[^<]*</f>)?(<v>[^<]*</v>)?(<is><t(?: xml:space="preserve")?>[^<]*</t></is>)?</c>'
)   # findall gives b"" for a group that is absent: hence <f>, <v> and <is> kept whole
_EMPTY_CELL = re.compile(rb"<c [^<>]*/>")     # self-closing: no value, no formula, costs nothing


# A larger part is measured cell by cell (_plain_cut) rather than from a list of its
# cells: an intake's sheet is tens of kilobytes, a million-row sheet's cell list 300 MB.
QUICK_MAX_BYTES = 4 * 1024 * 1024


_NOT_PLAIN = object()


def _plain_markup(data: bytes, part: str):
    """The declared encoding of a well-formed part with no comment, CDATA section or
    processing instruction, in UTF-8; _NOT_PLAIN for any other part that parses."""
    if not ascii_compatible(data) or b"<!" in data:
        return _NOT_PLAIN
    declared = [None]
    seen = []       # expat tells of every comment, CDATA section and processing instruction
    made = parser(XmlDeclHandler=lambda version, encoding, standalone: declared.__setitem__(0, encoding),
                  ProcessingInstructionHandler=lambda *_: seen.append(1),
                  CommentHandler=lambda *_: seen.append(1),
                  StartCdataSectionHandler=lambda *_: seen.append(1))
    parse(made, data, part)      # not well formed, or a DTD: the same finding the full pass gives
    encoding = declared[0]
    if seen or (encoding is not None and encoding.lower() not in ("utf-8", "utf8")):
        return _NOT_PLAIN
    return encoding


def plain_scan(data: bytes, part: str, limits: Limits, percent_styles: frozenset[str]) -> SheetScan | None:
    """scan_sheet's measure of a plain sheet (module docstring), or None if it is not plain."""
    encoding = _plain_markup(data, part)
    if encoding is _NOT_PLAIN:
        return None
    # One sheetData, named once to open it and once to close it (a prefixed or
    # second one, or the name in any text, and the pass declines).
    opened = data.find(b"<sheetData>")
    if opened < 0 or data.count(b"sheetData") != 2:
        return None if data.count(b"sheetData") else SheetScan()
    begin = opened + len(b"<sheetData>")
    body = data[begin : data.find(b"</sheetData>", begin)]
    if len(data) > QUICK_MAX_BYTES:
        return _plain_cut(data, begin, body, limits, percent_styles, encoding)
    cells = _CELL.findall(body)
    # Every tag in sheetData must be accounted for: the cells above, self-closing cells, rows.
    if _other_tags(body) + sum(_cell_tags(cell) for cell in cells) != body.count(b"<"):
        return None
    scan = SheetScan()
    max_rows, max_cols = limits.max_rows, limits.max_cols
    percent = {style.encode() for style in percent_styles}
    shared = scan.shared
    rows = cols = 0
    for cell in cells:
        letters, digits, style, kind, formula, value, inline = cell
        if not formula and not inline:
            value = value[3:-4] if value else None
            if value is None or (value == b"" and kind not in (b"str", b"d")):
                continue                           # holds nothing
            if kind == b"s" or not kind:
                # SPEED: a shared string or a number, as nearly every cell is.
                row = int(digits) - 1
                col = letters[0] - 65 if len(letters) == 1 else _column(letters)
                if row >= max_rows or col >= max_cols:
                    return _plain_cut(data, begin, body, limits, percent_styles, encoding)
                if row >= rows:
                    rows = row + 1
                if col >= cols:
                    cols = col + 1
                if kind:
                    shared[value] += 1
                if style in percent:
                    scan.percent.add((row, col))
                continue
        scan.rows, scan.cols = rows, cols
        taken = _take(scan, limits, cell, percent_styles, encoding)
        if taken is None:
            return None
        if not taken:
            return _plain_cut(data, begin, body, limits, percent_styles, encoding)
        rows, cols = scan.rows, scan.cols
    scan.rows, scan.cols = rows, cols
    return scan


def _other_tags(body: bytes) -> int:
    """The tags of sheetData that are not cells _CELL reads: self-closing cells and row tags."""
    return _EMPTY_CELL.subn(b"", body)[1] + body.count(b"<row ") + body.count(b"<row>") + body.count(b"</row>")


def _cell_tags(cell: tuple[bytes, ...]) -> int:
    """The tags of one cell _CELL matched: <c> and </c>, and those of its <f>, <v> and <is><t>."""
    return 2 + (cell[4] != b"") * 2 + (cell[5] != b"") * 2 + (cell[6] != b"") * 4


def _take(scan: SheetScan, limits: Limits, cell: tuple[bytes, ...], percent_styles: frozenset[str],
          encoding: str | None) -> bool | None:
    """take_cell for one cell as _CELL matched it: True when counted (or it holds nothing),
    False when it holds a value outside the limits, None when the parser's pass must read the sheet."""
    letters, digits, style, kind, formula, value, inline = cell
    value = value[3:-4] if value else None
    formula = formula[3:-4] if formula else None
    inline = inline[4:-5] if inline else None
    kind_text = kind.decode() if kind else None
    holds = holds_value(kind_text, value, inline)
    if not holds and not formula:
        return True
    if holds and value is None and kind_text in ("s", "e"):
        return None      # the parser's pass says what such a cell is
    return take_cell(scan, limits, int(digits) - 1, _column(letters), holds, kind_text, value, formula, inline,
                     style.decode() if style else None, percent_styles, encoding)


def _plain_cut(data: bytes, begin: int, body: bytes, limits: Limits, percent_styles: frozenset[str],
               encoding: str | None) -> SheetScan | None:
    """plain_scan for a sheet past the limits or over QUICK_MAX_BYTES: the same measure, cell by
    cell without a list of them, and the byte ranges of `data` to cut (each cell that holds a value
    outside the limits; runs of them joined across the row tags between, as scan_sheet joins its
    rows, so that a million stray rows are one range)."""
    scan = SheetScan()
    tags = _other_tags(body)
    max_rows, max_cols = limits.max_rows, limits.max_cols
    percent = {style.encode() for style in percent_styles}
    for match in _CELL.finditer(body):
        cell = match.groups(b"")
        letters, digits, style, kind, formula, value, inline = cell
        tags += _cell_tags(cell)
        if not formula and not inline and value and (not kind or kind == b"s"):
            # SPEED: a number or a shared string, as nearly every cell is (plain_scan's rule).
            if value == b"<v></v>":
                continue                           # holds nothing
            row = int(digits) - 1
            col = letters[0] - 65 if len(letters) == 1 else _column(letters)
            if row >= scan.rows:
                scan.rows = row + 1
            if col >= scan.cols:
                scan.cols = col + 1
            if row >= max_rows or col >= max_cols:
                _add_cut(scan.drops, data, begin + match.start(), begin + match.end())
                continue
            if kind:
                scan.shared[value[3:-4]] += 1
            if style in percent:
                scan.percent.add((row, col))
            continue
        taken = _take(scan, limits, cell, percent_styles, encoding)
        if taken is None:
            return None
        if not taken:
            _add_cut(scan.drops, data, begin + match.start(), begin + match.end())
    if tags != body.count(b"<"):
        return None
    return scan


_FREE_TAGS = re.compile(rb"(?:</row>|<row(?:\s[^<>]*)?>|<c [^<>]*/>)*")   # row tags, self-closing cells
_OPEN_ROW = re.compile(rb"<row(?:\s[^<>]*)?(?<!/)>")
# The usual gap between two stray cells: one row closed, the next opened (a case of the rule below).
_NEXT_ROW = re.compile(rb"</row><row(?:\s[^<>]*)?(?<!/)>")


def _add_cut(drops: list[tuple[int, int]], data: bytes, start: int, end: int) -> None:
    """Add a range to cut, joined to the last one when only row tags and cells that hold
    nothing lie between, with as many rows closed as opened (what remains stays well formed)."""
    if drops:
        last_start, last_end = drops[-1]
        gap = data[last_end:start]
        if not gap or _NEXT_ROW.fullmatch(gap) is not None or (_FREE_TAGS.fullmatch(gap) is not None
                       and gap.count(b"</row>") == len(_OPEN_ROW.findall(gap))):
            drops[-1] = (last_start, end)
            return
    drops.append((start, end))


def _column(letters: bytes) -> int:
    col = 0
    for code in letters:
        col = col * 26 + code - 64
    return col - 1
