"""Writing one project's Annex sheet from a parsed Layout (docs/layouts.md).

`layout.py` turns a template workbook into a plain `Layout` once per run;
this module writes one project from it with xlsxwriter, creating the
workbook's formats once from the layout's cached format dicts, and marks
unverified indicators and the cells that carry findings.

Over 400 lines on purpose: one job (a project's form from a Layout) whose
scalar fields, indicator rows, live formulas and marks all address cells
through the same rendered-row mapping; the print setup at the end replays
the template's own.
"""

from __future__ import annotations

import math
from decimal import Decimal

from ...cells import a1
from ...display import cell_text, fmt, percent_text
from ...display import width as display_width
from ...problems import INFO
from ...model import ANNUAL, BUDGET_SHEET, DEADLINE, EXECUTED, INDICATOR_SHEET, QUALITATIVE, SOURCE_ROWS, TOTAL
from ...model import IndicatorScore, Result, dimension_of, effective_total
from ...text import text_of
from .layout import (
    _MARK_KEY, _SHORT_LEVEL, BLANK_IN_TEXT, INDICATOR, MARKED_ERROR, MARKED_FLAG,
    MARKED_UNVERIFIED, NORMAL, PROJECT_FIELDS, Layout, Slot, _Formula, _Number, _Text,
)


# --- writing one project ----------------------------------------------------------------




def render_layout(workbook, layout: Layout, result: Result):
    """Add the layout's sheet to `workbook`, filled with `result`; return the worksheet."""
    ws = workbook.add_worksheet(layout.sheet)
    _Sheet(ws, layout, result, _Formats(workbook, layout.formats)).write()
    return ws


class _Formats:
    """The workbook's formats for a layout: each made once, from its cached dict, when first used."""

    def __init__(self, workbook, styles: tuple[dict, ...]) -> None:
        self.workbook = workbook
        self.styles = styles
        self.made: list = [None] * len(styles)

    def __getitem__(self, index: int):
        if index < 0:
            return None
        made = self.made[index]
        if made is None:
            made = self.made[index] = self.workbook.add_format(self.styles[index])
        return made


