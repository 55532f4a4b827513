"""The one reader: an intake workbook -> (Intake | None, [Problem]).

Forgiving about layout, strict about meaning (intake.md): sheets by name,
header rows anywhere in the first 10 rows, columns by label in any order,
level cells carried down, numbers written as text read as numbers, and every
value that cannot be read reported with its sheet and cell, never guessed.
A little over 400 lines: the three sheets' readers share the label tables
and the value helpers above them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from .. import levels
from ..cells import a1
from ..display import as_percent
from .base import Sheet
from .grid import load_sheets_data
from .preflight import read_file
from .preflight import DEFAULT_LIMITS, Limits
from ..model import (
    ANNUAL,
    APPROPRIATION,
    BUDGET_SHEET,
    CARRYOVER,
    EXECUTED,
    INDICATOR_SHEET,
    INITIAL,
    OTHER,
    PROJECT_SHEET,
    RECEIVED,
    TOTAL,
    BudgetLine,
    BudgetTable,
    Intake,
    IndicatorRow,
    ProjectInfo,
    SpecialRow,
)
from ..problems import ERROR, WARNING, IntakeError, Problem, problem
from ..targets import parse_number
from ..text import normalise, normalise_label, text_of

HEADER_SCAN_ROWS = 10

PROJECT_LABELS = {
    "year": ("评价年度", "年度", "自评年度"),
    "name": ("项目名称",),
    "code": ("项目编码", "项目代码"),
    "department": ("主管部门", "主管部门及代码"),
    "unit": ("实施单位",),
    "leader": ("项目负责人",),
    "phone": ("联系电话",),
    "goal": ("预期目标", "年度总体目标", "年初设定目标"),
    "achieved": ("实际完成情况", "年度总体目标完成情况", "全年实际完成情况"),
}
PROJECT_REQUIRED = ("year", "name", "department", "unit", "goal", "achieved")

STAGE_LABELS = {
    INITIAL: ("年初预算数", "年初预算", "年初预算资金"),
    ANNUAL: ("全年预算数", "全年预算", "全年预算资金", "调整后预算数"),
    EXECUTED: ("全年执行数", "全年执行", "全年执行资金", "执行数"),
    RECEIVED: ("实际到位数", "实际到位资金", "到位数", "实际到位"),
}
STAGE_REQUIRED = (INITIAL, ANNUAL, EXECUTED)

SOURCE_LABELS = {
    TOTAL: ("年度资金总额", "资金总额", "合计", "年度总金额"),
    APPROPRIATION: ("当年财政拨款", "本年财政拨款", "财政拨款", "财政资金"),
    "中央级": ("中央级", "中央"),
    "省级": ("省级",),
    "市级": ("市级",),
    "县区级": ("县区级", "县级", "区级", "县(区)级"),
    CARRYOVER: ("上年结转资金", "上年结转"),
    OTHER: ("其他资金",),
}

INDICATOR_LABELS = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "name": ("三级指标", "目标指标", "指标名称"),
    "weight": ("分值", "权重"),
    "target": ("年度指标值", "目标值", "指标值", "年初目标值"),
    "nature": ("指标性质", "计算符号"),
    "unit": ("计量单位", "度量单位", "单位"),
    "actual": ("实际完成值", "业绩值", "全年实际值", "实际值"),
    "achievement": ("达成情况",),
    "self_score": ("自评得分", "得分", "指标得分"),
    "reason": ("偏差原因分析及改进措施", "偏差原因", "未完成原因及拟采取的改进措施"),
}
INDICATOR_REQUIRED = ("level1", "level2", "name", "weight", "target", "actual")

# A label may carry a bracketed note after it (`分值(分)`, `实际完成值(业绩值)`)
# and a required-field star (`*项目名称`), as templates of other offices do.
_TRAILING_NOTE = re.compile(r"\([^()]*\)$")
_STARS = "*＊※"


def _lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {label: key for key, labels in table.items() for label in labels}


_PROJECT = _lookup(PROJECT_LABELS)
_STAGES = _lookup(STAGE_LABELS)
_SOURCES = _lookup(SOURCE_LABELS)
_INDICATORS = _lookup(INDICATOR_LABELS)


# SPEED: the same few labels head every intake's columns; the key of each is looked up
# once per process. (table, key) is kept with the answer, so a table is never mistaken
# for another that took its id.
_HEADER_KEYS: dict[tuple[int, str], tuple[dict[str, str], str | None]] = {}


def header_key(value: object, table: dict[str, str]) -> str | None:
    if type(value) is str and len(value) <= 64:
        known = _HEADER_KEYS.get((id(table), value))
        if known is not None and known[0] is table:
            return known[1]
        if len(_HEADER_KEYS) > 8192:
            _HEADER_KEYS.clear()
        key = _header_key(value, table)
        _HEADER_KEYS[(id(table), value)] = (table, key)
        return key
    return _header_key(value, table)


def _header_key(value: object, table: dict[str, str]) -> str | None:
    text = normalise_label(value).strip(_STARS)
    if text in table:
        return table[text]
    bare = _TRAILING_NOTE.sub("", text).strip(_STARS)
    return table.get(bare) if bare else None


def read_intake(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> tuple[Intake | None, list[Problem]]:
    """Read one intake workbook. File-level failures come back as problems."""
    path = Path(path)
    try:
        data = read_file(path, limits)
    except IntakeError as exc:
        return None, [exc.problem]
    except OSError as exc:
        return None, [problem("file-unreadable", ERROR, reason=f"无法打开文件（{exc.strerror or exc}）")]
    return read_intake_data(data, path.name, limits=limits)


def read_intake_data(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS) -> tuple[Intake | None, list[Problem]]:
    """read_intake of a file's bytes (read once by the caller, who may hash the same bytes).

    `name` is the file's name, used only for its suffix (file-type-mismatch).
    """
    try:
        _names, sheets, notes = load_sheets_data(data, name, (PROJECT_SHEET, BUDGET_SHEET, INDICATOR_SHEET), limits)
    except IntakeError as exc:
        return None, [exc.problem]
    return intake_from_sheets(sheets, notes, limits=limits)


def intake_from_sheets(
    sheets: dict[str, Sheet], notes: list[Problem] = (), *, limits: Limits = DEFAULT_LIMITS
) -> tuple[Intake | None, list[Problem]]:
    """The intake from sheets already loaded as grids (grid.Sheet), with the notes of their loading.

    read_intake's second half; benchmarks/baseline.py feeds it grids read by pandas.
    """
    found: list[Problem] = list(notes)
    for name in (PROJECT_SHEET, BUDGET_SHEET, INDICATOR_SHEET):
        if name not in sheets:
            found.append(problem("sheet-missing", ERROR, name))
    for sheet in sheets.values():
        for (row, col), formula in sheet.formulas.items():
            if row < len(sheet.rows) and col < len(sheet.rows[row]) and sheet.rows[row][col] in ("", None):
                sheet.rows[row][col] = formula
        _cut_long_text(sheet, limits.max_cell_chars, found)
        for (row, col), text in sorted(sheet.errors.items()):
            if row >= len(sheet.rows) or col >= len(sheet.rows[row]):
                continue   # beyond what was read (too-many-rows)
            found.append(problem("not-a-number", ERROR, sheet.name, a1(row, col), value=text, field="单元格为 Excel 错误值"))
            sheet.rows[row][col] = ""
    if found and any(p.code == "sheet-missing" for p in found):
        return None, found
    project = _read_project(sheets[PROJECT_SHEET], found)
    budget = _read_budget(sheets[BUDGET_SHEET], found)
    indicator_part = _read_indicators(sheets[INDICATOR_SHEET], found)
    if budget is None or indicator_part is None:
        return None, found
    indicators, budget_row, totals, has_reason, has_achievement = indicator_part
    if _is_empty(project, indicators):
        # Not a project (a blank template sent by mistake): no Annex, no summary row.
        kept = [p for p in found if p.code != "required-missing"]
        return None, [*kept, problem("intake-empty", ERROR)]
    intake = Intake(project, budget, indicators, budget_row, totals, has_reason, has_achievement)
    return intake, found


# The template's own example rows carry this tag; they never count as filled.
EXAMPLE_TAG = "【示例】"


def _is_empty(project: ProjectInfo, indicators: tuple[IndicatorRow, ...]) -> bool:
    """No project field and no indicator row filled (the template as shipped)."""
    fields = (project.name, project.code, project.department, project.unit, project.leader, project.phone,
              project.goal, project.achieved)
    if project.year is not None or any(fields):
        return False
    return all(row.name.startswith(EXAMPLE_TAG) for row in indicators)


def _cut_long_text(sheet: Sheet, limit: int, found: list[Problem]) -> None:
    """Text past the limit is cut here, once, so that no writer ever sees it."""
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if isinstance(value, str) and len(value) > limit:
                row[c] = value[:limit]
                found.append(problem("text-truncated", WARNING, sheet.name, a1(r, c), length=len(value), limit=limit))


# --- values ----------------------------------------------------------------


_BLANK_MARKS = frozenset("/-")


def number_of(value: object, strip_unit: str = "") -> tuple[Decimal | None, bool]:
    """(number, ok). Blank -> (None, True); text that is no number -> (None, False).

    Text is read by the same rules as a target's number (targets.parse_number:
    `1,000`, full-width digits), after an optional unit such as 万元 or 分.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None, value in (None, "")
    if isinstance(value, (int, float, Decimal)):
        number = parse_number(value)
        return number, number is not None
    text = normalise(value)
    if not text or set(text) <= _BLANK_MARKS:
        # A dash or slash (`—`, `-`, `/`) is a blank (intake.md).
        return None, True
    if strip_unit and text.endswith(strip_unit):
        text = text[: -len(strip_unit)]
    number = parse_number(text)
    return number, number is not None


