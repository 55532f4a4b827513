"""The intake template checks itself: live formulas and conditional formats, no macros.

A sheet `校验` after the three data sheets holds every check formula, so the
reader never sees one (it reads 项目信息, 预算执行 and 绩效指标 only)
and a template with nothing typed in stays an empty intake. On the left, the
checks a clerk looks at (the weights and level-1 subtotals, the budget arithmetic, the
execution rate and its score, required cells left blank), each with its
value, what it should be and a ✓ or ✗ that turns red; on the right, one
helper row per row of 绩效指标, on the same row number, that carries 一级
down (merged or blank under the first row of a group) and says what the row
counts for.

Conditional formats on the data sheets mark, while the clerk types: blank
required cells (yellow), a 年度资金总额 cell that is not the sum of its
sources, a 当年财政拨款 cell that is not the sum of its split, 全年执行数
above 实际到位数, 自评得分 above 分值, every 分值 cell while the weights do
not make 100, and the 一级 cells of a level whose weights are off (red).

Every formula carries the value it computes, worked out here in Python the
way Excel computes it (text in a number cell counts 0, as N() does), so the
sheet shows the figures before any recalculation. Levels are matched by the
words 产出 (or 成本), 效益 and 满意 in the carried 一级; the subtotals expected
are those of the national rules (产出 50, 效益 30, 满意度 10, budget 10).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..cells import a1, column_letter

CHECK_SHEET = "校验"
OK = "✓"
BAD = "✗ 请修改"
CHECK = "！请核对"
TOLERANCE = 0.01
DEFAULT_BUDGET_WEIGHT = 10
WEIGHTS_TOTAL = 100
LEVEL_WEIGHTS = (("产出", 50), ("效益", 30), ("满意度", 10))
TOTAL_LABELS = ("合计", "总分", "总计", "小计")

# 项目信息: the labels whose values the reader requires.
REQUIRED_PROJECT = ("评价年度", "项目名称", "主管部门", "实施单位", "预期目标", "实际完成情况")
# 预算执行 (0-based): rows of the total, 当年财政拨款, its split, 上年结转资金, 其他资金; columns B..E.
TOTAL_ROW, GRANT_ROW, SPLIT_ROWS, CARRIED_ROW, OTHER_ROW = 1, 2, (3, 4, 5, 6), 7, 8
STAGE_COLS = (1, 2, 3, 4)          # 年初预算数, 全年预算数, 实际到位数, 全年执行数
ANNUAL_COL, RECEIVED_COL, EXECUTED_COL = 2, 3, 4
# 绩效指标 (0-based columns).
L1, L2, NAME, WEIGHT, TARGET, ACTUAL, SELF = 0, 1, 2, 3, 4, 5, 7

# The helper table: columns H.. of 校验, one row per 绩效指标 row, same row number.
HELPER_HEADERS = ("指标表行号", "一级指标（向下沿用）", "合计行", "预算执行行", "计入分值", "维度", "预算执行分值", "缺项")
ROW_COL, LEVEL_COL, TOTAL_COL, BUDGET_COL, COUNTED_COL, DIMENSION_COL, BUDGET_WEIGHT_COL, MISSING_COL = range(7, 15)


def quoted(sheet: str, ref: str) -> str:
    return f"'{sheet}'!{ref}"


def _number(value: Any) -> float:
    """N(): a number is itself, anything else 0."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if _is_number(value):
        return format(value, "g")
    return str(value)


@dataclass(frozen=True)
class Grid:
    """What the data sheets hold, cell by cell (0-based), as written: the checks' inputs."""

    project: Mapping[int, Any]                     # 项目信息 row -> value in column B
    project_rows: Mapping[str, int]                # label -> row
    budget: Mapping[tuple[int, int], Any]          # 预算执行 (row, col) -> value
    indicators: Mapping[tuple[int, int], Any]      # 绩效指标 (row, col) -> value
    first_row: int                                 # 绩效指标's first row (the budget row)
    last_row: int                                  # 绩效指标's last row a check covers


