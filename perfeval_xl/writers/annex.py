"""The 附件1 项目支出绩效自评表 workbook, one per project (outputs.md).

Sheets: 项目支出绩效自评表 (the national layout, print-ready), 评分明细 (the
audit trail), 校验问题 (every finding) and 说明 (where it came from).
Written with xlsxwriter into memory and renamed into place when complete.
Text from a department is always written with write_string: it can never
become a formula.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from .. import __version__
from ..cells import a1, parse_a1
from ..evaluate import Result
from ..model import ANNUAL, APPROPRIATION, BUDGET_SHEET, CARRYOVER, EXECUTED, INDICATOR_SHEET, INITIAL, OTHER, TOTAL
from ..problems import ERROR
from ..scoring import LEVEL_NAMES, IndicatorScore, fmt
from ..targets import QUALITATIVE, UNREADABLE
from ..text import text_of
from .files import atomic_write, creation_time, safe_name
from .styles import Styles

ANNEX_SHEET = "项目支出绩效自评表"
DETAIL_SHEET = "评分明细"
PROBLEM_SHEET = "校验问题"
ABOUT_SHEET = "说明"
EXCEL_TEXT_LIMIT = 32767

# Annex columns of the indicator block.
COL_L1, COL_L2, COL_NAME, COL_TARGET, COL_ACTUAL, COL_WEIGHT, COL_RATE, COL_SCORE, COL_REASON = range(9)
# Intake column key -> Annex column, to mark the cells that have findings.
_MARK_COLUMN = {
    "level1": COL_L1, "level2": COL_L2, "name": COL_NAME, "target": COL_TARGET, "actual": COL_ACTUAL,
    "weight": COL_WEIGHT, "achievement": COL_RATE, "self_score": COL_SCORE, "reason": COL_REASON,
}
_SHORT_LEVEL = {"achieved": "达成", "partial": "部分达成", "failed": "未达成"}
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "in_memory": True}


def annex_filename(result: Result) -> str:
    project = result.intake.project
    stem = "_".join(part for part in (str(project.year or ""), project.department, project.name) if part)
    return safe_name(f"{stem}_绩效自评表") + ".xlsx"


def write_annex(result: Result, out_dir: str | Path, *, filename: str | None = None) -> Path:
    """Write the Annex workbook of a scored project into `out_dir`; return its path."""
    if result.intake is None:
        raise ValueError("a file that could not be read has no Annex")
    path = Path(out_dir) / (filename or annex_filename(result))
    atomic_write(path, render_annex(result))
    return path


def render_annex(result: Result) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    workbook.set_properties({"title": "项目支出绩效自评表", "created": creation_time(), "comments": f"perfeval-xl {__version__}"})
    styles = Styles(workbook)
    _annex_sheet(workbook.add_worksheet(ANNEX_SHEET), result, styles)
    _detail_sheet(workbook.add_worksheet(DETAIL_SHEET), result, styles)
    _problem_sheet(workbook.add_worksheet(PROBLEM_SHEET), result, styles)
    _about_sheet(workbook.add_worksheet(ABOUT_SHEET), result, styles)
    workbook.close()
    return buffer.getvalue()


def text(value: object) -> str:
    """Department text for a cell: within Excel's limit, never a formula."""
    shown = "" if value is None else str(value)
    return shown[:EXCEL_TEXT_LIMIT]


def _merge(ws, first_row, first_col, last_row, last_col, value, fmt_) -> None:
    if (first_row, first_col) == (last_row, last_col):
        ws.write_string(first_row, first_col, text(value), fmt_)
        return
    ws.merge_range(first_row, first_col, last_row, last_col, "", fmt_)
    ws.write_string(first_row, first_col, text(value), fmt_)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _marked_cells(result: Result) -> dict[int, set[str]]:
    """Intake row -> the intake column keys that carry a warning or an error."""
    marked: dict[int, set[str]] = {}
    by_cell = {}
    for item in result.indicators:
        for key, ref in item.indicator.cells.items():
            by_cell[ref] = (item.indicator.row, key)
    for found in result.problems:
        if found.sheet == INDICATOR_SHEET and found.cell in by_cell and found.severity.value != "info":
            row, key = by_cell[found.cell]
            marked.setdefault(row, set()).add(key)
    return marked


