"""Load a workbook's sheets as plain grids of values, fast, for any format.

python-calamine reads the values of xlsx, xlsm, xls and ods alike. It does
not report number formats, yet a percent format changes what a number means
(0.98 shown as 98 % is 98 %, scoring.md §2), and it reads an Excel error
value such as #DIV/0! as a blank. So the same pass that measures each sheet
(xlsx.py, ods.py: one expat pass; xls.py: the BIFF records, and xlrd for
the format table) also finds the cells that carry a percent format, an error
value or a formula without a value, without loading the workbook into
openpyxl.

The file is read once: `load_sheets_data` takes its bytes, and the same
buffer goes to the pre-flight (preflight.py: too large, a zip bomb, entity
declarations, encrypted, not a spreadsheet), to the measuring passes (which
cut sheets to the row and column limits in a copy held in memory, and refuse
a file that would make calamine copy more text than `max_text_chars`), and to
calamine itself. Nothing is opened again by path.
"""

from __future__ import annotations

import io
import zipfile

from ..problems import ERROR, WARNING, IntakeError, Problem, problem
from ..text import normalise
from .base import Sheet, stored_zip
from .ods import mark_ods, prepare_ods
from .preflight import DEFAULT_LIMITS, Container, Limits, preflight_data
from .xls import mark_xls, trim_xls
from .xlsx import mark_xlsx, prepare_xlsx

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".docx", ".docm", ".doc")
WORD_SUFFIXES = (".docx", ".docm")
_FORMAT_OF_SUFFIX = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods"}


class Wanted:
    """The sheets to read, matched as people type their names: a trailing
    space or a full-width letter in `绩效指标 ` does not hide the sheet."""

    def __init__(self, names: tuple[str, ...] | None) -> None:
        # None: every sheet, each under its own name (the Annex-form reader searches them all).
        self.every = names is None
        self.names = tuple(names or ())
        self._by_key = {normalise(name): name for name in self.names}

    def canonical(self, name: str) -> str | None:
        return name if self.every else self._by_key.get(normalise(name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.canonical(name) is not None


EVERY_SHEET = None   # load_sheets_data(data, name, EVERY_SHEET): the grids of all sheets


def load_sheets_data(
    data: bytes, name: str, wanted: tuple[str, ...] | None, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[str], dict[str, Sheet], list[Problem]]:
    """All sheet names, the grids of the wanted sheets (None: every sheet) that exist, and notes
    about the file (macros-ignored, file-type-mismatch, too-many-rows), from the file's bytes
    (read once by the caller); `name` is only used for its suffix (file-type-mismatch).

    Raises IntakeError (one file-level finding) when the file cannot or must not be opened as a
    spreadsheet.
    """
    import python_calamine as calamine

    wanted = Wanted(wanted)
    container = preflight_data(data, name, limits)
    notes = list(container.notes)
    format_errors: list[str] = []
    try:
        trimmed, marks = _prepare(data, container, wanted, limits, format_errors.append)
    except IntakeError:
        raise
    except Exception as exc:  # a damaged container that passed the pre-flight checks
        raise IntakeError(problem("file-unreadable", ERROR, reason=_reason(exc))) from exc
    if trimmed.data is not None:
        source = trimmed.data
    elif container.inflated is not None:
        source = stored_zip(container.inflated)
    else:
        source = data
    try:
        # calamine is handed the bytes, never the name: a .xls saved as .xlsx is read by content.
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(source))
        names = list(book.sheet_names)
        sheets = {}
        for sheet_name in names:
            if sheet_name in wanted:
                raw = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False, nrows=limits.max_rows)
                sheets[sheet_name] = Sheet(sheet_name, [row[: limits.max_cols] for row in raw])
        book.close()
    except calamine.PasswordError as exc:
        raise IntakeError(problem("file-encrypted", ERROR)) from exc
    except Exception as exc:  # calamine raises several unrelated types for a damaged file
        raise IntakeError(problem("file-unreadable", ERROR, reason=_reason(exc))) from exc
    if container.format == "ods":
        mark_ods(marks, sheets)
    elif container.format == "xlsx":
        mark_xlsx(marks, sheets)
    else:
        try:
            mark_xls(trimmed.stream, sheets, limits)
        except Exception as exc:  # noqa: BLE001 - xlrd raises many types; said, never swallowed
            format_errors.append(_reason(exc))
    if format_errors:
        notes.append(problem("formats-unreadable", WARNING, reason=format_errors[0][:200]))
    _place_formulas(sheets, limits)
    for sheet_name, (rows, cols) in trimmed.oversize.items():
        if sheet_name in sheets:
            notes.append(
                problem("too-many-rows", WARNING, sheet_name, rows=rows, cols=cols,
                        max_rows=limits.max_rows, max_cols=limits.max_cols)
            )
    # Keyed by the names the reader asks for; an exact name wins over a near one.
    by_canonical: dict[str, Sheet] = {}
    for sheet_name, sheet in sheets.items():
        canonical = wanted.canonical(sheet_name)
        if canonical not in by_canonical or sheet_name == canonical:
            by_canonical[canonical] = sheet
    return names, by_canonical, notes


def _prepare(data: bytes, container: Container, wanted: Wanted, limits: Limits, on_format_error):
    """Measure, price, trim and mark, by format; (Trimmed, the marks for `mark_*`)."""
    if container.format == "xls":
        return trim_xls(data, container, wanted, limits), None
    archive = container.inflated if container.inflated is not None else zipfile.ZipFile(io.BytesIO(data))
    with archive:
        if container.format == "ods":
            return prepare_ods(archive, wanted, limits, on_format_error)
        return prepare_xlsx(archive, wanted, limits, on_format_error)


def _place_formulas(sheets: dict[str, Sheet], limits: Limits) -> None:
    """A formula without a cached value is read as its text (intake.md); calamine
    leaves such a cell out of its grid, so the grid grows to hold it."""
    for sheet in sheets.values():
        for row, col in sheet.formulas:
            if row >= limits.max_rows or col >= limits.max_cols:
                continue
            while len(sheet.rows) <= row:
                sheet.rows.append([])
            line = sheet.rows[row]
            if len(line) <= col:
                line.extend([""] * (col + 1 - len(line)))


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"文件已损坏或格式不正确（{text[:200]}）"