class CheckSheet:
    """Writes the 校验 sheet and the conditional formats of the data sheets."""

    def __init__(self, workbook, styles, sheets: Mapping[str, Any], grid: Grid) -> None:
        self.workbook = workbook
        self.s = styles
        self.sheets = sheets          # name -> worksheet: 项目信息, 预算执行, 绩效指标
        self.grid = grid

    # -- the helper rows --------------------------------------------------------------

    def helper_values(self) -> dict[int, tuple]:
        """绩效指标 row -> (level carried, total, budget, counted weight, dimension, budget weight, missing)."""
        cells, rows = self.grid.indicators, {}
        carried = ""
        for row in range(self.grid.first_row, self.grid.last_row + 1):
            own = _text(cells.get((row, L1)))
            carried = own if own != "" or row == self.grid.first_row else carried
            labels = [_text(cells.get((row, col))).strip() for col in (L1, L2, NAME)]
            total = int(any(label in TOTAL_LABELS for label in labels))
            budget = 0 if total else int(labels[2] == "预算执行率" or "预算执行" in own)
            weight = cells.get((row, WEIGHT))
            counted = 0.0 if total or budget or not _is_number(weight) else max(0.0, float(weight))
            dimension = _dimension(carried) if counted else ""
            budget_weight = float(weight) if budget and _is_number(weight) else 0.0
            missing = int(not total and not budget and labels[2] != ""
                          and any(_blank(cells.get((row, col))) for col in (WEIGHT, TARGET, ACTUAL)))
            rows[row] = (carried, total, budget, counted, dimension, budget_weight, missing)
        return rows

    def write_helpers(self, ws) -> dict[int, tuple]:
        s, sheet = self.s, "绩效指标"
        for offset, label in enumerate(HELPER_HEADERS):
            ws.write_string(0, ROW_COL + offset, label, s.intake_header)
        values = self.helper_values()
        for row, (carried, total, budget, counted, dimension, budget_weight, missing) in values.items():
            R = row + 1
            ref = {col: quoted(sheet, a1(row, col)) for col in (L1, L2, NAME, WEIGHT, TARGET, ACTUAL)}
            level, flag_total, flag_budget = a1(row, LEVEL_COL), a1(row, TOTAL_COL), a1(row, BUDGET_COL)
            ws.write_number(row, ROW_COL, R, s.intake_number)
            if row == self.grid.first_row:
                ws.write_formula(row, LEVEL_COL, f'={ref[L1]}&""', s.intake_text, carried)
            else:
                ws.write_formula(row, LEVEL_COL, f'=IF({ref[L1]}<>"",{ref[L1]}&"",{a1(row - 1, LEVEL_COL)})', s.intake_text, carried)
            labels = ",".join(f'"{label}"' for label in TOTAL_LABELS)
            is_total = ",".join(f"ISNUMBER(MATCH(TRIM({ref[col]}),{{{labels}}},0))" for col in (L1, L2, NAME))
            ws.write_formula(row, TOTAL_COL, f"=IF(OR({is_total}),1,0)", s.intake_number, total)
            ws.write_formula(row, BUDGET_COL, f'=IF({flag_total}=1,0,IF(OR(TRIM({ref[NAME]})="预算执行率",'
                                              f'ISNUMBER(SEARCH("预算执行",{ref[L1]}))),1,0))', s.intake_number, budget)
            ws.write_formula(row, COUNTED_COL, f"=IF(OR({flag_total}=1,{flag_budget}=1),0,"
                                               f"IF(ISNUMBER({ref[WEIGHT]}),MAX(0,{ref[WEIGHT]}),0))", s.intake_number, counted)
            counted_ref = a1(row, COUNTED_COL)
            ws.write_formula(row, DIMENSION_COL, f'=IF({counted_ref}=0,"",'
                                                 f'IF(OR(ISNUMBER(SEARCH("产出",{level})),ISNUMBER(SEARCH("成本",{level}))),"产出",'
                                                 f'IF(ISNUMBER(SEARCH("效益",{level})),"效益",'
                                                 f'IF(ISNUMBER(SEARCH("满意",{level})),"满意度",""))))', s.intake_text, dimension)
            ws.write_formula(row, BUDGET_WEIGHT_COL, f"=IF(AND({flag_budget}=1,ISNUMBER({ref[WEIGHT]})),{ref[WEIGHT]},0)",
                             s.intake_number, budget_weight)
            ws.write_formula(row, MISSING_COL, f'=IF(AND({flag_total}=0,{flag_budget}=0,TRIM({ref[NAME]})<>"",'
                                               f'OR({ref[WEIGHT]}="",{ref[TARGET]}="",{ref[ACTUAL]}="")),1,0)',
                             s.intake_number, missing)
        return values

    def span(self, col: int) -> str:
        first, last = self.grid.first_row, self.grid.last_row
        return f"${column_letter(col)}${first + 1}:${column_letter(col)}${last + 1}"

    # -- the budget columns -----------------------------------------------------------

    def budget_column(self, col: int) -> dict[str, Any]:
        """One stage of 预算执行, computed: total as written, sources' sum, the total that counts, the checks."""
        cells = self.grid.budget
        total_row = [cells.get((TOTAL_ROW, c)) for c in STAGE_COLS]
        row_used = sum(_number(v) ** 2 for v in total_row) > 0
        total = cells.get((TOTAL_ROW, col))
        sources = [cells.get((r, col)) for r in (GRANT_ROW, CARRIED_ROW, OTHER_ROW)]
        sources_sum = sum(_number(v) for v in sources)
        effective = sources_sum if not row_used or _blank(total) else _number(total)
        total_bad = (row_used and not _blank(total) and any(_is_number(v) for v in sources)
                     and abs(_number(total) - sources_sum) > TOLERANCE)
        split = [cells.get((r, col)) for r in SPLIT_ROWS]
        split_bad = any(_is_number(v) for v in split) and abs(sum(_number(v) for v in split) - _number(cells.get((GRANT_ROW, col)))) > TOLERANCE
        return {"effective": effective, "total_bad": total_bad, "split_bad": split_bad,
                "received": any(_is_number(cells.get((r, col))) for r in range(TOTAL_ROW, OTHER_ROW + 1))}

    def budget_refs(self, col: int) -> dict[str, str]:
        """The same as Excel formulas (without the leading =)."""
        sheet = "预算执行"
        letter = column_letter(col)
        cell = lambda row: quoted(sheet, f"{letter}{row + 1}")
        first, last = column_letter(STAGE_COLS[0]), column_letter(STAGE_COLS[-1])
        row_used = f"SUMSQ({quoted(sheet, f'${first}${TOTAL_ROW + 1}:${last}${TOTAL_ROW + 1}')})>0"
        sources = f"N({cell(GRANT_ROW)})+N({cell(CARRIED_ROW)})+N({cell(OTHER_ROW)})"
        split = quoted(sheet, f"{letter}{SPLIT_ROWS[0] + 1}:{letter}{SPLIT_ROWS[-1] + 1}")
        return {
            "effective": f'IF(OR(NOT({row_used}),{cell(TOTAL_ROW)}=""),{sources},N({cell(TOTAL_ROW)}))',
            "total_bad": f'AND({row_used},{cell(TOTAL_ROW)}<>"",COUNT({cell(GRANT_ROW)},{cell(CARRIED_ROW)},{cell(OTHER_ROW)})>0,'
                         f"ABS(N({cell(TOTAL_ROW)})-({sources}))>{TOLERANCE})",
            "split_bad": f"AND(COUNT({split})>0,ABS(SUM({split})-N({cell(GRANT_ROW)}))>{TOLERANCE})",
            "received": f"COUNT({quoted(sheet, f'{letter}{TOTAL_ROW + 1}:{letter}{OTHER_ROW + 1}')})>0",
        }


