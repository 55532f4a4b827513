"""xlsx / xlsm: measure, trim and mark the sheets, with one expat pass each.

calamine loads a sheet as one dense rectangle from its first to its last
cell before we can ask for only the first rows: one cell at XFD1048576 makes
it ask for 17 billion cells, one at AX1000000 for 1.6 GB. So before calamine
opens the file, each sheet we read is parsed once (xmlscan.parser: a real
XML parser, so comments, CDATA and decoys are what they are) and that one
pass gives

- the rows and columns that hold a value, by calamine's own rule (a cell
  with an inline string, or with a `<v>` that holds text or belongs to a
  `str`/`d` cell; cells that only carry a style are free);
- the byte ranges to cut so that the sheet fits the limits (cut in a copy
  held in memory; the file is never touched);
- the text calamine will copy for the cells it keeps (inline text, and
  shared strings × their references: one 32,767-character string named by
  20,000 cells is 655 million characters);
- the marks calamine cannot give us: cells with a percent style, Excel error
  values, and formulas without a cached value (read as their text, intake.md).

styles.xml, workbook.xml and its relationships go through the same parser.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from ..problems import ERROR, IntakeError, problem
from .base import Sheet, Trimmed, is_percent_code, over, rezip
from .preflight import Limits
from .xlsx_plain import SheetScan, cell_ref, holds_value, plain_scan, take_cell
from .xmlscan import ascii_compatible, attribute, element_end, local, parse, parser, tag_end

PERCENT_BUILTIN = frozenset({9, 10})     # 0% and 0.00%


_C, _V, _F, _IS, _ROW, _SHEETDATA = 1, 2, 3, 4, 5, 6
_CODES = {"c": _C, "v": _V, "f": _F, "is": _IS, "row": _ROW, "sheetData": _SHEETDATA}


def scan_sheet(data: bytes, part: str, limits: Limits, percent_styles: frozenset[str] = frozenset(),
               *, quick: bool = True) -> SheetScan:
    """One pass over a sheet part: its extent, what to cut, what it costs, and its marks.

    A plain sheet is measured by xlsx_plain's quick pass (unless `quick` is False, as
    the tests that hold the two passes equal ask); any other by expat, element by element.
    """
    transcoded = not ascii_compatible(data)
    if quick and not transcoded:
        measured = plain_scan(data, part, limits, percent_styles)
        if measured is not None:
            return measured
    scan = SheetScan()
    if transcoded:
        # UTF-16: offsets of markup are not ASCII offsets; read it as UTF-8, never cut it in place.
        data = _as_utf8(data, part)
        made = parser("UTF-8")
    else:
        made = parser()
    max_rows, max_cols = limits.max_rows, limits.max_cols
    codes: dict[str, int] = {}
    # SPEED: expat calls these for every element of every sheet read. No handler for
    # character data: the text of a <v>, <f> or <is> is the slice between its tags,
    # decoded (by the parser) only for the few cells whose text matters.
    inside = False
    row = -1
    col = -1
    row_start = 0
    row_drops_from = 0
    row_kept = False
    cell = None          # [ref, s, t, start, v raw, f raw, inline raw]
    opened = 0           # where the open <v>, <f> or <is> began
    col_ref = None       # the reference of the last style-only cell, not parsed yet
    drops = scan.drops
    encoding = [None]
    made.XmlDeclHandler = lambda version, declared, standalone: encoding.__setitem__(0, declared)

    def start(name, attrs):
        nonlocal inside, row, col, col_ref, row_start, row_drops_from, row_kept, cell, opened
        code = codes.get(name)
        if code is None:
            code = codes[name] = _CODES.get(local(name), 0)
        if not inside:
            if code == _SHEETDATA:
                inside = True
            return
        if cell is not None:
            if code == _V or code == _F or code == _IS:
                opened = made.CurrentByteIndex
            return
        if code == _C:
            cell = [attrs.get("r"), attrs.get("s"), attrs.get("t"), made.CurrentByteIndex, None, None, None]
        elif code == _ROW:
            r = attrs.get("r")
            row = int(r) - 1 if r and r.isdigit() else row + 1
            col = -1
            col_ref = None
            row_start = made.CurrentByteIndex
            row_drops_from = len(drops)
            row_kept = False

    def end(name):
        nonlocal inside, cell, col, col_ref, row_kept
        if not inside:
            return
        code = codes[name]
        if code != _C:
            if cell is not None:
                if code == _V or code == _F or code == _IS:
                    at = made.CurrentByteIndex
                    if data.startswith(b"<v>", opened):
                        raw = data[opened + 3 : at]
                    else:
                        begin = tag_end(data, opened)
                        raw = data[begin:at] if begin <= at else b""
                    if code == _V:
                        cell[4] = raw
                    elif code == _F:
                        cell[5] = raw
                    elif cell[6] is None:
                        cell[6] = raw
                return
            if code == _ROW:
                if row >= max_rows and not row_kept:
                    del drops[row_drops_from:]
                    _add_drop(drops, row_start, element_end(data, row_start, made.CurrentByteIndex))
            elif code == _SHEETDATA:
                inside = False
            return
        ref, style, kind, begin, value, formula, inline = cell
        cell = None
        holds = holds_value(kind, value, inline)
        if not holds and not formula and ref:
            # SPEED: a cell that only carries a style costs nothing; its reference is
            # parsed only if a later cell without one counts on from it.
            col_ref = ref
            return
        if col_ref is not None:
            if not ref:
                parsed = cell_ref(col_ref)[1]
                col = parsed if parsed is not None else col + 1
            col_ref = None
        cell_row, cell_col = row, col + 1
        if ref:
            parsed_row, parsed_col = cell_ref(ref)
            if parsed_col is not None:
                cell_col = parsed_col
            if parsed_row is not None:
                cell_row = parsed_row
        col = cell_col
        if take_cell(scan, limits, cell_row, cell_col, holds, kind, value, formula, inline, style,
                     percent_styles, encoding[0]):
            if holds:
                row_kept = True
        elif cell_row >= max_rows or cell_col >= max_cols:
            _add_drop(drops, begin, element_end(data, begin, made.CurrentByteIndex))

    made.StartElementHandler = start
    made.EndElementHandler = end
    parse(made, data, part)
    if drops and transcoded:
        raise IntakeError(problem("file-too-complex", ERROR,
                                  what=f"工作表部件“{part[:80]}”超出行列上限且不是 UTF-8 编码，无法裁剪",
                                  what_en="an oversized sheet part that is not UTF-8"))
    return scan


def _as_utf8(data: bytes, part: str) -> bytes:
    encoding = "utf-16-be" if data.startswith((b"\xfe\xff", b"\x00<")) else "utf-16-le"
    try:
        return data.decode(encoding).lstrip("\ufeff").encode("utf-8")
    except UnicodeDecodeError:
        raise IntakeError(problem("file-unreadable", ERROR, reason=f"文件已损坏（部件“{part[:80]}”的编码无效）")) from None


def _add_drop(drops: list[tuple[int, int]], start: int, end: int) -> None:
    if drops and drops[-1][1] == start:
        drops[-1] = (drops[-1][0], end)   # consecutive cells or rows: one range, not a million
    else:
        drops.append((start, end))


def _cut(data: bytes, drops: list[tuple[int, int]]) -> bytes:
    pieces, last = [], 0
    for start, end in drops:
        pieces.append(data[last:start])
        last = end
    pieces.append(data[last:])
    return b"".join(pieces)


# --- workbook.xml, relationships, styles.xml, sharedStrings.xml ------------------------


def sheet_parts(archive, names: set[str] | None = None) -> dict[str, str]:
    """Sheet name -> its part, from workbook.xml and its relationships (parsed, not matched)."""
    names = set(archive.namelist()) if names is None else names
    by_id: dict[str, str] = {}

    def relationship(name, attrs):
        if local(name) == "Relationship":
            target = attribute(attrs, "Target") or ""
            part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            by_id.setdefault(attribute(attrs, "Id"), part)

    if "xl/_rels/workbook.xml.rels" in names:
        parse(parser(StartElementHandler=relationship), archive.read("xl/_rels/workbook.xml.rels"),
              "xl/_rels/workbook.xml.rels")
    result: dict[str, str] = {}

    def sheet(name, attrs):
        if local(name) == "sheet":
            rid = attribute(attrs, "id")
            if rid in by_id:
                result.setdefault(attribute(attrs, "name") or "", by_id[rid])

    parse(parser(StartElementHandler=sheet), archive.read("xl/workbook.xml"), "xl/workbook.xml")
    return result


def percent_styles(styles: bytes) -> frozenset[str]:
    """The cellXfs indices (as the `s` attribute spells them) whose number format shows a percent."""
    codes, xfs = _parsed_styles(styles)
    # Only the formats a cell style uses are looked at (a crafted file may declare a million).
    return frozenset(
        str(index) for index, ident in enumerate(xfs)
        if (is_percent_code(codes[ident]) if ident in codes else ident in PERCENT_BUILTIN)
    )


def _parsed_styles(styles: bytes) -> tuple[dict[int, str], list[int]]:
    codes: dict[int, str] = {}
    xfs: list[int] = []
    depth = {"cellXfs": 0}

    names: dict[str, str] = {}

    def start(name, attrs):
        n = names.get(name)
        if n is None:
            n = names[name] = local(name)
        if n == "numFmt":
            ident, code = attrs.get("numFmtId") or attribute(attrs, "numFmtId"), attrs.get("formatCode") or attribute(attrs, "formatCode")
            if ident is not None and ident.strip().isdigit() and ident.isascii() and code is not None:
                codes[int(ident)] = code
        elif n == "cellXfs":
            depth["cellXfs"] += 1
        elif n == "xf" and depth["cellXfs"]:
            ident = (attribute(attrs, "numFmtId") or "0").strip()
            xfs.append(int(ident) if ident.isdigit() and ident.isascii() else 0)

    def end(name):
        if local(name) == "cellXfs":
            depth["cellXfs"] -= 1

    parse(parser(StartElementHandler=start, EndElementHandler=end), styles, "xl/styles.xml")
    return codes, xfs


def shared_string_lengths(data: bytes) -> list[int]:
    """Characters of each shared string (phonetic runs included: an upper bound)."""
    lengths: list[int] = []
    state = {"in": 0, "n": 0}

    def start(name, attrs):
        if local(name) == "si":
            state["in"], state["n"] = 1, 0

    def end(name):
        if local(name) == "si":
            lengths.append(state["n"])
            state["in"] = 0

    def text(chunk):
        if state["in"]:
            state["n"] += len(chunk)

    parse(parser(StartElementHandler=start, EndElementHandler=end, CharacterDataHandler=text),
          data, "xl/sharedStrings.xml")
    return lengths


# --- the whole workbook ----------------------------------------------------------------


def _styles(archive, names: set[str]) -> frozenset[str]:
    return percent_styles(archive.read("xl/styles.xml")) if "xl/styles.xml" in names else frozenset()


def prepare_xlsx(archive, wanted, limits: Limits, on_format_error) -> tuple[Trimmed, dict[str, SheetScan]]:
    """Measure, price and mark the wanted sheets; cut them to the limits in a copy if need be.

    `on_format_error(exc)` is told when styles.xml cannot be read: values are
    still read, and the caller says so with a finding (never silently).
    """
    names = set(archive.namelist())
    parts = sheet_parts(archive, names)
    try:
        styles = _styles(archive, names)
    except IntakeError as exc:
        if exc.problem.code == "xml-entities":
            raise
        on_format_error(exc.problem.params.get("reason", exc.problem.code))
        styles = frozenset()
    trimmed = Trimmed()
    replaced: dict[str, bytes] = {}
    scans: dict[str, SheetScan] = {}
    for name, part in parts.items():
        if name not in wanted or part not in names:
            continue
        data = archive.read(part)
        scan = scan_sheet(data, part, limits, styles)
        scans[name] = scan
        if over(scan.rows, scan.cols, limits):
            trimmed.oversize[name] = (scan.rows, scan.cols)
            replaced[part] = _cut(data, scan.drops)
    _check_text(archive, names, scans, limits)
    if replaced:
        trimmed.data = rezip(archive, replaced)
    return trimmed, scans


def _check_text(archive, names: set[str], scans: dict[str, SheetScan], limits: Limits) -> None:
    """Refuse before calamine copies more text than `max_text_chars` into the cells it keeps."""
    inline = sum(scan.text_chars for scan in scans.values())
    references = sum(sum(scan.shared.values()) for scan in scans.values())
    part = "xl/sharedStrings.xml"
    if not references or part not in names:
        total = inline
    else:
        data = archive.read(part)
        # SPEED: no string is longer than the part itself; an ordinary intake is far within
        # the limit by this bound, and its shared strings need not be parsed at all.
        if inline + references * len(data) <= limits.max_text_chars:
            return
        lengths = shared_string_lengths(data)
        longest = max(lengths, default=0)
        total = inline
        for scan in scans.values():
            for index, count in scan.shared.items():
                # calamine reads an index it cannot parse (` 1`, `x`, `1.0`) as string 0, and
                # what it does past the table is its own affair: such a cell is priced as the
                # longest string.
                number = int(index) if index.isdigit() and index.isascii() else -1
                total += (lengths[number] if 0 <= number < len(lengths) else longest) * count
    if total > limits.max_text_chars:
        raise too_complex(total, limits.max_text_chars, "各工作表引用的文字", "text the cells refer to")


def too_complex(need: int, limit: int, what: str, what_en: str) -> IntakeError:
    return IntakeError(problem("file-too-complex", ERROR, what=f"{what}需要 {need:,} 个字符，超过上限 {limit:,} 个字符",
                               what_en=f"{what_en} takes {need:,} characters, over the {limit:,} limit"))


def mark_xlsx(scans: dict[str, SheetScan], sheets: dict[str, Sheet]) -> None:
    """Copy the marks the scan found onto the grids calamine read."""
    for name, sheet in sheets.items():
        scan = scans.get(name)
        if scan is None:
            continue
        sheet.percent |= scan.percent
        sheet.errors.update(scan.errors)
        sheet.formulas.update(scan.formulas)
