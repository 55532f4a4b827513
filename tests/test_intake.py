"""The reader: forgiving about layout, strict about meaning (intake.md)."""

from __future__ import annotations

from decimal import Decimal as D

import openpyxl
import pytest

from helpers import FIXTURES
from perfeval_xl.reading.intake import read_intake
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.model import ANNUAL, APPROPRIATION, EXECUTED, TOTAL


def foreign_layout(path, *, indicator_header_row=5, transposed_budget=False):
    """An intake as another office might lay it out: titles above the headers,
    columns in another order, synonyms, merged level cells, full-width text,
    numbers written as text, level names with their points."""
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "项目信息"
    info["B2"] = "项目基本信息表"
    rows = [("年度：", "2022年"), ("项目名称", "职业技能提升培训"), ("主管部门及代码", "某市人社局 301"),
            ("实施单位", "某市职业培训中心"), ("年度总体目标", "培训 1000 人次"), ("全年实际完成情况", "培训 960 人次")]
    for i, (label, value) in enumerate(rows, start=4):
        info.cell(i, 2, label)
        info.cell(i, 4, value)          # value two columns to the right, C left blank
    budget = wb.create_sheet("预算执行")
    stages = ["全年预算数", "年初预算数", "全年执行数", "实际到位资金"]
    sources = [("资金总额", ["100", 100, "95万元", 100]), ("其中：本年财政拨款", [100, 100, 95, 100]),
               ("单位：万元", ["", "", "", ""])]
    if transposed_budget:
        budget.cell(2, 1, "项目")
        for c, (label, _) in enumerate(sources, start=2):
            budget.cell(2, c, label)
        for r, stage in enumerate(stages, start=3):
            budget.cell(r, 1, stage)
            for c, (_, values) in enumerate(sources, start=2):
                budget.cell(r, c, values[r - 3])
    else:
        budget.cell(3, 1, "资金来源")
        for c, stage in enumerate(stages, start=2):
            budget.cell(3, c, stage)
        for r, (label, values) in enumerate(sources, start=4):
            budget.cell(r, 1, label)
            for c, value in enumerate(values, start=2):
                budget.cell(r, c, value)
    sheet = wb.create_sheet("绩效指标")
    sheet.cell(1, 1, "绩效指标完成情况")
    header = ["二级指标", "一级指标", "指标名称", "权重", "目标值", "业绩值", "指标得分", "偏差原因", "备注"]
    h = indicator_header_row
    for c, label in enumerate(header, start=1):
        sheet.cell(h, c, label)
    data = [
        ("数量指标", "产出指标（50分）", "培训人次", "２０", "≥１０００人次", "960人次", 19.2, "部分学员延期"),
        ("质量指标", None, "结业率", 30, "＞＝９０％", "95%", 30, None),
        ("社会效益指标", "效益指标(30分)", "就业率", 30, "不低于60%", "65%", 30, None),
        (None, None, None, None, None, None, None, None),
        ("服务对象满意度指标", "满意度指标", "学员满意度", 10, "≥90%", "92%", 10, None),
    ]
    for r, values in enumerate(data, start=h + 1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(r, c, value)
    sheet.merge_cells(start_row=h + 1, start_column=2, end_row=h + 2, end_column=2)
    wb.save(path)
    return path


def test_foreign_layout_reads_by_label(tmp_path):
    intake, found = read_intake(foreign_layout(tmp_path / "x.xlsx"))
    assert found == []
    project = intake.project
    assert (project.year, project.name, project.department) == (2022, "职业技能提升培训", "某市人社局 301")
    assert project.cells["项目名称"] == "D5"
    total = intake.budget.lines[TOTAL]
    assert (total.amount(ANNUAL), total.amount(EXECUTED)) == (D(100), D(95))
    assert intake.budget.lines[APPROPRIATION].cells[EXECUTED] == "D5"
    rows = [(i.row, i.level1, i.level2, i.name, i.weight, i.target, i.actual, i.self_score) for i in intake.indicators]
    # Targets and actuals are kept as written (full-width and all); only parsing normalises.
    assert rows == [
        (6, "产出指标", "数量指标", "培训人次", D(20), "≥１０００人次", "960人次", D("19.2")),
        (7, "产出指标", "质量指标", "结业率", D(30), "＞＝９０％", "95%", D(30)),
        (8, "效益指标", "社会效益指标", "就业率", D(30), "不低于60%", "65%", D(30)),
        (10, "满意度指标", "服务对象满意度指标", "学员满意度", D(10), "≥90%", "92%", D(10)),
    ]
    assert intake.indicators[0].cells["actual"] == "F6"
    assert intake.budget_row is None


def test_foreign_layout_scores(tmp_path, national):
    result = evaluate_file(foreign_layout(tmp_path / "x.xlsx"), national)
    # budget 10 × 0.95 = 9.5; 20 × 0.96 = 19.2; 30; 30; 10 -> 98.70
    assert result.total_score == D("98.70")
    assert result.problems == ()


def test_transposed_budget_table(tmp_path):
    intake, found = read_intake(foreign_layout(tmp_path / "t.xlsx", transposed_budget=True))
    assert found == []
    total = intake.budget.lines[TOTAL]
    assert (total.amount(ANNUAL), total.amount(EXECUTED)) == (D(100), D(95))
    assert total.cells[EXECUTED] == "B5"


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_seed_in_every_format(suffix, national):
    result = evaluate_file(FIXTURES / f"seed.{suffix}", national)
    assert result.failure is None
    assert (result.total_score, result.grade) == (D("98.00"), "优")
    assert sorted((p.code, p.cell) for p in result.problems if p.code == "unit-mismatch") == [
        ("unit-mismatch", "F3"), ("unit-mismatch", "F6")]
    assert [i.verified for i in result.indicators] == [False, True, True, False, True, True, True]


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_percent_format_in_every_format(suffix):
    intake, found = read_intake(FIXTURES / f"percent.{suffix}")
    assert found == []
    first = intake.indicators[0]
    assert first.cells["actual"] == "F3"
    assert first.actual == pytest.approx(0.98)
    assert first.actual_is_percent is True


def test_xlsm_is_read(tmp_path, build, national):
    path = build()
    xlsm = tmp_path / "copy.xlsm"
    xlsm.write_bytes(path.read_bytes())
    assert evaluate_file(xlsm, national).total_score == evaluate_file(path, national).total_score


def test_excel_error_value_is_not_a_number(tmp_path):
    import xlsxwriter

    path = tmp_path / "err.xlsx"
    wb = xlsxwriter.Workbook(path)
    for name in ("项目信息", "预算执行"):
        wb.add_worksheet(name)
    ws = wb.add_worksheet("绩效指标")
    for c, label in enumerate(["一级指标", "二级指标", "三级指标", "分值", "年度指标值", "实际完成值"]):
        ws.write_string(0, c, label)
    ws.write_formula("F2", "=1/0", None, "#DIV/0!")
    wb.close()
    _, found = read_intake(path)
    assert ("not-a-number", "绩效指标", "F2") in [(p.code, p.sheet, p.cell) for p in found]


@pytest.mark.parametrize(
    "content, code",
    [
        (b"", "file-unreadable"),
        (b"name,score\nx,1\n", "file-unreadable"),
        (b"PK\x03\x04" + b"\x00" * 200, "file-unreadable"),
    ],
)
def test_unreadable_files(tmp_path, content, code):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    intake, found = read_intake(path)
    assert intake is None
    assert [p.code for p in found] == [code]
    assert found[0].message == found[0].message.splitlines()[0] and "Error" not in found[0].message, found[0].message


def test_truncated_real_workbook(tmp_path, build):
    path = build()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(path.read_bytes()[:300])
    intake, found = read_intake(broken)
    assert intake is None and [p.code for p in found] == ["file-unreadable"]


def test_missing_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "项目信息"
    wb.create_sheet("预算执行")
    path = tmp_path / "m.xlsx"
    wb.save(path)
    intake, found = read_intake(path)
    assert intake is None
    assert [(p.code, p.sheet) for p in found] == [("sheet-missing", "绩效指标")]


@pytest.mark.parametrize(
    "label, key",
    [
        ("实际完成值(业绩值)", "actual"),
        ("分值（分）", "weight"),
        ("权重(%)", "weight"),
        ("*三级指标", "name"),
        ("年度\n指标值", "target"),
        ("偏差原因分析及改进措施：", "reason"),
        ("（备注）", None),
        ("备注", None),
    ],
)
def test_header_labels_with_notes_and_stars(label, key):
    from perfeval_xl.reading.intake import _INDICATORS, header_key

    assert header_key(label, _INDICATORS) == key


def test_sheet_names_match_as_people_type_them(tmp_path, build, national):
    """A trailing space or a full-width character in a sheet name does not hide the sheet."""
    wb = openpyxl.load_workbook(build())
    wb["绩效指标"].title = "绩效指标 "
    wb["预算执行"].title = "预算执行\u3000"
    path = tmp_path / "spaced.xlsx"
    wb.save(path)
    result = evaluate_file(path, national)
    assert result.failure is None
    assert result.total_score == D("99.50") and result.problems == ()


def test_an_exact_sheet_name_wins_over_a_near_one(tmp_path, build, national):
    wb = openpyxl.load_workbook(build())
    decoy = wb.copy_worksheet(wb["绩效指标"])
    decoy.title = "绩效指标 "
    decoy["D3"] = "不是数字"
    path = tmp_path / "two.xlsx"
    wb.save(path)
    result = evaluate_file(path, national)
    assert result.total_score == D("99.50") and result.problems == ()


def test_true_in_a_percent_formatted_cell_is_text_not_a_crash(tmp_path, build, national):
    wb = openpyxl.load_workbook(build())
    cell = wb["绩效指标"]["F3"]
    cell.value = True
    cell.number_format = "0%"
    path = tmp_path / "bool.xlsx"
    wb.save(path)
    result = evaluate_file(path, national)
    assert result.failure is None
    assert result.indicators[0].indicator.actual_is_percent is False
    assert ("actual-not-number", "F3") in [(p.code, p.cell) for p in result.problems]