def _dimension(level: str) -> str:
    if "产出" in level or "成本" in level:
        return "产出"
    if "效益" in level:
        return "效益"
    if "满意" in level:
        return "满意度"
    return ""


@dataclass(frozen=True)
class Check:
    """One line of the 校验 block: label, value (formula, cached), what it should be, status (formula, cached), note."""

    label: str
    formula: str
    value: Any
    expected: str
    status_formula: str | None
    status: str
    note: str
    style: str = "intake_check_number"


def write_check_sheet(workbook, styles, sheets: Mapping[str, Any], grid: Grid) -> None:
    """Add the 校验 sheet to `workbook` and the conditional formats to the data `sheets`."""
    from .printing import LINE_HEIGHT_11, fit_row, page_setup

    ws = workbook.add_worksheet(CHECK_SHEET)
    checks = CheckSheet(workbook, styles, sheets, grid)
    s = styles
    helpers = checks.write_helpers(ws)
    lines = _check_lines(checks, helpers)
    ws.write_string(0, 0, "填报校验（自动计算，随填写实时更新；本表不会被读取，也不计入评分）", s.intake_title)
    ws.write_string(1, 0, "结果为“✗ 请修改”的是错误，“！请核对”的是需要核对的提醒，两者都标红；对应的填报单元格也标成红色。"
                          "黄色单元格是必填而未填的。", s.intake_note)
    for col, label in enumerate(("检查项", "当前值", "应为", "结果", "说明")):
        ws.write_string(2, col, label, s.intake_header)
    widths = (30, 12, 16, 10, 70)
    for offset, line in enumerate(lines):
        row = 3 + offset
        fit_row(ws, row, {0: line.label, 2: line.expected, 4: line.note}, widths, line_height=LINE_HEIGHT_11)
        ws.write_string(row, 0, line.label, s.intake_label)
        ws.write_formula(row, 1, line.formula, getattr(s, line.style), "" if line.value is None else line.value)
        ws.write_string(row, 2, line.expected, s.intake_number)
        if line.status_formula is None:
            ws.write_blank(row, 3, None, s.intake_number)
        else:
            ws.write_formula(row, 3, line.status_formula, s.intake_number, line.status)
        ws.write_string(row, 4, line.note, s.intake_text)
    last = 3 + len(lines) - 1
    ws.conditional_format(3, 3, last, 3, {"type": "text", "criteria": "begins with", "value": "✗", "format": s.intake_check_bad})
    # A reminder (a warning of the rules) is red too: the clerk should look at it before sending.
    ws.conditional_format(3, 3, last, 3, {"type": "text", "criteria": "begins with", "value": "！", "format": s.intake_check_bad})
    ws.conditional_format(3, 3, last, 3, {"type": "text", "criteria": "begins with", "value": OK, "format": s.intake_check_ok})
    for col, width in enumerate((*widths, 2, 2, 8, 16, 6, 8, 8, 8, 10, 6)):
        ws.set_column(col, col, width)
    ws.freeze_panes(3, 0)
    page_setup(ws, landscape=True, title_rows=0)
    ws.print_area(0, 0, last, 4)             # the helper table is for the formulas, not for paper
    _data_sheet_formats(checks, lines)


