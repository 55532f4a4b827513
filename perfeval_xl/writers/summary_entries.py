"""What the summary workbook knows of one input file, and the sums it keeps (summary.py writes them).

`entry_of` turns a Result into the small, picklable Entry that a batch
worker sends back; `watch_reasons` says why an auditor should open a project
first; the tallies add up departments, grades and 汇总's columns in Decimal,
so exact in any order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from ..display import WHOLE, percent_text
from ..model import ZERO, Result
from ..problems import ERROR, WARNING

# 关注清单 thresholds (outputs.md): a score below 80, an execution rate below 90 %.
WATCH_SCORE = Decimal(80)
WATCH_RATE = Decimal("0.9")

@dataclass(frozen=True)
class ProjectLine:
    """The 汇总 figures of one scored project."""

    year: int | None
    department: str
    unit: str
    code: str | None
    name: str
    annual: Decimal
    executed: Decimal
    rate: Decimal | None
    budget_score: Decimal
    output: Decimal
    benefit: Decimal
    satisfaction: Decimal
    total: Decimal
    self_total: Decimal | None
    grade: str
    unverified: Decimal
    errors: int
    warnings: int

    @property
    def difference(self) -> Decimal | None:
        return None if self.self_total is None else self.self_total - self.total


@dataclass(frozen=True)
class Finding:
    severity: str      # 错误 / 警告 / 提示
    code: str
    sheet: str
    cell: str
    message: str

    @property
    def location(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.sheet and self.cell else self.sheet


@dataclass(frozen=True)
class Entry:
    """What the summary needs of one input file: small and picklable."""

    source: str
    project: ProjectLine | None
    findings: tuple[Finding, ...] = ()
    failure: str | None = None     # the failure's code when the file could not be read

    @property
    def reason(self) -> str:
        """Every reason a file could not be read, on one line."""
        return "；".join(f"[{f.location}] {f.message}" if f.location else f.message for f in self.findings)


def entry_of(result: Result) -> Entry:
    problems = result.problems or ((result.failure,) if result.failure else ())
    findings = tuple(Finding(p.severity.label, p.code, p.sheet or "", p.cell or "", p.message) for p in problems)
    if result.failure is not None:
        return Entry(result.source_path, None, findings, result.failure.code)
    project, budget = result.intake.project, result.budget
    dimensions = result.dimension_scores()
    line = ProjectLine(
        year=project.year,
        department=project.department,
        unit=project.unit,
        code=project.code,
        name=project.name,
        annual=budget.annual,
        executed=budget.executed,
        rate=budget.rate,
        budget_score=budget.score,
        # 成本指标 filed as a 一级 is already counted with 产出 (levels.dimension_of),
        # so that 执行率得分 + 产出 + 效益 + 满意度 = 核算总分.
        output=dimensions.get("产出指标", ZERO),
        benefit=dimensions.get("效益指标", ZERO),
        satisfaction=dimensions.get("满意度指标", ZERO),
        total=result.total_score,
        self_total=result.self_total,
        grade=result.grade,
        unverified=result.unverified_points,
        errors=sum(1 for p in result.problems if p.severity == ERROR),
        warnings=sum(1 for p in result.problems if p.severity == WARNING),
    )
    return Entry(result.source_path, line, findings)


def watch_reasons(line: ProjectLine, tolerance: Decimal) -> list[str]:
    """Why an auditor should open this project first; empty when nothing stands out."""
    reasons = []
    if line.total < WATCH_SCORE:
        reasons.append(f"核算总分低于{WATCH_SCORE}分")
    if line.rate is None:
        reasons.append("无法计算预算执行率")
    elif line.rate < WATCH_RATE:
        reasons.append(f"预算执行率低于{percent_text(WATCH_RATE, WHOLE)}")
    if line.difference is not None and line.difference > tolerance:
        reasons.append(f"自评总分高于核算总分 {line.difference:.2f} 分")
    if line.unverified > 0:
        reasons.append(f"未核实分值 {line.unverified:.2f} 分")
    if line.errors:
        reasons.append(f"错误 {line.errors} 项")
    return reasons


@dataclass
class Tally:
    """Running sums of a department or a grade; Decimal, so exact in any order."""

    projects: int = 0
    annual: Decimal = ZERO
    executed: Decimal = ZERO
    scores: Decimal = ZERO
    weighted: Decimal = ZERO
    grades: dict[str, int] = field(default_factory=dict)

    def add(self, line: ProjectLine) -> None:
        self.projects += 1
        self.annual += line.annual
        self.executed += line.executed
        self.scores += line.total
        self.weighted += line.total * line.annual
        self.grades[line.grade] = self.grades.get(line.grade, 0) + 1


@dataclass
class ColumnTotals:
    """汇总's column sums for its 合计 row; 自评总分 and 差异 with how many projects gave one."""

    budget_score: Decimal = ZERO
    output: Decimal = ZERO
    benefit: Decimal = ZERO
    satisfaction: Decimal = ZERO
    unverified: Decimal = ZERO
    errors: int = 0
    warnings: int = 0
    self_total: tuple[Decimal, int] = (ZERO, 0)
    difference: tuple[Decimal, int] = (ZERO, 0)

    def add(self, line: ProjectLine) -> None:
        self.budget_score += line.budget_score
        self.output += line.output
        self.benefit += line.benefit
        self.satisfaction += line.satisfaction
        self.unverified += line.unverified
        self.errors += line.errors
        self.warnings += line.warnings
        if line.self_total is not None:
            self.self_total = (self.self_total[0] + line.self_total, self.self_total[1] + 1)
            self.difference = (self.difference[0] + line.difference, self.difference[1] + 1)


def ratio(part: Decimal, whole: Decimal) -> float | None:
    return None if not whole else finite(part / whole)


def finite(value) -> float | None:
    """A figure as a float for the workbook, or None (a blank cell) when it has none:
    xlsxwriter refuses infinity and NaN, and a run must never die on one project's figure."""
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None
