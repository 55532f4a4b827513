"""The Annex 1 reader: a 项目支出绩效自评表 sheet, in any published layout -> Intake.

The form is a stack of blocks, each found by its own labels wherever it
stands: title and year, the header labels (项目名称 and its value to the
right), the funds block (annex_funds.py), 年度总体目标, and the indicator
table with its total row (annex_table.py). The result is the same Intake the
intake workbook gives, with every value at the sheet and cell it came from,
so one scoring engine and one set of checks serve both.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ..cells import a1
from ..display import percent_text
from ..model import (
    BUDGET_SHEET, INDICATOR_SHEET, PROJECT_SHEET, BudgetTable, Intake, ProjectInfo, SpecialRow, effective_total,
)
from ..problems import ERROR, WARNING, Problem, problem
from ..text import normalise, text_of
from .annex_funds import Funds, read_funds
from .annex_labels import (
    GOAL_BLOCK, GOAL_LABELS, INDICATOR_LABELS, OTHER_LABELS, PROJECT_LABELS, SOURCE_LABELS, STAGE_LABELS, lookup,
)
from .annex_table import Header, find_header, is_blank, read_table
from .base import Sheet
from .intake import header_key

_PROJECT = lookup(PROJECT_LABELS)
_GOALS = lookup(GOAL_LABELS)
_GOAL_BLOCK = {label: "block" for label in GOAL_BLOCK}
_KNOWN = {
    **lookup(STAGE_LABELS), **lookup(SOURCE_LABELS), **lookup(INDICATOR_LABELS), **_GOALS, **_GOAL_BLOCK,
    **{label: "other" for label in OTHER_LABELS}, **_PROJECT,
}
_LINE_LABELS = {**_PROJECT, **_GOALS}
_YEAR_IN_TEXT = re.compile(r"((?:19|20)\d{2})\s*年")
_YEAR_VALUE = re.compile(r"((?:19|20)\d{2})(\.0+)?年?度?")
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_CODE_FIRST = re.compile(r"^([0-9A-Za-z]{3,})[-－—_]")
_MISSING_NAMES = {"year": "评价年度", "name": "项目名称", "department": "主管部门", "unit": "实施单位",
                  "goal": "预期目标", "achieved": "实际完成情况"}
_CELL_LABELS = {**{key: labels[0] for key, labels in PROJECT_LABELS.items()}, **_MISSING_NAMES}
RATE_TOLERANCE = Decimal("0.005")   # 0.5 percentage points


def is_form(sheet: Sheet) -> Header | None:
    """The indicator header of an Annex form on `sheet`, or None when it holds none."""
    return find_header(sheet)


def prepare(sheet: Sheet, max_chars: int, found: list[Problem]) -> None:
    """Formulas without a value read as text, long text cut, error values reported and blanked."""
    for (row, col), formula in sheet.formulas.items():
        if row < len(sheet.rows) and col < len(sheet.rows[row]) and sheet.rows[row][col] in ("", None):
            sheet.rows[row][col] = formula
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if isinstance(value, str) and len(value) > max_chars:
                row[c] = value[:max_chars]
                found.append(problem("text-truncated", WARNING, sheet.name, a1(r, c), length=len(value), limit=max_chars))
    for (row, col), text in sorted(sheet.errors.items()):
        if row < len(sheet.rows) and col < len(sheet.rows[row]):
            found.append(problem("not-a-number", ERROR, sheet.name, a1(row, col), value=text, field="单元格为 Excel 错误值"))
            sheet.rows[row][col] = ""


def read_annex(
    sheet: Sheet,
    header: Header,
    *,
    stem: str = "",
    funds_sheet: Sheet | None = None,
    project_sheet: Sheet | None = None,
    lines: tuple[str, ...] = (),
    title: str = "",
) -> tuple[Intake, list[Problem]]:
    """One project from the form on `sheet` (its indicator header found by is_form).

    A Word report keeps its blocks in separate tables: `funds_sheet` and
    `project_sheet` are then the tables holding them, and `lines` the
    report's paragraphs (`项目名称：…`), `title` its first heading.
    """
    found: list[Problem] = []
    funds_sheet = funds_sheet or sheet
    project_sheet = project_sheet or sheet
    info_stop = header.row if project_sheet is sheet else len(project_sheet.rows)
    values, cells = _labels(project_sheet, info_stop)
    _from_lines(values, lines)
    if not values.get("name") and title:
        values["name"] = title
    goal_stop = header.row if project_sheet is sheet else len(project_sheet.rows)
    _goal(project_sheet, goal_stop, values, cells)
    if project_sheet is not sheet and not values.get("goal"):
        _goal(sheet, header.row, values, cells)
    year = _year(project_sheet, info_stop, values, cells, stem, found)
    table = read_table(sheet, header, found)
    stop = header.row if funds_sheet is sheet else len(funds_sheet.rows)
    funds = read_funds(funds_sheet, stop, found)
    if funds is None:
        found.append(problem("header-missing", ERROR, funds_sheet.name, None, columns="项目资金（全年预算数、全年执行数）"))
        funds = Funds(BudgetTable({}, False))
    found.extend(funds.notes)
    code = values.get("code") or None
    match = _CODE_FIRST.match(values.get("name", ""))
    if code is None and match:
        code = match.group(1)
    for key, label in _MISSING_NAMES.items():
        if key == "year":
            continue
        if not values.get(key):
            severity = WARNING if key == "unit" else ERROR
            found.append(problem("required-missing", severity, project_sheet.name, cells.get(key), field=label))
    project = ProjectInfo.of(values, year, code, {_CELL_LABELS.get(key, key): ref for key, ref in cells.items()})
    budget_row = _budget_row(funds, table.budget_row)
    _check_rate(funds, found, funds_sheet.name)
    intake = Intake(
        project, funds.budget, table.indicators, budget_row, table.totals, table.has_reason, table.has_achievement,
        form="annex",
        sheets={PROJECT_SHEET: project_sheet.name, BUDGET_SHEET: funds_sheet.name, INDICATOR_SHEET: sheet.name},
        has_weight_column=table.has_weight,
        printed_grade=table.printed_grade,
    )
    return intake, found


def _labels(sheet: Sheet, stop: int) -> tuple[dict[str, str], dict[str, str]]:
    values: dict[str, str] = {}
    cells: dict[str, str] = {}
    for r, row in enumerate(sheet.rows[:stop]):
        for c, cell in enumerate(row):
            if not isinstance(cell, str) or not cell.strip():
                continue
            key = header_key(cell, _PROJECT)
            if key is None or key in cells:
                continue
            cells[key] = a1(r, c + 1)
            for c2 in range(c + 1, len(row)):
                value = row[c2]
                if is_blank(value):
                    continue
                if isinstance(value, str) and header_key(value, _KNOWN) is not None:
                    break      # the next label: this one was left blank
                values[key] = text_of(value)
                cells[key] = a1(r, c2)
                break
    return values, cells


def _from_lines(values: dict[str, str], lines: tuple[str, ...]) -> None:
    """`项目名称：…` style lines of a report's text fill the fields no table gave."""
    for line in lines:
        text = line.strip()
        for sep in ("：", ":"):
            if sep in text:
                label, _, rest = text.partition(sep)
                key = header_key(label, _LINE_LABELS)
                if key is not None and rest.strip() and not values.get(key):
                    values[key] = rest.strip()
                break


