"""What real forms write (issue 12): each case with its score, kind and findings.

Every case starts from the clean intake (tests/helpers) and changes the rows
the issue names; rows on 绩效指标: 2 budget, 3 数量 (15, ≥120公里), 4 质量
(15, ≥95%), 5 时效 (10, ≤300天), 6 成本 (10, ≤200万元), 7 社会效益 (15,
≥95%), 8 可持续影响 (15, 定性), 9 满意度 (10, ≥90%); a total row is row 10.
"""

from __future__ import annotations

import json
from decimal import Decimal as D

import openpyxl
import pytest

from helpers import clean_data
from perfeval_xl.display import percent_text
from perfeval_xl.writers.annex import ANNEX_SHEET, DETAIL_SHEET, write_annex
from perfeval_xl.writers.record import to_json, to_record

P, B, I = "绩效指标", "预算执行", "项目信息"


def projection(result) -> list[tuple]:
    return sorted((p.code, p.severity.value, p.sheet, p.cell) for p in result.problems)


def with_rows(**rows) -> dict:
    """The clean intake with cells of 绩效指标 rows changed: with_rows(r6={...})."""
    data = clean_data()
    for key, cells in rows.items():
        data["indicators"][int(key[1:]) - 2].update(cells)
    return data


def scored(result, row: int):
    return next(item for item in result.indicators if item.indicator.row == row)


# data change, row -> score, kind, verified, findings
CASES = [
    # `═` in 指标性质 under 成本指标 is `=`: 110 % against `═ 100 %` is met, no false alarm
    ("glyph-in-nature-under-cost",
     with_rows(r6={"年度指标值": "100", "指标性质": "═", "计量单位": "%", "实际完成值": "110%"}),
     6, "10", "positive", True, []),
    ("glyph-in-target-under-cost",
     with_rows(r6={"年度指标值": "═ 100 %", "实际完成值": "110%"}),
     6, "10", "positive", True, []),
    # `*` in a compound unit: read, so the overshoot 758/570 = 133 % is seen
    ("compound-unit-star",
     with_rows(r3={"年度指标值": "≥570元/人*月", "实际完成值": "758元/人*月"}),
     3, "15", "positive", True, [("overshoot-unexplained", "warning", P, "I3")]),
    ("compound-unit-mixed-signs",
     with_rows(r3={"年度指标值": "≥570元/人·月", "实际完成值": "558元/人×月", "自评得分": 14.68,
                   "偏差原因分析及改进措施": "标准调整"}),
     3, "14.68", "positive", True, []),
    # deadlines under 时效指标
    ("deadline-met-by-month",
     with_rows(r5={"年度指标值": "11月底前", "实际完成值": "10月"}),
     5, "10", "deadline", True, []),
    ("deadline-done-words",
     with_rows(r5={"年度指标值": "12月底之前完成", "实际完成值": "按期完成"}),
     5, "10", "deadline", True, []),
    ("deadline-year-month",
     with_rows(r5={"年度指标值": "2023年12月完成", "实际完成值": "2023-11-28"}),
     5, "10", "deadline", True, []),
    ("deadline-missed",
     with_rows(r5={"年度指标值": "2023年11月30日前", "实际完成值": "2023年12月", "自评得分": 5}),
     5, "5", "deadline", True, [("deviation-reason-missing", "warning", P, "I5")]),
    ("deadline-missed-self-score-above-band",
     with_rows(r5={"年度指标值": "年底前", "实际完成值": "2024年2月"}),
     5, "6", "deadline", True,
     [("deviation-reason-missing", "warning", P, "I5"), ("qualitative-band", "error", P, "H5")]),
    ("deadline-actual-unreadable",
     with_rows(r5={"年度指标值": "11月底前", "实际完成值": "进行中"}),
     5, "10", "deadline", False, [("actual-not-number", "error", P, "F5")]),
    ("deadline-actual-missing",
     with_rows(r5={"年度指标值": "11月底前", "实际完成值": None, "自评得分": None}),
     5, "0", "deadline", True,
     [("actual-missing", "error", P, "F5"), ("deviation-reason-missing", "warning", P, "I5")]),
    # a tolerance
    ("tolerance-met",
     with_rows(r6={"三级指标": "成本控制率", "年度指标值": "±10%", "实际完成值": "8%"}),
     6, "10", "range", True, []),
    ("tolerance-missed",
     with_rows(r6={"三级指标": "成本控制率", "年度指标值": "成本控制率±10%", "实际完成值": "12.5%", "自评得分": 8,
                   "偏差原因分析及改进措施": "材料涨价"}),
     6, "8", "range", True, []),
    # 290 % as a satisfaction target: said, scored as written
    ("satisfaction-290",
     with_rows(r9={"年度指标值": "≥290%", "自评得分": 3.28, "偏差原因分析及改进措施": "目标笔误"}),
     9, "3.28", "positive", True, [("target-implausible", "warning", P, "E9")]),
    # 0.98 in a General cell against ≥95 %
    ("percent-as-fraction",
     with_rows(r4={"实际完成值": 0.98}),
     4, "15", "positive", False, [("percent-as-fraction", "warning", P, "F4")]),
    # word operators
    ("word-operator-reverse",
     with_rows(r6={"年度指标值": "不大于200万元"}),
     6, "10", "reverse", True, []),
    ("word-operator-positive",
     with_rows(r4={"年度指标值": "不小于95%"}),
     4, "15", "positive", True, []),
    # an unknown sign is never dropped
    ("unknown-sign",
     with_rows(r6={"年度指标值": "≈200万元"}),
     6, "10", None, False, [("operator-unknown", "warning", P, "E6")]),
]