# --- 项目信息 -------------------------------------------------------------------


def _read_project(sheet: Sheet, found: list[Problem]) -> ProjectInfo:
    values: dict[str, str] = {}
    cells: dict[str, str] = {}
    raw: dict[str, object] = {}
    for r, row in enumerate(sheet.rows):
        for c, cell in enumerate(row):
            key = header_key(cell, _PROJECT) if isinstance(cell, str) else None
            if key is None or key in cells:
                continue
            cells[key] = a1(r, c + 1)
            for c2 in range(c + 1, len(row)):
                if row[c2] not in ("", None):
                    raw[key] = row[c2]
                    values[key] = text_of(row[c2])
                    cells[key] = a1(r, c2)
                    break
    for key in PROJECT_REQUIRED:
        if not values.get(key):
            found.append(
                problem("required-missing", ERROR, PROJECT_SHEET, cells.get(key), field=PROJECT_LABELS[key][0])
            )
    year = None
    if values.get("year"):
        match = re.fullmatch(r"(\d{4})(\.0+)?年?(度)?", normalise(values["year"]))
        if match:
            year = int(match.group(1))
        else:
            found.append(
                problem("not-a-number", ERROR, PROJECT_SHEET, cells["year"], value=values["year"], field="评价年度")
            )
    label_of = {key: labels[0] for key, labels in PROJECT_LABELS.items()}
    return ProjectInfo.of(values, year, values.get("code") or None, {label_of[key]: ref for key, ref in cells.items()})


