"""Pure scoring by scoring.md: plain data and a profile in, scores out.

Every score is Decimal, rounded half-up to 2 places; the total is the sum of
the rounded scores (§6). Each scored line also carries the rule it used and
its arithmetic written out, so that an auditor can redo it by hand. Findings
that arise while scoring (an unreadable actual, a qualitative band) are
returned beside the score; the cross-cutting checks live in checks.py.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from .. import targets
from ..display import as_percent, fmt, percent_text
from ..display import half_up as money
from ..model import ANNUAL, BUDGET_SHEET, EXECUTED, INDICATOR_SHEET, INITIAL, RECEIVED

from ..model import (
    ACHIEVED, DEADLINE, FAILED, LEVEL_NAMES, MISSING, NOT_NUMBER, PARTIAL, PERCENT_AS_FRACTION, QUALITATIVE, RANGE,
    REVERSE, UNIT_MISMATCH, UNREADABLE, ZERO, BudgetScore, BudgetTable, IndicatorRow, IndicatorScore, SpecialRow,
    Target, effective_total, weight_valid,
)
from ..problems import ERROR, INFO, WARNING, Problem, problem
from ..profiles import Profile
from ..text import normalise

ONE = Decimal(1)
# A rate or completion this large cannot be shown (a float overflows to infinity
# far below Decimal's range): it is kept blank, with a finding; the score stands.
MAX_RATIO = Decimal("1e15")


def showable(ratio: Decimal | None) -> bool:
    return ratio is None or (ratio.is_finite() and abs(ratio) < MAX_RATIO)

_LEVEL_WORDS = {
    ACHIEVED: ("达成年度指标", "达成", "已达成", "达成预期指标", "完成", "已完成", "按期完成", "按时完成", "已按期完成", "达到", "达标", "是"),
    PARTIAL: ("部分达成年度指标并具有一定效果", "部分达成", "基本达成", "基本完成"),
    FAILED: ("未达成年度指标且效果较差", "未达成", "未完成", "否"),
}
_LEVEL_OF = {normalise(word): level for level, words in _LEVEL_WORDS.items() for word in words}


# --- budget execution (§1) -------------------------------------------------------


def score_budget(budget: BudgetTable, budget_row: SpecialRow | None, profile: Profile) -> tuple[BudgetScore, list[Problem]]:
    amounts, cells = effective_total(budget)
    annual = amounts.get(ANNUAL, ZERO)
    executed = amounts.get(EXECUTED, ZERO)
    weight = profile.budget_weight
    if budget_row is not None and weight_valid(budget_row.weight):
        weight = budget_row.weight
    found: list[Problem] = []
    if annual <= 0:
        rate, score = None, ZERO
        arithmetic = f"全年预算数为 {fmt(annual)}，无法计算执行率，得分 = 0"
        found.append(problem("budget-zero", ERROR, BUDGET_SHEET, cells.get(ANNUAL), annual=annual))
    else:
        rate = executed / annual
        score = money(weight * min(rate, ONE))
        arithmetic = f"{fmt(weight)} × min(1, {fmt(executed)} / {fmt(annual)}) = {score}"
        if rate > 1:
            found.append(
                problem(
                    "execution-over-budget", ERROR, BUDGET_SHEET, cells.get(EXECUTED),
                    executed=executed, annual=annual, rate=percent_text(rate),
                )
            )
    if not showable(rate):
        found.append(problem("ratio-out-of-range", WARNING, BUDGET_SHEET, cells.get(ANNUAL),
                             what="预算执行率", what_en="execution rate", value=f"{rate:.6E}"))
        rate = None
    received = amounts.get(RECEIVED) if budget.received_reported else None
    return (
        BudgetScore(
            initial=amounts.get(INITIAL, ZERO),
            annual=annual,
            received=received,
            executed=executed,
            rate=rate,
            weight=weight,
            score=score,
            self_score=budget_row.self_score if budget_row else None,
            arithmetic=arithmetic,
            cells=cells,
        ),
        found,
    )


# --- indicators (§2, §3, §4) --------------------------------------------------------


def parse_row_target(row: IndicatorRow) -> Target:
    return targets.parse_target(row.target, nature=row.nature, unit=row.unit, level1=row.level1, level2=row.level2)


# Findings about reading a row, which stand whatever its weight; every other
# finding of a row with an invalid weight is dropped (§5: no band, self-score
# or score-over-weight finding follows from a weight of 0).
READING_CODES = frozenset({
    "target-unreadable", "operator-unknown", "target-implausible", "actual-missing", UNIT_MISMATCH, NOT_NUMBER,
    PERCENT_AS_FRACTION, "operator-in-actual", "qualitative-level-missing",
})
# Kinds scored in the bands of §4: their self score is held to the band, not compared.
BANDED = (QUALITATIVE, DEADLINE)


def not_applicable(row: IndicatorRow) -> bool:
    """Target and actual both a not-applicable mark (§2): the row is not scored."""
    return targets.is_not_applicable(row.target) and targets.is_not_applicable(row.actual)


def not_applicable_note(row: IndicatorRow) -> Problem:
    return problem("not-applicable", INFO, INDICATOR_SHEET, row.cell("name"), name=row.name)


def score_indicator(row: IndicatorRow, profile: Profile, year: int | None = None) -> tuple[IndicatorScore, list[Problem]]:
    valid = weight_valid(row.weight)
    weight = row.weight if valid else ZERO
    target = parse_row_target(row)
    scored, found = _score_row(row, weight, target, profile, year)
    found += _target_notes(row, target)
    if not valid:
        found = [p for p in found if p.code in READING_CODES]
        scored = replace(scored, score=ZERO)
    return scored, found


def _score_row(row: IndicatorRow, weight: Decimal, target: Target, profile: Profile, year: int | None):
    if target.kind == QUALITATIVE:
        return _score_qualitative(row, weight, target, profile)
    if target.kind == DEADLINE:
        return _score_deadline(row, weight, target, profile, year)
    if target.kind == UNREADABLE:
        score, fallback = _unverified(row, weight)
        if target.sign:
            cell = row.cell("nature", "target") if target.sign_in == "nature" else row.cell("target")
            found = [problem("operator-unknown", WARNING, INDICATOR_SHEET, cell, sign=target.sign, target=row.target, **fallback)]
            rule = "无法识别的运算符号（未核实）"
        else:
            found = [problem("target-unreadable", ERROR, INDICATOR_SHEET, row.cell("target"), target=row.target, **fallback)]
            rule = "无法识别年度指标值"
        return _result(row, weight, None, target, None, None, None, score, False, rule, fallback["fallback"]), found
    actual = targets.parse_actual(row.actual, target, percent_format=row.actual_is_percent)
    actual_text = row.actual_text
    if actual.error == MISSING:
        found = [problem("actual-missing", ERROR, INDICATOR_SHEET, row.cell("actual"))]
        return _result(row, weight, target.kind, target, actual, None, None, ZERO, True, "实际完成值未填写", "得分 = 0"), found
    if actual.error in (UNIT_MISMATCH, NOT_NUMBER, PERCENT_AS_FRACTION):
        score, fallback = _unverified(row, weight)
        if actual.error == PERCENT_AS_FRACTION:
            found = [problem(PERCENT_AS_FRACTION, WARNING, INDICATOR_SHEET, row.cell("actual"), actual=actual_text,
                             percent=fmt(as_percent(actual.value)), target=row.target, **fallback)]
        else:
            found = [problem(actual.error, ERROR, INDICATOR_SHEET, row.cell("actual"), actual=actual_text, target=row.target, **fallback)]
        return _result(row, weight, target.kind, target, actual, None, None, score, False, "无法核算（未核实）", fallback["fallback"]), found
    found = []
    if actual.operator_copied:
        found.append(problem("operator-in-actual", WARNING, INDICATOR_SHEET, row.cell("actual"), actual=actual_text, value=actual.value))
    completion, score, rule, arithmetic = quantitative(target, actual.value, weight, profile)
    if not showable(completion):
        found.append(problem("ratio-out-of-range", WARNING, INDICATOR_SHEET, row.cell("target"),
                             what="完成率", what_en="completion", value=f"{completion:.6E}"))
        completion = None
    return _result(row, weight, target.kind, target, actual, None, completion, score, True, rule, arithmetic), found


def _target_notes(row: IndicatorRow, target: Target) -> list[Problem]:
    """§2 implausible targets: a percent over 100 for a rate or a satisfaction."""
    level = target.high if target.kind == RANGE else target.value
    if target.unit != "%" or level is None or level <= 100:
        return []
    name, level2 = normalise(row.name), normalise(row.level2)
    if name.endswith("率") or "满意度" in name or "满意度" in level2:
        return [problem("target-implausible", WARNING, INDICATOR_SHEET, row.cell("target"), target=row.target, name=row.name)]
    return []


def _unverified(row: IndicatorRow, weight: Decimal) -> tuple[Decimal, dict[str, str]]:
    """An indicator we cannot verify scores the department's word, capped (§2)."""
    if row.self_score is not None:
        score = money(max(ZERO, min(row.self_score, weight)))
        return score, {
            "fallback": f"已按自评得分 {fmt(score)} 计入",
            "fallback_en": f"counted at the self score {fmt(score)}",
        }
    return ZERO, {"fallback": "无自评得分，计0分", "fallback_en": "no self score: 0"}


