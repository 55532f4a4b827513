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
from ..display import fmt
from ..model import (
    ANNUAL,
    APPROPRIATION,
    BUDGET_SHEET,
    EXECUTED,
    INDICATOR_SHEET,
    INITIAL,
    PROJECT_SHEET,
    RECEIVED,
    SOURCE_ROWS,
    SPLIT_ROWS,
    STAGES,
    TOTAL,
    ZERO,
    POSITIVE,
    QUALITATIVE,
    BudgetScore,
    IndicatorScore,
    Intake,
    effective_total,
)
from ..problems import ERROR, INFO, WARNING, Problem, problem
from ..profiles import Profile
from ..text import normalise

BUDGET_TOLERANCE = Decimal("0.01")


def check_weights(intake: Intake, budget: BudgetScore, profile: Profile) -> Iterator[Problem]:
    """§5: weights add to 100, level-1 subtotals, dimensions, invalid weights."""
    special = intake.budget_row
    if special is not None and (special.weight is None or special.weight <= 0):
        # Budget execution is then scored on the profile's default weight.
        yield problem(
            "weight-invalid", ERROR, INDICATOR_SHEET, special.cells.get("weight"), value=special.weight_text or "（空白）",
            effect=f"预算执行率按默认分值 {fmt(budget.weight)} 计", effect_en=f"budget execution weighs the default {fmt(budget.weight)}",
        )
    for row in intake.indicators:
        if row.weight is None or row.weight <= 0:
            yield problem(
                "weight-invalid", ERROR, INDICATOR_SHEET, row.cell("weight"), value=row.weight_text or "（空白）",
                effect="该指标按分值0、得分0计", effect_en="weight 0, score 0",
            )
    valid = [row for row in intake.indicators if row.weight is not None and row.weight > 0]
    total = budget.weight + sum((row.weight for row in valid), ZERO)
    if abs(total - profile.weights_total) > profile.weights_tolerance:
        yield problem("weights-sum", ERROR, INDICATOR_SHEET, None, total=total, budget=budget.weight, expected=profile.weights_total)
    subtotals = {name: ZERO for name in profile.level1_weights}
    for row in valid:
        dimension = levels.dimension_of(row.level1)
        if dimension in subtotals:
            subtotals[dimension] += row.weight
    if any(subtotals[name] != expected for name, expected in profile.level1_weights.items()):
        actual = "、".join(f"{name[:-2]} {fmt(value)}" for name, value in subtotals.items())
        expected = "、".join(f"{name[:-2]} {fmt(value)}" for name, value in profile.level1_weights.items())
        yield problem("level1-weights", WARNING, INDICATOR_SHEET, None, actual=actual, expected=expected)
    present = {levels.dimension_of(row.level1) for row in intake.indicators}
    for name in levels.DIMENSIONS:
        if name not in present:
            yield problem("dimension-missing", WARNING, INDICATOR_SHEET, None, level1=name)


def check_levels(intake: Intake) -> Iterator[Problem]:
    """§5: a 二级 name that is unknown, or stands under the wrong 一级."""
    for row in intake.indicators:
        parent = levels.parent_of(row.level2)
        if parent is None or parent != row.level1:
            yield problem("unknown-level", WARNING, INDICATOR_SHEET, row.cell("level2"), level1=row.level1 or "（空白）", level2=row.level2 or "（空白）")


def check_self_scores(scores: Iterable[IndicatorScore], budget: BudgetScore, intake: Intake, profile: Profile) -> Iterator[Problem]:
    """§7: the department's own score against the computed one and the weight."""
    # (self score, computed, weight, cell, compare): an unverified line scores
    # the self score itself, and a qualitative one is held to its band (§4).
    lines = [
        (s.indicator.self_score, s.score, s.weight, s.indicator.cell("self_score", "weight"), s.verified and s.kind != QUALITATIVE)
        for s in scores
        if s.indicator.weight is not None and s.indicator.weight > 0   # else weight-invalid says it
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
                name=row.name, completion=f"{item.completion:.0%}", threshold=f"{profile.overshoot:.0%}",
            )


def check_totals(intake: Intake, total_score: Decimal, total_weight: Decimal, profile: Profile) -> Iterator[Problem]:
    """§7: figures written on a 合计 row against the computed ones."""
    for row in intake.total_rows:
        if row.self_score is not None and abs(row.self_score - total_score) > profile.total_tolerance:
            yield problem(
                "total-mismatch", WARNING, INDICATOR_SHEET, row.cells.get("self_score"),
                what="自评得分", what_en="score", written=row.self_score, computed=total_score,
            )
        if row.weight is not None and abs(row.weight - total_weight) > profile.total_tolerance:
            yield problem(
                "total-mismatch", WARNING, INDICATOR_SHEET, row.cells.get("self_score") or row.cells.get("weight"),
                what="分值", what_en="weight", written=row.weight, computed=total_weight,
            )


def check_budget_table(intake: Intake) -> Iterator[Problem]:
    """§8: the budget table's own arithmetic and the signs of a cut budget."""
    lines = intake.budget.lines
    amounts, cells = effective_total(intake.budget)
    total = lines.get(TOTAL)
    if total is not None and not total.is_blank() and any(key in lines for key in SOURCE_ROWS):
        # A form that fills only the total row has nothing to mismatch (scoring.md §8).
        for stage in STAGES:
            if total.amounts.get(stage) is None and stage == RECEIVED and not intake.budget.received_reported:
                continue
            parts = sum((lines[key].amount(stage) for key in SOURCE_ROWS if key in lines), ZERO)
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
    if intake.budget.received_reported and executed > amounts.get(RECEIVED, ZERO):
        yield problem("execution-over-received", WARNING, BUDGET_SHEET, cells.get(EXECUTED), executed=executed, received=amounts.get(RECEIVED, ZERO))
    if annual < initial and executed == annual and annual > 0:
        yield problem("budget-cut-to-spend", WARNING, BUDGET_SHEET, cells.get(ANNUAL), annual=annual, initial=initial)


def check_goal(intake: Intake) -> Iterator[Problem]:
    """§8: 实际完成情况 copied from 预期目标."""
    goal, achieved = normalise(intake.project.goal), normalise(intake.project.achieved)
    if goal and goal == achieved:
        yield problem("goal-copied", WARNING, PROJECT_SHEET, intake.project.cells.get("实际完成情况"))


def run_checks(intake: Intake, budget: BudgetScore, scores: tuple[IndicatorScore, ...], total_score: Decimal, profile: Profile) -> list[Problem]:
    total_weight = budget.weight + sum((s.weight for s in scores), ZERO)
    found: list[Problem] = []
    found += check_weights(intake, budget, profile)
    found += check_levels(intake)
    found += check_self_scores(scores, budget, intake, profile)
    found += check_reasons(scores, profile)
    found += check_totals(intake, total_score, total_weight, profile)
    found += check_budget_table(intake)
    found += check_goal(intake)
    return found