class _Sheet:
    def __init__(self, ws, layout: Layout, result: Result, formats: _Formats) -> None:
        self.ws = ws
        self.layout = layout
        self.result = result
        self.formats = formats
        self.count = len(result.indicators)
        self.first = layout.repeat_row                      # first indicator row, rendered
        self.last = self.first + self.count - 1
        self.heights: dict[int, float] = {}
        self.budget_marks = result.flagged_cells(BUDGET_SHEET)
        self.indicator_marks = _marked_cells(result)
        self.sheet_marks = _sheet_marks(result)

    # -- addresses --

    def at(self, name: str) -> str | None:
        """The rendered A1 address of scalar field `name`, when the layout shows it."""
        where = self.layout.anchors.get(name)
        if where is None:
            return None
        return a1(self.layout.rendered_row(where[0], self.count), where[1])

    def column_range(self, field: str) -> str | None:
        col = self.layout.indicator_cols.get(field)
        if col is None or self.count == 0:
            return None
        return f"{a1(self.first, col)}:{a1(self.last, col)}"

    # -- writing --

    def write(self) -> None:
        layout = self.layout
        for slot in layout.slots:
            row = layout.rendered_row(slot.row, self.count)
            last_row = layout.rendered_row(slot.last_row, self.count)
            value, variant = self.scalar_cell(slot)
            self.put(slot, row, last_row, value, variant)
        self.write_indicators()
        self.page_setup()

    def put(self, slot: Slot, row: int, last_row: int, value, variant: int) -> None:
        ws = self.ws
        style = slot.styles[variant] if variant < len(slot.styles) else slot.styles[0]
        cell_format = self.formats[style]
        if slot.merged or last_row != row:
            ws.merge_range(row, slot.col, last_row, slot.last_col, "", cell_format)
        if isinstance(value, _Text):
            ws.write_string(row, slot.col, cell_text(value.value), cell_format)
            if slot.parts and last_row == row:
                self.fit_height(row, slot, value.value, style)
        elif isinstance(value, _Formula):
            ws.write_formula(row, slot.col, value.formula, cell_format, value.value)
        elif isinstance(value, _Number) and value.value is not None:
            ws.write_number(row, slot.col, value.value, cell_format)
        elif not slot.merged and last_row == row:
            ws.write_blank(row, slot.col, None, cell_format)

    def scalar_cell(self, slot: Slot):
        if not slot.parts:
            return slot.literal, NORMAL
        field = slot.field
        if field is not None:
            if field.name in self.sheet_marks:
                return self.scalar(field.name), MARKED_ERROR
            return self.scalar(field.name), self.budget_variant(field.name)
        return _Text("".join(part if isinstance(part, str) else self.scalar_text(part.name) for part in slot.parts)), NORMAL

    def budget_variant(self, name: str) -> int:
        source, _, stage = name.partition(".")
        if not stage:
            return NORMAL
        line = self.result.intake.budget.lines.get(source)
        return MARKED_ERROR if line is not None and line.cells.get(stage) in self.budget_marks else NORMAL

    # -- scalar fields --

    def scalar(self, name: str):
        result = self.result
        budget = result.budget
        project = result.intake.project
        if name in PROJECT_FIELDS:
            return _Text(text_of(getattr(project, PROJECT_FIELDS[name])))
        if name == "评价年度":
            return _Number(None if project.year is None else float(project.year))
        if "." in name:
            return self.amount(*name.split(".", 1))
        if name == "预算分值":
            return _Number(float(budget.weight))
        if name == "执行率":
            return _Formula(f"={self.rate_expression()}", float(budget.rate) if budget.rate is not None else 0.0)
        if name == "执行率得分":
            return _Formula(f"={self.budget_score_expression()}", float(budget.score))
        if name == "分值合计":
            weight = self.at("预算分值") or fmt(budget.weight)
            weights = result.indicator_weights
            return _Formula(self.total_formula(weight, "分值", weights), float(result.total_weight))
        if name == "总分":
            score = self.at("执行率得分") or self.budget_score_expression()
            scores = sum((item.score for item in result.indicators), Decimal(0))
            return _Formula(self.total_formula(score, "得分", scores), float(result.total_score))
        if name == "自评总分":
            return _Number(None if result.self_total is None else float(result.self_total))
        if name in ("未核实项数", "未核实分值"):
            unverified = [item for item in result.indicators if not item.verified]
            return _Number(float(len(unverified) if name == "未核实项数" else result.unverified_points))
        return _Text(self.scalar_text(name))

    def total_formula(self, head: str, field: str, literal: Decimal) -> str:
        column = self.column_range(field)
        if column is not None:
            return f"={head}+SUM({column})"
        if self.count and literal:
            return f"={head}+{fmt(literal)}"
        return f"={head}"

    def rate_expression(self) -> str:
        budget = self.result.budget
        annual = self.at(f"{TOTAL}.{ANNUAL}") or fmt(budget.annual)
        executed = self.at(f"{TOTAL}.{EXECUTED}") or fmt(budget.executed)
        return f"IF({annual}=0,0,{executed}/{annual})"

    def budget_score_expression(self) -> str:
        weight = self.at("预算分值") or fmt(self.result.budget.weight)
        rate = self.at("执行率") or self.rate_expression()
        return f"ROUND({weight}*MIN(1,{rate}),2)"

    def amount(self, source: str, stage: str):
        lines = self.result.intake.budget.lines
        line = lines.get(source)
        if source != TOTAL:
            value = line.amounts.get(stage) if line else None
            return _Number(None if value is None else float(value))
        if line is not None and not line.is_blank():
            return _Number(float(line.amounts.get(stage) or 0))
        # The intake left the total blank: it is the sum of its sources (scoring.md §1).
        total = effective_total(self.result.intake.budget)[0].get(stage, Decimal(0))
        refs = [self.at(f"{key}.{stage}") for key in SOURCE_ROWS]
        if all(refs):
            return _Formula(f"=SUM({_sum_range(refs)})", float(total))
        return _Number(float(total))

    def scalar_text(self, name: str) -> str:
        """A field's value written inside text; numbers as the arithmetic shows them (12.5, 98)."""
        result = self.result
        project = result.intake.project
        if name in PROJECT_FIELDS:
            shown = text_of(getattr(project, PROJECT_FIELDS[name]))
        elif name == "评价年度":
            shown = "" if project.year is None else str(project.year)
        elif name == "执行率":
            shown = "" if result.budget.rate is None else percent_text(result.budget.rate)
        elif name == "执行率算式":
            shown = result.budget.arithmetic
        elif name == "等级":
            shown = result.grade or ""
        elif name == "评分规则":
            shown = result.profile.title or result.profile.name
        elif name == "未核实项数":
            shown = str(sum(1 for item in result.indicators if not item.verified))
        else:
            shown = _decimal_text(name, result)
        return shown or BLANK_IN_TEXT

    # -- the indicator rows --

    def write_indicators(self) -> None:
        layout = self.layout
        items = self.result.indicators
        marks = [self.indicator_marks.get(item.indicator.row, frozenset()) for item in items]
        merge_keys = self.merge_keys()
        for slot in layout.repeat:
            field = slot.field
            if field is not None and field.merge:
                for start, end in _runs(merge_keys[slot.col]):
                    # A merged cell is marked when any of its rows has a finding there.
                    run_marks = frozenset().union(*marks[start:end + 1])
                    value, variant = self.indicator_cell(slot, items[start], start, run_marks)
                    self.put(slot, self.first + start, self.first + end, value, variant)
                continue
            for index, item in enumerate(items):
                value, variant = self.indicator_cell(slot, item, index, marks[index])
                self.put(slot, self.first + index, self.first + index, value, variant)

    def merge_keys(self) -> dict[int, list[tuple]]:
        """Column -> per indicator, the values that must be equal to merge: its own and those of merged columns to its left."""
        merged = sorted((slot.col, slot.field.name) for slot in self.layout.repeat if slot.field is not None and slot.field.merge)
        keys: dict[int, list[tuple]] = {}
        for position, (col, _name) in enumerate(merged):
            names = [name for _col, name in merged[: position + 1]]
            keys[col] = [
                tuple(self.indicator_text(name[len(INDICATOR):], item, index) for name in names)
                for index, item in enumerate(self.result.indicators)
            ]
        return keys

    def indicator_cell(self, slot: Slot, item: IndicatorScore, index: int, marks: frozenset[str]):
        field = slot.field
        if not slot.parts:
            return self.scalar_cell(slot)
        if field is None:
            pieces = []
            for part in slot.parts:
                if isinstance(part, str):
                    pieces.append(part)
                elif part.is_indicator:
                    pieces.append(self.indicator_text(part.name[len(INDICATOR):], item, index) or BLANK_IN_TEXT)
                else:
                    pieces.append(self.scalar_text(part.name))
            return _Text("".join(pieces)), NORMAL
        if not field.is_indicator:
            return self.scalar(field.name), self.budget_variant(field.name)
        name = field.name[len(INDICATOR):]
        value = self.indicator_value(name, item, index)
        unverified = not item.verified
        if name == "完成率" and unverified:
            return value, MARKED_FLAG
        if _MARK_KEY.get(name) in marks:
            return value, MARKED_ERROR
        if unverified and name in ("实际完成值", "得分"):
            return value, MARKED_UNVERIFIED
        return value, NORMAL

    def indicator_value(self, name: str, item: IndicatorScore, index: int):
        ind = item.indicator
        if name == "序号":
            return _Number(float(index + 1))
        if name == "分值":
            return _Number(float(item.weight))
        if name == "得分":
            return _Number(float(item.score))
        if name == "自评得分":
            return _Number(None if ind.self_score is None else float(ind.self_score))
        if name == "完成率" and item.verified and item.kind != QUALITATIVE and item.completion is not None:
            return _Number(float(item.completion))
        return _Text(self.indicator_text(name, item, index))

    def indicator_text(self, name: str, item: IndicatorScore, index: int) -> str:
        ind = item.indicator
        if name == "序号":
            return str(index + 1)
        if name in ("一级指标", "二级指标", "三级指标", "年度指标值", "偏差原因"):
            return text_of({"一级指标": ind.level1, "二级指标": ind.level2, "三级指标": ind.name,
                            "年度指标值": ind.joined_target, "偏差原因": ind.reason}[name])
        if name == "实际完成值":
            return ind.actual_text
        if name == "分值":
            return fmt(item.weight)
        if name == "得分":
            return str(item.score)
        if name == "自评得分":
            return "" if ind.self_score is None else fmt(ind.self_score)
        if name == "完成率":
            if not item.verified:
                return "未核实"
            if item.kind in (QUALITATIVE, DEADLINE):
                return _SHORT_LEVEL.get(item.level or "", "—")
            return percent_text(item.completion)
        if name == "评分规则":
            return item.rule
        return item.arithmetic    # 计算过程

    # -- heights and printing --

    def fit_height(self, row: int, slot: Slot, value: str, style: int) -> None:
        """Grow a row so that wrapped text is not cut off on screen or paper.

        Neither Excel nor LibreOffice fits a row to wrapped text in a merged
        cell, nor reliably to any text when it opens a file, so we set the
        height: estimated by 宋体's metrics in Excel (a CJK character 1 em,
        any other 1/2 em), which wraps sooner than LibreOffice does.
        """
        if style < 0 or not self.layout.formats[style].get("text_wrap") or not value:
            return
        size = float(self.layout.formats[style].get("font_size", 11))
        pixels = self.layout.col_pixels
        available = sum(pixels[col] for col in range(slot.col, slot.last_col + 1) if col < len(pixels)) - 6
        if available <= 0:
            return
        em = size * 4 / 3
        if len(value) * em <= available and "\n" not in value:
            return
        lines = 0
        for line in value.split("\n"):
            width = display_width(line) * em / 2
            lines += max(1, math.ceil(width / available))
        if lines > 1:
            self.heights[row] = max(self.heights.get(row, 0), min(409.0, lines * size * 1.4 + 3))

    def page_setup(self) -> None:
        ws, layout, setup = self.ws, self.layout, self.layout.print_setup
        for first, last, px, hidden in layout.columns:
            ws.set_column_pixels(first, last, px, None, {"hidden": True} if hidden else None)
        rows: dict[int, tuple[float | None, bool]] = {}
        for row, (height, hidden) in layout.rows.items():
            if row == layout.repeat_row:
                for index in range(self.count):
                    rows[self.first + index] = (height, hidden)
            elif row < layout.repeat_row or row > layout.repeat_row:
                rows[layout.rendered_row(row, self.count)] = (height, hidden)
        for row, needed in self.heights.items():
            height, hidden = rows.get(row, (None, False))
            base = height if height is not None else layout.default_height
            if needed > base:
                rows[row] = (needed, hidden)
        for row in sorted(rows):
            height, hidden = rows[row]
            if height is not None or hidden:
                ws.set_row(row, height, None, {"hidden": True} if hidden else None)
        if setup.landscape is True:
            ws.set_landscape()
        elif setup.landscape is False:
            ws.set_portrait()
        if setup.paper:
            ws.set_paper(setup.paper)
        if setup.fit:
            ws.fit_to_pages(*setup.fit)
        elif setup.scale:
            ws.set_print_scale(setup.scale)
        if setup.margins:
            ws.set_margins(*setup.margins)
        if setup.header or setup.header_margin is not None:
            ws.set_header(setup.header, {"margin": setup.header_margin} if setup.header_margin is not None else None)
        if setup.footer or setup.footer_margin is not None:
            ws.set_footer(setup.footer, {"margin": setup.footer_margin} if setup.footer_margin is not None else None)
        # Each sheet numbers its own pages (printing.py).
        ws.set_start_page(1)
        if setup.center_horizontally:
            ws.center_horizontally()
        if setup.center_vertically:
            ws.center_vertically()
        ws.hide_gridlines(0 if setup.print_gridlines else (1 if setup.screen_gridlines else 2))
        if setup.title_rows:
            ws.repeat_rows(*(self.map_row(row) for row in setup.title_rows))
        if setup.title_cols:
            ws.repeat_columns(*setup.title_cols)
        if setup.area:
            first_row, first_col, last_row, last_col = setup.area
            ws.print_area(self.map_row(first_row), first_col, self.map_row(last_row, end=True), last_col)
        if setup.freeze:
            ws.freeze_panes(self.map_row(setup.freeze[0]), setup.freeze[1])

    def map_row(self, row: int, *, end: bool = False) -> int:
        if row == self.layout.repeat_row:
            return self.first + max(self.count - 1, 0) if end else self.first
        return self.layout.rendered_row(row, self.count)