def _result(row, weight, kind, target, actual, level, completion, score, verified, rule, arithmetic) -> IndicatorScore:
    return IndicatorScore(row, weight, kind, target, actual, level, completion, score, verified, rule, arithmetic)


def quantitative(target: Target, actual: Decimal, weight: Decimal, profile: Profile) -> tuple[Decimal | None, Decimal, str, str]:
    """(completion, score, rule, arithmetic) for a readable target and actual (§3)."""
    b = max(actual, ZERO)
    w = fmt(weight)
    if target.kind == RANGE:
        low, high = target.low, target.high
        if low <= b <= high:
            return ONE, money(weight), "区间", f"{fmt(low)} ≤ {fmt(b)} ≤ {fmt(high)}：{w} × 1 = {money(weight)}"
        if b < low:
            fraction = b / low
            score = money(weight * fraction)
            return fraction, score, "区间（低于下限）", f"{w} × {fmt(b)} / {fmt(low)} = {score}"
        if high <= 0:
            # A range at or below zero that B (never negative) is above: nothing to scale by.
            return ZERO, ZERO, "区间（高于上限）", f"{fmt(b)} > {fmt(high)}：得分 0"
        fraction = high / b
        score = money(weight * fraction)
        return fraction, score, "区间（高于上限）", f"{w} × {fmt(high)} / {fmt(b)} = {score}"
    a = target.value
    if target.kind == REVERSE:
        if a <= 0:
            # §3: with A = 0 a reverse indicator is met only when B ≤ A, else 0;
            # a negative A is held to the same rule (there is no ratio to take).
            met = b <= a
            score = money(weight) if met else ZERO
            return (ONE if met else None), score, "反向指标（目标不大于0）", f"{fmt(b)} {'≤' if met else '>'} {fmt(a)}：得分 {score}"
        completion = ONE if b == 0 else a / b
        if b <= a:
            return completion, money(weight), "反向指标", f"{fmt(b)} ≤ {fmt(a)}：{w} × 1 = {money(weight)}"
        if profile.reverse == "linear":
            score = money(weight * max(ZERO, ONE - (b - a) / a))
            return completion, score, "反向指标（线性）", f"{w} × max(0, 1 − ({fmt(b)} − {fmt(a)}) / {fmt(a)}) = {score}"
        score = money(weight * a / b)
        return completion, score, "反向指标", f"{w} × min(1, {fmt(a)} / {fmt(b)}) = {score}"
    if a <= 0:
        # §3: with A = 0 a positive indicator is met for any B ≥ 0, and B is never negative.
        return None, money(weight), "正向指标（目标不大于0）", f"{fmt(b)} ≥ {fmt(a)}：{w} × 1 = {money(weight)}"
    completion = b / a
    score = money(weight * min(completion, ONE))
    return completion, score, "正向指标", f"{w} × min(1, {fmt(b)} / {fmt(a)}) = {score}"


