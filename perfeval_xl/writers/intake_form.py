"""The standard intake workbook (intake.md), written with xlsxwriter.

`write_intake(path)` writes the blank template a department fills in;
`write_intake(path, data)` writes the same layout already filled, which is
how the samples and the test fixtures are made. There is ONE layout and the
reader relies on it, so every cell position lives in the constants below.

The four sheets, in order: 填报说明 (instructions, never read), 项目信息,
预算执行, 绩效指标. xlsxwriter counts rows and columns from 0; Excel's A1
addresses come from cells.py. The 校验 sheet of check formulas is
intake_checks.py; formats are styles.py's `intake_*`.

Over 400 lines on purpose: the reader relies on this one layout, so every
sheet's cell positions, texts and validations stay together where one
reading shows them all.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import xlsxwriter
from xlsxwriter.workbook import Format
from xlsxwriter.worksheet import Worksheet

from ..cells import a1
from ..display import width as display_width
from .files import atomic_write, creation_time
from .intake_checks import Grid, write_check_sheet
from .printing import LINE_HEIGHT_11, fit_row, page_setup
from .styles import Styles

__all__ = [
    "BUDGET_COLUMNS",
    "BUDGET_ROWS",
    "INDICATOR_HEADERS",
    "PROJECT_LABELS",
    "SHEET_NAMES",
    "Percent",
    "write_intake",
]

SHEET_NAMES = ("填报说明", "项目信息", "预算执行", "绩效指标")

PROJECT_LABELS = (
    "评价年度",
    "项目名称",
    "项目编码",
    "主管部门",
    "实施单位",
    "项目负责人",
    "联系电话",
    "预期目标",
    "实际完成情况",
)

BUDGET_COLUMNS = ("年初预算数", "全年预算数", "实际到位数", "全年执行数")
# Row labels as printed in column A, rows 2..9. `data["budget"]` keys may
# leave out the 其中： prefix.
BUDGET_ROWS = (
    "年度资金总额",
    "其中：当年财政拨款",
    "中央级",
    "省级",
    "市级",
    "县区级",
    "上年结转资金",
    "其他资金",
)
BUDGET_UNIT_NOTE = "单位：万元"
_BUDGET_NOTE_ROW = 10  # A11

INDICATOR_HEADERS = (
    "一级指标",
    "二级指标",
    "三级指标",
    "分值",
    "年度指标值",
    "实际完成值",
    "达成情况",
    "自评得分",
    "偏差原因分析及改进措施",
    "指标性质",
    "计量单位",
)
_COL = {name: index for index, name in enumerate(INDICATOR_HEADERS)}
_BUDGET_ROW = 1  # row 2: 预算执行指标 / 预算执行率
_FIRST_INDICATOR_ROW = 2  # row 3
_BLANK_INDICATOR_ROWS = 40
BUDGET_LEVEL1 = "预算执行指标"
BUDGET_INDICATOR = "预算执行率"
DEFAULT_BUDGET_WEIGHT = 10
TOTAL_LABEL = "合计"

LEVEL1_CHOICES = ("产出指标", "效益指标", "满意度指标")
LEVEL2_CHOICES = (
    "数量指标",
    "质量指标",
    "时效指标",
    "成本指标",
    "经济效益指标",
    "社会效益指标",
    "生态效益指标",
    "可持续影响指标",
    "服务对象满意度指标",
)
NATURE_CHOICES = ("≥", ">", "=", "≤", "<", "正向", "反向", "定性")
ACHIEVEMENT_CHOICES = (
    "达成年度指标",
    "部分达成年度指标并具有一定效果",
    "未达成年度指标且效果较差",
)

# Widths in Excel character units; a CJK character takes about two.
_INDICATOR_WIDTHS = (14, 20, 34, 8, 16, 16, 30, 10, 40, 10, 10)
_EXAMPLE_TAG = "【示例】"
_LINE_HEIGHT = 15  # points per line of 11-point text
_PROJECT_VALUE_WIDTH = 80


class Percent(float):
    """A fraction written as a number with a percent format.

    `Percent(0.92)` is stored as 0.92 and shows 92% in Excel, the way a
    person types `92%` into a cell. Two decimals are shown only when needed
    (`Percent(0.9865)` shows 98.65%).
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Percent({float(self)!r})"

    @property
    def whole(self) -> bool:
        """True when the percentage has no decimals (0.92 -> 92 %)."""
        shown = float(self) * 100
        return abs(shown - round(shown)) < 1e-9


