"""What the 自评报告 says, as plain text and table rows, from one Result.

Nothing here touches Word: compose.py lays these out. Every figure comes from
the Result and is shown as the record rounds it (display.half_up): scores to
the cent without trailing zeros (`12.5`, `10`), rates and completion as
percentages with two decimals (`100.00%`), amounts in 万元 (`98.65`). Sums
are sums of those same figures. Department text (names, targets, actuals,
goals, reasons) is quoted exactly as typed; an empty one is said to be empty.
"""

from __future__ import annotations

from decimal import Decimal

from ...display import half_up, plain
from ...model import (
    ANNUAL, APPROPRIATION, CARRYOVER, EXECUTED, INITIAL, LEVEL_NAMES, OTHER, RECEIVED, SPLIT_ROWS, ZERO,
    IndicatorScore, Result,
)

AMOUNT_PLACES = Decimal("0.000001")      # as the record keeps amounts
BUDGET_LEVEL1 = "预算执行指标"
BUDGET_NAME = "预算执行率"
BUDGET_TARGET = "100%"                   # the rule: the whole annual budget spent

# The dimensions of section 二 and 三, in order: (一级 name, short word).
DIMENSIONS = (("产出指标", "产出"), ("效益指标", "效益"), ("满意度指标", "满意度"))
OTHER_DIMENSION = "其他指标"

# The transposed funds table (stages as rows, sources as columns), as the seed report prints it.
FUNDS_HEADER_TOP = ("项目", "行次", "年度总金额(万元)", "财政资金", "", "", "", "", "上年结转资金(万元)", "其他资金(万元)")
FUNDS_HEADER_SUB = ("小计", *SPLIT_ROWS)
FUNDS_STAGES = (
    ("年初预算资金", "(1)", INITIAL, "initial"),
    ("全年预算资金", "(2)", ANNUAL, "annual"),
    ("实际到位资金", "(3)", RECEIVED, "received"),
    ("全年执行资金", "(4)", EXECUTED, "executed"),
)
FUNDS_SOURCES = (APPROPRIATION, *SPLIT_ROWS, CARRYOVER, OTHER)
RATE_ROW = ("预算执行率", "(5)=(4)/(2)")

DIMENSION_HEADER = ("二级指标", "三级指标", "权重", "目标值", "业绩值", "得分")
ANNEX_HEADER = ("一级指标", "二级指标", "目标指标", "权重", "目标值", "业绩值", "完成率", "指标得分", "偏差原因分析及改进措施")
TOTAL_LABEL = "合计"

_SHORT_LEVEL = {"achieved": "达成", "partial": "部分达成", "failed": "未达成"}


# --- figures ---------------------------------------------------------------------


def points(value: Decimal | None) -> str:
    """A score or a weight as the record rounds it: `12.5`, `10`, `0`."""
    return "" if value is None else plain(half_up(value))


def amount(value: Decimal | None) -> str:
    """An amount in 万元: `98.65`; blank when there is none."""
    return "" if value is None else plain(half_up(value, AMOUNT_PLACES))


def percent(fraction: Decimal | None) -> str:
    """A fraction as a percentage with two decimals, half-up: `100.00%`."""
    return "" if fraction is None else format(half_up(fraction * 100), "f") + "%"


def total_weight(result: Result) -> Decimal:
    return half_up(result.budget.weight) + sum((half_up(item.weight) for item in result.indicators), ZERO)


# --- which indicator is which ------------------------------------------------------


def met(item: IndicatorScore) -> bool:
    return item.verified and item.weight > 0 and item.score >= item.weight


def missed(item: IndicatorScore) -> bool:
    return item.verified and item.weight > 0 and item.score < item.weight


def weightless(item: IndicatorScore) -> bool:
    """A weight that is blank, not a number or not above 0: the indicator counts 0 whatever it achieved."""
    return item.verified and item.weight <= 0