# --- 预算执行 -------------------------------------------------------------------


def _find_header(rows: list[list[object]], table: dict[str, str], minimum: int) -> tuple[int, dict[str, int]] | None:
    best: tuple[int, dict[str, int]] | None = None
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        for c, cell in enumerate(row):
            key = header_key(cell, table) if isinstance(cell, str) else None
            if key and key not in columns:
                columns[key] = c
        if len(columns) >= minimum and (best is None or len(columns) > len(best[1])):
            best = (r, columns)
    return best


def _transpose(rows: list[list[object]]) -> list[list[object]]:
    width = max((len(row) for row in rows), default=0)
    return [[row[c] if c < len(row) else "" for row in rows] for c in range(width)]


def _read_budget(sheet: Sheet, found: list[Problem]) -> BudgetTable | None:
    rows = sheet.rows
    header = _find_header(rows, _STAGES, 2)
    transposed = False
    if header is None:
        # Some forms (the seed report's own table) put the stages in rows and
        # the sources in columns; read them the other way round.
        columns_as_rows = _transpose(rows)
        flipped = _find_header(columns_as_rows, _STAGES, 2)
        if flipped is not None:
            rows, header, transposed = columns_as_rows, flipped, True
    missing = [stage for stage in STAGE_REQUIRED if header is None or stage not in header[1]]
    if missing:
        found.append(problem("header-missing", ERROR, BUDGET_SHEET, None, columns="、".join(missing)))
        return None
    header_row, columns = header
    first_stage = min(columns.values())

    def address(r: int, c: int) -> str:
        return a1(c, r) if transposed else a1(r, c)

    lines: dict[str, BudgetLine] = {}
    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        key = None
        for c in range(min(first_stage, len(row))):
            key = header_key(row[c], _SOURCES) if isinstance(row[c], str) else None
            if key:
                break
        if key is None or key in lines:
            continue
        amounts: dict[str, Decimal | None] = {}
        cells: dict[str, str] = {}
        for stage, c in columns.items():
            value = row[c] if c < len(row) else ""
            cells[stage] = address(r, c)
            number, ok = number_of(value, strip_unit="万元")
            if not ok:
                found.append(
                    problem("not-a-number", ERROR, BUDGET_SHEET, cells[stage], value=text_of(value), field=f"{key}·{stage}")
                )
            amounts[stage] = number
        lines[key] = BudgetLine(key, r + 1, amounts, cells)
    if APPROPRIATION not in lines:
        found.append(problem("required-missing", ERROR, BUDGET_SHEET, None, field=APPROPRIATION))
    received = RECEIVED in columns and any(line.amounts.get(RECEIVED) is not None for line in lines.values())
    return BudgetTable(lines, received)


