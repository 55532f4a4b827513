"""The funds block of an Annex form (项目资金（万元）, 资金情况, 预算执行情况).

Sources as rows and stages as columns (the national layout), or the other
way round (the seed report's 预算执行情况 table, with 财政资金 as a two-row
header over 小计 | 中央级 | 省级 | 市级 | 县区级). Amounts said to be in 元
are divided by 10,000; dashes are blanks; the block's own 分值, 执行率 and
得分 cells, or points written in its labels, give the budget weight and the
department's budget score and rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..cells import a1
from ..model import ANNUAL, EXECUTED, INITIAL, RECEIVED, TOTAL, BudgetLine, BudgetTable
from ..problems import ERROR, INFO, WARNING, Problem, problem
from ..text import normalise, text_of
from .annex_labels import BARE_BUDGET, DERIVED_ROWS, SOURCE_LABELS, STAGE_LABELS, lookup
from .annex_table import dash, is_blank
from .base import Sheet
from .intake import header_key, number_of

_STAGES = lookup(STAGE_LABELS)
_SOURCES = lookup(SOURCE_LABELS)
_BARE_BUDGET = {label: "bare" for label in BARE_BUDGET}
_DERIVED = {label: "derived" for label in DERIVED_ROWS}
_AMOUNT_STAGES = (INITIAL, ANNUAL, EXECUTED, RECEIVED)
_POINTS = re.compile(r"\((\d+(?:\.\d+)?)分")
_YUAN = re.compile(r"(\(|单位[:]?)元(\)|$|[,;，；])")
TEN_THOUSAND = Decimal(10000)


@dataclass
class Funds:
    budget: BudgetTable
    weight: Decimal | None = None          # the block's 分值 cell
    weight_cell: str = ""
    self_score: Decimal | None = None      # the block's 得分 cell
    score_cell: str = ""
    label_weight: Decimal | None = None    # points written in the block's labels
    written_rate: Decimal | None = None    # the 执行率 the department wrote, as a fraction
    rate_cell: str = ""
    notes: list[Problem] = field(default_factory=list)


def _stage_keys(row: list[object]) -> dict[str, int]:
    columns: dict[str, int] = {}
    bare: int | None = None
    for c, cell in enumerate(row):
        if not isinstance(cell, str) or not cell.strip():
            continue
        key = header_key(cell, _STAGES)
        if key is not None:
            columns.setdefault(key, c)
        elif bare is None and header_key(cell, _BARE_BUDGET):
            bare = c
    if bare is not None and INITIAL not in columns and ANNUAL not in columns:
        columns[ANNUAL] = bare
    return columns


def _find(rows: list[list[object]], stop: int) -> tuple[int, dict[str, int]] | None:
    for r, row in enumerate(rows[:stop]):
        columns = _stage_keys(row)
        if sum(1 for key in columns if key in _AMOUNT_STAGES) >= 2 and EXECUTED in columns:
            return r, columns
    return None


def _transpose(rows: list[list[object]]) -> list[list[object]]:
    width = max((len(row) for row in rows), default=0)
    return [[row[c] if c < len(row) else "" for row in rows] for c in range(width)]


def read_funds(sheet: Sheet, stop: int, found: list[Problem]) -> Funds | None:
    """The funds block among the first `stop` rows of `sheet`, or None when there is none."""
    rows = sheet.rows[:stop]
    transposed = False
    header = _find(rows, stop)
    if header is None:
        flipped = _transpose(rows)
        header = _find(flipped, len(flipped))
        if header is None:
            return None
        rows, transposed = flipped, True
        header = header[0], {key: c for key, c in header[1].items() if key in _AMOUNT_STAGES}

    def address(r: int, c: int) -> str:
        return a1(c, r) if transposed else a1(r, c)

    header_row, columns = header
    first_stage = min(columns.values())
    notes: list[Problem] = []
    yuan_cell = _yuan(rows, header_row, first_stage, columns, address)
    label_weight = _label_points(rows, header_row, first_stage, columns)
    lines: dict[str, BudgetLine] = {}
    extra: dict[str, tuple[object, str]] = {}
    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        key, label = _source(row, first_stage)
        if key is None:
            if label is not None and not transposed and lines:
                break        # the next block begins
            if label is None and not lines and not transposed and r == header_row + 1 and _has_amounts(row, columns):
                key = TOTAL  # a single unlabelled row of figures is the total (the local Annex layout)
            else:
                continue
        if key in lines:
            continue
        amounts: dict[str, Decimal | None] = {}
        cells: dict[str, str] = {}
        for stage, c in columns.items():
            value = row[c] if c < len(row) else ""
            if stage in _AMOUNT_STAGES:
                cells[stage] = address(r, c)
                amounts[stage] = _amount(value, cells[stage], sheet.name, key, stage, yuan_cell is not None, found)
            elif not is_blank(value) and not dash(value) and stage not in extra:
                extra[stage] = (value, address(r, c))
        lines[key] = BudgetLine(key, r + 1, amounts, cells)
    if yuan_cell is not None:
        notes.append(problem("amounts-in-yuan", INFO, sheet.name, yuan_cell))
    if ANNUAL not in columns:
        initial = columns.get(INITIAL)
        if initial is None:
            found.append(problem("header-missing", ERROR, sheet.name, None, columns="全年预算数"))
            return None
        notes.append(problem("annual-budget-missing", WARNING, sheet.name, address(header_row, initial)))
        lines = {
            key: BudgetLine(line.label, line.row, {**line.amounts, ANNUAL: line.amounts.get(INITIAL)},
                            {**line.cells, ANNUAL: line.cells.get(INITIAL, "")})
            for key, line in lines.items()
        }
    received = RECEIVED in columns and any(line.amounts.get(RECEIVED) is not None for line in lines.values())
    funds = Funds(BudgetTable(lines, received), label_weight=label_weight, notes=notes)
    for stage, (value, cell) in extra.items():
        if stage == "rate":
            funds.written_rate, funds.rate_cell = _rate(value, sheet, cell), cell
        else:
            number, ok = number_of(value, strip_unit="分")
            if not ok:
                found.append(problem("not-a-number", ERROR, sheet.name, cell, value=text_of(value),
                                     field="预算执行" + ("分值" if stage == "weight" else "得分")))
            elif stage == "weight":
                funds.weight, funds.weight_cell = number, cell
            else:
                funds.self_score, funds.score_cell = number, cell
    return funds


def _source(row: list[object], first_stage: int) -> tuple[str | None, str | None]:
    """The innermost source label left of the figures, and whether any other label stands there."""
    other = None
    for c in range(min(first_stage, len(row)) - 1, -1, -1):
        value = row[c]
        if not isinstance(value, str) or not value.strip():
            continue
        key = header_key(value, _SOURCES)
        if key is not None:
            return key, value
        if header_key(value, _DERIVED) is None and other is None:
            other = value
    return None, other


def _has_amounts(row: list[object], columns: dict[str, int]) -> bool:
    for stage, c in columns.items():
        if stage in _AMOUNT_STAGES and c < len(row) and number_of(row[c], strip_unit="万元")[0] is not None:
            return True
    return False


def _amount(value, cell, sheet, key, stage, in_yuan, found) -> Decimal | None:
    if dash(value):
        return None
    number, ok = number_of(value, strip_unit="元" if in_yuan else "万元")
    if not ok:
        found.append(problem("not-a-number", ERROR, sheet, cell, value=text_of(value), field=f"{key}·{stage}"))
        return None
    if number is not None and in_yuan:
        number = number / TEN_THOUSAND
    return number


def _region(rows, header_row, first_stage, columns):
    """The cells that title the block: the header row and up to two rows above, and the label column."""
    for r in range(max(0, header_row - 2), min(len(rows), header_row + 8)):
        row = rows[r]
        limit = len(row) if r <= header_row else min(first_stage, len(row))
        for c in range(limit):
            if isinstance(row[c], str) and row[c].strip():
                yield r, c, normalise(row[c])


def _yuan(rows, header_row, first_stage, columns, address) -> str | None:
    for r, c, text in _region(rows, header_row, first_stage, columns):
        if _YUAN.search(text):
            return address(r, c)
    return None


def _label_points(rows, header_row, first_stage, columns) -> Decimal | None:
    for _r, _c, text in _region(rows, header_row, first_stage, columns):
        if any(word in text for word in ("预算执行", "得分", "项目资金", "资金情况")):
            match = _POINTS.search(text)
            if match:
                return Decimal(match.group(1))
    return None


def _rate(value: object, sheet: Sheet, cell: str) -> Decimal | None:
    if isinstance(value, str):
        text = normalise(value)
        number = number_of(text.rstrip("%"))[0]
        if number is None:
            return None
        return number / 100 if text.endswith("%") or number > Decimal("1.5") else number
    number = number_of(value)[0]
    if number is None:
        return None
    return number if number <= Decimal("1.5") else number / 100
