"""Load a workbook's sheets as plain grids of values, fast, for any format.

python-calamine reads the values of xlsx, xlsm, xls and ods alike. It does
not report number formats, yet a percent format changes what a number means
(0.98 shown as 98 % is 98 %, scoring.md §2), and it reads an Excel error
value such as #DIV/0! as a blank. So for the sheets we need, a light second
pass over the file's own XML (or xlrd's format table for .xls) finds the
cells that carry a percent format or an error value, without loading the
workbook into openpyxl.

Nothing reaches calamine unchecked: preflight.py refuses what must not be
opened (too large, a zip bomb, entity declarations, encrypted, not a
spreadsheet), and each format's module (xlsx.py, ods.py, xls.py) cuts sheets
to the row and column limits in a copy held in memory, so that one stray cell at XFD1048576 cannot make calamine
ask for 17 billion cells.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ..problems import ERROR, WARNING, IntakeError, Problem, problem
from ..text import normalise
from .base import Sheet, Trimmed
from .ods import mark_ods, trim_ods_file
from .preflight import DEFAULT_LIMITS, Container, Limits, preflight
from .xls import mark_xls, trim_xls
from .xlsx import mark_xlsx, sheet_parts, trim_xlsx

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


EVERY_SHEET = None   # load_sheets(path, EVERY_SHEET): the grids of all sheets


def load_sheets(
    path: Path, wanted: tuple[str, ...] | None, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[str], dict[str, Sheet], list[Problem]]:
    """All sheet names, the grids of the wanted sheets (None: every sheet) that exist, and notes
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
    if trimmed.data is None and (
        _FORMAT_OF_SUFFIX.get(path.suffix.lower()) != container.format or not _utf8_name(path)
    ):
        # calamine goes by the name: a .xls saved as .xlsx is handed over by content;
        # and it takes a path as UTF-8 only: a GBK name from a Windows zip is handed over by content too.
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
            mark_ods(source, sheets)
        elif container.format == "xlsx":
            with _open_zip(source, container if trimmed.data is None else None) as archive:
                mark_xlsx(archive, sheets)
        else:
            mark_xls(trimmed.data if trimmed.data is not None else path.read_bytes(), sheets, limits)
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
        return trim_xlsx(archive, sheet_parts(archive, set(archive.namelist())), wanted, limits)


def _open_zip(source, container: Container | None):
    """The parts the pre-flight already inflated and verified, else the zip itself."""
    if container is not None and container.inflated is not None:
        return container.inflated
    return zipfile.ZipFile(source)


def _utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"文件已损坏或格式不正确（{text[:200]}）"