# --- 绩效指标 -------------------------------------------------------------------


def _read_indicators(sheet: Sheet, found: list[Problem]):
    header = _find_header(sheet.rows, _INDICATORS, 3)
    missing = [key for key in INDICATOR_REQUIRED if header is None or key not in header[1]]
    if missing:
        labels = "、".join(INDICATOR_LABELS[key][0] for key in missing)
        found.append(problem("header-missing", ERROR, INDICATOR_SHEET, None, columns=labels))
        return None
    header_row, columns = header
    indicators: list[IndicatorRow] = []
    totals: list[SpecialRow] = []
    budget_row: SpecialRow | None = None
    level1 = level2 = ""
    for r in range(header_row + 1, len(sheet.rows)):
        row = sheet.rows[r]
        if all(value in ("", None) for value in row):
            continue
        raw = {key: (row[c] if c < len(row) else "") for key, c in columns.items()}
        cells = {key: a1(r, c) for key, c in columns.items()}
        texts = {key: text_of(value) for key, value in raw.items()}
        if not any(texts.get(key) for key in columns if key not in ("level1", "level2")):
            if texts.get("level1") or texts.get("level2"):
                level1, level2 = levels.carry_down(texts, level1, level2)
            continue
        label_words = {normalise_label(texts.get(key, "")) for key in ("level1", "level2", "name")}
        weight, weight_ok = number_of(raw.get("weight"), strip_unit="分")
        self_score, score_ok = number_of(raw.get("self_score"), strip_unit="分")
        if not score_ok:
            found.append(
                problem("not-a-number", ERROR, INDICATOR_SHEET, cells["self_score"], value=texts["self_score"], field="自评得分")
            )
        if label_words & levels.TOTAL_WORDS:
            if not weight_ok:
                found.append(
                    problem("not-a-number", ERROR, INDICATOR_SHEET, cells["weight"], value=texts["weight"], field="合计分值")
                )
            totals.append(SpecialRow(r + 1, weight, self_score, cells, texts.get("weight", "")))
            continue
        row_level1 = levels.canonical_level1(texts.get("level1", ""))
        if normalise_label(texts.get("name", "")) == levels.BUDGET_NAME or row_level1 == levels.BUDGET_LEVEL1:
            if budget_row is None:
                budget_row = SpecialRow(r + 1, weight if weight_ok else None, self_score, cells, texts.get("weight", ""))
            continue
        level1, level2 = levels.carry_down(texts, level1, level2)
        percent = (r, columns["actual"]) in sheet.percent
        target_text = texts.get("target", "")
        if (r, columns["target"]) in sheet.percent and isinstance(raw.get("target"), (int, float)) and not isinstance(raw.get("target"), bool):
            # A target cell 0.95 shown as 95% means 95 %, as the person saw it.
            target_text = text_of(as_percent(Decimal(repr(raw["target"])))) + "%"
        actual = raw.get("actual")
        indicators.append(
            IndicatorRow(
                row=r + 1,
                level1=level1,
                level2=level2,
                name=texts.get("name", ""),
                weight=weight if weight_ok else None,
                weight_text=texts.get("weight", ""),
                target=target_text,
                nature=texts.get("nature", ""),
                unit=texts.get("unit", ""),
                # As written: the parser and the level matcher normalise a copy.
                actual=(actual.strip() if normalise(actual) else "") if isinstance(actual, str) else actual,
                actual_is_percent=percent and isinstance(actual, (int, float)) and not isinstance(actual, bool),
                achievement=texts.get("achievement", ""),
                self_score=self_score,
                reason=texts.get("reason", ""),
                cells=cells,
            )
        )
    return tuple(indicators), budget_row, tuple(totals), "reason" in columns, "achievement" in columns