class _Formats:
    """The workbook's intake formats (styles.py, `intake_*`), each made once, when first used."""

    def __init__(self, styles: Styles) -> None:
        self._styles = styles

    def __getattr__(self, name: str) -> Format:
        return getattr(self._styles, f"intake_{name}")


def write_intake(path: str | os.PathLike[str], data: Mapping[str, Any] | None = None) -> Path:
    """Write the intake workbook to `path`: blank without `data`, else filled.

    `data` is a plain dict, every key optional::

        {"project": {"评价年度": 2021, "项目名称": "...", ...},      # PROJECT_LABELS
         "budget": {"年度资金总额": [年初, 全年, 到位, 执行], ...},  # BUDGET_ROWS, None = blank
         "indicators": [{"一级指标": ..., "分值": ..., ...}, ...],  # INDICATOR_HEADERS
         "total_row": {"分值": 100, "自评得分": 95.5},              # absent: no total row
         "merge_level1": True}

    The first indicator may be the budget row (三级指标 预算执行率); without
    it row 2 keeps the default budget row. Strings are written as text,
    numbers as numbers, `Percent` as a percent-formatted number. The file is
    written under a temporary name in the same folder and renamed when
    complete, so a crash never leaves half a workbook at `path`.
    """
    data = dict(data or {})
    unknown = set(data) - {"project", "budget", "indicators", "total_row", "merge_level1"}
    if unknown:
        raise ValueError(f"unknown intake keys: {sorted(unknown)}")
    target = Path(path)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "in_memory": True},
    )
    workbook.set_properties({"title": "项目支出绩效自评填报表", "created": creation_time()})
    styles = Styles(workbook)
    formats = _Formats(styles)
    sheets = [workbook.add_worksheet(name) for name in SHEET_NAMES]
    # A4, one page wide, the header row on every page; the two narrow tables portrait.
    for sheet, landscape, title_rows in zip(sheets, (True, False, False, True), (0, 1, 1, 1)):
        page_setup(sheet, landscape=landscape, title_rows=title_rows)
    _write_instructions(sheets[0], formats)
    _write_project(sheets[1], formats, data.get("project") or {})
    _write_budget(sheets[2], formats, data.get("budget") or {})
    grid = _write_indicators(
        sheets[3],
        formats,
        list(data.get("indicators") or []),
        data.get("total_row"),
        bool(data.get("merge_level1", False)),
    )
    project = data.get("project") or {}
    budget = {_budget_key(key): value for key, value in (data.get("budget") or {}).items()}
    budget_rows = {_budget_key(label): index + 1 for index, label in enumerate(BUDGET_ROWS)}
    write_check_sheet(workbook, styles, dict(zip(SHEET_NAMES[1:], sheets[1:])), Grid(
        project={offset + 1: project.get(label) for offset, label in enumerate(PROJECT_LABELS)},
        project_rows={label: offset + 1 for offset, label in enumerate(PROJECT_LABELS)},
        budget={(budget_rows[key], col): value for key, values in budget.items()
                for col, value in enumerate(values or (), start=1)},
        indicators=grid,
        first_row=_BUDGET_ROW,
        # Every row written, and one more: where a clerk would type a 合计 row.
        last_row=max(_FIRST_INDICATOR_ROW + _BLANK_INDICATOR_ROWS, max(row for row, _col in grid) + 1),
    ))
    workbook.close()
    atomic_write(target, buffer.getvalue())
    return target


def _write_cell(sheet: Worksheet, row: int, col: int, value: Any, formats: _Formats,
                number_format: Format | None = None) -> None:
    """Write one value by its type; text is never a formula."""
    if value is None:
        sheet.write_blank(row, col, None, formats.text)
    elif isinstance(value, Percent):
        sheet.write_number(row, col, float(value), formats.percent if value.whole else formats.percent2)
    elif isinstance(value, bool):
        raise TypeError(f"cannot write a boolean into the intake: {value!r}")
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, number_format or formats.number)
    elif isinstance(value, str):
        # write_string keeps `=HYPERLINK(...)` and `+86...` as text.
        if value:
            sheet.write_string(row, col, value, formats.text)
        else:
            sheet.write_blank(row, col, None, formats.text)
    else:
        raise TypeError(f"cannot write {type(value).__name__} into the intake: {value!r}")


