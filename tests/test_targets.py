"""Reading targets and actuals (scoring.md §2), as tables of real-world strings."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfeval_xl.targets import (
    POSITIVE,
    QUALITATIVE,
    RANGE,
    REVERSE,
    UNREADABLE,
    Actual,
    Target,
    canonical_unit,
    convert,
    parse_actual,
    parse_number,
    parse_target,
)

P, R, G, Q, U = POSITIVE, REVERSE, RANGE, QUALITATIVE, UNREADABLE


def d(text):
    return None if text is None else Decimal(text)


# text, nature, unit, level2 -> kind, op, value, low, high, unit
TARGETS = [
    # scoring.md §2, positive words and signs
    ("≥95%", "", "", "", P, "≥", "95", None, None, "%"),
    (">90%", "", "", "", P, ">", "90", None, None, "%"),
    ("不低于95%", "", "", "", P, "≥", "95", None, None, "%"),
    ("不少于12次", "", "", "", P, "≥", "12", None, None, "次"),
    ("至少1次", "", "", "", P, "≥", "1", None, None, "次"),
    ("达到90%", "", "", "", P, "≥", "90", None, None, "%"),
    ("98%以上", "", "", "", P, "≥", "98", None, None, "%"),
    ("1000人次及以上", "", "", "", P, "≥", "1000", None, None, "人次"),
    ("=12次", "", "", "", P, "=", "12", None, None, "次"),
    ("12次", "", "", "", P, None, "12", None, None, "次"),
    ("100%", "", "", "", P, None, "100", None, None, "%"),
    ("98%", "", "", "", P, None, "98", None, None, "%"),
    ("≥98%", "", "", "", P, "≥", "98", None, None, "%"),
    ("≥ 1", "", "", "", P, "≥", "1", None, None, ""),
    ("≥90分", "", "", "", P, "≥", "90", None, None, "分"),
    ("≥100百分比", "", "", "", P, "≥", "100", None, None, "%"),
    ("≥1,000人", "", "", "", P, "≥", "1000", None, None, "人"),
    # reverse words and signs
    ("≤10%", "", "", "", R, "≤", "10", None, None, "%"),
    ("<5%", "", "", "", R, "<", "5", None, None, "%"),
    ("≤ 130万元", "", "", "", R, "≤", "130", None, None, "万元"),
    ("＜＝730次", "", "", "", R, "≤", "730", None, None, "次"),
    ("＜＝130万元", "", "", "", R, "≤", "130", None, None, "万元"),
    ("<=5天", "", "", "", R, "≤", "5", None, None, "天"),
    ("≦3日", "", "", "", R, "≤", "3", None, None, "天"),
    ("不超过130万元", "", "", "", R, "≤", "130", None, None, "万元"),
    ("不高于5%", "", "", "", R, "≤", "5", None, None, "%"),
    ("不多于3起", "", "", "", R, "≤", "3", None, None, "起"),
    ("控制在130万元以内", "", "", "", R, "≤", "130", None, None, "万元"),
    ("30天以内", "", "", "", R, "≤", "30", None, None, "天"),
    ("5%以下", "", "", "", R, "≤", "5", None, None, "%"),
    ("≤1,300,000元", "", "", "", R, "≤", "1300000", None, None, "元"),
    # `…内` after a duration is "within": reverse; 个工作日 is spelled 工作日
    # (working days, which do not convert into calendar 天).
    ("5个工作日内", "", "", "", R, "≤", "5", None, None, "工作日"),
    ("≤10个工作日", "", "", "", R, "≤", "10", None, None, "工作日"),
    # 控制在 without a suffix caps the figure; with 以上 it follows the suffix
    ("控制在130万元", "", "", "", R, "≤", "130", None, None, "万元"),
    ("控制在95%以上", "", "", "", P, "≥", "95", None, None, "%"),
    # 成本指标: only a bare number is reverse; a written operator wins
    ("100万元", "", "", "成本指标", R, None, "100", None, None, "万元"),
    ("100万元", "", "", "成本", R, None, "100", None, None, "万元"),
    ("100万元", "", "", "成本指标（20分）", R, None, "100", None, None, "万元"),
    ("=20万元", "", "", "成本指标", P, "=", "20", None, None, "万元"),
    ("≥20万元", "", "", "成本", P, "≥", "20", None, None, "万元"),
    ("100万元", "", "", "数量指标", P, None, "100", None, None, "万元"),
    # ranges: `-` between two numbers is a range; each end may carry the unit
    ("1-2次", "", "", "", G, None, None, "1", "2", "次"),
    ("90%-100%", "", "", "", G, None, None, "90", "100", "%"),
    ("90%~100%", "", "", "", G, None, None, "90", "100", "%"),
    ("90％～100％", "", "", "", G, None, None, "90", "100", "%"),
    ("3至5天", "", "", "", G, None, None, "3", "5", "天"),
    ("90-100", "", "%", "", G, None, None, "90", "100", "%"),
    ("90%—100%之间", "", "", "", G, None, None, "90", "100", "%"),
    ("控制在3-5天", "", "", "", G, None, None, "3", "5", "天"),
    ("50万元-1亿元", "", "", "", G, None, None, "0.005", "1", "亿元"),
    ("-5-5", "", "", "", G, None, None, "-5", "5", ""),
    # 指标性质: 正向/反向 whatever the sign, 定性, or just the operator
    ("≥95%", "反向", "", "", R, "≤", "95", None, None, "%"),
    ("<5次", "正向指标", "", "", P, ">", "5", None, None, "次"),
    ("100万元", "正向", "", "成本指标", P, None, "100", None, None, "万元"),
    ("95", "反向", "%", "", R, None, "95", None, None, "%"),
    ("100%", "定性", "", "", Q, None, None, None, None, ""),
    ("95", "≥", "%", "", P, "≥", "95", None, None, "%"),
    ("95", ">=", "百分比", "", P, "≥", "95", None, None, "%"),
    ("730", "＜＝", "次", "", R, "≤", "730", None, None, "次"),
    ("20", "=", "万元", "成本指标", P, "=", "20", None, None, "万元"),
    ("≥95%", "≤", "", "", P, "≥", "95", None, None, "%"),
    ("12", "", "次", "", P, None, "12", None, None, "次"),
    ("12次", "", "万元", "", P, None, "12", None, None, "次"),
    # full-width forms, spaces, remarks in brackets, punctuation
    ("≥９５％", "", "", "", P, "≥", "95", None, None, "%"),
    ("≥95%（含）", "", "", "", P, "≥", "95", None, None, "%"),
    ("95%（含）以上", "", "", "", P, "≥", "95", None, None, "%"),
    ("≤5天(自受理之日起)。", "", "", "", R, "≤", "5", None, None, "天"),
    ("≥ 98 %", "", "", "", P, "≥", "98", None, None, "%"),
    ("满意度≥95%", "", "", "", P, "≥", "95", None, None, "%"),
    ("≥50公里", "", "", "", P, "≥", "50", None, None, "公里"),
    ("≥50千米", "", "", "", P, "≥", "50", None, None, "公里"),
    ("≥1.5万人次", "", "", "", P, "≥", "1.5", None, None, "万人次"),
    ("-5", "", "", "", P, None, "-5", None, None, ""),
    ("≥-5%", "", "", "", P, "≥", "-5", None, None, "%"),
    # numeric cells
    (100, "", "%", "", P, None, "100", None, None, "%"),
    (0.1, "", "", "", P, None, "0.1", None, None, ""),
    (Decimal("130"), "", "万元", "成本指标", R, None, "130", None, None, "万元"),
    # no number: qualitative, even with operator words in it
    ("有效提升", "", "", "", Q, None, None, None, None, ""),
    ("逐步改善", "", "", "", Q, None, None, None, None, ""),
    ("明显提高", "", "", "", Q, None, None, None, None, ""),
    ("达到预期", "", "", "", Q, None, None, None, None, ""),
    ("控制在预算以内", "", "", "", Q, None, None, None, None, ""),
    ("良好以上", "", "", "", Q, None, None, None, None, ""),
    ("", "", "", "", Q, None, None, None, None, ""),
    (None, "", "", "", Q, None, None, None, None, ""),
    # cannot be read one way only: never guess
    ("0.-0", "", "", "", U, None, None, None, None, ""),    # a dot after a number is no unit (found by hypothesis)
    ("5.-6天", "", "", "", U, None, None, None, None, ""),
    ("3次5人", "", "", "", U, None, None, None, None, ""),
    ("≥95%或100%", "", "", "", U, None, None, None, None, ""),
    ("≥", "", "", "", U, None, None, None, None, ""),
    ("不低于", "", "", "", U, None, None, None, None, ""),
    ("≥良好", "", "", "", U, None, None, None, None, ""),
    ("≥95%以下", "", "", "", U, None, None, None, None, ""),
    ("≥90%-100%", "", "", "", U, None, None, None, None, ""),
    ("100%-90%", "", "", "", U, None, None, None, None, ""),
    ("1,2次", "", "", "", U, None, None, None, None, ""),
    ("较上年提高5%", "", "", "", U, None, None, None, None, ""),
    ("2023年完成验收", "", "", "", U, None, None, None, None, ""),
    ("每月1次", "", "", "", U, None, None, None, None, ""),
    ("100人左右", "", "", "", U, None, None, None, None, ""),
    ("约100人", "", "", "", U, None, None, None, None, ""),
    ("≥95%之间", "", "", "", U, None, None, None, None, ""),
    ("90%-100万元", "", "", "", U, None, None, None, None, ""),
    ("100±5", "", "", "", U, None, None, None, None, ""),
    ("(≥95%)", "", "", "", U, None, None, None, None, ""),
    ("2023年12月31日", "", "", "", U, None, None, None, None, ""),
    ("第1名", "", "", "", U, None, None, None, None, ""),
    ("前3名", "", "", "", U, None, None, None, None, ""),
    # --- issue 12: what real forms write -----------------------------------
    # operator glyphs: ═ (U+2550) is =, and a written = wins over 成本指标
    ("═100%", "", "", "", P, "=", "100", None, None, "%"),
    ("═ 100 %", "", "", "成本指标", P, "=", "100", None, None, "%"),
    ("100", "═", "%", "成本指标", P, "=", "100", None, None, "%"),
    ("﹦12次", "", "", "", P, "=", "12", None, None, "次"),
    ("＝12次", "", "", "", P, "=", "12", None, None, "次"),
    ("≧95%", "", "", "", P, "≥", "95", None, None, "%"),
    ("≦130万元", "", "", "", R, "≤", "130", None, None, "万元"),
    ("‹=5天", "", "", "", R, "≤", "5", None, None, "天"),
    ("›=90%", "", "", "", P, "≥", "90", None, None, "%"),
    ("95", "≧", "%", "", P, "≥", "95", None, None, "%"),
    # word operators
    ("大于等于90%", "", "", "", P, "≥", "90", None, None, "%"),
    ("大于90%", "", "", "", P, ">", "90", None, None, "%"),
    ("高于90%", "", "", "", P, ">", "90", None, None, "%"),
    ("不小于90%", "", "", "", P, "≥", "90", None, None, "%"),
    ("小于等于5%", "", "", "", R, "≤", "5", None, None, "%"),
    ("小于5%", "", "", "", R, "<", "5", None, None, "%"),
    ("低于5%", "", "", "", R, "<", "5", None, None, "%"),
    ("不大于5%", "", "", "", R, "≤", "5", None, None, "%"),
    ("不大于130万元", "", "", "成本指标", R, "≤", "130", None, None, "万元"),
    # compound units: * × · are one sign; thousands separators
    ("≥530元/人*月", "", "", "", P, "≥", "530", None, None, "元/人·月"),
    ("≥530元/人·月", "", "", "", P, "≥", "530", None, None, "元/人·月"),
    ("≥530元/人×月", "", "", "", P, "≥", "530", None, None, "元/人·月"),
    ("≥530元/人＊月", "", "", "", P, "≥", "530", None, None, "元/人·月"),
    ("≥1,200人次/年", "", "", "", P, "≥", "1200", None, None, "人次/年"),
    ("≤35万元/公里", "", "", "", R, "≤", "35", None, None, "万元/公里"),
    ("35", "≤", "万元/千米", "", R, "≤", "35", None, None, "万元/公里"),
    ("≥12,000", "", "元/人*月", "", P, "≥", "12000", None, None, "元/人·月"),
    # tolerances
    ("±10%", "", "", "", G, None, None, "-10", "10", "%"),
    ("成本控制率±10%", "", "", "", G, None, None, "-10", "10", "%"),
    ("±5%以内", "", "", "", G, None, None, "-5", "5", "%"),
    ("±10", "", "%", "", G, None, None, "-10", "10", "%"),
    ("≥±10%", "", "", "", U, None, None, None, None, ""),
    # deadlines
    ("11月底前", "", "", "", "deadline", None, None, None, None, ""),
    ("12月底之前完成", "", "", "", "deadline", None, None, None, None, ""),
    ("2021年12月完成", "", "", "", "deadline", None, None, None, None, ""),
    ("2024年11月30日前", "", "", "", "deadline", None, None, None, None, ""),
    ("年底前", "", "", "", "deadline", None, None, None, None, ""),
    ("12月底前", "", "", "", "deadline", None, None, None, None, ""),
    ("１２月底前。", "", "", "", "deadline", None, None, None, None, ""),
    ("2021年底前完成", "", "", "", "deadline", None, None, None, None, ""),
    ("6月30日之前", "", "", "", "deadline", None, None, None, None, ""),
    ("13月底前", "", "", "", U, None, None, None, None, ""),
    ("2月30日前", "", "", "", U, None, None, None, None, ""),
    # an unknown sign in front of the number is never dropped
    ("≈95%", "", "", "", U, None, None, None, None, ""),
    ("≌100%", "", "", "", U, None, None, None, None, ""),
    ("※95%", "", "", "", U, None, None, None, None, ""),
    ("95", "≈", "%", "", U, None, None, None, None, ""),
]


def _target_row(target: Target):
    return (target.kind, target.op, target.value, target.low, target.high, target.unit)


@pytest.mark.parametrize(
    "text, nature, unit, level2, kind, op, value, low, high, expected_unit", TARGETS
)
def test_parse_target(text, nature, unit, level2, kind, op, value, low, high, expected_unit):
    target = parse_target(text, nature=nature, unit=unit, level2=level2)
    assert _target_row(target) == (kind, op, d(value), d(low), d(high), expected_unit)


def test_target_keeps_normalised_text():
    assert parse_target("＜＝730次").text == "≤730次"
    assert parse_target(" 95%（含） ").text == "95%(含)"


# text, nature, level2 -> describe()
DESCRIPTIONS = [
    ("≥95%", "", "", "≥ 95 %"),
    ("90%-100%", "", "", "90–100 %"),
    ("≤ 130万元", "", "", "≤ 130 万元"),
    ("<5%", "", "", "< 5 %"),
    (">90%", "", "", "> 90 %"),
    ("=12次", "", "", "= 12 次"),
    ("12次", "", "", "≥ 12 次"),
    ("═100%", "", "成本指标", "= 100 %"),
    ("±10%", "", "", "-10–10 %"),
    ("11月底前", "", "", "时限：11月底前"),
    ("2024年11月30日前", "", "", "时限：2024年11月30日前"),
    ("≈95%", "", "", "无法识别的符号“≈”"),
    ("100万元", "", "成本指标", "≤ 100 万元"),
    ("≥ 1", "", "", "≥ 1"),
    ("≥98.50%", "", "", "≥ 98.5 %"),
    ("有效提升", "", "", "定性"),
    ("3次5人", "", "", "无法识别"),
]


@pytest.mark.parametrize("text, nature, level2, expected", DESCRIPTIONS)
def test_describe(text, nature, level2, expected):
    assert parse_target(text, nature=nature, level2=level2).describe() == expected


# actual, percent_format, target text -> value, error, operator_copied, unit as read
ACTUALS = [
    # the seed workbook: a percentage typed against a count or an amount
    ("100%", False, "＜＝730次", None, "unit-mismatch", False, "%"),
    ("100%", False, "＜＝130万元", None, "unit-mismatch", False, "%"),
    ("98.65%", False, "＜＝130万元", None, "unit-mismatch", False, "%"),
    ("100%", False, "100%", "100", None, False, "%"),
    ("98%", False, "98%", "98", None, False, "%"),
    # bare numbers take the target's unit
    ("98", False, "≥95%", "98", None, False, "%"),
    (12, False, "=12次", "12", None, False, "次"),
    (0.1, False, "≥0.1", "0.1", None, False, ""),
    (98.65, False, "≤130万元", "98.65", None, False, "万元"),
    (Decimal("98.650"), False, "≤130万元", "98.65", None, False, "万元"),
    ("1,000", False, "≥800人", "1000", None, False, "人"),
    ("-5", False, "≥1", "-5", None, False, ""),
    # a numeric cell formatted as a percentage is what the person saw
    (0.98, True, "≥95%", "98", None, False, "%"),
    (1, True, "100%", "100", None, False, "%"),
    (0.9865, True, "＜＝130万元", None, "unit-mismatch", False, "%"),
    (0.98, True, "≥12", "98", None, False, "%"),
    # ...but a plain fraction in a General cell against a percent target is
    # neither read as 0.98 % nor guessed as 98 %
    (0.98, False, "≥95%", "0.98", "percent-as-fraction", False, "%"),
    ("0.98", False, "≥95%", "0.98", "percent-as-fraction", False, "%"),
    (1.5, False, "≥95%", "1.5", "percent-as-fraction", False, "%"),
    (1, False, "90%-100%", "1", "percent-as-fraction", False, "%"),
    (1.6, False, "≥95%", "1.6", None, False, "%"),
    (0, False, "≥95%", "0", None, False, "%"),
    (0.98, False, "≥40%", "0.98", None, False, "%"),
    ("0.98%", False, "≥95%", "0.98", None, False, "%"),
    (0.98, False, "≥95", "0.98", None, False, ""),
    # compound units
    ("758元/人*月", False, "≥530元/人·月", "758", None, False, "元/人·月"),
    ("758元/人×月", False, "≥530元/人*月", "758", None, False, "元/人·月"),
    (758, False, "≥530元/人*月", "758", None, False, "元/人·月"),
    ("1,350人次/年", False, "≥1,200人次/年", "1350", None, False, "人次/年"),
    ("350元/公里", False, "≤35万元/公里", "0.035", None, False, "元/公里"),
    # tolerances
    ("8%", False, "±10%", "8", None, False, "%"),
    # an operator copied from the target
    ("≥95%", False, "≥95%", "95", None, True, "%"),
    ("≥９８％", False, "≥95%", "98", None, True, "%"),
    ("＜＝700次", False, "＜＝730次", "700", None, True, "次"),
    ("98%以上", False, "≥95%", "98", None, True, "%"),
    ("不超过120万元", False, "≤130万元", "120", None, True, "万元"),
    ("3个工作日内", False, "5个工作日内", "3", None, True, "工作日"),
    # ...but 达到 in an actual states what was reached
    ("达到98%", False, "≥95%", "98", None, False, "%"),
    # units that convert are converted into the target's unit
    ("98.65万元", False, "≤1,300,000元", "986500", None, False, "万元"),
    ("1,300,000元", False, "≤130万元", "130", None, False, "元"),
    ("1.2亿元", False, "≤13000万元", "12000", None, False, "亿元"),
    ("3日", False, "≤5天", "3", None, False, "天"),
    ("45千米", False, "≥50公里", "45", None, False, "公里"),
    ("96百分比", False, "≥95%", "96", None, False, "%"),
    ("12000人次", False, "≥1.5万人次", "1.2", None, False, "人次"),
    # units that do not convert
    ("12人次", False, "≥10次", None, "unit-mismatch", False, "人次"),
    ("3天", False, "5个工作日内", None, "unit-mismatch", False, "天"),
    ("95分", False, "≥95%", None, "unit-mismatch", False, "分"),
    # a target without a unit accepts the actual's unit as is
    ("12次", False, "≥12", "12", None, False, "次"),
    # completion words around the number do not change it
    ("100%完成", False, "100%", "100", None, False, "%"),
    ("12次已完成", False, "12次", "12", None, False, "次"),
    ("已完成12次", False, "12次", "12", None, False, "次"),
    ("满意度98%", False, "≥95%", "98", None, False, "%"),
    ("98%（抽样调查）", False, "≥95%", "98", None, False, "%"),
    # ranges work the same way
    ("95", False, "90%-100%", "95", None, False, "%"),
    ("4天", False, "3至5天", "4", None, False, "天"),
    ("4日", False, "3至5天", "4", None, False, "天"),
    ("95%", False, "1-2次", None, "unit-mismatch", False, "%"),
    # not a number
    ("完成", False, "≤130万元", None, "actual-not-number", False, ""),
    ("已完成", False, "≥95%", None, "actual-not-number", False, ""),
    ("95%-100%", False, "90%-100%", None, "actual-not-number", False, ""),
    ("3次5人", False, "≥3次", None, "actual-not-number", False, ""),
    ("约100人", False, "≥90人", None, "actual-not-number", False, ""),
    ("100%左右", False, "≥95%", None, "actual-not-number", False, ""),
    ("较上年提高5%", False, "≥5%", None, "actual-not-number", False, ""),
    (True, False, "≥1", None, "actual-not-number", False, ""),
    (float("inf"), False, "≥1", None, "actual-not-number", False, ""),
    # blank: nothing to take the department's word for
    ("", False, "≥95%", None, "actual-missing", False, ""),
    (None, False, "≥95%", None, "actual-missing", False, ""),
    ("  \u3000\n", False, "≥95%", None, "actual-missing", False, ""),
    (float("nan"), False, "≥95%", None, "actual-missing", False, ""),
    (Decimal("sNaN"), False, "≥95%", None, "actual-missing", False, ""),
    # qualitative and unreadable targets: the caller reads levels itself
    ("完成", False, "达到预期", None, None, False, ""),
    ("98%", False, "3次5人", None, None, False, ""),
    ("", False, "有效提升", None, "actual-missing", False, ""),
]


@pytest.mark.parametrize("value, percent_format, target, expected, error, copied, unit", ACTUALS)
def test_parse_actual(value, percent_format, target, expected, error, copied, unit):
    actual = parse_actual(value, parse_target(target), percent_format=percent_format)
    assert actual == Actual(d(expected), unit, copied, error)


def test_actual_against_cost_target_with_unit_column():
    target = parse_target("130", unit="万元", level2="成本指标")
    assert parse_actual("98.65", target) == Actual(Decimal("98.65"), "万元", False, None)
    assert parse_actual("986,500元", target) == Actual(Decimal("98.65"), "元", False, None)


# text -> number
NUMBERS = [
    ("1,000", "1000"),
    ("98.65", "98.65"),
    ("98.65万元", None),
    ("1,300,000", "1300000"),
    ("１２", "12"),
    (" 12 ", "12"),
    ("-5", "-5"),
    ("1,00", None),
    ("", None),
    (None, None),
    ("≥95", None),
    (12, "12"),
    (0.1, "0.1"),
    (100.0, "100"),
    (Decimal("98.650"), "98.65"),
    (True, None),
    (float("nan"), None),
    (Decimal("sNaN"), None),
    (float("inf"), None),
]


@pytest.mark.parametrize("text, expected", NUMBERS)
def test_parse_number(text, expected):
    assert parse_number(text) == d(expected)


def test_parse_number_keeps_float_as_written():
    assert str(parse_number(0.1)) == "0.1"
    assert str(parse_number(100.0)) == "100"


# value, from, to -> converted
CONVERSIONS = [
    ("98.65", "万元", "元", "986500"),
    ("1300000", "元", "万元", "130"),
    ("1.2", "亿元", "万元", "12000"),
    ("5000", "万元", "亿元", "0.5"),
    ("3", "日", "天", "3"),
    ("3", "千米", "公里", "3"),
    ("98", "百分比", "%", "98"),
    ("98", "％", "%", "98"),
    ("1.5", "万人次", "人次", "15000"),
    ("2", "万元/公里", "元/千米", "20000"),
    ("100", "%", "次", None),
    ("5", "工作日", "天", None),
    ("12", "人次", "次", None),
]


@pytest.mark.parametrize("value, source, goal, expected", CONVERSIONS)
def test_convert(value, source, goal, expected):
    assert convert(Decimal(value), source, goal) == d(expected)


@pytest.mark.parametrize(
    "unit, expected",
    [("％", "%"), ("百分比", "%"), ("日", "天"), ("千米", "公里"), ("个工作日", "工作日"),
     ("工作日", "工作日"), ("人/日", "人/天"), ("万元", "万元"), (" 人次 ", "人次"), ("", "")],
)
def test_canonical_unit(unit, expected):
    assert canonical_unit(unit) == expected


_TARGETISH = st.text(alphabet="0123456789.,-~%％≥≤<>=＜＝万元亿次天日内以上下至之间控制在不低于（）() ±═*×·年月底前完成/")


@given(
    st.one_of(st.text(), _TARGETISH),
    st.one_of(st.text(), _TARGETISH),
    st.text(),
    st.text(),
    st.text(),
)
def test_never_raises(target_text, actual_text, nature, unit, level2):
    target = parse_target(target_text, nature=nature, unit=unit, level2=level2)
    assert target.kind in (POSITIVE, REVERSE, RANGE, QUALITATIVE, UNREADABLE, "deadline")
    target.describe()
    for percent_format in (False, True):
        actual = parse_actual(actual_text, target, percent_format=percent_format)
        assert actual.error in (None, "actual-missing", "unit-mismatch", "actual-not-number", "percent-as-fraction")


# --- deadlines (issue 12) ----------------------------------------------------

import datetime as dt  # noqa: E402

from perfeval_xl.model import Deadline  # noqa: E402
from perfeval_xl.targets import deadline_met, is_not_applicable  # noqa: E402

# target, actual, evaluation year -> the actual as read (year, month, day) or None, met
DEADLINES = [
    ("11月底前", "10月", 2021, (None, 10, None), True),
    ("11月底前", "11月", 2021, (None, 11, None), True),
    ("11月底前", "12月", 2021, (None, 12, None), False),
    ("11月底前", "2021年11月", 2021, (2021, 11, None), True),
    ("11月底前", "2022年1月", 2021, (2022, 1, None), False),
    ("11月底前", "2021-11-28", 2021, (2021, 11, 28), True),
    ("11月底前", "2021/12/01", 2021, (2021, 12, 1), False),
    ("11月底前", dt.datetime(2021, 11, 28), 2021, (2021, 11, 28), True),
    ("11月底前", dt.date(2021, 12, 2), 2021, (2021, 12, 2), False),
    ("12月底之前完成", "11月28日完成", 2021, (None, 11, 28), True),
    ("2021年12月完成", "2021年12月", 2023, (2021, 12, None), True),
    ("2021年12月完成", "2022年3月", 2021, (2022, 3, None), False),
    ("2024年11月30日前", "2024年11月30日", 2024, (2024, 11, 30), True),
    ("2024年11月30日前", "2024年12月1日", 2024, (2024, 12, 1), False),
    ("2024年11月30日前", "11月", 2024, (None, 11, None), True),
    ("年底前", "已于10月完成", 2021, (None, 10, None), True),
    ("年底前", "按期完成", 2021, None, None),
    ("年底前", "进行中", 2021, None, None),
]


@pytest.mark.parametrize("target_text, actual, year, read, met", DEADLINES)
def test_deadline_actuals(target_text, actual, year, read, met):
    target = parse_target(target_text)
    assert target.kind == "deadline"
    parsed = parse_actual(actual, target)
    assert parsed.error is None
    if read is None:
        assert parsed.date is None
        return
    assert parsed.date == Deadline(*read)
    assert deadline_met(target.deadline, parsed.date, year) is met


def test_deadline_blank_actual_is_missing():
    assert parse_actual("", parse_target("11月底前")).error == "actual-missing"


@pytest.mark.parametrize(
    "text, expected",
    [("/", True), ("／", True), ("—", True), ("——", True), ("-", True), ("无", True), ("不适用", True),
     (" / ", True), ("0", False), ("", False), ("无变化", False), (None, False), (0, False)],
)
def test_not_applicable_marks(text, expected):
    assert is_not_applicable(text) is expected
