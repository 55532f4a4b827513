"""Plain data the reader produces and scoring consumes.

Every value a department wrote keeps the A1 address it came from, so that a
finding can send a person to the cell to fix. Amounts are Decimal 万元.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .text import text_of

PROJECT_SHEET = "项目信息"
BUDGET_SHEET = "预算执行"
INDICATOR_SHEET = "绩效指标"

# Budget source rows (intake.md, sheet 预算执行), by canonical key.
TOTAL = "年度资金总额"
APPROPRIATION = "当年财政拨款"
CARRYOVER = "上年结转资金"
OTHER = "其他资金"
SPLIT_ROWS = ("中央级", "省级", "市级", "县区级")
SOURCE_ROWS = (APPROPRIATION, CARRYOVER, OTHER)

# Budget stage columns.
INITIAL = "年初预算数"
ANNUAL = "全年预算数"
RECEIVED = "实际到位数"
EXECUTED = "全年执行数"
STAGES = (INITIAL, ANNUAL, RECEIVED, EXECUTED)


@dataclass(frozen=True)
class ProjectInfo:
    year: int | None
    name: str
    code: str | None
    department: str
    unit: str
    leader: str = ""
    phone: str = ""
    goal: str = ""
    achieved: str = ""
    # field label -> A1 address of its value cell on sheet 项目信息
    cells: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class BudgetLine:
    """One source row of sheet 预算执行; a stage is None when its cell is blank."""

    label: str
    row: int
    amounts: dict[str, Decimal | None]
    cells: dict[str, str] = field(default_factory=dict, compare=False)

    def amount(self, stage: str) -> Decimal:
        return self.amounts.get(stage) or Decimal(0)

    def is_blank(self) -> bool:
        return all(not value for value in self.amounts.values())


@dataclass(frozen=True)
class BudgetTable:
    lines: dict[str, BudgetLine]
    received_reported: bool


@dataclass(frozen=True)
class IndicatorRow:
    """One row of sheet 绩效指标, as written (only text normalised)."""

    row: int
    level1: str
    level2: str
    name: str
    weight: Decimal | None
    weight_text: str
    target: str
    nature: str
    unit: str
    actual: object
    actual_is_percent: bool
    achievement: str
    self_score: Decimal | None
    reason: str
    # column key -> A1 address: level1 level2 name weight target actual
    # achievement self_score reason
    cells: dict[str, str] = field(default_factory=dict, compare=False)

    def cell(self, key: str, fallback: str = "actual") -> str:
        return self.cells.get(key) or self.cells.get(fallback, "")

    @property
    def actual_text(self) -> str:
        """The actual as the person saw it: 0.98 in a percent-formatted cell is `98%`."""
        if self.actual_is_percent and isinstance(self.actual, (int, float)) and not isinstance(self.actual, bool):
            return text_of(Decimal(repr(self.actual)) * 100) + "%"
        return text_of(self.actual)


@dataclass(frozen=True)
class SpecialRow:
    """The 预算执行率 row or a 合计 row: only its weight and self score count."""

    row: int
    weight: Decimal | None
    self_score: Decimal | None
    cells: dict[str, str] = field(default_factory=dict, compare=False)
    weight_text: str = ""


@dataclass(frozen=True)
class Intake:
    project: ProjectInfo
    budget: BudgetTable
    indicators: tuple[IndicatorRow, ...]
    budget_row: SpecialRow | None
    total_rows: tuple[SpecialRow, ...]
    has_reason_column: bool = True
    has_achievement_column: bool = True