@pytest.mark.parametrize("case_id, data, row, score, kind, verified, expected", CASES, ids=[c[0] for c in CASES])
def test_issue_case(case_id, data, row, score, kind, verified, expected, evaluate):
    result = evaluate(data)
    item = scored(result, row)
    assert (item.score, item.kind, item.verified) == (D(score), kind, verified)
    assert projection(result) == sorted(expected)
    assert next(i for i in to_record(result)["indicators"] if i["row"] == row)["kind"] == kind


def test_not_applicable_row_is_excluded(evaluate):
    """A row of `/` is not a qualitative 达成: not scored, not listed, weight not counted."""
    data = with_rows(r8={"分值": "/", "年度指标值": "/", "实际完成值": "/", "达成情况": None, "自评得分": "/"})
    result = evaluate(data)
    assert [item.indicator.row for item in result.indicators] == [3, 4, 5, 6, 7, 9]
    assert result.total_weight == D(85)
    assert projection(result) == [
        ("level1-weights", "warning", P, None), ("not-applicable", "info", P, "C8"), ("weights-sum", "error", P, None),
    ]


def test_missing_weights_give_no_band_findings(evaluate):
    """§5: a qualitative row without a weight gets weight-invalid, not a `0–0 区间` band error."""
    result = evaluate(with_rows(r8={"分值": None}, r3={"分值": None}))
    assert (scored(result, 8).score, scored(result, 3).score) == (0, 0)
    assert projection(result) == [
        ("level1-weights", "warning", P, None), ("weight-invalid", "error", P, "D3"),
        ("weight-invalid", "error", P, "D8"), ("weights-sum", "error", P, None),
    ]


def test_only_the_total_row_filled_has_nothing_to_mismatch(evaluate):
    data = clean_data()
    data["budget"] = {"年度资金总额": [200, 200, 200, 190], "当年财政拨款": [None] * 4}
    result = evaluate(data)
    assert result.budget.score == D("9.5")
    assert projection(result) == []