def _fit_row_height(sheet: Worksheet, row: int, cells: Sequence[tuple[Any, float]]) -> None:
    """Give a row the height its wrapped text needs.

    LibreOffice and WPS do not grow a wrapped row on opening, so long texts
    would show one line only.
    """
    lines = 1
    for value, width in cells:
        if isinstance(value, str) and value:
            per_line = max(1.0, width - 1)
            lines = max(lines, sum(math.ceil(max(1, display_width(part)) / per_line)
                                   for part in value.splitlines() or [""]))
    if lines > 1:
        sheet.set_row(row, _LINE_HEIGHT * lines)


# ---------------------------------------------------------------- 填报说明

_INSTRUCTIONS: tuple[tuple[str, str], ...] = (
    ("title", "项目支出绩效自评填报表 填报说明"),
    ("note", "本页仅为说明，不会被读取。请在“项目信息”“预算执行”“绩效指标”三张表中填写，不要修改表名和表头文字。"),
    ("note", "一个工作簿填报一个项目、一个评价年度。"),
    ("heading", "一、项目信息"),
    ("note", "1. 在“填报内容”列逐项填写：评价年度填四位年份（如 2023）；项目名称、主管部门、实施单位、预期目标、实际完成情况必填。"),
    ("note", "2. 预期目标填年初设定的年度总体目标；实际完成情况填全年实际完成情况，两者不要照抄。"),
    ("heading", "二、预算执行（金额单位：万元）"),
    ("note", "1. 按资金来源填写年初预算数、全年预算数、实际到位数、全年执行数，只填数字，单位为万元（如 98.65）。"),
    ("note", "2. 中央级、省级、市级、县区级是当年财政拨款的细分，四项之和应等于当年财政拨款。"),
    ("note", "3. 年度资金总额 = 当年财政拨款 + 上年结转资金 + 其他资金；整行不填时按此自动合计。"),
    ("note", "4. 预算执行率 = 全年执行数 ÷ 全年预算数，由系统计算，不必填写。"),
    ("heading", "三、绩效指标"),
    ("note", "1. 第2行是预算执行指标（预算执行率），分值默认10分，只需填写自评得分。"),
    ("note", "2. 从第3行起每行填写一个三级指标；一级指标、二级指标、指标性质、达成情况请从下拉列表选择。"),
    ("note", "3. 分值：预算执行10分加各指标分值合计应为100分；一般产出指标50分、效益指标30分、满意度指标10分。"),
    ("note", "4. 年度指标值写法：≥95%、≤130万元、=12次、区间 90%-100%；定性指标写“有效提升”“明显改善”等文字。"),
    ("note", "5. 也可把符号填在“指标性质”列（≥ > = ≤ < 或 正向/反向/定性）、把单位填在“计量单位”列，此时年度指标值只填数字（如 95、≥、%）。"),
    ("note", "6. 实际完成值填实际达到的数值并写明单位，单位须与年度指标值相同或可换算（元/万元/亿元，天/日）；不要照抄“≥”“≤”等符号。"),
    ("note", "7. 定性指标须选择达成情况，并在对应分档内填写自评得分：达成年度指标 80%-100%，部分达成年度指标并具有一定效果 60%-80%，未达成年度指标且效果较差 0-60%（按该指标分值计）。"),
    ("note", "8. 未达成年度指标值，或大幅超出年度指标值时，须填写“偏差原因分析及改进措施”。"),
    ("note", "9. 如需合计行，在最后一个指标下一行的一级指标列填“合计”，分值列填分值合计，自评得分列填自评总分。"),
    ("heading", "四、自动校验"),
    ("note", "“校验”表随填写自动检查：分值合计是否为100、各一级指标分值小计、年度资金总额与各来源之和、财政拨款与中央至县区级之和、预算执行率及其得分、必填项。"),
    ("note", "填写时，有问题的单元格变成红色，必填而未填的是黄色；“校验”表不会被读取，不需要填写，也不要删除其中的公式。"),
    ("heading", "五、填写示例（仅为示例，本页内容不会被读取）"),
)

