"""Pure checks over a read and scored project: each yields Problems.

One function per rule of scoring.md (§3 reasons, §5 weights and levels, §7
the department's own figures, §8 the budget table). No file, no workbook
object, no printing: plain data in, findings out, and every check runs, so
one run reports every problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from .. import levels
from ..display import WHOLE, fmt, percent_text
from ..model import (
    ANNUAL,
    APPROPRIATION,
    BUDGET_SHEET,
    EXECUTED,
    INDICATOR_SHEET,
    INITIAL,
    PROJECT_SHEET,
    RECEIVED,
    SPLIT_ROWS,
    STAGES,
    TOTAL,
    ZERO,
    POSITIVE,
    BudgetScore,
    IndicatorScore,
    Intake,
    effective_total,
    filled_total_stages,
    source_sums,
    sources_filled,
    total_weight,
    weight_valid,
)
from ..problems import ERROR, INFO, WARNING, Problem, problem
from ..profiles import Profile
from ..targets import parse_number
from ..text import normalise
from .scoring import BANDED

BUDGET_TOLERANCE = Decimal("0.01")


def check_weights(intake: Intake, budget: BudgetScore, scores: tuple[IndicatorScore, ...], profile: Profile) -> Iterator[Problem]:
    """§5: weights add to 100, level-1 subtotals, dimensions, invalid weights.

    Over the scored rows: a not-applicable row is not among them (§2).
    """
    special = intake.budget_row
    if special is not None and not weight_valid(special.weight):
        # Budget execution is then scored on the profile's default weight.
        yield problem(
            "weight-invalid", ERROR, INDICATOR_SHEET, special.cells.get("weight"), value=special.weight_text or "（空白）",
            effect=f"预算执行率按默认分值 {fmt(budget.weight)} 计", effect_en=f"budget execution weighs the default {fmt(budget.weight)}",
        )
    for item in scores:
        if not weight_valid(item.indicator.weight):
            yield problem(
                "weight-invalid", ERROR, INDICATOR_SHEET, item.indicator.cell("weight"), value=item.indicator.weight_text or "（空白）",
                effect="该指标按分值0、得分0计", effect_en="weight 0, score 0",
            )
    total = total_weight(budget, scores)
    if abs(total - profile.weights_total) > profile.weights_tolerance:
        yield problem("weights-sum", ERROR, INDICATOR_SHEET, None, total=total, budget=budget.weight, expected=profile.weights_total)
    subtotals = {name: ZERO for name in profile.level1_weights}
    for item in scores:
        dimension = levels.dimension_of(item.indicator.level1)
        if dimension in subtotals:
            subtotals[dimension] += item.weight
    if any(subtotals[name] != expected for name, expected in profile.level1_weights.items()):
        actual = "、".join(f"{name[:-2]} {fmt(value)}" for name, value in subtotals.items())
        expected = "、".join(f"{name[:-2]} {fmt(value)}" for name, value in profile.level1_weights.items())
        yield problem("level1-weights", WARNING, INDICATOR_SHEET, None, actual=actual, expected=expected)
    present = {levels.dimension_of(item.indicator.level1) for item in scores}
    for name in levels.DIMENSIONS:
        if name not in present:
            yield problem("dimension-missing", WARNING, INDICATOR_SHEET, None, level1=name)


def check_levels(scores: tuple[IndicatorScore, ...]) -> Iterator[Problem]:
    """§5: a 二级 name that is unknown, or stands under the wrong 一级."""
    for item in scores:
        row = item.indicator
        parent = levels.parent_of(row.level2)
        if parent is None or parent != row.level1:
            yield problem("unknown-level", WARNING, INDICATOR_SHEET, row.cell("level2"), level1=row.level1 or "（空白）", level2=row.level2 or "（空白）")


def check_self_scores(scores: Iterable[IndicatorScore], budget: BudgetScore, intake: Intake, profile: Profile) -> Iterator[Problem]:
    """§7: the department's own score against the computed one and the weight."""
    # (self score, computed, weight, cell, compare): an unverified line scores
    # the self score itself, and a qualitative one is held to its band (§4).
    lines = [
        (s.indicator.self_score, s.score, s.weight, s.indicator.cell("self_score", "weight"), s.verified and s.kind not in BANDED)
        for s in scores
        if weight_valid(s.indicator.weight)   # else weight-invalid says it
    ]
    if intake.budget_row is not None:
        lines.insert(0, (budget.self_score, budget.score, budget.weight, intake.budget_row.cells.get("self_score"), True))
    for self_score, score, weight, cell, compare in lines:
        if self_score is None:
            continue
        if self_score > weight:
            yield problem("score-over-weight", ERROR, INDICATOR_SHEET, cell, self_score=self_score, weight=weight)
        if not compare:
            continue
        if self_score - score > profile.self_score_tolerance:
            yield problem("self-score-high", WARNING, INDICATOR_SHEET, cell, self_score=self_score, score=score)
        elif score - self_score > profile.self_score_tolerance:
            yield problem("self-score-low", INFO, INDICATOR_SHEET, cell, self_score=self_score, score=score)


def check_reasons(scores: Iterable[IndicatorScore], profile: Profile) -> Iterator[Problem]:
    """§3: a missed target, or a far exceeded one, needs a reason."""
    for item in scores:
        row = item.indicator
        if row.reason:
            continue
        cell = row.cell("reason")
        if item.score < item.weight:
            yield problem("deviation-reason-missing", WARNING, INDICATOR_SHEET, cell, name=row.name, score=item.score, weight=item.weight)
        elif item.kind == POSITIVE and item.completion is not None and item.completion >= profile.overshoot:
            yield problem(
                "overshoot-unexplained", WARNING, INDICATOR_SHEET, cell,
                name=row.name, completion=percent_text(item.completion, WHOLE), threshold=percent_text(profile.overshoot, WHOLE),
            )