def dimensions(result: Result) -> list[tuple[str, str, list[IndicatorScore]]]:
    """(一级 name, short word, its indicators) for 产出, 效益, 满意度, then any other 一级 found."""
    known = {name for name, _ in DIMENSIONS}
    groups = [(name, word, [i for i in result.indicators if i.dimension == name]) for name, word in DIMENSIONS]
    others = [item for item in result.indicators if item.dimension not in known]
    if others:
        groups.append((OTHER_DIMENSION, "其他", others))
    return groups


# --- tables ------------------------------------------------------------------------


def funds_rows(result: Result) -> list[list[str]]:
    """The four stage rows and the 预算执行率 row, 10 columns each (FUNDS_HEADER_TOP)."""
    budget, lines = result.budget, result.intake.budget.lines
    rows = []
    for label, number, stage, attribute in FUNDS_STAGES:
        # 年度总金额 is the effective total the rate was computed from (the sources' sum where the total row is blank).
        row = [label, number, amount(getattr(budget, attribute))]
        for source in FUNDS_SOURCES:
            line = lines.get(source)
            value = line.amounts.get(stage) if line is not None else None
            row.append("" if stage == RECEIVED and budget.received is None else amount(value))
        rows.append(row)
    rows.append([*RATE_ROW, percent(budget.rate) or "—", *([""] * len(FUNDS_SOURCES))])
    return rows


def budget_dimension_row(result: Result) -> list[str]:
    budget = result.budget
    return ["预算执行指标", BUDGET_NAME, points(budget.weight), BUDGET_TARGET, percent(budget.rate) or "—", points(budget.score)]


def dimension_rows(items: list[IndicatorScore]) -> list[list[str]]:
    return [[i.indicator.level2, i.indicator.name, points(i.weight), i.indicator.joined_target, i.indicator.actual_text,
             points(i.score)] for i in items]


def completion_text(item: IndicatorScore) -> str:
    if not item.verified:
        return "未核实"
    if item.completion is not None:
        return percent(item.completion)
    return _SHORT_LEVEL.get(item.level or "", "—")


def annex_rows(result: Result) -> list[list[str]]:
    """附件1: the budget row first, then every indicator (9 columns, ANNEX_HEADER), then 合计."""
    budget = result.budget
    rate = percent(budget.rate) or "—"
    rows = [[BUDGET_LEVEL1, BUDGET_LEVEL1, BUDGET_NAME, points(budget.weight), BUDGET_TARGET, rate, rate,
             points(budget.score), ""]]
    for item in result.indicators:
        row = item.indicator
        rows.append([row.level1, row.level2, row.name, points(item.weight), row.joined_target, row.actual_text,
                     completion_text(item), points(item.score), row.reason])
    rows.append([TOTAL_LABEL, "", "", points(total_weight(result)), "", "", "", points(result.total_score),
                 f"等级：{result.grade}"])
    return rows


# --- sentences ---------------------------------------------------------------------


def budget_sentences(result: Result) -> list[str]:
    budget = result.budget
    annual, executed = amount(budget.annual), amount(budget.executed)
    if budget.rate is None:
        main = f"全年预算{annual}万元，执行{executed}万元，全年预算数为0，无法计算执行率，得{points(budget.score)}分。"
    else:
        main = f"全年预算{annual}万元，执行{executed}万元，执行率{percent(budget.rate)}，得{points(budget.score)}分。"
    said = [main]
    extra = [f"年初预算{amount(budget.initial)}万元"]
    if budget.received is not None:
        extra.append(f"实际到位{amount(budget.received)}万元")
    said.append("，".join(extra) + f"；预算执行分值{points(budget.weight)}分。")
    if budget.rate is not None and budget.rate > 1:
        said.append("全年执行数超过全年预算数，执行率按100%计分，请核实。")
    return said


