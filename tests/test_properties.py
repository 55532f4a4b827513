"""Properties that must hold for any input, found by hypothesis.

- the target/actual parser never raises, and reads back what it writes
  (`Target.describe`) and what a person writes in the canonical forms;
- the reader, over generated workbooks (random layouts, blank rows, merged
  level cells, odd cell types), never raises, reports only catalogued
  findings at real addresses, and finds the same project wherever it sits;
- file names made from department text are always safe.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helpers import clean_data
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.reading.intake import read_intake
from perfeval_xl.problems import CATALOGUE
from perfeval_xl.profiles import load_profile
from perfeval_xl.writers.intake_form import write_intake
from perfeval_xl.targets import POSITIVE, QUALITATIVE, RANGE, REVERSE, UNREADABLE, parse_actual, parse_target
from perfeval_xl.writers.files import MAX_NAME_BYTES, safe_name

NATIONAL = load_profile("national")
A1 = re.compile(r"^[A-Z]{1,3}[1-9][0-9]*$")
SHEETS = {"项目信息", "预算执行", "绩效指标"}

# --- the target/actual parser ------------------------------------------------------

OPERATORS = ["≥", ">", "≤", "<"]
UNITS = ["", "%", "万元", "元", "亿元", "公里", "天", "次", "人次", "个", "户", "万元/公里", "工作日"]
numbers = st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e9"), allow_nan=False,
                      allow_infinity=False, places=3)
anything = st.one_of(
    st.text(),
    st.text(alphabet="0123456789.,-~%％≥≤<>=＜＝万元亿次天日内以上下至之间控制在不低于（）()#!/ \u3000\n"),
    st.integers(), st.floats(), st.booleans(), st.none(), st.decimals(),
)


@given(anything, anything, anything, anything, anything, st.booleans())
def test_parser_never_raises_on_anything(target, actual, nature, unit, level2, percent):
    parsed = parse_target(target, nature=nature, unit=unit, level2=level2)
    assert parsed.kind in (POSITIVE, REVERSE, RANGE, QUALITATIVE, UNREADABLE)
    parsed.describe()
    result = parse_actual(actual, parsed, percent_format=percent)
    assert result.error in (None, "actual-missing", "unit-mismatch", "actual-not-number")


def _quantity(target):
    return (target.kind, target.value, target.low, target.high, target.unit)


@given(st.sampled_from(OPERATORS), numbers, st.sampled_from(UNITS))
@example("≥", Decimal("95"), "%")
def test_single_targets_read_as_written_and_round_trip(op, value, unit):
    written = f"{op}{value:f}{unit}"
    target = parse_target(written)
    assert target.kind == (POSITIVE if op in "≥>" else REVERSE)
    assert target.value == value and target.unit == unit
    again = parse_target(target.describe())
    assert _quantity(again) == _quantity(target)
    assert again.describe() == target.describe()


@given(numbers, numbers, st.sampled_from(UNITS))
def test_range_targets_read_as_written_and_round_trip(low, high, unit):
    low, high = min(low, high), max(low, high)
    target = parse_target(f"{low:f}-{high:f}{unit}")
    assert (target.kind, target.low, target.high, target.unit) == (RANGE, low, high, unit)
    again = parse_target(target.describe())
    assert _quantity(again) == _quantity(target)


TARGETISH = st.text(alphabet="0123456789.-%≥≤<>=万元次天个以上下内至不低于超过控制在", max_size=16)


@given(st.one_of(TARGETISH, st.text(max_size=20)))
def test_describe_is_a_fixed_point(text):
    target = parse_target(text)
    if target.kind not in (POSITIVE, REVERSE, RANGE):
        return
    again = parse_target(target.describe())
    assert _quantity(again) == _quantity(target)
    assert again.describe() == target.describe()


@given(st.sampled_from(OPERATORS), numbers, numbers, st.sampled_from(UNITS))
def test_actuals_read_back_their_number(op, goal, value, unit):
    target = parse_target(f"{op}{goal:f}{unit}")
    actual = parse_actual(f"{value:f}{unit}", target)
    assert (actual.value, actual.error, actual.operator_copied) == (value, None, False)


# --- the reader over generated workbooks ----------------------------------------------

ODD = st.one_of(
    st.booleans(), st.none(), st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.sampled_from(["#DIV/0!", "#REF!", "#N/A", "=1+1", "+-@", "合计", "其中：", "  ", "\u3000", "１２３",
                     "九十八", "≥", "98.65万元", "产出指标(50分)", "x" * 300]),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
)


@st.composite
def layouts(draw, odd: bool):
    """Where each block of a clean intake goes, and (when `odd`) cells spoiled with odd values."""
    data = clean_data()
    layout = {
        "project_at": (draw(st.integers(0, 5)), draw(st.integers(0, 3))),
        "project_gap": draw(st.integers(1, 2)),
        "project_order": draw(st.permutations(list(data["project"]))),
        "budget_at": (draw(st.integers(0, 5)), draw(st.integers(0, 3))),
        "stage_order": draw(st.permutations([0, 1, 2, 3])),
        "source_order": draw(st.permutations(list(data["budget"]))),
        "header_row": draw(st.integers(0, 8)),
        "column_order": draw(st.permutations(INDICATOR_COLUMNS)),
        "blank_rows": draw(st.sets(st.integers(0, len(data["indicators"])), max_size=3)),
        "merge_level1": draw(st.booleans()),
        "spoiled": draw(st.lists(st.tuples(st.sampled_from(sorted(SHEETS)), st.integers(0, 15),
                                           st.integers(0, 12), ODD), max_size=12)) if odd else [],
    }
    return data, layout


INDICATOR_COLUMNS = ["一级指标", "二级指标", "三级指标", "分值", "年度指标值", "实际完成值", "达成情况", "自评得分",
                     "偏差原因分析及改进措施"]
STAGES = ["年初预算数", "全年预算数", "实际到位数", "全年执行数"]


def write_layout(path, data, layout) -> None:
    book = openpyxl.Workbook()
    info = book.active
    info.title = "项目信息"
    top, left = layout["project_at"]
    for offset, label in enumerate(layout["project_order"]):
        info.cell(top + offset + 1, left + 1, label)
        info.cell(top + offset + 1, left + 1 + layout["project_gap"], data["project"][label])
    budget = book.create_sheet("预算执行")
    top, left = layout["budget_at"]
    budget.cell(top + 1, left + 1, "资金来源")
    for c, stage in enumerate(layout["stage_order"], start=1):
        budget.cell(top + 1, left + 1 + c, STAGES[stage])
    for r, source in enumerate(layout["source_order"], start=1):
        budget.cell(top + 1 + r, left + 1, source)
        for c, stage in enumerate(layout["stage_order"], start=1):
            budget.cell(top + 1 + r, left + 1 + c, data["budget"][source][stage])
    sheet = book.create_sheet("绩效指标")
    header = layout["header_row"] + 1
    for c, label in enumerate(layout["column_order"], start=1):
        sheet.cell(header, c, label)
    row = header
    previous = None
    for index, indicator in enumerate(data["indicators"]):
        if index in layout["blank_rows"]:
            row += 1
        row += 1
        for c, label in enumerate(layout["column_order"], start=1):
            value = indicator.get(label)
            if label == "一级指标" and layout["merge_level1"] and previous == value and index:
                value = None          # carried down, as under a merged cell
            if value is not None:
                sheet.cell(row, c, value)
        level1_column = layout["column_order"].index("一级指标") + 1
        if layout["merge_level1"] and previous == indicator.get("一级指标") and index:
            sheet.merge_cells(start_row=row - 1, start_column=level1_column, end_row=row, end_column=level1_column)
        previous = indicator.get("一级指标")
    for name, r, c, value in layout["spoiled"]:
        cell = book[name].cell(r + 1, c + 1)
        if type(cell).__name__ == "MergedCell":
            continue
        cell.value = value
    book.save(path)


def _reading(intake):
    project = intake.project
    return (
        (project.year, project.name, project.department, project.unit, project.goal, project.achieved),
        {key: line.amounts for key, line in intake.budget.lines.items()
         if any(value is not None for value in line.amounts.values())},
        [(i.level1, i.level2, i.name, i.weight, i.target, i.actual, i.self_score) for i in intake.indicators],
    )


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The clean project as read from the template's own layout."""
    path = tmp_path_factory.mktemp("reference") / "clean.xlsx"
    write_intake(path, clean_data())
    return _reading(read_intake(path)[0])


