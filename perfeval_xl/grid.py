"""Load a workbook's sheets as plain grids of values, fast, for any format.

python-calamine reads the values of xlsx, xlsm, xls and ods alike. It does
not report number formats, yet a percent format changes what a number means
(0.98 shown as 98 % is 98 %, scoring.md §2), and it reads an Excel error
value such as #DIV/0! as a blank. So for the sheets we need, a light second
pass over the file's own XML (or xlrd's format table for .xls) finds the
cells that carry a percent format or an error value, without loading the
workbook into openpyxl.

Nothing reaches calamine unchecked: limits.preflight refuses what must not
be opened (too large, a zip bomb, entity declarations, encrypted, not a
spreadsheet), and trim.py cuts sheets to the row and column limits in a copy
held in memory, so that one stray cell at XFD1048576 cannot make calamine
ask for 17 billion cells.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .cells import parse_a1
from .text import normalise
from .limits import DEFAULT_LIMITS, Container, Limits, preflight
from .problems import ERROR, WARNING, IntakeError, Problem, problem
from .trim import Trimmed, trim_ods_file, trim_xls, trim_xlsx, unescape

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
_FORMAT_OF_SUFFIX = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods"}


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]
    percent: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    # Formulas that carry no value: read as their text, never evaluated (intake.md).
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


class Wanted:
    """The sheets to read, matched as people type their names: a trailing
    space or a full-width letter in `绩效指标 ` does not hide the sheet."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = tuple(names)
        self._by_key = {normalise(name): name for name in self.names}

    def canonical(self, name: str) -> str | None:
        return self._by_key.get(normalise(name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.canonical(name) is not None


def load_sheets(
    path: Path, wanted: tuple[str, ...], limits: Limits = DEFAULT_LIMITS
) -> tuple[list[str], dict[str, Sheet], list[Problem]]:
    """All sheet names, the grids of the wanted sheets that exist, and notes
    about the file (macros-ignored, file-type-mismatch, too-many-rows).

    Raises IntakeError (one file-level finding) when the file cannot or must
    not be opened as a spreadsheet.
    """
    import python_calamine as calamine

    wanted = Wanted(wanted)
    container = preflight(path, limits)
    notes = list(container.notes)
    try:
        trimmed = _trim(path, container, wanted, limits)
    except IntakeError:
        raise
    except Exception as exc:  # a damaged container that passed the pre-flight checks
        raise IntakeError(problem("file-unreadable", ERROR, reason=_reason(exc))) from exc
    if trimmed.data is None and _FORMAT_OF_SUFFIX.get(path.suffix.lower()) != container.format:
        # calamine goes by the name: a .xls saved as .xlsx is handed over by content.
        trimmed.data = path.read_bytes()
    try:
        if trimmed.data is not None:
            book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(trimmed.data))
        else:
            book = calamine.CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
        sheets = {}
        for name in names:
            if name in wanted:
                raw = book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=limits.max_rows)
                sheets[name] = Sheet(name, [row[: limits.max_cols] for row in raw])
        book.close()
    except calamine.PasswordError as exc:
        raise IntakeError(problem("file-encrypted", ERROR)) from exc
    except Exception as exc:  # calamine raises several unrelated types for a damaged file
        raise IntakeError(problem("file-unreadable", ERROR, reason=_reason(exc))) from exc
    source = io.BytesIO(trimmed.data) if trimmed.data is not None else path
    try:
        if container.format == "ods":
            _mark_ods(source, sheets)
        elif container.format == "xlsx":
            with _open_zip(source, container if trimmed.data is None else None) as archive:
                _mark_xlsx(archive, sheets)
        else:
            _mark_xls(trimmed.data if trimmed.data is not None else path.read_bytes(), sheets, limits)
    except Exception:  # formats are a refinement: values already read stand
        pass
    for name, (rows, cols) in trimmed.oversize.items():
        if name in sheets:
            notes.append(
                problem("too-many-rows", WARNING, name, rows=rows, cols=cols,
                        max_rows=limits.max_rows, max_cols=limits.max_cols)
            )
    # Keyed by the names the reader asks for; an exact name wins over a near one.
    by_canonical: dict[str, Sheet] = {}
    for name, sheet in sheets.items():
        canonical = wanted.canonical(name)
        if canonical not in by_canonical or name == canonical:
            by_canonical[canonical] = sheet
    return names, by_canonical, notes


def _trim(path: Path, container: Container, wanted: tuple[str, ...], limits: Limits) -> Trimmed:
    if container.format == "xls":
        return trim_xls(container.ole.data, container, wanted, limits)
    with _open_zip(path, container) as archive:
        if container.format == "ods":
            return trim_ods_file(archive, wanted, limits)
        return trim_xlsx(archive, _sheet_parts(archive, set(archive.namelist())), wanted, limits)


def _open_zip(source, container: Container | None):
    """The parts the pre-flight already inflated and verified, else the zip itself."""
    if container is not None and container.inflated is not None:
        return container.inflated
    return zipfile.ZipFile(source)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"文件已损坏或格式不正确（{text[:200]}）"


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


def is_percent_code(code: str) -> bool:
    """A number format shows a percent when a % stands outside quotes and brackets."""
    depth, quoted = 0, False
    for ch in code:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "[":
            depth += 1
        elif not quoted and ch == "]":
            depth = max(0, depth - 1)
        elif ch == "%" and not quoted and depth == 0:
            return True
    return False


def _mark_xlsx(archive, sheets: dict[str, Sheet]) -> None:
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
    targets = _sheet_parts(archive, names)
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


def _sheet_parts(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
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


# --- xls -------------------------------------------------------------------


def _mark_xls(data: bytes, sheets: dict[str, Sheet], limits: Limits) -> None:
    import xlrd

    # ragged_rows: a row is as long as its last cell, not padded to the widest.
    book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, ragged_rows=True)
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


# --- ods -------------------------------------------------------------------

_TABLE = re.compile(rb"<table:table\b([^>]*)>(.*?)</table:table>", re.S)
_ROW = re.compile(rb"<table:table-row\b([^>]*?)(/>|>(.*?)</table:table-row>)", re.S)
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)(/>|>(.*?)</table:(?:covered-)?table-cell>)", re.S)
_ODS_ATTR = re.compile(rb'([\w:-]+)="([^"]*)"')
_ODS_ERROR_TEXT = re.compile(rb">(#[A-Z0-9/!?]{2,8})<")


def _mark_ods(source, sheets: dict[str, Sheet]) -> None:
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
