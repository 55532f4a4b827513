"""Findings as data: a stable code, a severity, the cell to fix, a message.

Checks yield Problems and never raise, so one run shows every problem. The
messages come from one catalogue keyed by code; a Problem keeps only the
figures that go into its message, so the same finding renders in Chinese for
users and in English for logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from .cells import parse_a1


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

# code -> (Chinese template, English template). Templates use str.format
# with the Problem's params.
CATALOGUE: dict[str, tuple[str, str]] = {
    # File level
    "file-unreadable": ("无法读取文件：{reason}", "cannot read the file: {reason}"),
    "file-encrypted": (
        "文件设有打开密码，无法读取；请在 Excel/WPS 中取消密码后另存再提交",
        "the workbook is password-protected; save it without a password",
    ),
    "file-too-large": (
        "文件大小 {size} 超过上限 {limit}，未读取",
        "file size {size} exceeds the limit {limit}",
    ),
    "zip-bomb": (
        "文件内部“{part}”解压后过大（{size}，压缩比 {ratio}），疑似压缩炸弹，未读取",
        "part {part} inflates to {size} (ratio {ratio}): refused as a zip bomb",
    ),
    "too-many-rows": (
        "工作表“{sheet}”有 {rows} 行、{cols} 列，超过上限（{max_rows} 行、{max_cols} 列），只读取上限以内的部分",
        "sheet {sheet} has {rows} rows and {cols} columns, over the limit",
    ),
    "worker-crashed": (
        "处理该文件时程序异常终止（{reason}），未能评分；其他文件不受影响",
        "processing this file failed ({reason_en}); the other files were not affected",
    ),
    "sheet-missing": ("缺少工作表“{sheet}”", "sheet {sheet} is missing"),
    "header-missing": (
        "工作表“{sheet}”前10行中找不到含有“{columns}”的表头行",
        "no header row with {columns} in the first 10 rows of sheet {sheet}",
    ),
    "required-missing": ("必填项“{field}”未填写", "required field {field} is blank"),
    "not-a-number": (
        "“{value}”不是数字（{field}），已按空白处理",
        "{value!r} in {field} is not a number; read as blank",
    ),
    "macros-ignored": (
        "工作簿含有宏，宏未运行、已忽略",
        "the workbook contains macros; they were ignored, never run",
    ),
    "text-truncated": (
        "文本长度 {length} 超过单元格上限 {limit} 个字符，只读取了前 {limit} 个字符",
        "text of {length} characters cut to the {limit}-character limit",
    ),
    "xml-entities": (
        "文件内部“{part}”含有 DOCTYPE 或实体声明，可能是恶意构造的文件，未读取；请在 Excel/WPS 中另存后重新提交",
        "part {part} declares a DOCTYPE or entities: refused, never expanded",
    ),
    "file-type-mismatch": (
        "文件扩展名为 {suffix}，内容却是 {actual} 工作簿，已按实际格式读取；建议另存为正确的格式",
        "the file is named {suffix} but holds a {actual_en} workbook; read as what it is",
    ),
    # Reading targets and actuals (scoring.md §2)
    "target-unreadable": (
        "年度指标值“{target}”无法识别为指标值，无法核算；{fallback}",
        "target {target!r} cannot be read; {fallback_en}",
    ),
    "unit-mismatch": (
        "实际完成值“{actual}”的单位与年度指标值“{target}”不一致，无法核算；{fallback}",
        "actual {actual!r} does not match the unit of target {target!r}; {fallback_en}",
    ),
    "actual-not-number": (
        "实际完成值“{actual}”不是数值，无法与年度指标值“{target}”比较；{fallback}",
        "actual {actual!r} is not a number for target {target!r}; {fallback_en}",
    ),
    "actual-missing": (
        "实际完成值未填写，该指标计0分",
        "the actual value is blank; the indicator scores 0",
    ),
    "operator-in-actual": (
        "实际完成值“{actual}”带有比较符号，已按数值 {value} 核算；请填写实际达到的数值",
        "actual {actual!r} carries an operator; read as {value}",
    ),
    # Quantitative and qualitative indicators (§3, §4)
    "deviation-reason-missing": (
        "指标“{name}”得分 {score} 低于分值 {weight}，未填写偏差原因分析及改进措施",
        "indicator {name!r} scores {score} of {weight} with no reason given",
    ),
    "overshoot-unexplained": (
        "指标“{name}”完成率 {completion} 达到或超过 {threshold}，未说明超额完成原因（年度指标值可能设定偏低）",
        "indicator {name!r} reached {completion} (≥ {threshold}) with no reason given",
    ),
    "qualitative-band": (
        "达成情况为“{level}”，自评得分 {self_score} 不在该档区间 {low}–{high} 内，已按 {score} 计",
        "self score {self_score} is outside the band {low}–{high} of {level}; scored {score}",
    ),
    "qualitative-score-missing": (
        "定性指标未填写自评得分，按“{level}”计 {score} 分",
        "qualitative indicator without a self score: {level} scores {score}",
    ),
    "qualitative-level-missing": (
        "定性指标无法确定达成情况（{actual}），请在达成情况中选择达成档次；{fallback}",
        "no achievement level for a qualitative indicator ({actual}); {fallback_en}",
    ),
    # Weights and levels (§5)
    "weights-sum": (
        "分值合计为 {total}（含预算执行 {budget}），应为 {expected}",
        "weights add up to {total} (budget {budget} included), not {expected}",
    ),
    "level1-weights": (
        "一级指标分值为 {actual}，与规定的 {expected} 不一致",
        "level-1 weights are {actual}, not {expected}",
    ),
    "dimension-missing": (
        "没有“{level1}”下的绩效指标",
        "no indicator under {level1}",
    ),
    "weight-invalid": (
        "分值“{value}”无效（应为大于0的数字），{effect}",
        "weight {value!r} is not a positive number; {effect_en}",
    ),
    "unknown-level": (
        "二级指标“{level2}”不属于一级指标“{level1}”",
        "level-2 {level2!r} does not belong under level-1 {level1!r}",
    ),
    # The department's own figures (§7)
    "self-score-high": (
        "自评得分 {self_score} 高于核算得分 {score}",
        "self score {self_score} is above the computed {score}",
    ),
    "self-score-low": (
        "自评得分 {self_score} 低于核算得分 {score}",
        "self score {self_score} is below the computed {score}",
    ),
    "score-over-weight": (
        "自评得分 {self_score} 超过分值 {weight}",
        "self score {self_score} exceeds the weight {weight}",
    ),
    "total-mismatch": (
        "合计行的{what} {written} 与核算值 {computed} 不一致",
        "the total row's {what_en} {written} differs from the computed {computed}",
    ),
    # Budget execution and the budget table (§1, §8)
    "budget-zero": (
        "全年预算数为 {annual}，无法计算预算执行率，执行率得分为0",
        "the annual budget is {annual}: no execution rate, score 0",
    ),
    "execution-over-budget": (
        "全年执行数 {executed} 超过全年预算数 {annual}（执行率 {rate}），执行率得分按分值计",
        "executed {executed} exceeds the annual budget {annual} (rate {rate})",
    ),
    "budget-total-mismatch": (
        "年度资金总额的{stage} {total} 与当年财政拨款、上年结转资金、其他资金之和 {parts} 不一致",
        "the total's {stage} {total} differs from the sum of its sources {parts}",
    ),
    "budget-split-mismatch": (
        "中央级、省级、市级、县区级之和 {parts} 与当年财政拨款的{stage} {total} 不一致",
        "the split by level {parts} differs from the appropriation's {stage} {total}",
    ),
    "execution-over-received": (
        "全年执行数 {executed} 超过实际到位数 {received}",
        "executed {executed} exceeds the funds received {received}",
    ),
    "budget-cut-to-spend": (
        "全年预算数 {annual} 低于年初预算数 {initial}，且全年执行数等于全年预算数：可能为使执行率达到100%而调减预算",
        "the budget was cut from {initial} to {annual}, exactly what was spent",
    ),
    "goal-copied": (
        "实际完成情况与预期目标完全相同，应如实填写全年实际完成情况",
        "the achievement text is a copy of the goal",
    ),
}


def _plain(value: object) -> object:
    """Decimals render as people write them: 12.5, 100, 0.4988."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