def test_blank_total_cell_takes_the_sources_sum(evaluate):
    """The total row gives 30 / 30 / 30 / blank, 当年财政拨款 30 in every column: rate 1, not 0."""
    data = clean_data()
    data["budget"] = {"年度资金总额": [30, 30, 30, None], "当年财政拨款": [30, 30, 30, 30]}
    data["indicators"][0]["自评得分"] = 10
    result = evaluate(data)
    assert (result.budget.executed, result.budget.score) == (D(30), D(10))
    assert projection(result) == [("budget-total-filled", "info", B, "E2")]


def test_printed_total_not_the_sum_of_printed_scores(evaluate):
    """A printed 总分 94 over printed scores that add to 93 (budget 9.5 and a row given 1 point less... )."""
    data = with_rows(r3={"自评得分": 8.5, "实际完成值": "126公里"})
    data["total_row"] = {"分值": 100, "自评得分": 94}
    result = evaluate(data)
    # own scores: 9.5 + 8.5 + 15 + 10 + 10 + 15 + 15 + 10 = 93; computed total 99.5
    assert result.total_score == D("99.5")
    assert projection(result) == [
        ("self-score-low", "info", P, "H3"), ("self-total-inconsistent", "warning", P, "H10"),
        ("total-mismatch", "warning", P, "H10"),
    ]


def test_goals_that_are_only_amounts(evaluate):
    data = clean_data()
    data["project"].update(预期目标="43.2", 实际完成情况="37.24")
    assert projection(evaluate(data)) == [
        ("goal-not-descriptive", "warning", I, "B10"), ("goal-not-descriptive", "warning", I, "B9"),
    ]


# --- text as written -------------------------------------------------------------

PROSE = "有效提升，已建立管护机制（见附件 2）"
REASON = "受疫情影响，部分工程延期；下年度加强调度（详见附件 3）。"


def test_annex_and_json_show_the_prose_byte_for_byte(evaluate, tmp_path):
    data = with_rows(
        r8={"年度指标值": PROSE, "实际完成值": PROSE, "达成情况": "达成年度指标"},
        r3={"年度指标值": "≥１２０公里", "实际完成值": "100公里", "自评得分": 12.5, "偏差原因分析及改进措施": REASON},
    )
    result = evaluate(data)
    record = json.loads(to_json(result))
    by_row = {i["row"]: i for i in record["indicators"]}
    assert (by_row[8]["target"], by_row[8]["actual"]) == (PROSE, PROSE)
    assert by_row[3]["target"] == "≥１２０公里"
    assert scored(result, 8).score == D(15)
    book = openpyxl.load_workbook(write_annex(result, tmp_path))
    annex = [cell.value for line in book[ANNEX_SHEET].iter_rows() for cell in line if isinstance(cell.value, str)]
    assert PROSE in annex
    assert REASON in annex
    assert "≥１２０公里" in annex
    assert data["project"]["实际完成情况"] in annex
    detail = book[DETAIL_SHEET]
    header = [cell.value for cell in detail[1]]
    line = next(r for r in detail.iter_rows(min_row=3, values_only=True) if r[0] == 3)
    # as written, and beside it as read
    assert (line[header.index("年度指标值")], line[header.index("解析：目标")]) == ("≥１２０公里", "正向：≥ 120 公里")


def test_equal_target_is_shown_with_its_own_sign(evaluate, tmp_path):
    result = evaluate(with_rows(r3={"年度指标值": "=120公里"}))
    detail = openpyxl.load_workbook(write_annex(result, tmp_path))[DETAIL_SHEET]
    header = [cell.value for cell in detail[1]]
    line = next(r for r in detail.iter_rows(min_row=3, values_only=True) if r[0] == 3)
    assert line[header.index("解析：目标")] == "正向：= 120 公里（“=”按“≥”计分）"


# --- one rounding rule -------------------------------------------------------------