_EXAMPLE_ROWS: tuple[tuple[Any, ...], ...] = (
    ("产出指标", "数量指标", _EXAMPLE_TAG + "开展安全培训场次", 20, "≥12次", "14次", None, 20, None, None, None),
    ("效益指标", "社会效益指标", _EXAMPLE_TAG + "群众安全意识", 15, "有效提升", "有所提升",
     "部分达成年度指标并具有一定效果", 10.5, _EXAMPLE_TAG + "宣传覆盖面不足，下年度增加进村入户宣传", "定性", None),
    ("满意度指标", "服务对象满意度指标", _EXAMPLE_TAG + "服务对象满意度", 10, 95, 96, None, 10, None, "≥", "%"),
)


def _write_instructions(sheet: Worksheet, formats: _Formats) -> None:
    for col, width in enumerate(_INDICATOR_WIDTHS):
        sheet.set_column(col, col, width)
    row = 0
    # A note wraps within the table's width: text running on past it would widen the printed page.
    across = (float(sum(_INDICATOR_WIDTHS)),)
    for style, line in _INSTRUCTIONS:
        if style == "note":
            sheet.merge_range(row, 0, row, len(_INDICATOR_WIDTHS) - 1, None, formats.paragraph)
            sheet.write_string(row, 0, line, formats.paragraph)
            fit_row(sheet, row, {0: line}, across, line_height=LINE_HEIGHT_11)
        else:
            sheet.write_string(row, 0, line, getattr(formats, style))
        row += 1
    for col, name in enumerate(INDICATOR_HEADERS):
        sheet.write_string(row, col, name, formats.example_header)
    for example in _EXAMPLE_ROWS:
        row += 1
        for col, value in enumerate(example):
            if value is None:
                sheet.write_blank(row, col, None, formats.example)
            elif isinstance(value, str):
                sheet.write_string(row, col, value, formats.example)
            else:
                sheet.write_number(row, col, value, formats.example)
    sheet.write_string(row + 2, 0, "以上示例行标有“【示例】”，请勿复制到“绩效指标”表中。", formats.note)


# ---------------------------------------------------------------- 项目信息

_PROJECT_HINTS = {
    "评价年度": "四位年份，如 2023",
    "项目名称": "与预算批复一致",
    "预期目标": "年初设定的年度总体目标",
    "实际完成情况": "全年实际完成情况，不要照抄预期目标",
}


def _write_project(sheet: Worksheet, formats: _Formats, project: Mapping[str, Any]) -> None:
    unknown = set(project) - set(PROJECT_LABELS)
    if unknown:
        raise ValueError(f"unknown 项目信息 labels: {sorted(unknown)}")
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, _PROJECT_VALUE_WIDTH)
    sheet.write_string(0, 0, "项目", formats.header)
    sheet.write_string(0, 1, "填报内容", formats.header)
    for offset, label in enumerate(PROJECT_LABELS):
        row = offset + 1
        sheet.write_string(row, 0, label, formats.label)
        _write_cell(sheet, row, 1, project.get(label), formats, formats.plain_number)
        _fit_row_height(sheet, row, [(project.get(label), _PROJECT_VALUE_WIDTH)])
        if label in _PROJECT_HINTS:
            sheet.data_validation(row, 1, row, 1, {
                "validate": "any",
                "input_title": label,
                "input_message": _PROJECT_HINTS[label],
            })
    sheet.freeze_panes(1, 0)


# ---------------------------------------------------------------- 预算执行


def _budget_key(label: str) -> str:
    return label.removeprefix("其中：").removeprefix("其中:")