def _check_lines(checks: CheckSheet, helpers: Mapping[int, tuple]) -> list[Check]:
    grid = checks.grid
    counted = checks.span(COUNTED_COL)
    dims = checks.span(DIMENSION_COL)
    budget_weights = checks.span(BUDGET_WEIGHT_COL)
    missing = checks.span(MISSING_COL)
    budget_candidates = [v[5] for v in helpers.values() if v[2]]
    budget_weight = max(budget_candidates) if budget_candidates and max(budget_candidates) > 0 else DEFAULT_BUDGET_WEIGHT
    weights = budget_weight + sum(v[3] for v in helpers.values())
    lines: list[Check] = []
    # Row numbers (1-based) of the lines, for the formulas that use earlier lines.
    at = lambda index: f"$B${4 + index}"
    lines.append(Check(
        "预算执行分值", f"=IF(MAX({budget_weights})>0,MAX({budget_weights}),{DEFAULT_BUDGET_WEIGHT})", budget_weight,
        str(DEFAULT_BUDGET_WEIGHT), None, "", "绩效指标第2行“预算执行率”的分值；未填或不大于0时按10分计。"))
    total_bad = abs(weights - WEIGHTS_TOTAL) > TOLERANCE
    lines.append(Check(
        "分值合计（预算执行 + 各指标）", f"={at(0)}+SUM({counted})", weights, str(WEIGHTS_TOTAL),
        f'=IF(ABS({at(1)}-{WEIGHTS_TOTAL})>{TOLERANCE},"{BAD}","{OK}")', BAD if total_bad else OK,
        "预算执行分值加全部指标分值应为100分（不含合计行）；不等于100是错误。"))
    for name, expected in LEVEL_WEIGHTS:
        subtotal = sum(v[3] for v in helpers.values() if v[4] == name)
        bad = budget_weight == DEFAULT_BUDGET_WEIGHT and abs(subtotal - expected) > TOLERANCE
        lines.append(Check(
            f"{name}指标分值小计", f'=SUMIFS({counted},{dims},"{name}")', subtotal, str(expected),
            f'=IF(AND({at(0)}={DEFAULT_BUDGET_WEIGHT},ABS({at(len(lines))}-{expected})>{TOLERANCE}),"{CHECK}","{OK}")',
            CHECK if bad else OK, f"预算执行10分时，一般{name}指标合计{expected}分；不同须有理由。"))
    stages = {col: checks.budget_column(col) for col in STAGE_COLS}
    refs = {col: checks.budget_refs(col) for col in STAGE_COLS}
    annual, executed, received = stages[ANNUAL_COL]["effective"], stages[EXECUTED_COL]["effective"], stages[RECEIVED_COL]["effective"]
    index_annual = len(lines)
    lines.append(Check(
        "全年预算数（万元）", f"={refs[ANNUAL_COL]['effective']}", annual, "大于0",
        f'=IF({at(index_annual)}>0,"{OK}","{BAD}")', OK if annual > 0 else BAD,
        "年度资金总额的全年预算数；总额整行未填时为当年财政拨款、上年结转资金、其他资金之和。为0时无法计算执行率。",
        "intake_check_amount"))
    lines.append(Check(
        "全年执行数（万元）", f"={refs[EXECUTED_COL]['effective']}", executed, "—", None, "", "年度资金总额的全年执行数。",
        "intake_check_amount"))
    rate = executed / annual if annual > 0 else None
    lines.append(Check(
        "预算执行率", f'=IF({at(index_annual)}>0,{at(index_annual + 1)}/{at(index_annual)},"")', rate, "—", None, "",
        "全年执行数 ÷ 全年预算数。", "intake_check_rate"))
    score = _round_half_up(budget_weight * min(1.0, rate)) if rate is not None else 0.0
    lines.append(Check(
        "预算执行率得分", f'=IF({at(index_annual)}>0,ROUND({at(0)}*MIN(1,{at(index_annual + 2)}),2),0)', score, "—", None, "",
        "预算执行分值 × min(1, 执行率)，保留两位小数。"))
    received_filled = stages[RECEIVED_COL]["received"]
    over = received_filled and executed > received + TOLERANCE
    lines.append(Check(
        "实际到位数（万元）", f"={refs[RECEIVED_COL]['effective']}", received, "不小于全年执行数",
        f'=IF(AND({refs[RECEIVED_COL]["received"]},{at(index_annual + 1)}>{at(len(lines))}+{TOLERANCE}),"{CHECK}","{OK}")',
        CHECK if over else OK, "填了实际到位数时，全年执行数不应超过它。", "intake_check_amount"))
    total_bad_count = sum(stages[col]["total_bad"] for col in STAGE_COLS)
    lines.append(Check(
        "年度资金总额≠来源之和的列数", "=" + "+".join(f"({refs[col]['total_bad']})" for col in STAGE_COLS), total_bad_count, "0",
        f'=IF({at(len(lines))}>0,"{BAD}","{OK}")', BAD if total_bad_count else OK,
        "年度资金总额应等于当年财政拨款 + 上年结转资金 + 其他资金（预算执行表中标红的列）。", "intake_check_int"))
    split_bad_count = sum(stages[col]["split_bad"] for col in STAGE_COLS)
    lines.append(Check(
        "财政拨款≠中央、省、市、县区级之和的列数", "=" + "+".join(f"({refs[col]['split_bad']})" for col in STAGE_COLS),
        split_bad_count, "0", f'=IF({at(len(lines))}>0,"{BAD}","{OK}")', BAD if split_bad_count else OK,
        "填了中央级、省级、市级、县区级时，四项之和应等于当年财政拨款。", "intake_check_int"))
    project_sheet = "项目信息"
    blanks = [grid.project_rows[label] for label in REQUIRED_PROJECT]
    blank_count = sum(1 for row in blanks if _blank(grid.project.get(row)))
    lines.append(Check(
        "项目信息必填项未填", "=" + "+".join(f'({quoted(project_sheet, a1(row, 1))}="")' for row in blanks), blank_count, "0",
        f'=IF({at(len(lines))}>0,"{BAD}","{OK}")', BAD if blank_count else OK,
        "评价年度、项目名称、主管部门、实施单位、预期目标、实际完成情况必填（项目信息表中黄色的单元格）。", "intake_check_int"))
    missing_count = sum(v[6] for v in helpers.values())
    lines.append(Check(
        "缺分值、年度指标值或实际完成值的指标行", f"=SUM({missing})", missing_count, "0",
        f'=IF({at(len(lines))}>0,"{BAD}","{OK}")', BAD if missing_count else OK,
        "填了三级指标的行，分值、年度指标值、实际完成值都要填（绩效指标表中黄色的单元格）。", "intake_check_int"))
    return lines