@pytest.mark.parametrize(
    "fraction, places, expected",
    [("0.98765", "0.01", "98.77%"), ("0.985", "0.01", "98.50%"), ("0.0000499", "0.01", "0.00%"),
     ("0.123456", "0.01", "12.35%"), ("1", "0.01", "100.00%"), ("1.305", "1", "131%"), ("0.125", "1", "13%")],
)
def test_percent_text_rounds_half_up(fraction, places, expected):
    assert percent_text(D(fraction), D(places)) == expected


def test_rate_shown_the_same_in_the_annex_and_the_console(evaluate, tmp_path):
    """0.98765 is 98.77% in `perfeval score`'s line and in the Annex's 完成率 text (`:.2%` rounds half-even: 98.76%)."""
    from perfeval_xl.cli.score import _rate

    data = with_rows(r4={"年度指标值": "≥100%", "实际完成值": "98.765%", "自评得分": 14.81, "偏差原因分析及改进措施": "抽检"})
    data["budget"] = {"年度资金总额": [200, 200, 200, 197.53], "当年财政拨款": [200, 200, 200, 197.53]}
    data["indicators"][0]["自评得分"] = 9.88
    result = evaluate(data)
    assert result.budget.rate == D("0.98765")
    assert scored(result, 4).completion == D("0.98765")
    assert _rate(result.budget.rate) == "98.77%"
    book = openpyxl.load_workbook(write_annex(result, tmp_path))
    cells = [c for line in book[ANNEX_SHEET].iter_rows() for c in line]
    # the national Annex writes completion as the unrounded number in a 0.00% cell (Excel shows 98.77%) ...
    shown = [c for c in cells if c.value == 0.98765]
    assert [c.number_format for c in shown] == ["0.00%"]
    # ... and no text anywhere quotes it rounded the other way
    assert not any("98.76%" in c.value for c in cells if isinstance(c.value, str))


# --- intake-empty ------------------------------------------------------------------


def test_blank_template_is_not_a_project(tmp_path, national):
    """The template as shipped: one file-level error in the record's `error` object, and no Annex."""
    from perfeval_xl.evaluate import evaluate_file
    from perfeval_xl.writers.intake_form import write_intake

    result = evaluate_file(write_intake(tmp_path / "blank.xlsx"), national)
    record = to_record(result)
    assert record["error"] == {"code": "intake-empty", "message": "表格未填写：项目信息和绩效指标均为空"}
    assert "indicators" not in record and result.total_score is None
    with pytest.raises(ValueError):
        write_annex(result, tmp_path)


def test_only_example_rows_copied_is_still_empty(build, tmp_path, national):
    from perfeval_xl.evaluate import evaluate_file

    data = clean_data()
    data["project"] = {}
    data["indicators"] = [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "【示例】开展安全培训场次", "分值": 20,
         "年度指标值": "≥12次", "实际完成值": "14次", "自评得分": 20},
    ]
    result = evaluate_file(build(data), national)
    assert (result.failure.code, result.failure.cell) == ("intake-empty", None)


def test_a_sample_keeps_its_prose_in_the_annex_and_the_json(tmp_path, national):
    """The seed and a sample, as shipped: full-width signs and punctuation survive into both outputs."""
    from helpers import SAMPLES, SEED
    from perfeval_xl.evaluate import evaluate_file

    seed = evaluate_file(SEED, national)
    by_row = {i["row"]: i for i in json.loads(to_json(seed))["indicators"]}
    assert (by_row[3]["name"], by_row[3]["target"], by_row[6]["target"]) == ("监督检查次数（次）", "＜＝730次", "＜＝130万元")
    water = evaluate_file(SAMPLES / "某县水利局" / "2023_农村饮水安全巩固提升工程.xlsx", national)
    book = openpyxl.load_workbook(write_annex(water, tmp_path))
    texts = {c.value for line in book[ANNEX_SHEET].iter_rows() for c in line if isinstance(c.value, str)}
    assert "部分水源地周边仍有散养畜禽，已联合乡镇开展专项整治，计划2024年6月底前完成。" in texts
    assert water.intake.project.goal in texts