def overall_sentences(result: Result) -> list[str]:
    project = result.intake.project
    profile = result.profile
    rules = profile.title or profile.name
    said = [
        f"综合考虑预算执行情况、产出、效益、服务对象满意度各方面因素，按{rules}评分，"
        f"{project.name}绩效自评结果为：总得分{points(result.total_score)}分，等级为“{result.grade}”。"
    ]
    parts = [f"预算执行{points(result.budget.score)}分"]
    for name, word, items in dimensions(result):
        if items:
            parts.append(f"{word}{points(sum((half_up(i.score) for i in items), ZERO))}分")
    said.append("其中" + "，".join(parts) + "。")
    if result.self_total is not None and half_up(result.self_total) != half_up(result.total_score):
        said.append(f"单位自评总分为{points(result.self_total)}分，与核算总分不一致，以核算总分为准。")
    unverified = [item for item in result.indicators if not item.verified]
    if unverified:
        pts = points(sum((half_up(i.score) for i in unverified), ZERO))
        said.append(f"有{len(unverified)}项指标的实际完成值无法核算，按单位自评得分计入，共{pts}分，见“三、项目绩效分析”。")
    errors = sum(1 for p in result.problems if p.severity.value == "error")
    warnings = sum(1 for p in result.problems if p.severity.value == "warning")
    if errors or warnings:
        said.append(f"评分时发现错误{errors}条、警告{warnings}条，见“五、存在问题及原因分析”中的需说明的问题。")
    return said


def dimension_sentence(word: str, items: list[IndicatorScore]) -> str:
    if not items:
        return f"未设置{word}指标。"
    weight = points(sum((half_up(i.weight) for i in items), ZERO))
    score = points(sum((half_up(i.score) for i in items), ZERO))
    return f"{word}指标共{len(items)}项，分值{weight}分，得{score}分。"


def _quoted(text: str, what: str) -> str:
    return f"{what}{text}" if text else f"{what}未填写"


def _detail(item: IndicatorScore, *, with_score: bool) -> str:
    row = item.indicator
    parts = [_quoted(row.joined_target, "目标值"), _quoted(row.actual_text, "业绩值")]
    if item.completion is not None:
        parts.append(f"完成率{percent(item.completion)}")
    elif item.level:
        parts.append(f"达成情况为“{LEVEL_NAMES[item.level]}”")
    if with_score:
        parts.append(f"分值{points(item.weight)}分，得{points(item.score)}分")
    return "，".join(parts)


def analysis_sentences(word: str, items: list[IndicatorScore]) -> list[str]:
    """Which indicators of a dimension were met, which were not, which could not be verified."""
    said = [dimension_sentence(word, items)]
    hit = [i for i in items if met(i)]
    miss = [i for i in items if missed(i)]
    unsure = [i for i in items if not i.verified]
    void = [i for i in items if weightless(i)]
    if hit:
        said.append("达到年度指标值的有：" + "；".join(f"{i.indicator.name}（{_detail(i, with_score=False)}）" for i in hit) + "。")
    if miss:
        said.append("未达到年度指标值的有：" + "；".join(f"{i.indicator.name}（{_detail(i, with_score=True)}）" for i in miss) + "。")
    if void:
        said.append("分值无效、按0分计的有：" + "；".join(
            f"{i.indicator.name}（{_quoted(i.indicator.weight_text, '分值')}）" for i in void) + "。")
    if unsure:
        said.append("实际完成值无法核算、未予核实的有：" + "；".join(
            f"{i.indicator.name}（{_quoted(i.indicator.joined_target, '目标值')}，{_quoted(i.indicator.actual_text, '业绩值')}，"
            f"按单位自评得分{points(i.score)}分计入）" for i in unsure) + "。")
    return said


def missed_targets(result: Result) -> list[tuple[str, str]]:
    """(what was missed, its 偏差原因 as written or "") for every verified indicator below full marks."""
    return [(f"{i.indicator.name}：{_detail(i, with_score=True)}。", i.indicator.reason)
            for i in result.indicators if missed(i)]


def finding_lines(result: Result) -> list[str]:
    lines = []
    for number, found in enumerate(result.problems, start=1):
        where = f"{found.location}：" if found.location else ""
        lines.append(f"{number}. 【{found.severity.label}】{where}{found.message}（{found.code}）")
    return lines
