"""Scoring by scoring.md, one table per kind, on plain data (no files)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perfeval_xl.model import ANNUAL, APPROPRIATION, CARRYOVER, EXECUTED, INITIAL, OTHER, RECEIVED, TOTAL
from perfeval_xl.model import BudgetLine, BudgetTable, IndicatorRow, SpecialRow
from perfeval_xl.profiles import load_profile
from perfeval_xl.rules.scoring import score_budget, score_indicator

NATIONAL = load_profile("national")
LOCAL = load_profile("local")
CELLS = {"level1": "A3", "level2": "B3", "name": "C3", "weight": "D3", "target": "E3", "actual": "F3",
         "achievement": "G3", "self_score": "H3", "reason": "I3"}


def row(target, actual, weight="10", *, level1="产出指标", level2="数量指标", self_score=None,
        achievement="", nature="", unit="", percent=False, reason="") -> IndicatorRow:
    return IndicatorRow(
        row=3, level1=level1, level2=level2, name="指标", weight=D(weight), weight_text=weight, target=target,
        nature=nature, unit=unit, actual=actual, actual_is_percent=percent, achievement=achievement,
        self_score=None if self_score is None else D(str(self_score)), reason=reason, cells=CELLS,
    )


def score_of(ind: IndicatorRow, profile=NATIONAL):
    scored, found = score_indicator(ind, profile)
    return scored, [(p.code, p.severity.value, p.cell) for p in found]


# target, actual, weight, expected score, expected completion (4 places or None)
POSITIVE = [
    ("≥95%", "98%", "12.5", "12.50", "1.0316"),
    ("≥95%", "90%", "10", "9.47", "0.9474"),
    ("≥95%", "95%", "10", "10.00", "1.0000"),
    ("=12次", "12次", "5", "5.00", "1.0000"),
    ("=12次", "9次", "5", "3.75", "0.7500"),
    ("12次", "6", "5", "2.50", "0.5000"),           # bare number: positive; bare actual takes the unit
    ("不低于95%", "94.5%", "10", "9.95", "0.9947"),
    ("98%以上", "100%", "10", "10.00", "1.0204"),
    ("≥100百分比", "80%", "10", "8.00", "0.8000"),
    ("≥120公里", "126千米", "15", "15.00", "1.0500"),
    ("≥0", "3", "4", "4.00", None),                  # A = 0: met for any B ≥ 0
    ("≥95%", "-5%", "10", "0.00", "0.0000"),         # negative B counts as 0
    ("≥3", "2", "1", "0.67", "0.6667"),              # 1 × 2/3 = 0.6667 -> 0.67 (half-up)
    ("≥8", "1", "1", "0.13", "0.1250"),              # 0.125 -> 0.13 half-up, not banker's 0.12
]


@pytest.mark.parametrize("target, actual, weight, score, completion", POSITIVE)
def test_positive(target, actual, weight, score, completion):
    scored, found = score_of(row(target, actual, weight))
    assert scored.kind == "positive"
    assert scored.score == D(score)
    assert scored.verified
    if completion is None:
        assert scored.completion is None
    else:
        assert scored.completion.quantize(D("0.0001")) == D(completion)


REVERSE = [
    ("≤130万元", "98.65万元", "12.5", "12.50"),
    ("≤100万元", "125万元", "10", "8.00"),                # 10 × 100/125
    ("≤1,300,000元", "98.65万元", "10", "10.00"),         # units convert
    ("≤30天", "36日", "6", "5.00"),                       # 天 = 日
    ("<5%", "4%", "3", "3.00"),
    ("不超过1500元", "1800元", "9", "7.50"),
    ("控制在50万元以内", "60万元", "6", "5.00"),
    ("≤0", "0", "5", "5.00"),                            # A = 0: met only when B ≤ 0
    ("≤0", "1", "5", "0.00"),
]


@pytest.mark.parametrize("target, actual, weight, score", REVERSE)
def test_reverse(target, actual, weight, score):
    scored, _ = score_of(row(target, actual, weight))
    assert scored.kind == "reverse"
    assert scored.score == D(score)


def test_bare_number_under_cost_is_reverse_but_operator_wins():
    bare, _ = score_of(row("100万元", "125万元", "10", level2="成本指标"))
    assert (bare.kind, bare.score) == ("reverse", D("8.00"))
    equal, _ = score_of(row("=20万元", "10万元", "10", level2="成本指标"))
    assert (equal.kind, equal.score) == ("positive", D("5.00"))


def test_reverse_linear_profile():
    # local profile: w × max(0, 1 − (B − A) / A) = 10 × (1 − 25/100) = 7.50
    scored, _ = score_of(row("≤100万元", "125万元", "10"), LOCAL)
    assert scored.score == D("7.50")
    worse, _ = score_of(row("≤100万元", "250万元", "10"), LOCAL)
    assert worse.score == D("0.00")


RANGE = [
    ("90%-100%", "95%", "10", "10.00"),
    ("90%-100%", "90%", "10", "10.00"),
    ("90%-100%", "81%", "10", "9.00"),       # below: w × B / a
    ("90%~100%", "125%", "10", "8.00"),      # above: w × b / B
    ("3至5天", "4天", "6", "6.00"),
    ("1-2次", "4次", "6", "3.00"),
]


@pytest.mark.parametrize("target, actual, weight, score", RANGE)
def test_range(target, actual, weight, score):
    scored, _ = score_of(row(target, actual, weight))
    assert scored.kind == "range"
    assert scored.score == D(score)


def test_nature_and_unit_columns():
    scored, _ = score_of(row("95", "92", "10", nature="≥", unit="%"))
    assert (scored.kind, scored.score) == ("positive", D("9.68"))
    forced, _ = score_of(row("≥20", "25", "10", nature="反向"))
    assert (forced.kind, forced.score) == ("reverse", D("8.00"))


def test_percent_formatted_actual():
    scored, found = score_of(row("≥95%", 0.92, "10", percent=True))
    assert scored.score == D("9.68")
    assert found == []


# achievement, actual, self score, expected score, findings
QUALITATIVE = [
    ("达成年度指标", "有效提升", 9, "9.00", []),
    ("达成", "", None, "10.00", [("qualitative-score-missing", "warning", "G3")]),
    ("部分达成", "", None, "6.00", [("qualitative-score-missing", "warning", "G3")]),
    ("未达成", "", None, "0.00", [("qualitative-score-missing", "warning", "G3")]),
    ("部分达成年度指标并具有一定效果", "", 7, "7.00", []),
    ("部分达成", "", 9, "8.00", [("qualitative-band", "error", "H3")]),
    ("达成", "", 5, "8.00", [("qualitative-band", "error", "H3")]),
    ("", "基本达成", 7, "7.00", []),              # 基本达成 is 部分达成, not 达成
    ("", "已完成", None, "10.00", [("qualitative-score-missing", "warning", "G3")]),
    ("", "有效提升", 10, "10.00", []),             # actual equals the target: 达成
    ("", "效果不错", 9, "9.00", [("qualitative-level-missing", "warning", "G3")]),
    ("", "效果不错", None, "0.00", [("qualitative-level-missing", "error", "G3")]),
]


@pytest.mark.parametrize("achievement, actual, self_score, score, expected", QUALITATIVE)
def test_qualitative(achievement, actual, self_score, score, expected):
    scored, found = score_of(row("有效提升", actual, "10", achievement=achievement, self_score=self_score))
    assert scored.kind == "qualitative"
    assert scored.score == D(score)
    assert found == expected
    assert scored.verified == (not expected or expected[0][0] != "qualitative-level-missing" or self_score is None)


def test_qualitative_local_band():
    scored, _ = score_of(row("有效提升", "", "10", achievement="部分达成"), LOCAL)
    assert scored.score == D("5.00")


# actual, self score, expected score, verified, code
UNVERIFIED = [
    ("100%", 12.5, "12.50", False, "unit-mismatch"),
    ("100%", 20, "12.50", False, "unit-mismatch"),       # capped at the weight
    ("100%", None, "0.00", False, "unit-mismatch"),
    ("完成", 8, "8.00", False, "actual-not-number"),
    ("", 10, "0.00", True, "actual-missing"),             # blank is not unverified
]


@pytest.mark.parametrize("actual, self_score, score, verified, code", UNVERIFIED)
def test_unverified(actual, self_score, score, verified, code):
    scored, found = score_of(row("≤730次", actual, "12.5", self_score=self_score))
    assert (scored.score, scored.verified) == (D(score), verified)
    assert found == [(code, "error", "F3")]


def test_operator_copied_into_actual():
    scored, found = score_of(row("≥95%", "≥95%", "10"))
    assert scored.score == D("10.00")
    assert found == [("operator-in-actual", "warning", "F3")]


def budget(total=None, appropriation=(100, 100, None, 49.88), carryover=None, other=None, received=False):
    def line(label, values, row):
        amounts = dict(zip((INITIAL, ANNUAL, RECEIVED, EXECUTED), (None if v is None else D(str(v)) for v in values)))
        cells = {INITIAL: f"B{row}", ANNUAL: f"C{row}", RECEIVED: f"D{row}", EXECUTED: f"E{row}"}
        return BudgetLine(label, row, amounts, cells)

    lines = {APPROPRIATION: line(APPROPRIATION, appropriation, 3)}
    lines[TOTAL] = line(TOTAL, total or (None, None, None, None), 2)
    if carryover:
        lines[CARRYOVER] = line(CARRYOVER, carryover, 8)
    if other:
        lines[OTHER] = line(OTHER, other, 9)
    return BudgetTable(lines, received)


@pytest.mark.parametrize(
    "table, weight, rate, score, codes",
    [
        (budget(), None, "0.4988", "4.99", []),
        (budget(carryover=(20, 20, None, 20)), None, "0.5823", "5.82", []),     # sum of sources
        (budget(total=(120, 120, None, 120)), "8", "1.0000", "8.00", []),      # total row wins
        (budget(appropriation=(100, 0, None, 0)), None, None, "0.00", [("budget-zero", "C2")]),
        (budget(appropriation=(100, 100, None, 110)), None, "1.1000", "10.00", [("execution-over-budget", "E2")]),
    ],
)
def test_budget(table, weight, rate, score, codes):
    special = SpecialRow(2, D(weight), None, {}) if weight else None
    scored, found = score_budget(table, special, NATIONAL)
    assert scored.score == D(score)
    assert scored.weight == D(weight or "10")
    assert (scored.rate.quantize(D("0.0001")) if scored.rate is not None else None) == (D(rate) if rate else None)
    assert [(p.code, p.cell) for p in found] == codes


def test_grades():
    assert [NATIONAL.grade(D(v)) for v in ("90", "89.99", "80", "60", "59.99")] == ["优", "良", "良", "中", "差"]
    assert [LOCAL.grade(D(v)) for v in ("80", "79.99", "70", "60", "10")] == ["优秀", "良好", "良好", "合格", "不合格"]


@pytest.mark.parametrize(
    "target, actual, score",
    [
        ("≥-5", "3", "10.00"),        # B ≥ A: met, never a negative score
        ("≤-2", "0", "0.00"),         # reverse below zero: met only when B ≤ A; no division by zero
        ("≤-2", "-3", "0.00"),        # negative B counts as 0, which is above -2
        ("-10--5", "0", "0.00"),      # a range below zero that B is above
    ],
)
def test_targets_at_or_below_zero(target, actual, score):
    scored, _ = score_of(row(target, actual, "10"))
    assert scored.score == D(score)
