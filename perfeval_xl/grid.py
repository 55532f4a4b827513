"""Load a workbook's sheets as plain grids of values, fast, for any format.

python-calamine reads the values of xlsx, xlsm, xls and ods alike. It does
not report number formats, yet a percent format changes what a number means
(0.98 shown as 98 % is 98 %, scoring.md §2), and it reads an Excel error
value such as #DIV/0! as a blank. So for the sheets we need, a light second
pass over the file's own XML (or xlrd's format table for .xls) finds the
cells that carry a percent format or an error value, without loading the
workbook into openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .cells import parse_a1
from .problems import ERROR, IntakeError, problem

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]
    percent: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)

    def value(self, row: int, col: int) -> object:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return ""


def sniff(head: bytes) -> str:
    """The real container of a file, whatever its name says: zip, ole or other."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    return "other"


def load_sheets(path: Path, wanted: tuple[str, ...]) -> tuple[list[str], dict[str, Sheet]]:
    """All sheet names, and the grids of the wanted sheets that exist.

    Raises IntakeError (file-unreadable / file-encrypted) when the file cannot
    be opened as a spreadsheet.
    """
    import python_calamine as calamine

    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise IntakeError(problem("file-unreadable", ERROR, reason="文件为空（0字节）"))
    container = sniff(head)
    if container == "ole" and path.suffix.lower() != ".xls":
        if _is_encrypted_ole(path):
            raise IntakeError(problem("file-encrypted", ERROR))
    if container == "other":
        raise IntakeError(
            problem("file-unreadable", ERROR, reason="不是 Excel/WPS/ODS 表格文件（内容既非 xlsx/ods 压缩包，也非 xls）")
        )
    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
        sheets = {}
        for name in names:
            if name in wanted:
                raw = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                sheets[name] = Sheet(name, raw)
        book.close()
    except calamine.PasswordError as exc:
        raise IntakeError(problem("file-encrypted", ERROR)) from exc
    except Exception as exc:  # calamine raises several unrelated types for a damaged file
        if container == "ole" and _is_encrypted_ole(path):
            raise IntakeError(problem("file-encrypted", ERROR)) from exc
        raise IntakeError(problem("file-unreadable", ERROR, reason=_reason(exc))) from exc
    try:
        if _is_ods(path, container):
            _mark_ods(path, sheets)
        elif container == "zip":
            _mark_xlsx(path, sheets)
        elif container == "ole":
            _mark_xls(path, sheets)
    except Exception:  # formats are a refinement: values already read stand
        pass
    return names, sheets


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"文件已损坏或格式不正确（{text[:200]}）"


def _is_encrypted_ole(path: Path) -> bool:
    # An encrypted xlsx is an OLE file holding an "EncryptionInfo" stream.
    with open(path, "rb") as handle:
        data = handle.read(1 << 16)
    return "EncryptionInfo".encode("utf-16-le") in data or b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00" in data


def _is_ods(path: Path, container: str) -> bool:
    if container != "zip":
        return False
    with zipfile.ZipFile(path) as archive:
        try:
            return archive.read("mimetype").startswith(b"application/vnd.oasis")
        except KeyError:
            return False


# --- xlsx / xlsm -----------------------------------------------------------

_NUMFMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"')
_CELLXFS = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")
_ATTR = re.compile(rb'(\w+)="([^"]*)"')
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_REL = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/?)>")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
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


def _mark_xlsx(path: Path, sheets: dict[str, Sheet]) -> None:
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        styles = archive.read("xl/styles.xml") if "xl/styles.xml" in names else b""
        custom = {int(i): code.decode("utf-8", "replace") for i, code in _NUMFMT.findall(styles)}
        percent_styles = set()
        block = _CELLXFS.search(styles)
        for index, xf in enumerate(_XF.findall(block.group(1)) if block else []):
            fmt = int(_attrs(xf).get("numFmtId", "0"))
            if fmt in _PERCENT_BUILTIN or (fmt in custom and is_percent_code(custom[fmt])):
                percent_styles.add(str(index))
        targets = _sheet_parts(archive, names)
        for name, sheet in sheets.items():
            part = targets.get(name)
            if part is None:
                continue
            data = archive.read(part)
            for match in _CELL.finditer(data):
                attrs = _attrs(match.group(1))
                ref = attrs.get("r")
                if not ref:
                    continue
                if attrs.get("s") in percent_styles:
                    sheet.percent.add(parse_a1(ref))
                if attrs.get("t") == "e" and not match.group(2):
                    end = data.find(b"</c>", match.end())
                    found = _VALUE.search(data, match.end(), end if end >= 0 else None)
                    sheet.errors[parse_a1(ref)] = found.group(1).decode() if found else "#ERROR"


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
            result[_unescape(attrs.get("name", ""))] = by_id[rid]
    return result


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")
    )


# --- xls -------------------------------------------------------------------


def _mark_xls(path: Path, sheets: dict[str, Sheet]) -> None:
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    try:
        for name, sheet in sheets.items():
            xsheet = book.sheet_by_name(name)
            for row in range(xsheet.nrows):
                for col in range(xsheet.ncols):
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


def _mark_ods(path: Path, sheets: dict[str, Sheet]) -> None:
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml")
    for table in _TABLE.finditer(content):
        attrs = dict(_ODS_ATTR.findall(table.group(1)))
        name = _unescape(attrs.get(b"table:name", b"").decode("utf-8", "replace"))
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
                if formula and kind is None and b"#" in (cell.group(3) or b""):
                    sheet.errors[(row, col)] = "#ERROR"
                col += span
            row += repeat