def qualitative_level(row: IndicatorRow, target: Target) -> str | None:
    """The level from 达成情况, else from an actual that names one (§4)."""
    achievement = normalise(row.achievement)
    if achievement in _LEVEL_OF:
        return _LEVEL_OF[achievement]
    actual = normalise(row.actual) if isinstance(row.actual, str) else ""
    if not actual:
        return None
    if actual in _LEVEL_OF:
        return _LEVEL_OF[actual]
    if actual == normalise(row.target) and not targets.is_not_applicable(actual):
        return ACHIEVED
    return None


def _score_qualitative(row: IndicatorRow, weight: Decimal, target: Target, profile: Profile):
    level = qualitative_level(row, target)
    level_cell = row.cell("achievement")
    found: list[Problem] = []
    if level is None:
        if not normalise(row.achievement) and not normalise(row.actual):
            found.append(problem("actual-missing", ERROR, INDICATOR_SHEET, row.cell("actual")))
            return _result(row, weight, QUALITATIVE, target, None, None, None, ZERO, True, "定性（未填写）", "得分 = 0"), found
        shown = f"达成情况“{row.achievement}”" if row.achievement else f"实际完成值“{row.actual_text}”"
        if row.self_score is not None:
            score, fallback = _unverified(row, weight)
            found.append(problem("qualitative-level-missing", WARNING, INDICATOR_SHEET, level_cell, actual=shown, **fallback))
            return _result(row, weight, QUALITATIVE, target, None, None, None, score, False, "定性（达成情况不明）", fallback["fallback"]), found
        found.append(
            problem("qualitative-level-missing", ERROR, INDICATOR_SHEET, level_cell, actual=shown,
                    fallback="无自评得分，计0分", fallback_en="no self score: 0")
        )
        return _result(row, weight, QUALITATIVE, target, None, None, None, ZERO, True, "定性（达成情况不明）", "得分 = 0"), found
    return _banded(row, weight, QUALITATIVE, target, None, level, profile, "定性指标", "")