def _decimal_text(name: str, result: Result) -> str:
    """Scores and amounts written inside text, as the arithmetic shows them (12.5, 98)."""
    budget = result.budget
    values = {
        "预算分值": budget.weight,
        "执行率得分": budget.score,
        "分值合计": result.total_weight,
        "总分": result.total_score,
        "未核实分值": result.unverified_points,
        "自评总分": result.self_total,
    }
    if name in values:
        return fmt(values[name])
    source, _, stage = name.partition(".")
    lines = result.intake.budget.lines
    if source == TOTAL and (lines.get(TOTAL) is None or lines[TOTAL].is_blank()):
        return fmt(effective_total(result.intake.budget)[0].get(stage, Decimal(0)))
    line = lines.get(source)
    return fmt(line.amounts.get(stage)) if line is not None and line.amounts.get(stage) is not None else ""


def _sum_range(refs: list[str]) -> str:
    """D7:D9 for cells one under the other, else D7,D8,D9."""
    from ...cells import parse_a1

    cells = [parse_a1(ref) for ref in refs]
    same_column = len({col for _row, col in cells}) == 1
    rows = [row for row, _col in cells]
    if same_column and rows == list(range(rows[0], rows[0] + len(rows))):
        return f"{refs[0]}:{refs[-1]}"
    return ",".join(refs)