def _write_budget(sheet: Worksheet, formats: _Formats, budget: Mapping[str, Sequence[Any]]) -> None:
    rows = {_budget_key(label): index + 1 for index, label in enumerate(BUDGET_ROWS)}
    unknown = {_budget_key(key) for key in budget} - set(rows)
    if unknown:
        raise ValueError(f"unknown 预算执行 rows: {sorted(unknown)}")
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, len(BUDGET_COLUMNS), 14)
    sheet.write_string(0, 0, "资金来源", formats.header)
    for col, name in enumerate(BUDGET_COLUMNS, start=1):
        sheet.write_string(0, col, name, formats.header)
    for index, label in enumerate(BUDGET_ROWS):
        sheet.write_string(index + 1, 0, label, formats.label)
    amounts = {_budget_key(key): value for key, value in budget.items()}
    for key, row in rows.items():
        values = list(amounts.get(key) or [None] * len(BUDGET_COLUMNS))
        if len(values) != len(BUDGET_COLUMNS):
            raise ValueError(f"预算执行 row {key} needs {len(BUDGET_COLUMNS)} values, got {len(values)}")
        for col, value in enumerate(values, start=1):
            if value is None:
                sheet.write_blank(row, col, None, formats.amount)
            else:
                _write_cell(sheet, row, col, value, formats, formats.amount)
    sheet.write_string(_BUDGET_NOTE_ROW, 0, BUDGET_UNIT_NOTE, formats.note)
    sheet.data_validation(1, 1, len(BUDGET_ROWS), len(BUDGET_COLUMNS), {
        "validate": "decimal",
        "criteria": ">=",
        "value": 0,
        "input_title": "金额（万元）",
        "input_message": "填写数字，单位为万元，如 98.65；没有的填 0 或留空。",
        "error_title": "金额无效",
        "error_message": "请填写不小于 0 的数字，单位为万元。",
    })
    sheet.freeze_panes(1, 1)


# ---------------------------------------------------------------- 绩效指标


def _is_budget_row(indicator: Mapping[str, Any]) -> bool:
    return indicator.get("三级指标") == BUDGET_INDICATOR or indicator.get("一级指标") == BUDGET_LEVEL1


def _write_indicators(sheet: Worksheet, formats: _Formats, indicators: list[Mapping[str, Any]],
                      total_row: Mapping[str, Any] | None, merge_level1: bool) -> dict[tuple[int, int], Any]:
    """Write the sheet; return what its cells hold, (row, col) -> value, for the checks (intake_checks.py)."""
    for indicator in indicators:
        unknown = set(indicator) - set(INDICATOR_HEADERS)
        if unknown:
            raise ValueError(f"unknown 绩效指标 columns: {sorted(unknown)}")
    for col, width in enumerate(_INDICATOR_WIDTHS):
        sheet.set_column(col, col, width)
    for col, name in enumerate(INDICATOR_HEADERS):
        sheet.write_string(0, col, name, formats.header)
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 0)

    budget_row: Mapping[str, Any] = {
        "一级指标": BUDGET_LEVEL1, "三级指标": BUDGET_INDICATOR, "分值": DEFAULT_BUDGET_WEIGHT,
    }
    if indicators and _is_budget_row(indicators[0]):
        budget_row, indicators = indicators[0], indicators[1:]
    _write_indicator_row(sheet, formats, _BUDGET_ROW, budget_row)
    grid = {(_BUDGET_ROW, col): budget_row.get(name) for col, name in enumerate(INDICATOR_HEADERS)}

    for offset, indicator in enumerate(indicators):
        _write_indicator_row(sheet, formats, _FIRST_INDICATOR_ROW + offset, indicator)
        grid.update({(_FIRST_INDICATOR_ROW + offset, col): indicator.get(name) for col, name in enumerate(INDICATOR_HEADERS)})
    if merge_level1:
        for row in _merge_level1(sheet, formats, indicators):
            grid[(row, _COL["一级指标"])] = None

    if total_row is not None:
        validated_rows = len(indicators)
        row = _FIRST_INDICATOR_ROW + len(indicators)
        grid.update({(row, _COL[name]): value for name, value in _write_total_row(
            sheet, formats, row, [budget_row, *indicators], total_row).items()})
    else:
        validated_rows = max(_BLANK_INDICATOR_ROWS, len(indicators))
        for row in range(_FIRST_INDICATOR_ROW + len(indicators), _FIRST_INDICATOR_ROW + validated_rows):
            for col in range(len(INDICATOR_HEADERS)):
                sheet.write_blank(row, col, None, formats.text)
    if validated_rows:
        _add_indicator_validations(sheet, _FIRST_INDICATOR_ROW + validated_rows - 1)
    return grid


def _write_indicator_row(sheet: Worksheet, formats: _Formats, row: int, indicator: Mapping[str, Any]) -> None:
    for col, name in enumerate(INDICATOR_HEADERS):
        _write_cell(sheet, row, col, indicator.get(name), formats)
    _fit_row_height(sheet, row, [(indicator.get(name), _INDICATOR_WIDTHS[col])
                                 for col, name in enumerate(INDICATOR_HEADERS)])


