"""Word reports (.docx, .docm): every table as a grid, read by the Annex-form reader.

A report is about one project (forms.md "Word reports"): its indicator table
is the one with an 一级指标 column (else the largest), its funds table gives
the budget, and the project fields come from a table that has them, else
from `项目名称：…` lines of the text, else from the document's title. Merged
cells (gridSpan, vMerge) are expanded as a workbook keeps them: the value in
the first cell of the area, blanks in the rest. Table N is sheet `表N`, so a
finding names `表5!D3`.

The file passes the same pre-flight as a workbook (preflight.check_zip:
sizes, zip bombs, entity declarations) before python-docx opens it.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ..problems import ERROR, IntakeError, problem
from .annex import is_form, prepare, read_annex
from .annex_funds import read_funds
from .annex_labels import PROJECT_LABELS, REPORT_ACHIEVED_HEADINGS, REPORT_GOAL_HEADINGS, lookup
from .base import Sheet, rezip
from .intake import header_key
from .preflight import DEFAULT_LIMITS, Limits, check_ole, check_zip, human_size, unreadable

_PROJECT = lookup(PROJECT_LABELS)
SAVE_AS_DOCX = "请在 Word 或 WPS 中“另存为” Word 文档（.docx）后再提交"
_MACRO_TYPE = b"application/vnd.ms-word.document.macroEnabled.main+xml"
_DOCX_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def read_docx(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS):
    """The Word report in `data` (the file's bytes, read once; `name` for its stem) as one Reading."""
    from .forms import ANNEX, LOOKED_FOR_WORD, Reading

    try:
        container = _preflight(data, limits)
        document = _open(data, container)
    except IntakeError as exc:
        return [Reading(None, [exc.problem])]
    notes = list(container.notes)
    sheets = [Sheet(f"表{n}", grid) for n, grid in enumerate(table_grids(document), start=1)]
    paragraphs = tuple(p.text for p in document.paragraphs)
    found = list(notes)
    for sheet in sheets:
        prepare(sheet, limits.max_cell_chars, found)
    forms = [(sheet, header) for sheet in sheets if (header := is_form(sheet)) is not None]
    if not forms:
        return [Reading(None, [*notes, problem("form-not-recognised", ERROR, looked_for=LOOKED_FOR_WORD)])]
    with_level1 = [(s, h) for s, h in forms if "level1" in h.columns]
    sheet, header = with_level1[0] if with_level1 else max(forms, key=lambda pair: len(pair[0].rows))
    funds_sheet = next((s for s in sheets if s is not sheet and read_funds(s, len(s.rows), []) is not None), sheet)
    project_sheet = next((s for s in sheets if _has_project_labels(s)), None)
    lines = paragraphs + _headed(paragraphs)
    title = next((text.strip() for text in paragraphs if text.strip()), "")
    intake, more = read_annex(
        sheet, header, stem=f"{title} {Path(name).stem}", funds_sheet=funds_sheet, project_sheet=project_sheet or Sheet(sheet.name, []),
        lines=lines, title=title,
    )
    return [Reading(intake, found + more, ANNEX, sheet.name)]


def _has_project_labels(sheet: Sheet) -> bool:
    return any(isinstance(cell, str) and header_key(cell, _PROJECT) == "name" for row in sheet.rows for cell in row)


def _headed(paragraphs: tuple[str, ...]) -> tuple[str, ...]:
    """`预期目标：…` / `实际完成情况：…` lines made from a heading and the paragraph after it."""
    made = []
    for key, headings in (("预期目标", REPORT_GOAL_HEADINGS), ("实际完成情况", REPORT_ACHIEVED_HEADINGS)):
        for i, text in enumerate(paragraphs):
            if any(heading in text for heading in headings) and len(text.strip()) <= 40:
                following = next((p.strip() for p in paragraphs[i + 1:] if p.strip()), "")
                if following:
                    made.append(f"{key}：{following}")
                    break
    return tuple(made)


def _preflight(data: bytes, limits: Limits):
    size = len(data)
    if size == 0:
        raise unreadable("文件为空（0字节）")
    if size > limits.max_file_bytes:
        raise IntakeError(problem("file-too-large", ERROR, size=human_size(size), limit=human_size(limits.max_file_bytes)))
    head = data[:8]
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        try:
            check_ole(data)     # an encrypted .docx is an OLE file: file-encrypted
        except IntakeError as exc:
            if exc.problem.code != "file-unreadable":
                raise
        raise unreadable(f"文件是旧版 Word 97-2003 文档（.doc）或不是 Word 文档；{SAVE_AS_DOCX}")
    if not head.startswith(b"PK"):
        raise unreadable(f"文件不是 Word 文档（.docx）；{SAVE_AS_DOCX}")
    container = check_zip(data, limits, word=True)
    if container.format != "docx":
        raise unreadable("文件内容是表格而不是 Word 文档；请把扩展名改为 .xlsx/.ods 后再提交")
    return container


def _open(data: bytes, container):
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            types = archive.read("[Content_Types].xml")
            if _MACRO_TYPE in types:   # .docm: python-docx opens only the plain document type
                data = rezip(archive, {"[Content_Types].xml": types.replace(_MACRO_TYPE, _DOCX_TYPE)})
        return docx.Document(io.BytesIO(data))
    except Exception as exc:   # python-docx raises several unrelated types for a damaged file
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise unreadable(f"Word 文档已损坏或格式不正确（{text}）") from exc


def table_grids(document) -> list[list[list[object]]]:
    """Every top-level table as rows of cell texts, merged areas expanded (first cell holds the text)."""
    from docx.table import _Cell

    grids = []
    for table in document.tables:
        grid: list[list[object]] = []
        for tr in table._tbl.tr_lst:
            row: list[object] = []
            for tc in tr.tc_lst:
                span = max(1, int(tc.grid_span or 1))
                text = "" if tc.vMerge == "continue" else _Cell(tc, table).text.strip()
                row.append(text)
                row.extend("" for _ in range(span - 1))
            grid.append(row)
        width = max((len(row) for row in grid), default=0)
        grids.append([row + [""] * (width - len(row)) for row in grid])
    return grids