@dataclass(frozen=True)
class Problem:
    code: str
    severity: Severity
    sheet: str | None = None
    cell: str | None = None
    params: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def location(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    @property
    def message(self) -> str:
        return self._render(0)

    @property
    def message_en(self) -> str:
        return self._render(1)

    def _render(self, which: int) -> str:
        template = CATALOGUE[self.code][which]
        params = {"sheet": self.sheet or "", "cell": self.cell or ""}
        params.update((key, _plain(value)) for key, value in self.params.items())
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return template

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
        }


def problem(code: str, severity: Severity, sheet: str | None = None, cell: str | None = None, **params: object) -> Problem:
    if code not in CATALOGUE:
        raise KeyError(f"unknown finding code {code!r}")
    return Problem(code, severity, sheet, cell or None, params)


def sort_key(item: Problem) -> tuple:
    """Errors first, then by sheet and cell in reading order."""
    return (item.severity.rank, item.sheet or "", _cell_order(item.cell), item.code)


def _cell_order(cell: str | None) -> tuple[int, int]:
    """Reading order: findings without a cell first, then by row and column."""
    return parse_a1(cell) if cell else (-1, -1)


class IntakeError(Exception):
    """The file cannot be read at all; carries the one file-level Problem."""

    def __init__(self, found: Problem):
        super().__init__(found.message)
        self.problem = found