def _runs(keys: list) -> list[tuple[int, int]]:
    runs, start = [], 0
    for index in range(1, len(keys) + 1):
        if index == len(keys) or keys[index] != keys[start]:
            runs.append((start, index - 1))
            start = index
    return runs


def _marked_cells(result: Result) -> dict[int, set[str]]:
    """Intake row -> the intake column keys that carry a warning or an error.

    A level1-weights finding (on no one cell) marks the 一级指标 of every
    level whose weights do not make the profile's subtotal.
    """
    marked: dict[int, set[str]] = {}
    flagged = result.flagged_cells(INDICATOR_SHEET)
    off = _levels_off(result)
    for item in result.indicators:
        for key, ref in item.indicator.cells.items():
            if ref in flagged:
                marked.setdefault(item.indicator.row, set()).add(key)
        if dimension_of(item.indicator.level1) in off:
            marked.setdefault(item.indicator.row, set()).add("level1")
    return marked




def _sheet_findings(result: Result) -> set[str]:
    """Codes of the warnings and errors on 绩效指标 as a whole (no cell)."""
    return {p.code for p in result.problems if p.sheet == INDICATOR_SHEET and not p.cell and p.severity != INFO}


def _sheet_marks(result: Result) -> frozenset[str]:
    """Scalar fields marked by a finding on no one cell: weights-sum marks the weights' total."""
    return frozenset(("分值合计",)) if "weights-sum" in _sheet_findings(result) else frozenset()


def _levels_off(result: Result) -> set[str]:
    """The 一级 levels whose weights differ from the profile's subtotal, when level1-weights was found."""
    if "level1-weights" not in _sheet_findings(result):
        return set()
    expected = result.profile.level1_weights
    subtotals = {name: Decimal(0) for name in expected}
    for item in result.indicators:
        dimension = dimension_of(item.indicator.level1)
        if dimension in subtotals:
            subtotals[dimension] += item.weight
    return {name for name, weight in subtotals.items() if weight != expected[name]}
