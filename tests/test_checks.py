"""Every finding code, triggered from a workbook (scoring.md "Problem model").

Each case starts from the clean intake (`clean_data()`, which raises nothing)
and makes ONE change, then checks the exact projection
`(code, severity, sheet, cell)` of everything the run reports: the finding the
change is about, plus the findings the spec says follow from it (`also`, e.g.
an indicator scoring below its weight with no reason given also raises
deviation-reason-missing). Comparing the whole projection also catches false
alarms. Where the spec fixes the resulting score, it is checked too.

Rows on 绩效指标 (clean intake): 2 budget row, 3 数量 (15, ≥120公里),
4 质量 (15, ≥95%), 5 时效 (10, ≤300天), 6 成本 (10, ≤200万元),
7 社会效益 (15, ≥95%), 8 可持续影响 (15, 定性 有效提升), 9 满意度 (10, ≥90%).
Columns: B 二级指标, D 分值, E 年度指标值, F 实际完成值, G 达成情况,
H 自评得分, I 偏差原因. 预算执行: row 2 年度资金总额, 3 当年财政拨款,
4 中央级, 7 县区级, 8 上年结转资金, 9 其他资金; B 年初 C 全年预算 D 到位 E 执行.
项目信息: B2 评价年度, B3 项目名称, B9 预期目标, B10 实际完成情况.
"""

from __future__ import annotations

import datetime
import string
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from helpers import clean_data, findings
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.problems import CATALOGUE, ERROR, WARNING, problem
from perfeval_xl.writers.intake_form import Percent

# Codes that no workbook can raise through today's reader, or that need a
# hostile file to raise: they belong to the later hostile-files issue
# (size and row limits, zip bombs, macros, encryption, over-long text).
HOSTILE_FILE_CODES = frozenset({
    "file-too-complex",      # tests/test_reading_tokenizer.py
    "formats-unreadable",    # tests/test_reading_tokenizer.py
    "file-too-large",
    "zip-bomb",
    "too-many-rows",
    "text-truncated",
    "macros-ignored",
    "file-encrypted",
    "xml-entities",
    "file-type-mismatch",
})  # their cases live in tests/test_hostile.py

# Raised by batch.run_batch when scoring one file raises (a bug, not a cell):
# no workbook content is meant to raise it, so it has no case here.
# Found across a batch or in a review workbook, not in one intake (tests/test_batch.py, tests/test_review.py).
BATCH_CODES = frozenset({"worker-crashed", "copied-across-projects", "review-score-invalid", "review-source-changed",
                         "review-project-unknown"})
# Findings only Annex forms give: each has its case in test_annex_forms.py.
ANNEX_FORM_CODES = frozenset({"form-not-recognised", "amounts-in-yuan", "annual-budget-missing", "rate-mismatch",
                              "weight-column-missing", "grade-mismatch"})

# Containment, finite figures and the findings cap (issue 13): their cases build their own
# situation (a hanging or dying reader, a FIFO, a denominator near 0, 400 bad rows) and
# live in tests/test_contained.py, test_finite.py and test_outputs.py.
CONTAINMENT_CODES = frozenset({
    "read-timeout", "file-too-complex", "not-a-regular-file", "too-many-findings", "ratio-out-of-range",
})

P, I, B = "绩效指标", "项目信息", "预算执行"
E, W, N = "error", "warning", "info"


def projection(result) -> list[tuple]:
    return sorted(((p.code, p.severity.value, p.sheet, p.cell) for p in result.problems), key=repr)


# --- one change to the clean intake --------------------------------------------


def row(number: int, **cells) -> Callable[[dict], None]:
    """Change cells of sheet row `number` of 绩效指标 (2 = the budget row)."""
    def change(data: dict) -> None:
        data["indicators"][number - 2].update(cells)
    return change


def drop_row(number: int) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        del data["indicators"][number - 2]
    return change


def budget(**rows) -> Callable[[dict], None]:
    """Replace whole rows of 预算执行: [年初预算数, 全年预算数, 实际到位数, 全年执行数]."""
    def change(data: dict) -> None:
        data["budget"].update(rows)
    return change


def budget_cell(label: str, column: int, value) -> Callable[[dict], None]:
    """Change one amount: column 0 年初预算数, 1 全年预算数, 2 实际到位数, 3 全年执行数."""
    def change(data: dict) -> None:
        data["budget"][label][column] = value
    return change


def project(**fields) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        data["project"].update(fields)
    return change


def total_row(**cells) -> Callable[[dict], None]:
    """A 合计 row under the last indicator (row 10); unset cells are column sums."""
    def change(data: dict) -> None:
        data["total_row"] = cells
    return change


def both(*changes: Callable[[dict], None]) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        for each in changes:
            each(data)
    return change


def changed(change: Callable[[dict], None]) -> dict:
    data = clean_data()
    change(data)
    return data