def _merge_level1(sheet: Worksheet, formats: _Formats, indicators: list[Mapping[str, Any]]) -> list[int]:
    """Merge runs of equal 一级指标 cells, the way published forms do; return the rows left blank under each first."""
    col = _COL["一级指标"]
    start = 0
    covered: list[int] = []
    for end in range(1, len(indicators) + 1):
        value = indicators[start].get("一级指标")
        if end < len(indicators) and indicators[end].get("一级指标") == value:
            continue
        if end - start > 1 and value not in (None, ""):
            first, last = _FIRST_INDICATOR_ROW + start, _FIRST_INDICATOR_ROW + end - 1
            # merge_range() would pass the value to write(): write it as text.
            sheet.merge_range(first, col, last, col, None, formats.text)
            _write_cell(sheet, first, col, value, formats)
            covered.extend(range(first + 1, last + 1))
        start = end
    return covered


def _write_total_row(sheet: Worksheet, formats: _Formats, row: int,
                     lines: list[Mapping[str, Any]], total_row: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(total_row) - {"分值", "自评得分"}
    if unknown:
        raise ValueError(f"unknown total_row keys: {sorted(unknown)}")

    def column_sum(name: str) -> float | None:
        numbers = [line[name] for line in lines
                   if isinstance(line.get(name), (int, float)) and not isinstance(line.get(name), bool)]
        return sum(numbers) if numbers else None

    for col in range(len(INDICATOR_HEADERS)):
        sheet.write_blank(row, col, None, formats.text)
    sheet.write_string(row, _COL["一级指标"], TOTAL_LABEL, formats.label)
    written: dict[str, Any] = {"一级指标": TOTAL_LABEL}
    for name in ("分值", "自评得分"):
        value = written[name] = total_row[name] if name in total_row else column_sum(name)
        _write_cell(sheet, row, _COL[name], value, formats)
    return written


def _add_indicator_validations(sheet: Worksheet, last_row: int) -> None:
    first = _FIRST_INDICATOR_ROW

    def column(name: str, top: int = first) -> str:
        return f"{a1(top, _COL[name])}:{a1(last_row, _COL[name])}"

    def choose(name: str, choices: Sequence[str], message: str) -> None:
        sheet.data_validation(column(name), {
            "validate": "list",
            "source": list(choices),
            "input_title": name,
            "input_message": message,
            "error_type": "warning",
            "error_title": f"{name}不在列表中",
            "error_message": "请从下拉列表中选择；确需填写其他内容时可点“是”保留。",
        })

    choose("一级指标", LEVEL1_CHOICES, "从下拉列表选择：产出指标、效益指标或满意度指标；同一一级指标下的各行可合并或留空。")
    choose("二级指标", LEVEL2_CHOICES, "从下拉列表选择二级指标，须属于本行的一级指标。")
    choose("指标性质", NATURE_CHOICES,
           "可选：年度指标值只填数字时，在此选择符号（≥ > = ≤ <）或正向/反向；文字描述的指标选“定性”。")
    choose("达成情况", ACHIEVEMENT_CHOICES,
           "定性指标必选：达成 80%-100%、部分达成 60%-80%、未达成 0-60% 分值，自评得分须在该档内。")
    for name, top, message in (
        ("分值", _BUDGET_ROW, "本指标分值，0-100 的数字；预算执行 10 分加全部指标分值应为 100 分。"),
        ("自评得分", _BUDGET_ROW, "本单位自评得分，0-100 的数字，不超过本指标分值。"),
    ):
        sheet.data_validation(column(name, top), {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": 100,
            "input_title": name,
            "input_message": message,
            "error_title": f"{name}无效",
            "error_message": "请填写 0 到 100 之间的数字。",
        })
    sheet.data_validation(column("年度指标值"), {
        "validate": "any",
        "input_title": "年度指标值",
        "input_message": "如 ≥95%、≤130万元、=12次、90%-100%，或定性的“有效提升”。符号和单位也可分别填在“指标性质”“计量单位”列。",
    })
    sheet.data_validation(column("实际完成值"), {
        "validate": "any",
        "input_title": "实际完成值",
        "input_message": "填实际数值并写明单位（与年度指标值一致或可换算，如 元/万元），不要照抄“≥”“≤”。",
    })
    sheet.data_validation(column("偏差原因分析及改进措施"), {
        "validate": "any",
        "input_title": "偏差原因",
        "input_message": "未达成或大幅超出年度指标值时必填：说明原因和改进措施。",
    })