def _score_deadline(row: IndicatorRow, weight: Decimal, target: Target, profile: Profile, year: int | None):
    """A deadline (§2): the actual date decides 达成/未达成, words give a level, then §4's bands."""
    actual = targets.parse_actual(row.actual, target, percent_format=row.actual_is_percent)
    if actual.date is not None:
        met = targets.deadline_met(target.deadline, actual.date, year)
        level = ACHIEVED if met else FAILED
        deadline = replace(target.deadline, year=target.deadline.year or year)
        reading = f"实际 {actual.date.date_text()}{'不晚于' if met else '晚于'}时限 {deadline.describe()}，"
        return _banded(row, weight, DEADLINE, target, actual, level, profile, "时限指标", reading)
    level = qualitative_level(row, target)
    if level is not None:
        return _banded(row, weight, DEADLINE, target, actual, level, profile, "时限指标", "")
    if actual.error == MISSING:
        found = [problem("actual-missing", ERROR, INDICATOR_SHEET, row.cell("actual"))]
        return _result(row, weight, DEADLINE, target, actual, None, None, ZERO, True, "实际完成值未填写", "得分 = 0"), found
    score, fallback = _unverified(row, weight)
    found = [problem(NOT_NUMBER, ERROR, INDICATOR_SHEET, row.cell("actual"), actual=row.actual_text, target=row.target, **fallback)]
    return _result(row, weight, DEADLINE, target, actual, None, None, score, False, "无法核算（未核实）", fallback["fallback"]), found


def _banded(row, weight, kind, target, actual, level, profile, rule, reading):
    """Score a level in its band of the weight (§4)."""
    level_cell = row.cell("achievement")
    found: list[Problem] = []
    low_share, high_share = profile.bands[level]
    low, high = money(weight * low_share), money(weight * high_share)
    name = LEVEL_NAMES[level]
    band = f"{fmt(weight)} × [{fmt(low_share)}, {fmt(high_share)}] = [{low}, {high}]"
    if row.self_score is None:
        score = high if level == ACHIEVED else low
        found.append(problem("qualitative-score-missing", WARNING, INDICATOR_SHEET, level_cell, level=name, score=score))
        arithmetic = f"{reading}{name}，区间 {band}，未填自评得分，取{'上限' if level == ACHIEVED else '下限'} {score}"
    elif low <= row.self_score <= high:
        score = money(row.self_score)
        arithmetic = f"{reading}{name}，区间 {band}，自评得分 {fmt(row.self_score)} 在区间内，得分 {score}"
    else:
        score = low if row.self_score < low else high
        found.append(
            problem("qualitative-band", ERROR, INDICATOR_SHEET, row.cell("self_score"),
                    level=name, self_score=row.self_score, low=low, high=high, score=score)
        )
        arithmetic = f"{reading}{name}，区间 {band}，自评得分 {fmt(row.self_score)} 超出区间，取 {score}"
    return _result(row, weight, kind, target, actual, level, None, score, True, rule, arithmetic), found