def _round_half_up(value: float) -> float:
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _data_sheet_formats(checks: CheckSheet, lines: Sequence[Check]) -> None:
    """Conditional formats on the cells a clerk types in; formulas only, nothing written into the cells."""
    s, grid = checks.s, checks.grid
    project, budget, indicators = (checks.sheets[name] for name in ("项目信息", "预算执行", "绩效指标"))
    for label in REQUIRED_PROJECT:
        row = grid.project_rows[label]
        project.conditional_format(row, 1, row, 1, {"type": "blanks", "format": s.intake_check_required})
    year = grid.project_rows["评价年度"]
    ref = a1(year, 1)
    project.conditional_format(year, 1, year, 1, {
        "type": "formula", "criteria": f'=AND({ref}<>"",OR(NOT(ISNUMBER({ref})),{ref}<1900,{ref}>2999,{ref}<>INT({ref})))',
        "format": s.intake_check_bad})
    first, last = column_letter(STAGE_COLS[0]), column_letter(STAGE_COLS[-1])
    top, grant, carried, other = TOTAL_ROW + 1, GRANT_ROW + 1, CARRIED_ROW + 1, OTHER_ROW + 1
    # Relative to the top-left cell of each range (B2, B3): Excel shifts the column for the others.
    budget.conditional_format(TOTAL_ROW, STAGE_COLS[0], TOTAL_ROW, STAGE_COLS[-1], {
        "type": "formula",
        "criteria": f'=AND(SUMSQ(${first}${top}:${last}${top})>0,{first}{top}<>"",COUNT({first}{grant},{first}{carried},{first}{other})>0,'
                    f"ABS(N({first}{top})-(N({first}{grant})+N({first}{carried})+N({first}{other})))>{TOLERANCE})",
        "format": s.intake_check_bad})
    split_top, split_bottom = SPLIT_ROWS[0] + 1, SPLIT_ROWS[-1] + 1
    budget.conditional_format(GRANT_ROW, STAGE_COLS[0], SPLIT_ROWS[-1], STAGE_COLS[-1], {
        "type": "formula",
        "criteria": f"=AND(COUNT({first}${split_top}:{first}${split_bottom})>0,"
                    f"ABS(SUM({first}${split_top}:{first}${split_bottom})-N({first}${grant}))>{TOLERANCE})",
        "format": s.intake_check_bad})
    received, executed = column_letter(RECEIVED_COL), column_letter(EXECUTED_COL)
    budget.conditional_format(TOTAL_ROW, EXECUTED_COL, OTHER_ROW, EXECUTED_COL, {
        "type": "formula", "criteria": f"=AND(ISNUMBER(${received}{top}),N(${executed}{top})>${received}{top}+{TOLERANCE})",
        "format": s.intake_check_warn})
    # 绩效指标: the rows a check covers.
    r0, r1 = grid.first_row, grid.last_row
    weights_line = next(index for index, line in enumerate(lines) if line.label.startswith("分值合计"))
    total_cell = quoted(CHECK_SHEET, f"$B${4 + weights_line}")
    indicators.conditional_format(r0, WEIGHT, r1, WEIGHT, {
        "type": "formula", "criteria": f'=AND({a1(r0, WEIGHT)}<>"",ABS({total_cell}-{WEIGHTS_TOTAL})>{TOLERANCE})',
        "format": s.intake_check_bad})
    level_checks = []
    for name, _expected in LEVEL_WEIGHTS:
        index = next(i for i, line in enumerate(lines) if line.label.startswith(name))
        status = quoted(CHECK_SHEET, f"$D${4 + index}")
        dimension = quoted(CHECK_SHEET, f"${column_letter(DIMENSION_COL)}{r0 + 1}")
        level_checks.append(f'AND({dimension}="{name}",LEFT({status},1)<>"{OK}")')
    indicators.conditional_format(r0, L1, r1, L1, {
        "type": "formula", "criteria": f'=AND({a1(r0, L1)}<>"",OR({",".join(level_checks)}))', "format": s.intake_check_bad})
    name_ref = f"${column_letter(NAME)}{r0 + 2}"
    total_flag = quoted(CHECK_SHEET, f"${column_letter(TOTAL_COL)}{r0 + 2}")
    indicators.conditional_format(r0 + 1, WEIGHT, r1, ACTUAL, {
        "type": "formula", "criteria": f'=AND({name_ref}<>"",{total_flag}=0,{a1(r0 + 1, WEIGHT)}="")',
        "format": s.intake_check_required})
    weight_ref, self_ref = f"${column_letter(WEIGHT)}{r0 + 1}", a1(r0, SELF)
    indicators.conditional_format(r0, SELF, r1, SELF, {
        "type": "formula", "criteria": f"=AND(ISNUMBER({self_ref}),ISNUMBER({weight_ref}),{self_ref}>{weight_ref}+{TOLERANCE})",
        "format": s.intake_check_bad})