@dataclass(frozen=True)
class Case:
    id: str
    change: Callable[[dict], None]
    finding: tuple[str, str, str | None, str | None]
    also: tuple[tuple, ...] = ()
    # (sheet row on 绩效指标, score, verified); row 2 is the budget score.
    score: tuple[int, str, bool | None] | None = None
    total: str | None = None

    @property
    def code(self) -> str:
        return self.finding[0]


def reason_missing(number: int) -> tuple:
    return ("deviation-reason-missing", W, P, f"I{number}")


REASON = "已说明原因"

CASES = [
    # §2 reading an actual -------------------------------------------------------
    Case("unit-mismatch", row(3, 年度指标值="≤730次", 实际完成值="100%", 自评得分=12.5, 偏差原因分析及改进措施=REASON),
         ("unit-mismatch", E, P, "F3"), score=(3, "12.5", False), total="97"),
    Case("unit-mismatch-percent-format", row(3, 年度指标值="≤730次", 实际完成值=Percent(1.0), 自评得分=12.5),
         ("unit-mismatch", E, P, "F3"), also=(reason_missing(3),), score=(3, "12.5", False)),
    Case("unit-mismatch-no-self-score", row(3, 年度指标值="≤730次", 实际完成值="100%", 自评得分=None),
         ("unit-mismatch", E, P, "F3"), also=(reason_missing(3),), score=(3, "0", False)),
    Case("unit-mismatch-self-score-capped", row(3, 年度指标值="≤730次", 实际完成值="100%", 自评得分=16),
         ("unit-mismatch", E, P, "F3"), also=(("score-over-weight", E, P, "H3"),), score=(3, "15", False)),
    Case("actual-not-number", row(6, 年度指标值="≤130万元", 实际完成值="完成"),
         ("actual-not-number", E, P, "F6"), score=(6, "10", False)),
    Case("actual-not-number-date", row(4, 实际完成值="2023年12月"),
         ("actual-not-number", E, P, "F4"), score=(4, "15", False)),
    Case("actual-missing", row(3, 实际完成值=None, 自评得分=None),
         ("actual-missing", E, P, "F3"), also=(reason_missing(3),), score=(3, "0", True)),
    Case("actual-missing-with-self-score", row(3, 实际完成值=None),
         ("actual-missing", E, P, "F3"), also=(reason_missing(3), ("self-score-high", W, P, "H3")),
         score=(3, "0", True)),
    Case("actual-missing-qualitative", row(8, 实际完成值=None, 达成情况=None, 自评得分=None),
         ("actual-missing", E, P, "F8"), also=(reason_missing(8),), score=(8, "0", None)),
    Case("operator-in-actual", row(4, 实际完成值="≥95%"),
         ("operator-in-actual", W, P, "F4"), score=(4, "15", True)),
    Case("operator-in-actual-word", row(4, 实际完成值="不低于98%"),
         ("operator-in-actual", W, P, "F4"), score=(4, "15", True)),
    Case("target-unreadable", row(3, 年度指标值="较上年提高5%"),
         ("target-unreadable", E, P, "E3"), score=(3, "15", False)),
    # §3 reasons -----------------------------------------------------------------
    Case("deviation-reason-missing", row(3, 实际完成值="100公里", 自评得分=12.5),
         reason_missing(3), score=(3, "12.5", True)),
    Case("deviation-reason-missing-reverse", row(6, 实际完成值="250万元", 自评得分=8),
         reason_missing(6), score=(6, "8", True)),
    Case("deviation-reason-missing-qualitative", row(8, 达成情况="部分达成", 自评得分=10),
         reason_missing(8), score=(8, "10", True)),
    Case("deviation-reason-missing-unverified", row(3, 年度指标值="≤730次", 实际完成值="100%", 自评得分=12.5),
         reason_missing(3), also=(("unit-mismatch", E, P, "F3"),), score=(3, "12.5", False)),
    Case("overshoot-unexplained", row(3, 实际完成值="160公里"),
         ("overshoot-unexplained", W, P, "I3"), score=(3, "15", True)),
    Case("overshoot-unexplained-at-threshold", row(3, 实际完成值="156公里"),
         ("overshoot-unexplained", W, P, "I3"), score=(3, "15", True)),
    # §4 qualitative -------------------------------------------------------------
    Case("qualitative-band-below", row(8, 自评得分=10),
         ("qualitative-band", E, P, "H8"), also=(reason_missing(8),), score=(8, "12", True)),
    Case("qualitative-band-synonym", row(8, 达成情况=None, 实际完成值="基本达成"),
         ("qualitative-band", E, P, "H8"), also=(reason_missing(8),), score=(8, "12", True)),
    Case("qualitative-band-above-weight", row(8, 自评得分=16),
         ("qualitative-band", E, P, "H8"), also=(("score-over-weight", E, P, "H8"),), score=(8, "15", True)),
    Case("qualitative-score-missing-achieved", row(8, 自评得分=None),
         ("qualitative-score-missing", W, P, "G8"), score=(8, "15", True)),
    Case("qualitative-score-missing-partial", row(8, 自评得分=None, 达成情况="部分达成年度指标并具有一定效果"),
         ("qualitative-score-missing", W, P, "G8"), also=(reason_missing(8),), score=(8, "9", True)),
    Case("qualitative-score-missing-failed", row(8, 自评得分=None, 达成情况="未达成年度指标且效果较差"),
         ("qualitative-score-missing", W, P, "G8"), also=(reason_missing(8),), score=(8, "0", True)),
    Case("qualitative-level-missing-with-self-score", row(8, 达成情况=None, 实际完成值="进展顺利", 自评得分=14),
         ("qualitative-level-missing", W, P, "G8"), also=(reason_missing(8),), score=(8, "14", False)),
    Case("qualitative-level-missing-without-self-score", row(8, 达成情况=None, 实际完成值="进展顺利", 自评得分=None),
         ("qualitative-level-missing", E, P, "G8"), also=(reason_missing(8),), score=(8, "0", None)),
    # §5 weights -----------------------------------------------------------------
    Case("weights-sum", row(2, 分值=12, 自评得分=11.4),
         ("weights-sum", E, P, None), score=(2, "11.4", None)),
    Case("level1-weights", both(row(3, 分值=10, 自评得分=10), row(7, 分值=20, 自评得分=20)),
         ("level1-weights", W, P, None), total="99.5"),
    Case("dimension-missing", drop_row(9),
         ("dimension-missing", W, P, None), also=(("weights-sum", E, P, None), ("level1-weights", W, P, None))),
    *[
        Case(f"weight-invalid-{label}", row(3, 分值=value, 自评得分=None),
             ("weight-invalid", E, P, "D3"), also=(("weights-sum", E, P, None), ("level1-weights", W, P, None)),
             score=(3, "0", None), total="84.5")
        for label, value in (("blank", None), ("text", "十五"), ("zero", 0), ("negative", -5))
    ],
    Case("unknown-level-name", row(4, 二级指标="其他指标"), ("unknown-level", W, P, "B4")),
    Case("unknown-level-wrong-parent", row(9, 二级指标="社会效益指标"), ("unknown-level", W, P, "B9")),
    Case("unknown-level-cost-under-benefit", row(6, 一级指标="效益指标"),
         ("unknown-level", W, P, "B6"), also=(("level1-weights", W, P, None),)),
    # §7 the department's own figures --------------------------------------------
    Case("self-score-high", row(4, 实际完成值="90%", 偏差原因分析及改进措施=REASON),
         ("self-score-high", W, P, "H4"), score=(4, "14.21", True)),
    Case("self-score-high-budget-row", row(2, 自评得分=10), ("self-score-high", W, P, "H2"), score=(2, "9.5", None)),
    Case("self-score-low", row(3, 自评得分=14), ("self-score-low", N, P, "H3"), score=(3, "15", True)),
    Case("self-score-low-budget-row", row(2, 自评得分=9), ("self-score-low", N, P, "H2")),
    Case("score-over-weight", row(3, 自评得分=16),
         ("score-over-weight", E, P, "H3"), also=(("self-score-high", W, P, "H3"),), score=(3, "15", True)),
    Case("score-over-weight-budget-row", row(2, 自评得分=11),
         ("score-over-weight", E, P, "H2"), also=(("self-score-high", W, P, "H2"),)),
    # 100 is neither the computed total nor the sum of the form's own scores (99.5)
    Case("total-mismatch-score", total_row(自评得分=100), ("total-mismatch", W, P, "H10"),
         also=(("self-total-inconsistent", W, P, "H10"),)),
    Case("total-mismatch-weight", total_row(分值=90), ("total-mismatch", W, P, "H10")),
    # §1 and §8 the budget table -------------------------------------------------
    Case("budget-zero", budget(**{label: [v[0], 0, v[2], v[3]] for label, v in clean_data()["budget"].items()}),
         ("budget-zero", E, B, "C2"), also=(("self-score-high", W, P, "H2"),), score=(2, "0", None), total="90"),
    Case("execution-over-budget",
         budget(年度资金总额=[200, 200, 210, 210], 当年财政拨款=[150, 150, 160, 160], 中央级=[100, 100, 105, 105],
                县区级=[50, 50, 55, 55], 上年结转资金=[50, 50, 50, 50]),
         ("execution-over-budget", E, B, "E2"), also=(("self-score-low", N, P, "H2"),), score=(2, "10", None)),
    Case("budget-total-mismatch", budget_cell("年度资金总额", 3, 180),
         ("budget-total-mismatch", E, B, "E2"), also=(("self-score-high", W, P, "H2"),), score=(2, "9", None)),
    Case("budget-total-mismatch-initial", budget_cell("年度资金总额", 0, 210), ("budget-total-mismatch", E, B, "B2")),
    # The cell is 当年财政拨款's E3, the one to change, not the effective total
    # row's E2 that scoring.md's cell table names for budget-*: see docs/checks.md.
    Case("budget-split-mismatch", budget_cell("中央级", 3, 90), ("budget-split-mismatch", E, B, "E3")),
    Case("execution-over-received", both(budget_cell("年度资金总额", 2, 180), budget_cell("上年结转资金", 2, 30)),
         ("execution-over-received", W, B, "E2")),
    Case("budget-cut-to-spend",
         both(budget(年度资金总额=[220, 190, 190, 190], 当年财政拨款=[170, 145, 145, 145], 中央级=[120, 95, 95, 95],
                     县区级=[50, 50, 50, 50], 上年结转资金=[50, 45, 45, 45]), row(2, 自评得分=10)),
         ("budget-cut-to-spend", W, B, "C2"), score=(2, "10", None)),
    Case("goal-copied", project(实际完成情况=clean_data()["project"]["预期目标"]), ("goal-copied", W, I, "B10")),
    # File-level codes a cell can raise ------------------------------------------
    Case("required-missing-name", project(项目名称=None), ("required-missing", E, I, "B3")),
    Case("required-missing-goal", project(预期目标=None), ("required-missing", E, I, "B9")),
    Case("not-a-number-amount", budget(其他资金=[None, None, None, "九十八"]), ("not-a-number", E, B, "E9")),
    Case("not-a-number-year", project(评价年度="二〇二三"), ("not-a-number", E, I, "B2")),
    Case("not-a-number-self-score", row(3, 自评得分="十五"), ("not-a-number", E, P, "H3")),
    # --- issue 12: what real forms write ----------------------------------------
    # an unknown sign is named, never dropped: unverified, scored at the self score
    Case("operator-unknown-in-target", row(4, 年度指标值="≈95%"),
         ("operator-unknown", W, P, "E4"), score=(4, "15", False)),
    Case("operator-unknown-in-nature", row(4, 年度指标值="95", 指标性质="≈", 计量单位="%"),
         ("operator-unknown", W, P, "J4"), score=(4, "15", False)),
    Case("operator-unknown-no-self-score", row(4, 年度指标值="≌95%", 自评得分=None),
         ("operator-unknown", W, P, "E4"), also=(reason_missing(4),), score=(4, "0", False)),
    # 0.98 in a General cell against ≥95%: neither 0.98 % (0.15 points) nor a guessed 98 %
    Case("percent-as-fraction", row(4, 实际完成值=0.98),
         ("percent-as-fraction", W, P, "F4"), score=(4, "15", False)),
    Case("percent-as-fraction-text", row(7, 实际完成值="0.962", 自评得分=14),
         ("percent-as-fraction", W, P, "F7"), also=(reason_missing(7),), score=(7, "14", False)),
    # a row of `/` (not applicable): excluded, weight not counted, nothing else said of it
    Case("not-applicable", row(8, 分值="/", 年度指标值="/", 实际完成值="/", 达成情况=None, 自评得分=None),
         ("not-applicable", N, P, "C8"), also=(("weights-sum", E, P, None), ("level1-weights", W, P, None)),
         total="84.5"),
    Case("not-applicable-dashes", row(8, 分值=15, 年度指标值="—", 实际完成值="不适用", 达成情况=None, 自评得分=None),
         ("not-applicable", N, P, "C8"), also=(("weights-sum", E, P, None), ("level1-weights", W, P, None)),
         total="84.5"),
    # 290 % as a satisfaction target: said, and scored as written (10 × 95 / 290)
    Case("target-implausible", row(9, 年度指标值="≥290%"),
         ("target-implausible", W, P, "E9"), also=(reason_missing(9), ("self-score-high", W, P, "H9")),
         score=(9, "3.28", True)),
    Case("target-implausible-rate", row(4, 年度指标值="≥105%", 实际完成值="98%", 自评得分=14, 偏差原因分析及改进措施=REASON),
         ("target-implausible", W, P, "E4"), score=(4, "14", True)),
    # the printed total is the computed one, but not the sum of the form's own scores (98.5)
    Case("self-total-inconsistent", both(row(3, 自评得分=14), total_row(自评得分=99.5)),
         ("self-total-inconsistent", W, P, "H10"), also=(("self-score-low", N, P, "H3"),), total="99.5"),
    # the total row leaves 全年执行数 blank while the sources hold figures: not 0
    Case("budget-total-filled",
         budget(年度资金总额=[30, 30, 30, None], 当年财政拨款=[30, 30, 30, 30], 中央级=[None] * 4, 县区级=[None] * 4,
                上年结转资金=[None] * 4),
         ("budget-total-filled", N, B, "E2"), also=(("self-score-low", N, P, "H2"),), score=(2, "10", None)),
    Case("goal-not-descriptive-amount", project(预期目标="43.2"), ("goal-not-descriptive", W, I, "B9")),
    Case("goal-not-descriptive-money", project(实际完成情况="37.24万元"), ("goal-not-descriptive", W, I, "B10")),
    Case("goal-not-descriptive-short", project(实际完成情况="已完成"), ("goal-not-descriptive", W, I, "B10")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_one_change_raises_its_finding(case, evaluate):
    result = evaluate(changed(case.change))
    assert projection(result) == sorted([case.finding, *case.also], key=repr)
    if case.score is not None:
        number, score, verified = case.score
        if number == 2:
            assert result.budget.score == D(score)
        else:
            scored = next(item for item in result.indicators if item.indicator.row == number)
            assert scored.score == D(score)
            if verified is not None:
                assert scored.verified is verified
    if case.total is not None:
        assert result.total_score == D(case.total)


def test_unverified_points_are_counted(evaluate):
    """§2: an unverified indicator is marked, and the summary counts its points."""
    result = evaluate(changed(row(3, 年度指标值="≤730次", 实际完成值="100%", 自评得分=12.5)))
    assert result.unverified_points == D("12.5")


def test_weight_invalid_indicator_stays_with_weight_and_score_zero(evaluate):
    """§5: the indicator stays in the results with weight 0 and score 0."""
    result = evaluate(changed(row(3, 分值="十五", 自评得分=None)))
    scored = next(item for item in result.indicators if item.indicator.row == 3)
    assert (scored.weight, scored.score) == (0, 0)
    assert len(result.indicators) == 7


# --- workbooks written directly ------------------------------------------------


def empty_file(build, tmp_path: Path) -> Path:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    return path


def text_file(build, tmp_path: Path) -> Path:
    path = tmp_path / "renamed.xlsx"
    path.write_text("项目名称,全年预算数\n农村饮水,200\n", encoding="utf-8")
    return path


def without_sheet(name: str):
    def make(build, tmp_path: Path) -> Path:
        path = build()
        book = openpyxl.load_workbook(path)
        del book[name]
        book.save(path)
        return path
    return make


def without_column(sheet: str, column: int, data_change=None):
    """The clean intake with one column of `sheet` deleted (1 = A)."""
    def make(build, tmp_path: Path) -> Path:
        path = build(changed(data_change) if data_change else None)
        book = openpyxl.load_workbook(path)
        book[sheet].delete_cols(column)
        book.save(path)
        return path
    return make


def sheet_part_of(path: Path, sheet: str) -> str:
    from perfeval_xl.reading.xlsx import sheet_parts

    with zipfile.ZipFile(path) as archive:
        return sheet_parts(archive)[sheet]


def replace_cell(source: Path, target: Path, part: str, ref: str, cell: bytes) -> Path:
    """A copy of an xlsx whose cell `ref` in `part` is `cell` (bytes of the whole <c> element)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == part:
                start = data.index(b'<c r="%s"' % ref.encode())
                close = data.index(b">", start)
                end = close + 1 if data[close - 1:close] == b"/" else data.index(b"</c>", start) + 4
                data = data[:start] + cell + data[end:]
            new.writestr(info, data)
    return target


def with_cells(edits: dict[tuple[str, str], object], data_change=None):
    """The clean intake with cells overwritten by openpyxl (a formula stays uncomputed)."""
    def make(build, tmp_path: Path) -> Path:
        path = build(changed(data_change) if data_change else None)
        book = openpyxl.load_workbook(path)
        for (sheet, cell), value in edits.items():
            book[sheet][cell] = value
        book.save(path)
        return path
    return make


def with_error_value(sheet: str, cell: str):
    """The clean intake rewritten by xlsxwriter with `=1/0` showing #DIV/0! in `cell`."""
    def make(build, tmp_path: Path) -> Path:
        source = openpyxl.load_workbook(build())
        path = tmp_path / f"error_{sheet}_{cell}.xlsx"
        book = xlsxwriter.Workbook(path)
        for ws in source.worksheets:
            out = book.add_worksheet(ws.title)
            for line in ws.iter_rows():
                for item in line:
                    if item.value is not None:
                        out.write(item.row - 1, item.column - 1, item.value)
        book.get_worksheet_by_name(sheet).write_formula(cell, "=1/0", None, "#DIV/0!")
        book.close()
        return path
    return make


@dataclass(frozen=True)
class FileCase:
    id: str
    make: Callable
    finding: tuple[str, str, str | None, str | None]
    also: tuple[tuple, ...] = ()
    fails: bool = False       # the file cannot be scored: Result.failure is set

    @property
    def code(self) -> str:
        return self.finding[0]


def blank_template(build, tmp_path: Path) -> Path:
    """The template as shipped: its example rows and check formulas are not a project."""
    from perfeval_xl.writers.intake_form import write_intake

    return write_intake(tmp_path / "blank.xlsx")


FILE_CASES = [
    FileCase("intake-empty", blank_template, ("intake-empty", E, None, None), fails=True),
    FileCase("file-unreadable-empty", empty_file, ("file-unreadable", E, None, None), fails=True),
    FileCase("file-unreadable-text-renamed", text_file, ("file-unreadable", E, None, None), fails=True),
    FileCase("sheet-missing-indicators", without_sheet(P), ("sheet-missing", E, P, None), fails=True),
    FileCase("sheet-missing-budget", without_sheet(B), ("sheet-missing", E, B, None), fails=True),
    FileCase("sheet-missing-project", without_sheet(I), ("sheet-missing", E, I, None), fails=True),
    FileCase("header-missing-actual", without_column(P, 6), ("header-missing", E, P, None), fails=True),
    FileCase("header-missing-executed", without_column(B, 5), ("header-missing", E, B, None), fails=True),
    FileCase("not-a-number-error-value-budget", with_error_value(B, "E9"), ("not-a-number", E, B, "E9")),
    FileCase("not-a-number-error-value-self-score", with_error_value(P, "H3"), ("not-a-number", E, P, "H3")),
    FileCase("not-a-number-error-value-actual", with_error_value(P, "F4"), ("not-a-number", E, P, "F4"),
             also=(("actual-missing", E, P, "F4"), ("self-score-high", W, P, "H4"), reason_missing(4))),
    # scoring.md "Problem model": when the reason / 达成情况 column is absent,
    # the finding points at 实际完成值.
    FileCase("deviation-reason-missing-without-reason-column",
             without_column(P, 9, row(3, 实际完成值="100公里", 自评得分=12.5)),
             ("deviation-reason-missing", W, P, "F3")),
    FileCase("overshoot-unexplained-without-reason-column",
             without_column(P, 9, row(3, 实际完成值="160公里")),
             ("overshoot-unexplained", W, P, "F3")),
    FileCase("qualitative-score-missing-without-achievement-column",
             without_column(P, 7, row(8, 自评得分=None)),
             ("qualitative-score-missing", W, P, "F8")),
    # Without 达成情况, 自评得分 moves to G and the reason to H.
    FileCase("qualitative-level-missing-without-achievement-column",
             without_column(P, 7, row(8, 达成情况=None, 实际完成值="进展顺利", 自评得分=None)),
             ("qualitative-level-missing", E, P, "F8"), also=(("deviation-reason-missing", W, P, "H8"),)),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda case: case.id)
def test_file_level_finding(case, build, tmp_path, national):
    result = evaluate_file(case.make(build, tmp_path), national)
    assert projection(result) == sorted([case.finding, *case.also], key=repr)
    if case.fails:
        assert result.failure is not None
        assert (result.failure.code, result.failure.sheet, result.failure.cell) == (
            case.finding[0], case.finding[2], case.finding[3])
        assert result.total_score is None
    else:
        assert result.failure is None
        assert result.total_score is not None


def test_every_workbook_code_has_a_case():
    covered = {case.code for case in CASES} | {case.code for case in FILE_CASES}
    assert covered == set(CATALOGUE) - HOSTILE_FILE_CODES - BATCH_CODES - ANNEX_FORM_CODES - CONTAINMENT_CODES
    assert HOSTILE_FILE_CODES | BATCH_CODES | ANNEX_FORM_CODES | CONTAINMENT_CODES <= set(CATALOGUE)


# --- no false alarms ----------------------------------------------------------


def test_clean_intake_has_no_warning_or_error(evaluate):
    result = evaluate()
    assert findings(result, levels=("error", "warning")) == []
    assert result.total_score == D("99.5")


# Layouts and spellings intake.md and scoring.md accept: each must stay silent.
QUIET = [
    pytest.param(lambda d: None, id="clean"),
    pytest.param(lambda d: d.update(merge_level1=True), id="level1-merged"),
    pytest.param(row(4, 一级指标=None), id="level1-carried-down"),
    pytest.param(row(3, 一级指标="产出指标(50分)", 二级指标="数量指标（15分）"), id="level-names-with-points"),
    pytest.param(row(4, 实际完成值=Percent(0.98)), id="actual-percent-format"),
    pytest.param(row(4, 实际完成值="达到98%"), id="actual-达到-is-not-an-operator"),
    pytest.param(row(6, 实际完成值="1900000元"), id="actual-元-converts-to-万元"),
    pytest.param(row(5, 实际完成值="280日"), id="actual-日-is-天"),
    pytest.param(row(4, 年度指标值="90%-100%"), id="range-target-met"),
    pytest.param(row(8, 达成情况=None), id="qualitative-actual-equals-target"),
    pytest.param(row(3, 自评得分="15"), id="self-score-as-text"),
    pytest.param(row(3, 自评得分=14.9), id="self-score-within-tolerance"),
    pytest.param(row(3, 实际完成值="155公里"), id="overshoot-below-threshold"),
    pytest.param(row(3, 实际完成值="100公里", 自评得分=12.5, 偏差原因分析及改进措施=REASON), id="reason-given"),
    pytest.param(row(3, 实际完成值="160公里", 偏差原因分析及改进措施=REASON), id="overshoot-explained"),
    pytest.param(total_row(), id="total-row-matching"),
    pytest.param(total_row(自评得分=99.6), id="total-row-within-tolerance"),
    pytest.param(budget(年度资金总额=["200万元", "200", "200.00", "190万元"]), id="amounts-as-text"),
    pytest.param(budget(年度资金总额=[None] * 4), id="total-row-blank-is-the-sum"),
    pytest.param(budget_cell("年度资金总额", 3, 190.01), id="budget-total-within-tolerance"),
    pytest.param(lambda d: [line.__setitem__(2, None) for line in d["budget"].values()], id="received-not-reported"),
    pytest.param(project(项目编码=None, 项目负责人=None, 联系电话=None), id="optional-fields-blank"),
    pytest.param(project(评价年度="2023年"), id="year-with-年"),
]


@pytest.mark.parametrize("change", QUIET)
def test_accepted_variant_raises_nothing(change, evaluate):
    result = evaluate(changed(change))
    assert projection(result) == []


# --- one run, every problem ----------------------------------------------------


def test_one_run_reports_every_problem(evaluate):
    data = changed(both(
        project(项目名称=None, 评价年度="二〇二三"),
        budget(其他资金=[None, None, None, "九十八"]),
        budget_cell("中央级", 3, 90),
        row(3, 年度指标值="≤730次", 实际完成值="100%", 自评得分=12.5),
        row(5, 分值=None, 自评得分=None),
        row(8, 自评得分=10),
    ))
    result = evaluate(data)
    expected = {
        ("required-missing", E, I, "B3"),
        ("not-a-number", E, I, "B2"),
        ("not-a-number", E, B, "E9"),
        ("budget-split-mismatch", E, B, "E3"),
        ("unit-mismatch", E, P, "F3"),
        ("weight-invalid", E, P, "D5"),
        ("qualitative-band", E, P, "H8"),
        ("weights-sum", E, P, None),
    }
    assert expected <= set(projection(result))
    assert result.total_score is not None


def test_unreadable_layout_still_reports_the_other_sheets(build, tmp_path, national):
    """A missing header on 绩效指标 stops scoring, not the other checks."""
    make = without_column(P, 6, project(项目名称=None))
    result = evaluate_file(make(build, tmp_path), national)
    assert projection(result) == sorted(
        [("header-missing", E, P, None), ("required-missing", E, I, "B3")], key=repr)


def test_problems_come_errors_first(evaluate):
    data = changed(both(row(8, 自评得分=10), row(3, 自评得分=14), row(4, 实际完成值="≥95%"), project(项目名称=None)))
    levels = [p.severity.value for p in evaluate(data).problems]
    assert levels == sorted(levels, key=["error", "warning", "info"].index)


# --- messages -----------------------------------------------------------------


@pytest.mark.parametrize("change, code, chinese, english", [
    (row(3, 年度指标值="≤730次", 实际完成值="100%", 自评得分=12.5), "unit-mismatch",
     ["“100%”", "“≤730次”", "已按自评得分 12.5 计入"], ["'100%'", "'≤730次'", "counted at the self score 12.5"]),
    (row(3, 年度指标值="≤730次", 实际完成值=Percent(1.0), 自评得分=12.5), "unit-mismatch",
     ["“100%”", "“≤730次”", "已按自评得分 12.5 计入"], ["'100%'"]),
    (row(3, 年度指标值="≤730次", 实际完成值="100%", 自评得分=None), "unit-mismatch",
     ["无自评得分，计0分"], ["no self score: 0"]),
    (row(8, 自评得分=10), "qualitative-band",
     ["达成年度指标", "自评得分 10", "12–15", "已按 12 计"], ["12–15", "scored 12"]),
    (row(3, 实际完成值="160公里"), "overshoot-unexplained", ["新建改造供水管网长度", "133%", "130%"], ["133%"]),
    (row(3, 实际完成值="100公里", 自评得分=12.5), "deviation-reason-missing",
     ["新建改造供水管网长度", "得分 12.5 低于分值 15"], ["12.5 of 15"]),
    (row(2, 分值=12, 自评得分=11.4), "weights-sum", ["分值合计为 102", "预算执行 12", "应为 100"], ["102"]),
    (row(4, 实际完成值="≥95%"), "operator-in-actual", ["“≥95%”", "数值 95 核算"], ["read as 95"]),
    (budget_cell("年度资金总额", 3, 180), "budget-total-mismatch", ["全年执行数 180", "之和 190"], ["180", "190"]),
    (row(3, 分值="十五", 自评得分=None), "weight-invalid", ["分值“十五”无效"], ["'十五'"]),
    (row(3, 分值=None, 自评得分=None), "weight-invalid", ["分值“（空白）”无效"], []),
])
def test_message_renders_the_figures(change, code, chinese, english, evaluate):
    found = [p for p in evaluate(changed(change)).problems if p.code == code]
    assert len(found) == 1
    for text in chinese:
        assert text in found[0].message
    for text in english:
        assert text in found[0].message_en
    assert found[0].to_dict()["message"] == found[0].message


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


ALL_CASES = [pytest.param(case, id=case.id) for case in CASES] + [
    pytest.param(case, id=case.id) for case in FILE_CASES
]


@pytest.mark.parametrize("case", ALL_CASES)
def test_message_templates_render_with_the_params_passed(case, build, tmp_path, national, evaluate):
    """Problem._render falls back to the raw template when a param is missing:
    a leftover `{` shows that the code and the catalogue disagree."""
    if isinstance(case, FileCase):
        result = evaluate_file(case.make(build, tmp_path), national)
    else:
        result = evaluate(changed(case.change))
    assert result.problems
    for found in result.problems:
        chinese, english = CATALOGUE[found.code].message, CATALOGUE[found.code].message_en
        given = set(found.params) | {"sheet", "cell"}   # Problem fills these two itself
        assert _fields(chinese) <= given, (found.code, "zh")
        assert _fields(english) <= given, (found.code, "en")
        for text in (found.message, found.message_en):
            assert "{" not in text and "}" not in text, (found.code, text)
            assert text.strip()


def test_catalogue_templates_are_well_formed():
    for code, entry in CATALOGUE.items():
        chinese, english = entry.message, entry.message_en
        assert code == code.lower() and " " not in code
        params = {name: "x" for name in _fields(chinese) | _fields(english)}
        found = problem(code, ERROR, **params)
        assert "{" not in found.message and "{" not in found.message_en, code


def test_unknown_code_is_refused():
    with pytest.raises(KeyError):
        problem("no-such-code", WARNING)


# --- bugs: the spec demands these; the library does not do them yet ------------


@pytest.mark.parametrize("value", ["二十", 0, -10])
def test_budget_row_weight_invalid_is_reported(value, evaluate):
    result = evaluate(changed(row(2, 分值=value)))
    assert any(p.severity == ERROR and (p.sheet, p.cell) == (P, "D2") for p in result.problems)


def test_total_row_weight_as_text_is_reported(evaluate):
    result = evaluate(changed(total_row(分值="一百")))
    assert any(p.severity == ERROR and (p.sheet, p.cell) == (P, "D10") for p in result.problems)


@pytest.mark.parametrize("value", [1e308, "1e400"])
def test_huge_weight_is_reported_not_raised(value, evaluate):
    result = evaluate(changed(row(3, 分值=value, 自评得分=None)))
    assert ("weights-sum", E, P, None) in projection(result)


@pytest.mark.parametrize("cached", ["<v/>", "<v></v>", ""])
def test_formula_without_cached_value_is_read_as_text(build, tmp_path, national, cached):
    """`<f>A1</f><v/>` is what openpyxl writes with lxml, `<f>A1</f>` without: the file is
    made here by hand, so the test does not depend on which one is installed."""
    path = build()
    part = sheet_part_of(path, P)
    cell = f'<c r="F4"><f>A1</f>{cached}</c>'.encode()
    path = replace_cell(path, tmp_path / "formula.xlsx", part, "F4", cell)
    result = evaluate_file(path, national)
    assert projection(result) == [("actual-not-number", E, P, "F4")]
    scored = next(item for item in result.indicators if item.indicator.row == 4)
    assert (scored.score, scored.verified) == (D(15), False)


def test_cell_values_of_other_types_are_reported_not_raised(build, tmp_path, national):
    """Dates and booleans where numbers belong: findings, never a traceback."""
    path = with_cells({
        (P, "F3"): datetime.datetime(2023, 5, 1),
        (P, "H4"): datetime.datetime(2023, 5, 1),
        (B, "E9"): True,
    })(build, tmp_path)
    result = evaluate_file(path, national)
    assert projection(result) == sorted([
        ("actual-not-number", E, P, "F3"),
        ("not-a-number", E, P, "H4"),
        ("not-a-number", E, B, "E9"),
    ], key=repr)


def test_cost_as_its_own_level1_counts_with_output(evaluate):
    """The 2021 framework files 成本指标 as a 一级: its weight counts with 产出 (levels.dimension_of)."""
    data = clean_data()
    data["indicators"][4].update({"一级指标": "成本指标", "二级指标": "经济成本指标"})
    result = evaluate(data)
    assert [p.code for p in result.problems if p.severity.value != "info"] == []
    assert result.dimension_scores()["产出指标"] == 50
