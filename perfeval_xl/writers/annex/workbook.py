"""The 附件1 项目支出绩效自评表 workbook, one per project (outputs.md).

Sheets: the form itself, print-ready, in a layout read from a template
workbook (layout.py: national by default, xinzhou, or a bureau's own file;
its sheet is named 项目支出绩效自评表 in both shipped layouts), then 评分明细
(the audit trail), 校验问题 (every finding) and 说明 (where it came from:
source, profile, layout, each with its SHA-256, and the program version).
Written with xlsxwriter into memory and renamed into place when complete.
Text from a department is always written with write_string: it can never
become a formula.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from ... import __version__
from ...cells import parse_a1
from ...display import cell_text, fmt
from ...model import BUDGET_SHEET, DEADLINE, INDICATOR_SHEET, LEVEL_NAMES, QUALITATIVE, UNREADABLE, IndicatorScore, Result
from ..files import atomic_write, creation_time, safe_name
from ..printing import fit_row, page_setup
from ..styles import Styles
# LayoutError (a bad template) is what render_annex and write_annex raise besides ValueError.
from .layout import Layout, LayoutError, load_layout  # noqa: F401
from .render import render_layout

ANNEX_SHEET = "项目支出绩效自评表"
DETAIL_SHEET = "评分明细"
PROBLEM_SHEET = "校验问题"
ABOUT_SHEET = "说明"
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "in_memory": True}


def annex_filename(result: Result) -> str:
    project = result.intake.project
    stem = "_".join(part for part in (str(project.year or ""), project.department, project.name) if part)
    return safe_name(f"{stem}_绩效自评表") + ".xlsx"


def write_annex(
    result: Result, out_dir: str | Path, *, filename: str | None = None, layout: Layout | str | Path | None = None
) -> Path:
    """Write the Annex workbook of a scored project into `out_dir`; return its path."""
    if result.intake is None:
        raise ValueError("a file that could not be read has no Annex")
    path = Path(out_dir) / (filename or annex_filename(result))
    atomic_write(path, render_annex(result, layout))
    return path


def render_annex(
    result: Result, layout: Layout | str | Path | None = None, *, created: dt.datetime | None = None
) -> bytes:
    """The Annex workbook as bytes. `layout`: a Layout, a built-in name, a template path, or None (national).

    A name or path is read once and cached (layout.py); a batch may also load
    the Layout once and pass it to every call. `created` is the workbook's
    creation time (default: files.creation_time(), from this process's
    SOURCE_DATE_EPOCH); a cluster worker is given the main process's.
    """
    layout = load_layout(layout)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    fill_annex(workbook, result, layout, created=created)
    workbook.close()
    return buffer.getvalue()


def fill_annex(workbook, result: Result, layout: Layout, *, created: dt.datetime | None = None) -> None:
    """Add the four Annex sheets to `workbook`, an open xlsxwriter Workbook.

    Anything with xlsxwriter's Workbook and Worksheet methods will do:
    benchmarks/baseline.py drives openpyxl through this to compare libraries
    on the same work.
    """
    workbook.set_properties({
        "title": "项目支出绩效自评表", "created": created or creation_time(), "comments": f"perfeval-xl {__version__}",
    })
    styles = Styles(workbook)
    render_layout(workbook, layout, result)
    _detail_sheet(workbook.add_worksheet(DETAIL_SHEET), result, styles)
    _problem_sheet(workbook.add_worksheet(PROBLEM_SHEET), result, styles)
    _about_sheet(workbook.add_worksheet(ABOUT_SHEET), result, styles, layout)


# Widths chosen so that the sheet prints on A4 landscape at about 75 %: wrapped text, fitted heights.
DETAIL_HEADERS = (
    ("行号", 5), ("一级指标", 9), ("二级指标", 9), ("三级指标", 16), ("分值", 6), ("年度指标值", 11),
    ("解析：目标", 13), ("实际完成值", 11), ("解析：实际（按目标单位）", 12), ("评分规则", 11),
    ("完成率", 8), ("计算过程", 28), ("得分", 7), ("自评得分", 7), ("是否核实", 7), ("本行问题", 30),
)
DETAIL_WIDTHS = tuple(width for _label, width in DETAIL_HEADERS)
PROBLEM_HEADERS = (
    ("序号", 5), ("级别", 7), ("代码", 22), ("位置（单位报送的工作簿）", 16), ("说明", 50), ("如何修改", 50),
)
PROBLEM_WIDTHS = tuple(width for _label, width in PROBLEM_HEADERS)
PROBLEM_NOTE = "“位置”指单位报送的填报工作簿（源文件）中的工作表和单元格，不是本附件中的单元格。"
ABOUT_WIDTHS = (18, 70)


def _detail_sheet(ws, result: Result, s: Styles) -> None:
    for col, (label, width) in enumerate(DETAIL_HEADERS):
        ws.write_string(0, col, label, s.header)
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    page_setup(ws, landscape=True, title_rows=1)
    fit_row(ws, 0, {col: label for col, (label, _w) in enumerate(DETAIL_HEADERS)}, DETAIL_WIDTHS)
    budget = result.budget
    budget_row = result.intake.budget_row
    ws.write_string(1, 0, str(budget_row.row) if budget_row else "—", s.cell)
    for col, value in enumerate(("预算执行指标", "预算执行率"), start=1):
        ws.write_string(1, col, value, s.cell)
    ws.write_string(1, 3, "全年执行数 / 全年预算数（预算执行表）", s.cell)
    ws.write_number(1, 4, float(budget.weight), s.cell_points)
    ws.write_string(1, 5, "—", s.cell)
    ws.write_string(1, 6, f"全年预算数 {fmt(budget.annual)} 万元", s.cell)
    ws.write_string(1, 7, "—", s.cell)
    ws.write_string(1, 8, f"全年执行数 {fmt(budget.executed)} 万元", s.cell)
    ws.write_string(1, 9, "预算执行率", s.cell)
    if budget.rate is None:
        ws.write_string(1, 10, "—", s.cell)
    else:
        ws.write_number(1, 10, float(budget.rate), s.cell_rate)
    ws.write_string(1, 11, budget.arithmetic, s.cell)
    ws.write_number(1, 12, float(budget.score), s.cell_points)
    _optional_number(ws, 1, 13, budget.self_score, s)
    ws.write_string(1, 14, "是", s.cell)
    budget_findings = [p for p in result.problems if result.on_sheet(p, BUDGET_SHEET) and p.code.startswith(("budget-", "execution-"))]
    budget_text = cell_text("；".join(f"{p.code}：{p.message}" for p in budget_findings))
    ws.write_string(1, 15, budget_text, s.cell)
    fit_row(ws, 1, {3: "全年执行数 / 全年预算数（预算执行表）", 6: f"全年预算数 {fmt(budget.annual)} 万元",
                    8: f"全年执行数 {fmt(budget.executed)} 万元", 11: budget.arithmetic, 15: budget_text}, DETAIL_WIDTHS)
    row_findings: dict[str, list] = {}
    for p in result.problems:
        if result.on_sheet(p, INDICATOR_SHEET) and p.cell:
            row_findings.setdefault(str(parse_a1(p.cell)[0] + 1), []).append(p)
    for index, item in enumerate(result.indicators, start=2):
        ind = item.indicator
        ws.write_number(index, 0, ind.row, s.cell_int)
        ws.write_string(index, 1, cell_text(ind.level1), s.cell)
        ws.write_string(index, 2, cell_text(ind.level2), s.cell)
        ws.write_string(index, 3, cell_text(ind.name), s.cell)
        ws.write_number(index, 4, float(item.weight), s.cell_points)
        ws.write_string(index, 5, cell_text(ind.target), s.cell)
        ws.write_string(index, 6, _target_text(item), s.cell)
        ws.write_string(index, 7, cell_text(ind.actual_text + ("（百分比格式）" if ind.actual_is_percent else "")), s.cell)
        if item.actual is not None and item.actual.value is not None:
            ws.write_string(index, 8, f"{fmt(item.actual.value)} {item.target.unit}".strip(), s.cell)
        elif item.actual is not None and item.actual.date is not None:
            shown = item.actual.date.date_text()
            ws.write_string(index, 8, f"{shown}：{LEVEL_NAMES.get(item.level or '', '—')}", s.cell)
        else:
            ws.write_string(index, 8, LEVEL_NAMES.get(item.level or "", "—"), s.cell)
        ws.write_string(index, 9, item.rule, s.cell)
        if item.completion is None:
            ws.write_string(index, 10, "—", s.cell)
        else:
            ws.write_number(index, 10, float(item.completion), s.cell_rate)
        ws.write_string(index, 11, item.arithmetic, s.cell)
        ws.write_number(index, 12, float(item.score), s.cell_points)
        _optional_number(ws, index, 13, ind.self_score, s)
        ws.write_string(index, 14, "是" if item.verified else "否（未核实）", s.cell)
        findings = cell_text("；".join(f"{p.code}：{p.message}" for p in row_findings.get(str(ind.row), [])))
        ws.write_string(index, 15, findings, s.cell)
        fit_row(ws, index, {1: ind.level1, 2: ind.level2, 3: ind.name, 5: ind.target, 6: _target_text(item),
                            7: ind.actual_text, 9: item.rule, 11: item.arithmetic, 14: "" if item.verified else "否（未核实）",
                            15: findings}, DETAIL_WIDTHS)
    ws.autofilter(0, 0, len(result.indicators) + 1, len(DETAIL_HEADERS) - 1)


def _target_text(item: IndicatorScore) -> str:
    """The target as read, beside the target as written: `正向：= 12 次`, `时限：11月底前`."""
    target = item.target
    if target.kind in (UNREADABLE, QUALITATIVE, DEADLINE):
        return target.describe()
    kinds = {"positive": "正向", "reverse": "反向", "range": "区间"}
    shown = f"{kinds.get(target.kind, target.kind)}：{target.describe()}"
    if target.op == "=":
        # An equal target is scored as a positive one: say so, or `=12次` shown as ≥ reads as a mistake.
        return f"{shown}（“=”按“≥”计分）"
    return shown


def _optional_number(ws, row: int, col: int, value: Decimal | None, s: Styles) -> None:
    if value is None:
        ws.write_blank(row, col, None, s.cell)
    else:
        ws.write_number(row, col, float(value), s.cell_points)


def _problem_sheet(ws, result: Result, s: Styles) -> None:
    """Every finding, with how to fix it; row 1 says whose cells 位置 names."""
    ws.merge_range(0, 0, 0, len(PROBLEM_HEADERS) - 1, PROBLEM_NOTE, s.note)
    for col, (label, width) in enumerate(PROBLEM_HEADERS):
        ws.write_string(1, col, label, s.header)
        ws.set_column(col, col, width)
    fit_row(ws, 1, {col: label for col, (label, _w) in enumerate(PROBLEM_HEADERS)}, PROBLEM_WIDTHS)
    ws.freeze_panes(2, 0)
    page_setup(ws, landscape=True, title_rows=2)
    for index, found in enumerate(result.problems, start=1):
        row = index + 1
        message, fix = cell_text(found.message), cell_text(found.fix)
        ws.write_number(row, 0, index, s.cell_int)
        ws.write_string(row, 1, found.severity.label, s.cell)
        ws.write_string(row, 2, found.code, s.cell)
        ws.write_string(row, 3, found.location, s.cell)
        ws.write_string(row, 4, message, s.cell)
        ws.write_string(row, 5, fix, s.cell)
        fit_row(ws, row, {2: found.code, 3: found.location, 4: message, 5: fix}, PROBLEM_WIDTHS)
    if not result.problems:
        ws.write_string(2, 4, "未发现问题", s.cell)
    ws.autofilter(1, 0, max(2, len(result.problems) + 1), len(PROBLEM_HEADERS) - 1)


def _about_sheet(ws, result: Result, s: Styles, layout: Layout) -> None:
    ws.set_column(0, 0, ABOUT_WIDTHS[0])
    ws.set_column(1, 1, ABOUT_WIDTHS[1])
    # Portrait, and one page: a label and its value never part.
    page_setup(ws, landscape=False, title_rows=0)
    ws.fit_to_pages(1, 1)
    profile = result.profile
    rows = (
        ("源文件", Path(result.source_path).name),
        ("源文件 SHA-256", result.source_sha256),
        ("评分规则", f"{profile.name}（{profile.title}）"),
        ("评分规则 SHA-256", profile.sha256),
        ("版式", f"{layout.name}（{layout.title}）" if layout.title else layout.name),
        ("版式 SHA-256", layout.sha256),
        ("程序", f"perfeval-xl {__version__}"),
        ("核算总分", f"{result.total_score}（{result.grade}）"),
        ("标记说明", "橙色底纹：未核实指标，按单位自评得分计入；红色底纹：有校验问题的单元格。"),
        ("公式", "执行率、执行率得分与总分为 Excel 公式，同时保存了计算结果；其余得分为核算值，计算过程见“评分明细”。"),
    )
    for index, (label, value) in enumerate(rows):
        ws.write_string(index, 0, label, s.plain_bold)
        ws.write_string(index, 1, cell_text(value), s.plain)
        fit_row(ws, index, {0: label, 1: cell_text(value)}, ABOUT_WIDTHS)
