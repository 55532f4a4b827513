"""Plain data the reader produces and scoring consumes.

Every value a department wrote keeps the A1 address it came from, so that a
finding can send a person to the cell to fix. Amounts are Decimal 万元.

Just over 400 lines: it is all the plain data of the program, in one place
on purpose, so that a writer needs nothing but this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .display import as_percent, plain
from .levels import dimension_of
from .problems import ERROR, INFO, Problem
from .profiles import Profile
from .text import text_of

ZERO = Decimal(0)
# The operators a 指标性质 cell may hold, as the Annex shows them.
_SIGNS = ("≥", ">", "=", "≤", "<")

# Qualitative levels (scoring.md §4), by key.
ACHIEVED, PARTIAL, FAILED = "achieved", "partial", "failed"
LEVEL_NAMES = {
    ACHIEVED: "达成年度指标",
    PARTIAL: "部分达成年度指标并具有一定效果",
    FAILED: "未达成年度指标且效果较差",
}

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

    @classmethod
    def of(cls, values: dict[str, str], year: int | None, code: str | None, cells: dict[str, str]) -> ProjectInfo:
        """The fields a reader found, by key (name, department, unit, leader, phone, goal, achieved)."""
        return cls(
            year=year, name=values.get("name", ""), code=code, department=values.get("department", ""),
            unit=values.get("unit", ""), leader=values.get("leader", ""), phone=values.get("phone", ""),
            goal=values.get("goal", ""), achieved=values.get("achieved", ""), cells=cells,
        )


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
    """One row of sheet 绩效指标, as written.

    Text is kept exactly as the department typed it (full-width punctuation
    and inner spaces included; only the ends are trimmed): every output shows
    it so. Normalising (text.normalise) is for matching and parsing, which
    work on a normalised copy.
    """

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
    def joined_target(self) -> str:
        """The target with the operator and unit the intake kept apart (指标性质, 计量单位), as one
        text: `≤120天`, not a bare `120`; the Annex and the report show it so, and read back the same.
        正向/反向 in 指标性质 are shown as the ≥/≤ they are read as (rules §2)."""
        target = self.target
        nature = self.nature.strip()
        if not target or (not nature and not self.unit):
            return target
        nature = {"正向": "≥", "反向": "≤"}.get(nature, nature)
        sign = nature if nature in _SIGNS and not target.startswith(_SIGNS) else ""
        unit = self.unit.strip()
        if unit and any(ch.isdigit() for ch in target[-1:]):
            target += unit
        return sign + target

    @property
    def actual_text(self) -> str:
        """The actual as the person saw it: 0.98 in a percent-formatted cell is `98%`."""
        if self.actual_is_percent and isinstance(self.actual, (int, float)) and not isinstance(self.actual, bool):
            return text_of(as_percent(Decimal(repr(self.actual)))) + "%"
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
    # Annex forms (forms.md): which reader took it, the sheet (or `表N` of a
    # .docx) each logical part came from (项目信息/预算执行/绩效指标 -> name),
    # whether the table has a 分值 column, and a grade printed beside the
    # total as (text, sheet, cell).
    form: str = "intake"
    sheets: dict[str, str] = field(default_factory=dict, compare=False)
    has_weight_column: bool = True
    printed_grade: tuple[str, str, str] | None = None

    def sheet_of(self, logical: str) -> str:
        """The sheet a finding about `logical` (项目信息, 预算执行, 绩效指标) names."""
        return self.sheets.get(logical, logical)


def effective_total(budget: BudgetTable) -> tuple[dict[str, Decimal], dict[str, str]]:
    """Amounts by stage of the 年度资金总额 row, or of its sources when it is blank.

    A single blank cell of a filled total row takes the sources' sum for that
    column (scoring.md §8; `filled_total_stages` names them).
    """
    total = budget.lines.get(TOTAL)
    anchor = total or budget.lines.get(APPROPRIATION)
    cells = dict(anchor.cells) if anchor else {}
    sums = source_sums(budget)
    if total is not None and not total.is_blank():
        filled = filled_total_stages(budget)
        amounts = {stage: total.amount(stage) for stage in total.amounts}
        return {**amounts, **{stage: sums[stage] for stage in filled}}, cells
    return sums, cells


def source_sums(budget: BudgetTable) -> dict[str, Decimal]:
    """当年财政拨款 + 上年结转资金 + 其他资金, by stage."""
    sums: dict[str, Decimal] = {}
    for key in SOURCE_ROWS:
        line = budget.lines.get(key)
        if line is None:
            continue
        for stage in line.amounts:
            sums[stage] = sums.get(stage, ZERO) + line.amount(stage)
    return sums


def sources_filled(budget: BudgetTable, stage: str) -> bool:
    """Whether any source row holds a figure in this column."""
    return any(
        budget.lines[key].amounts.get(stage) is not None for key in SOURCE_ROWS if key in budget.lines
    )


def filled_total_stages(budget: BudgetTable) -> tuple[str, ...]:
    """Columns where a filled total row is blank while its source rows hold figures."""
    total = budget.lines.get(TOTAL)
    if total is None or total.is_blank():
        return ()
    return tuple(
        stage for stage in total.amounts
        if total.amounts.get(stage) is None and sources_filled(budget, stage) and source_sums(budget).get(stage)
    )


# --- a target and an actual, as read (targets.py) ------------------------------

POSITIVE, REVERSE, RANGE, QUALITATIVE, UNREADABLE, DEADLINE = (
    "positive",
    "reverse",
    "range",
    "qualitative",
    "unreadable",
    "deadline",
)

MISSING, UNIT_MISMATCH, NOT_NUMBER = "actual-missing", "unit-mismatch", "actual-not-number"
PERCENT_AS_FRACTION = "percent-as-fraction"


def weight_valid(weight: Decimal | None) -> bool:
    """A weight counts when it is a number above 0 (scoring.md §5): the one test of it."""
    return weight is not None and weight > 0


@dataclass(frozen=True)
class Deadline:
    """A date a target sets (`11月底前` is month 11, no day, no year)."""

    year: int | None
    month: int
    day: int | None = None

    def date_text(self) -> str:
        """The date alone: `2021年11月`, `11月28日`."""
        year = f"{self.year}年" if self.year else ""
        return f"{year}{self.month}月" + (f"{self.day}日" if self.day else "")

    def describe(self) -> str:
        """As a deadline: `11月底前`, `2024年11月30日前`."""
        return self.date_text() + ("前" if self.day else "底前")


@dataclass(frozen=True)
class Target:
    kind: str
    op: str | None
    value: Decimal | None
    low: Decimal | None
    high: Decimal | None
    unit: str
    text: str                       # normalised, as parsed (the row keeps the raw text)
    deadline: Deadline | None = None
    sign: str = ""                  # an unknown sign in front of the number (operator-unknown)
    sign_in: str = ""               # where it stood: "nature" or "target"

    def describe(self) -> str:
        """How the target is read, for audit sheets: `≥ 95 %`, `= 12 次`, `90–100 %`.

        The sign shown is the one written (`=12次` is `= 12 次`, scored like
        ≥); a bare number shows the sign it is scored by (`12次` is `≥ 12 次`,
        a bare number under 成本指标 `≤ …`), so a reader sees the reading.
        """
        if self.kind == QUALITATIVE:
            return "定性"
        if self.kind == DEADLINE and self.deadline is not None:
            return f"时限：{self.deadline.describe()}"
        if self.kind == UNREADABLE:
            return f"无法识别的符号“{self.sign}”" if self.sign else "无法识别"
        if self.kind == RANGE:
            body = f"{_shown(self.low)}–{_shown(self.high)}"
        elif self.op in ("=", ">", "<", "≥", "≤"):
            body = f"{self.op} {_shown(self.value)}"
        elif self.kind == POSITIVE:
            body = f"≥ {_shown(self.value)}"
        else:
            body = f"≤ {_shown(self.value)}"
        return f"{body} {self.unit}".rstrip()


@dataclass(frozen=True)
class Actual:
    value: Decimal | None
    unit: str
    operator_copied: bool
    error: str | None
    date: Deadline | None = None    # an actual date or month, against a deadline target



def _shown(number: Decimal | None) -> str:
    return "" if number is None else plain(number)


# --- scores (rules/scoring.py) -----------------------------------------------------


@dataclass(frozen=True)
class BudgetScore:
    initial: Decimal
    annual: Decimal
    received: Decimal | None
    executed: Decimal
    rate: Decimal | None          # unrounded fraction; None when the budget is 0
    weight: Decimal
    score: Decimal
    self_score: Decimal | None
    arithmetic: str
    cells: dict[str, str]         # stage -> A1 on 预算执行 of the effective total


@dataclass(frozen=True)
class IndicatorScore:
    indicator: IndicatorRow
    weight: Decimal               # 0 when the written weight is invalid
    kind: str | None              # positive reverse range qualitative; None when unreadable
    target: Target
    actual: Actual | None
    level: str | None             # qualitative level key
    completion: Decimal | None
    score: Decimal
    verified: bool
    rule: str
    arithmetic: str

    @property
    def dimension(self) -> str:
        """The 产出/效益/满意度 dimension it counts under (levels.dimension_of)."""
        return dimension_of(self.indicator.level1)


def total_weight(budget: BudgetScore, scores: tuple[IndicatorScore, ...] | list[IndicatorScore]) -> Decimal:
    """Budget weight plus the indicators' weights as scored: the one place they are added up."""
    return budget.weight + sum((item.weight for item in scores), ZERO)