def _annex_sheet(ws, result: Result, s: Styles) -> None:
    project, budget = result.intake.project, result.budget
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_column(COL_L1, COL_L1, 11)
    ws.set_column(COL_L2, COL_L2, 13)
    ws.set_column(COL_NAME, COL_NAME, 28)
    ws.set_column(COL_TARGET, COL_ACTUAL, 14)
    ws.set_column(COL_WEIGHT, COL_SCORE, 10)
    ws.set_column(COL_REASON, COL_REASON, 30)
    ws.set_footer("&C第 &P 页，共 &N 页")

    _merge(ws, 0, 0, 0, COL_REASON, "项目支出绩效自评表", s.title)
    ws.set_row(0, 30)
    _merge(ws, 1, 0, 1, COL_REASON, f"（{project.year or '    '}年度）", s.subtitle)
    ws.repeat_rows(0, 1)
    ws.write_string(2, 0, "项目名称", s.label)
    _merge(ws, 2, 1, 2, COL_REASON, project.name, s.text)
    ws.write_string(3, 0, "主管部门", s.label)
    _merge(ws, 3, 1, 3, 4, project.department, s.text)
    ws.write_string(3, 5, "实施单位", s.label)
    _merge(ws, 3, 6, 3, COL_REASON, project.unit, s.text)

    # 项目资金（万元）: rows 4..8; the 年度资金总额 row carries 分值/执行率/得分.
    top = 4
    _merge(ws, top, 0, top + 4, 0, "项目资金\n（万元）", s.label)
    for col, label in enumerate(("", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), start=1):
        ws.write_string(top, col, label, s.label)
    ws.write_string(top, COL_REASON, "说明", s.label)
    lines = result.intake.budget.lines
    source_rows = ((APPROPRIATION, "其中：当年财政拨款"), (CARRYOVER, "上年结转资金"), (OTHER, "其他资金"))
    total_row = top + 1
    budget_marks = {ref for p in result.problems if p.sheet == BUDGET_SHEET and p.severity == ERROR for ref in [p.cell]}
    for offset, (key, label) in enumerate(source_rows, start=2):
        row = top + offset
        ws.write_string(row, 1, label, s.text)
        line = lines.get(key)
        for col, stage in zip((2, 3, 4), (INITIAL, ANNUAL, EXECUTED)):
            value = line.amounts.get(stage) if line else None
            style = s.error_money if line and line.cells.get(stage) in budget_marks else s.money
            if value is None:
                ws.write_blank(row, col, None, style)
            else:
                ws.write_number(row, col, float(value), style)
        for col in (5, 6, 7):
            ws.write_string(row, col, "—", s.center)
        ws.write_blank(row, COL_REASON, None, s.text)
    ws.write_string(total_row, 1, "年度资金总额", s.text)
    total_line = lines.get(TOTAL)
    written_total = total_line is not None and not total_line.is_blank()
    amounts = {INITIAL: budget.initial, ANNUAL: budget.annual, EXECUTED: budget.executed}
    for col, stage in zip((2, 3, 4), (INITIAL, ANNUAL, EXECUTED)):
        letter = "CDE"[col - 2]
        style = s.error_money if total_line and total_line.cells.get(stage) in budget_marks else s.money
        if written_total:
            value = total_line.amounts.get(stage)
            ws.write_number(total_row, col, float(value or 0), style)
        else:
            # The intake left the total blank: it is the sum of its sources (§1).
            ws.write_formula(total_row, col, f"=SUM({letter}{top + 3}:{letter}{top + 5})", style, float(amounts[stage]))
    ws.write_number(total_row, 5, float(budget.weight), s.points)
    d, e, f, g = (a1(total_row, col) for col in (3, 4, 5, 6))
    rate_value = float(budget.rate) if budget.rate is not None else 0
    ws.write_formula(total_row, 6, f"=IF({d}=0,0,{e}/{d})", s.rate, rate_value)
    ws.write_formula(total_row, 7, f"=ROUND({f}*MIN(1,{g}),2)", s.points, float(budget.score))
    ws.write_string(total_row, COL_REASON, budget.arithmetic, s.text)

    # 年度总体目标
    row = top + 5
    _merge(ws, row, 0, row + 1, 0, "年度总体目标", s.label)
    _merge(ws, row, 1, row, 4, "预期目标", s.label)
    _merge(ws, row, 5, row, COL_REASON, "实际完成情况", s.label)
    _merge(ws, row + 1, 1, row + 1, 4, project.goal, s.text)
    _merge(ws, row + 1, 5, row + 1, COL_REASON, project.achieved, s.text)
    longest = max(len(project.goal), len(project.achieved))
    ws.set_row(row + 1, min(409, max(45, 15 * (longest // 40 + 1))))

    # Indicator block
    header = row + 2
    labels = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "完成率", "得分", "偏差原因分析及改进措施")
    for col, label in enumerate(labels):
        ws.write_string(header, col, label, s.label)
    first = header + 1
    marked = _marked_cells(result)
    for index, item in enumerate(result.indicators):
        _indicator_row(ws, first + index, item, marked.get(item.indicator.row, set()), s)
    last = first + len(result.indicators) - 1
    _merge_levels(ws, result.indicators, first, s)

    # 总分
    total = last + 1
    _merge(ws, total, 0, total, 4, "总分", s.total_label)
    weight_sum = budget.weight + sum((item.weight for item in result.indicators), Decimal(0))
    if result.indicators:
        weight_formula = f"={a1(total_row, 5)}+SUM({a1(first, COL_WEIGHT)}:{a1(last, COL_WEIGHT)})"
        score_formula = f"={a1(total_row, 7)}+SUM({a1(first, COL_SCORE)}:{a1(last, COL_SCORE)})"
    else:
        weight_formula, score_formula = f"={a1(total_row, 5)}", f"={a1(total_row, 7)}"
    ws.write_formula(total, COL_WEIGHT, weight_formula, s.total, float(weight_sum))
    ws.write_string(total, COL_RATE, "—", s.total_label)
    ws.write_formula(total, COL_SCORE, score_formula, s.total, float(result.total_score))
    ws.write_string(total, COL_REASON, f"自评等级：{result.grade}", s.total_label)

    notes = total + 1
    unverified = [item for item in result.indicators if not item.verified]
    legend = (
        f"注：1. 得分依据《项目支出绩效评价管理办法》（财预〔2020〕10号）及评分规则“{result.profile.title or result.profile.name}”核算，计算过程见“{DETAIL_SHEET}”工作表。"
        f"2. 橙色底纹为“未核实”指标（共 {len(unverified)} 项、{fmt(result.unverified_points)} 分），按单位自评得分计入；红色底纹单元格有校验问题，见“{PROBLEM_SHEET}”工作表。"
    )
    _merge(ws, notes, 0, notes, COL_REASON, legend, s.note)
    ws.set_row(notes, 30)
    _merge(ws, notes + 2, 0, notes + 2, COL_REASON, "填表人：                联系电话：                填报日期：                单位负责人（签字）：", s.plain)
    ws.print_area(0, 0, notes + 2, COL_REASON)


def _indicator_row(ws, row: int, item: IndicatorScore, marks: set[str], s: Styles) -> None:
    ind = item.indicator
    unverified = not item.verified

    def style(key: str, normal, error, unverified_style=None):
        if key in marks:
            return error
        if unverified and unverified_style is not None:
            return unverified_style
        return normal

    ws.write_string(row, COL_L1, text(ind.level1), s.center)
    ws.write_string(row, COL_L2, text(ind.level2), style("level2", s.center, s.error_text))
    ws.write_string(row, COL_NAME, text(ind.name), s.text)
    ws.write_string(row, COL_TARGET, text(ind.target), style("target", s.center, s.error_text))
    actual = ind.actual
    if ind.actual_is_percent and isinstance(actual, (int, float)):
        shown = f"{fmt(Decimal(repr(actual)) * 100)}%"
    else:
        shown = text_of(actual)
    ws.write_string(row, COL_ACTUAL, text(shown), style("actual", s.center, s.error_text, s.unverified_text))
    ws.write_number(row, COL_WEIGHT, float(item.weight), style("weight", s.points, s.error_points))
    if unverified:
        ws.write_string(row, COL_RATE, "未核实", s.unverified_center)
    elif item.kind == QUALITATIVE:
        ws.write_string(row, COL_RATE, _SHORT_LEVEL.get(item.level or "", "—"), style("achievement", s.center, s.error_text))
    elif item.completion is not None:
        ws.write_number(row, COL_RATE, float(item.completion), s.rate)
    else:
        ws.write_string(row, COL_RATE, "—", s.center)
    ws.write_number(row, COL_SCORE, float(item.score), style("self_score", s.points, s.error_points, s.unverified_points))
    ws.write_string(row, COL_REASON, text(ind.reason), style("reason", s.text, s.error_text))


def _merge_levels(ws, items: tuple[IndicatorScore, ...], first: int, s: Styles) -> None:
    """Merge runs of equal 一级 (and 二级 within them) over their rows."""
    def runs(keys):
        start = 0
        for i in range(1, len(keys) + 1):
            if i == len(keys) or keys[i] != keys[start]:
                yield start, i - 1
                start = i

    level1 = [item.indicator.level1 for item in items]
    for start, end in runs(level1):
        if end > start:
            _merge(ws, first + start, COL_L1, first + end, COL_L1, level1[start], s.center)
    level2 = [(item.indicator.level1, item.indicator.level2) for item in items]
    for start, end in runs(level2):
        if end > start:
            _merge(ws, first + start, COL_L2, first + end, COL_L2, level2[start][1], s.center)


DETAIL_HEADERS = (
    ("行号", 6), ("一级指标", 11), ("二级指标", 13), ("三级指标", 26), ("分值", 7), ("年度指标值", 14),
    ("解析：目标", 16), ("实际完成值", 14), ("解析：实际（按目标单位）", 14), ("评分规则", 16),
    ("完成率", 10), ("计算过程", 44), ("得分", 8), ("自评得分", 8), ("是否核实", 8), ("本行问题", 40),
)


def _detail_sheet(ws, result: Result, s: Styles) -> None:
    for col, (label, width) in enumerate(DETAIL_HEADERS):
        ws.write_string(0, col, label, s.header)
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    budget = result.budget
    budget_row = result.intake.budget_row
    rate = "—" if budget.rate is None else f"{fmt(budget.executed)} / {fmt(budget.annual)}"
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
    budget_findings = [p for p in result.problems if p.sheet == BUDGET_SHEET and p.code.startswith(("budget-", "execution-"))]
    ws.write_string(1, 15, "；".join(f"{p.code}：{p.message}" for p in budget_findings), s.cell)
    row_findings: dict[str, list] = {}
    for p in result.problems:
        if p.sheet == INDICATOR_SHEET and p.cell:
            row_findings.setdefault(str(parse_a1(p.cell)[0] + 1), []).append(p)
    for index, item in enumerate(result.indicators, start=2):
        ind = item.indicator
        ws.write_number(index, 0, ind.row, s.cell_int)
        ws.write_string(index, 1, text(ind.level1), s.cell)
        ws.write_string(index, 2, text(ind.level2), s.cell)
        ws.write_string(index, 3, text(ind.name), s.cell)
        ws.write_number(index, 4, float(item.weight), s.cell_points)
        ws.write_string(index, 5, text(ind.target), s.cell)
        ws.write_string(index, 6, _target_text(item), s.cell)
        ws.write_string(index, 7, text(text_of(ind.actual) + ("（百分比格式）" if ind.actual_is_percent else "")), s.cell)
        if item.actual is not None and item.actual.value is not None:
            ws.write_string(index, 8, f"{fmt(item.actual.value)} {item.target.unit}".strip(), s.cell)
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
        findings = row_findings.get(str(ind.row), [])
        ws.write_string(index, 15, text("；".join(f"{p.code}：{p.message}" for p in findings)), s.cell)
    ws.autofilter(0, 0, len(result.indicators) + 1, len(DETAIL_HEADERS) - 1)


def _target_text(item: IndicatorScore) -> str:
    target = item.target
    if target.kind == UNREADABLE:
        return "无法识别"
    if target.kind == QUALITATIVE:
        return "定性"
    kinds = {"positive": "正向", "reverse": "反向", "range": "区间"}
    return f"{kinds.get(target.kind, target.kind)}：{target.describe()}"


def _optional_number(ws, row: int, col: int, value: Decimal | None, s: Styles) -> None:
    if value is None:
        ws.write_blank(row, col, None, s.cell)
    else:
        ws.write_number(row, col, float(value), s.cell_points)


def _problem_sheet(ws, result: Result, s: Styles) -> None:
    headers = (("序号", 6), ("级别", 8), ("代码", 26), ("位置", 16), ("说明", 90))
    for col, (label, width) in enumerate(headers):
        ws.write_string(0, col, label, s.header)
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    for index, found in enumerate(result.problems, start=1):
        ws.write_number(index, 0, index, s.cell_int)
        ws.write_string(index, 1, found.severity.label, s.cell)
        ws.write_string(index, 2, found.code, s.cell)
        ws.write_string(index, 3, found.location, s.cell)
        ws.write_string(index, 4, text(found.message), s.cell)
    if not result.problems:
        ws.write_string(1, 4, "未发现问题", s.cell)
    ws.autofilter(0, 0, max(1, len(result.problems)), len(headers) - 1)


def _about_sheet(ws, result: Result, s: Styles) -> None:
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 90)
    profile = result.profile
    rows = (
        ("源文件", Path(result.source_path).name),
        ("源文件 SHA-256", result.source_sha256),
        ("评分规则", f"{profile.name}（{profile.title}）"),
        ("评分规则 SHA-256", profile.sha256),
        ("版式", "national（全国通用附件1）"),
        ("程序", f"perfeval-xl {__version__}"),
        ("核算总分", f"{result.total_score}（{result.grade}）"),
        ("标记说明", "橙色底纹：未核实指标，按单位自评得分计入；红色底纹：有校验问题的单元格。"),
        ("公式", "执行率、执行率得分与总分为 Excel 公式，同时保存了计算结果；其余得分为核算值，计算过程见“评分明细”。"),
    )
    for index, (label, value) in enumerate(rows):
        ws.write_string(index, 0, label, s.plain_bold)
        ws.write_string(index, 1, text(value), s.plain)