@FAST
@given(layouts(odd=False))
def test_reader_finds_the_same_project_in_any_layout(tmp_path, reference, case):
    data, layout = case
    path = tmp_path / "layout.xlsx"
    write_layout(path, data, layout)
    intake, found = read_intake(path)
    assert [p.code for p in found if p.severity.value == "error"] == []
    assert _reading(intake) == reference


@FAST
@given(layouts(odd=True))
def test_reader_never_raises_on_odd_cells(tmp_path, case):
    data, layout = case
    path = tmp_path / "odd.xlsx"
    write_layout(path, data, layout)
    intake, found = read_intake(path)
    for item in found:
        assert item.code in CATALOGUE
        assert item.sheet in (None, *SHEETS)
        assert item.cell is None or A1.match(item.cell), item
        item.message
    result = evaluate_file(path, NATIONAL)     # scoring and checks take whatever the reader gives
    assert (result.failure is None) == (intake is not None)


# --- names from department text --------------------------------------------------------

RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@given(st.one_of(st.text(), st.sampled_from(["CON", "con.txt", "NUL.绩效", "..", "../..", "a/../b", " . ", "\x00"]),
                 st.text(alphabet="./\\:*?\"<>|\x00\x1f CONUL局.", max_size=40)))
@example("局" * 200)
def test_safe_names_are_safe(text):
    name = safe_name(text)
    assert name and len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert not re.search(r'[\x00-\x1f\x7f<>:"/\\|?*]', name)
    assert ".." not in name and name == name.strip(" .")
    assert name.split(".")[0].strip().upper() not in RESERVED