# --- one project's result (evaluate.py) ------------------------------------------


@dataclass(frozen=True)
class Result:
    source_path: str
    source_sha256: str
    profile: Profile
    intake: Intake | None
    budget: BudgetScore | None
    indicators: tuple[IndicatorScore, ...]
    total_score: Decimal | None
    self_total: Decimal | None
    grade: str | None
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    failure: Problem | None = None   # set when the file could not be read
    # Which reader took the file ("intake" | "annex"; None when it could not
    # be read) and the sheet, or `表N` of a .docx, the project came from
    # (None for an intake workbook: its three sheets).
    source_form: str | None = "intake"
    source_sheet: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def has_errors(self) -> bool:
        return self.failure is not None or any(p.severity == ERROR for p in self.problems)

    def dimension_scores(self) -> dict[str, Decimal]:
        """Scores by 产出/效益/满意度 (a 一级 成本指标 counts with 产出, levels.dimension_of)."""
        totals: dict[str, Decimal] = {}
        for item in self.indicators:
            dimension = dimension_of(item.indicator.level1)
            totals[dimension] = totals.get(dimension, ZERO) + item.score
        return totals

    def flagged_cells(self, sheet: str) -> set[str]:
        """The cells of `sheet` with an error or a warning: the ones an Annex marks."""
        if self.intake is not None:
            sheet = self.intake.sheet_of(sheet)
        return {p.cell for p in self.problems if p.sheet == sheet and p.cell and p.severity != INFO}

    def on_sheet(self, problem: Problem, logical: str) -> bool:
        """Whether `problem` is about the part `logical` (预算执行, 绩效指标) of this project."""
        return problem.sheet == (self.intake.sheet_of(logical) if self.intake is not None else logical)

    @property
    def indicator_weights(self) -> Decimal:
        """The indicators' weights as scored (an invalid weight counts 0, a not-applicable row not at all)."""
        return sum((item.weight for item in self.indicators), ZERO)

    @property
    def total_weight(self) -> Decimal:
        """Budget weight plus every indicator weight: what §5 holds to 100."""
        return total_weight(self.budget, self.indicators) if self.budget else self.indicator_weights

    @property
    def unverified_points(self) -> Decimal:
        return sum((item.score for item in self.indicators if not item.verified), ZERO)