def check_totals(
    intake: Intake, budget: BudgetScore, scores: tuple[IndicatorScore, ...], total_score: Decimal, profile: Profile
) -> Iterator[Problem]:
    """§7: figures written on a 合计 row against the computed ones, and against the form's own scores."""
    weights = total_weight(budget, scores)
    printed = [item.indicator.self_score for item in scores if item.indicator.self_score is not None]
    own_sum = (budget.self_score if budget.self_score is not None else budget.score) + sum(printed, ZERO)
    for row in intake.total_rows:
        cell = row.cells.get("self_score")
        if row.self_score is not None and abs(row.self_score - total_score) > profile.total_tolerance:
            yield problem(
                "total-mismatch", WARNING, INDICATOR_SHEET, cell,
                what="自评得分", what_en="score", written=row.self_score, computed=total_score,
            )
        if row.weight is not None and abs(row.weight - weights) > profile.total_tolerance:
            yield problem(
                "total-mismatch", WARNING, INDICATOR_SHEET, cell or row.cells.get("weight"),
                what="分值", what_en="weight", written=row.weight, computed=weights,
            )
        if row.self_score is not None and printed and abs(row.self_score - own_sum) > profile.total_tolerance:
            yield problem(
                "self-total-inconsistent", WARNING, INDICATOR_SHEET, cell, written=row.self_score, own=own_sum,
            )


def check_budget_table(intake: Intake) -> Iterator[Problem]:
    """§8: the budget table's own arithmetic and the signs of a cut budget."""
    budget = intake.budget
    lines = budget.lines
    amounts, cells = effective_total(budget)
    total = lines.get(TOTAL)
    if total is not None and not total.is_blank():
        parts_by_stage = source_sums(budget)
        filled = filled_total_stages(budget)
        for stage in STAGES:
            if stage in filled:
                yield problem("budget-total-filled", INFO, BUDGET_SHEET, total.cells.get(stage), stage=stage, parts=parts_by_stage[stage])
                continue
            # Only where both the total cell and a source cell are filled: a
            # form that fills only its total row has nothing to mismatch.
            if total.amounts.get(stage) is None or not sources_filled(budget, stage):
                continue
            parts = parts_by_stage.get(stage, ZERO)
            if abs(total.amount(stage) - parts) > BUDGET_TOLERANCE:
                yield problem("budget-total-mismatch", ERROR, BUDGET_SHEET, total.cells.get(stage), stage=stage, total=total.amount(stage), parts=parts)
    appropriation = lines.get(APPROPRIATION)
    splits = [lines[key] for key in SPLIT_ROWS if key in lines]
    if appropriation is not None and splits:
        for stage in STAGES:
            if all(line.amounts.get(stage) is None for line in splits):
                continue
            parts = sum((line.amount(stage) for line in splits), ZERO)
            if abs(appropriation.amount(stage) - parts) > BUDGET_TOLERANCE:
                yield problem("budget-split-mismatch", ERROR, BUDGET_SHEET, appropriation.cells.get(stage), stage=stage, total=appropriation.amount(stage), parts=parts)
    executed, annual, initial = amounts.get(EXECUTED, ZERO), amounts.get(ANNUAL, ZERO), amounts.get(INITIAL, ZERO)
    if budget.received_reported and executed > amounts.get(RECEIVED, ZERO):
        yield problem("execution-over-received", WARNING, BUDGET_SHEET, cells.get(EXECUTED), executed=executed, received=amounts.get(RECEIVED, ZERO))
    if annual < initial and executed == annual and annual > 0:
        yield problem("budget-cut-to-spend", WARNING, BUDGET_SHEET, cells.get(ANNUAL), annual=annual, initial=initial)


# A goal shorter than this says nothing (§8 goal-not-descriptive).
GOAL_MIN_CHARS = 6
_AMOUNT_UNITS = ("亿元", "万元", "元")


def _only_a_number(text: str) -> bool:
    for unit in _AMOUNT_UNITS:
        if text.endswith(unit):
            text = text[: -len(unit)]
            break
    return parse_number(text) is not None


def check_goal(intake: Intake) -> Iterator[Problem]:
    """§8: 实际完成情况 copied from 预期目标; a goal that is only a number or a few characters."""
    project = intake.project
    goal, achieved = normalise(project.goal), normalise(project.achieved)
    if goal and goal == achieved:
        yield problem("goal-copied", WARNING, PROJECT_SHEET, project.cells.get("实际完成情况"))
    for label, text, written in (("预期目标", goal, project.goal), ("实际完成情况", achieved, project.achieved)):
        if text and (_only_a_number(text) or len(text) < GOAL_MIN_CHARS):
            yield problem("goal-not-descriptive", WARNING, PROJECT_SHEET, project.cells.get(label), field=label, text=written)


def run_checks(intake: Intake, budget: BudgetScore, scores: tuple[IndicatorScore, ...], total_score: Decimal, profile: Profile) -> list[Problem]:
    found: list[Problem] = []
    found += check_weights(intake, budget, scores, profile)
    found += check_levels(scores)
    found += check_self_scores(scores, budget, intake, profile)
    found += check_reasons(scores, profile)
    found += check_totals(intake, budget, scores, total_score, profile)
    found += check_budget_table(intake)
    found += check_goal(intake)
    return found