def _goal(sheet: Sheet, stop: int, values: dict[str, str], cells: dict[str, str]) -> None:
    rows = sheet.rows[:stop]
    labels: dict[str, tuple[int, int]] = {}
    block: tuple[int, int] | None = None
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if isinstance(cell, str) and cell.strip():
                key = header_key(cell, _GOALS)
                if key is not None and key not in labels:
                    labels[key] = (r, c)
                elif block is None and header_key(cell, _GOAL_BLOCK):
                    block = (r, c)
    side_by_side = len(labels) == 2 and labels["goal"][0] == labels["achieved"][0]
    for key, (r, c) in labels.items():
        if values.get(key):
            continue
        spots = [(rr, c) for rr in range(r + 1, min(len(rows), r + 5))] if side_by_side else \
                [(r, cc) for cc in range(c + 1, len(rows[r]))]
        for rr, cc in spots:
            value = rows[rr][cc] if cc < len(rows[rr]) else ""
            if is_blank(value):
                continue
            if isinstance(value, str) and header_key(value, _KNOWN) is not None:
                break
            values[key], cells[key] = text_of(value), a1(rr, cc)
            break
    if block is not None and "goal" not in labels and not values.get("goal"):
        r, c = block
        for cc in range(c + 1, len(rows[r])):
            if not is_blank(rows[r][cc]):
                values["goal"], cells["goal"] = text_of(rows[r][cc]), a1(r, cc)
                break


def _year(sheet: Sheet, stop: int, values: dict[str, str], cells: dict[str, str], stem: str,
          found: list[Problem]) -> int | None:
    if values.get("year"):
        match = _YEAR_VALUE.fullmatch(normalise(values["year"]))
        if match:
            return int(match.group(1))
        found.append(problem("not-a-number", ERROR, sheet.name, cells.get("year"), value=values["year"], field="评价年度"))
        return None
    for r, row in enumerate(sheet.rows[: min(stop, 8)]):
        for c, cell in enumerate(row):
            if isinstance(cell, str):
                match = _YEAR_IN_TEXT.search(normalise(cell))
                if match and ("年度" in cell or "自评" in cell or "绩效" in cell or normalise(cell).startswith("(")):
                    cells["year"] = a1(r, c)
                    return int(match.group(1))
    match = _YEAR_IN_NAME.search(stem)
    if match:
        return int(match.group(1))
    found.append(problem("required-missing", ERROR, sheet.name, None, field="评价年度"))
    return None


def _budget_row(funds: Funds, table_row: SpecialRow | None) -> SpecialRow | None:
    """Which budget weight: the block's 分值, else the table's budget row, else the block's labels."""
    score = funds.self_score
    score_cell = funds.score_cell
    if score is None and table_row is not None:
        score, score_cell = table_row.self_score, table_row.cells.get("self_score", "")
    cells = {"self_score": score_cell} if score_cell else {}
    if funds.weight is not None:
        return SpecialRow(0, funds.weight, score, {**cells, "weight": funds.weight_cell}, text_of(funds.weight))
    if table_row is not None and table_row.weight is not None:
        return SpecialRow(table_row.row, table_row.weight, score, {**table_row.cells, **cells}, table_row.weight_text)
    if funds.label_weight is not None:
        return SpecialRow(0, funds.label_weight, score, cells, text_of(funds.label_weight))
    if score is not None:
        return SpecialRow(0, None, score, cells)
    return table_row


def _check_rate(funds: Funds, found: list[Problem], sheet: str) -> None:
    if funds.written_rate is None:
        return
    amounts, _cells = effective_total(funds.budget)
    annual = amounts.get("全年预算数") or Decimal(0)
    if annual <= 0:
        return
    computed = (amounts.get("全年执行数") or Decimal(0)) / annual
    if abs(computed - funds.written_rate) > RATE_TOLERANCE:
        found.append(problem("rate-mismatch", WARNING, sheet, funds.rate_cell,
                             written=percent_text(funds.written_rate), computed=percent_text(computed)))
