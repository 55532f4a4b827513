"""The bureau's review workbooks: 抽评清单.xlsx, 复核表.xlsx and 复核结果.xlsx, as bytes.

Plain data in (rows of values the review package prepares), xlsxwriter out,
in memory; the caller writes the bytes with files.atomic_write. Deterministic:
the creation time comes from files.creation_time, nothing else varies. Text is
always written with write_string, so a department's `=...` never becomes a
formula.

The 复核表 is one table, one row per scored line of each sampled project (the
budget line first, keyed `预算`, then each indicator by its row on 绩效指标),
with hidden columns naming the source file, its sheet and SHA-256, so that
`perfeval review` can match every filled score to its record.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import xlsxwriter

from .. import __version__
from ..display import cell_text
from .files import creation_time
from .styles import Styles

REVIEW_SHEET = "复核表"
NOTE_SHEET = "说明"
# The 复核表 columns; `perfeval review` finds them by these labels.
FORM_COLUMNS = ("序号", "项目名称", "主管部门", "一级指标", "二级指标", "三级指标", "分值", "核算得分", "自评得分",
                "复核得分", "复核意见", "源文件", "工作表", "SHA-256", "行")
HIDDEN = ("源文件", "工作表", "SHA-256", "行")
FORM_WIDTHS = {"序号": 6, "项目名称": 22, "主管部门": 16, "一级指标": 10, "二级指标": 12, "三级指标": 28, "分值": 8,
               "核算得分": 9, "自评得分": 9, "复核得分": 10, "复核意见": 30, "源文件": 40, "工作表": 10,
               "SHA-256": 20, "行": 6}
INPUT_FILL = "#FFF2CC"


@dataclass(frozen=True)
class Table:
    """One sheet: a title, column labels, rows of values, and each column's kind and width."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple]
    kinds: tuple[str, ...]          # per column: text, int, points, rate
    widths: tuple[int, ...]


def _workbook(buffer: io.BytesIO, title: str):
    workbook = xlsxwriter.Workbook(buffer, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    workbook.set_properties({"title": title, "created": creation_time(), "comments": f"perfeval-xl {__version__}"})
    return workbook


def _print_setup(ws, header_row: int) -> None:
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.set_footer("&C第 &P 页，共 &N 页")


def _cell(ws, row: int, col: int, value, style) -> None:
    if value is None:
        ws.write_blank(row, col, None, style)
    elif isinstance(value, str):
        ws.write_string(row, col, cell_text(value), style)
    else:
        ws.write_number(row, col, float(value), style)


def _table(workbook, styles: Styles, table: Table) -> None:
    ws = workbook.add_worksheet(table.name)
    ws.merge_range(0, 0, 0, len(table.columns) - 1, table.title, styles.title)
    for col, label in enumerate(table.columns):
        ws.write_string(1, col, label, styles.header)
        ws.set_column(col, col, table.widths[col])
    formats = {"text": styles.cell, "int": styles.cell_int, "points": styles.cell_points, "rate": styles.cell_rate,
               "center": styles.center}
    for number, values in enumerate(table.rows, start=2):
        for col, value in enumerate(values):
            _cell(ws, number, col, value, formats[table.kinds[col]])
    ws.freeze_panes(2, 0)
    if table.rows:
        ws.autofilter(1, 0, 1 + len(table.rows), len(table.columns) - 1)
    _print_setup(ws, 1)


def _notes(workbook, styles: Styles, lines: list[tuple[str, str]]) -> None:
    ws = workbook.add_worksheet(NOTE_SHEET)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 90)
    for row, (label, text) in enumerate(lines):
        ws.write_string(row, 0, label, styles.label)
        ws.write_string(row, 1, cell_text(text), styles.text)
    _print_setup(ws, 0)


def tables_bytes(title: str, tables: list[Table], notes: list[tuple[str, str]]) -> bytes:
    """A workbook of `tables`, then a 说明 sheet of (label, text) lines."""
    buffer = io.BytesIO()
    workbook = _workbook(buffer, title)
    styles = Styles(workbook)
    for table in tables:
        _table(workbook, styles, table)
    _notes(workbook, styles, notes)
    workbook.close()
    return buffer.getvalue()


@dataclass(frozen=True)
class FormLine:
    key: str                 # "预算" or the indicator's row on 绩效指标
    level1: str
    level2: str
    name: str
    weight: float | None
    computed: float | None
    self_score: float | None


@dataclass(frozen=True)
class FormProject:
    number: int
    name: str
    department: str
    path: str
    sheet: str
    sha256: str
    lines: tuple[FormLine, ...]


def review_form_bytes(projects: list[FormProject], notes: list[tuple[str, str]]) -> bytes:
    """The 复核表 reviewers fill: 复核得分 (0 ≤ 复核得分 ≤ 分值, validated) and 复核意见 for each line."""
    buffer = io.BytesIO()
    workbook = _workbook(buffer, "绩效自评复核表")
    s = Styles(workbook)
    entry = workbook.add_format({"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1,
                                 "num_format": "0.00", "bg_color": INPUT_FILL, "locked": False})
    entry_text = workbook.add_format({"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1,
                                      "text_wrap": True, "bg_color": INPUT_FILL, "locked": False})
    ws = workbook.add_worksheet(REVIEW_SHEET)
    last = len(FORM_COLUMNS) - 1
    ws.merge_range(0, 0, 0, last, "项目支出绩效自评复核表", s.title)
    for col, label in enumerate(FORM_COLUMNS):
        ws.write_string(1, col, label, s.header)
        ws.set_column(col, col, FORM_WIDTHS[label], None, {"hidden": label in HIDDEN})
    score_col, comment_col = FORM_COLUMNS.index("复核得分"), FORM_COLUMNS.index("复核意见")
    row = 2
    for project in projects:
        for line in project.lines:
            values = (project.number, project.name, project.department, line.level1, line.level2, line.name,
                      line.weight, line.computed, line.self_score)
            styles = (s.cell_int, s.cell, s.cell, s.cell, s.cell, s.cell, s.cell_points, s.cell_points, s.cell_points)
            for col, (value, style) in enumerate(zip(values, styles)):
                _cell(ws, row, col, value, style)
            ws.write_blank(row, score_col, None, entry)
            ws.write_blank(row, comment_col, None, entry_text)
            if line.weight is not None:
                ws.data_validation(row, score_col, row, score_col, {
                    "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": float(line.weight),
                    "error_title": "复核得分超出范围",
                    "error_message": f"复核得分应在 0 到 {line.weight:g} 分之间；留空表示认可核算得分。",
                    "input_title": "复核得分", "input_message": f"0～{line.weight:g}；留空即认可核算得分",
                })
            for col, value in zip(range(score_col + 2, last + 1), (project.path, project.sheet, project.sha256, line.key)):
                ws.write_string(row, col, value, s.cell)
            row += 1
    ws.freeze_panes(2, 3)
    ws.autofilter(1, 0, max(2, row - 1), last)
    _print_setup(ws, 1)
    ws.print_area(0, 0, max(2, row - 1), comment_col)
    _notes(workbook, s, notes)
    workbook.close()
    return buffer.getvalue()
