"""The Annex 1 workbook in the default (national) layout, read back with openpyxl after writing.

The national layout is the template perfeval_xl/workbook_templates/national.xlsx
(tests/test_layouts.py covers the template language and the xinzhou layout).
"""

from __future__ import annotations

import openpyxl
import pytest

from helpers import SEED, clean_data
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.writers.annex import ABOUT_SHEET, ANNEX_SHEET, DETAIL_SHEET, PROBLEM_SHEET, annex_filename, write_annex


@pytest.fixture
def seed_annex(tmp_path, national):
    result = evaluate_file(SEED, national)
    return result, write_annex(result, tmp_path)


def test_sheets_and_name(seed_annex):
    result, path = seed_annex
    assert path.name == "2021_忻州市应急管理局_安全生产和应急管理督查检查经费_绩效自评表.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [ANNEX_SHEET, DETAIL_SHEET, PROBLEM_SHEET, ABOUT_SHEET]


def test_national_layout_values_and_merges(seed_annex):
    _, path = seed_annex
    ws = openpyxl.load_workbook(path)[ANNEX_SHEET]
    assert ws["A1"].value == "附件1"
    assert ws["A2"].value == "项目支出绩效自评表"
    assert ws["A3"].value == "（2021年度）"
    assert (ws["A4"].value, ws["B4"].value) == ("项目名称", "安全生产和应急管理督查检查经费")
    assert (ws["A5"].value, ws["B5"].value, ws["F5"].value, ws["G5"].value) == (
        "主管部门", "忻州市应急管理局", "实施单位", "忻州市应急管理局")
    assert [ws.cell(6, c).value for c in range(2, 9)] == [None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    assert ws["B7"].value == "年度资金总额"
    assert [ws.cell(7, c).value for c in (3, 4, 5, 6)] == [98.65, 98.65, 98.65, 10]
    assert ws["B8"].value == "其中：当年财政拨款"
    header = [ws.cell(13, c).value for c in range(1, 10)]
    assert header == ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "完成率", "得分", "偏差原因分析及改进措施"]
    assert [ws.cell(r, 3).value for r in range(14, 21)] == [
        "监督检查次数（次）", "完成省市安全生产工作年度考核", "完成督查检查工作及时率", "督查检查工作中产生的费用",
        "为社会和谐稳定发展营造良好的安全环境", "推动安全生产形势持续向好", "行政执法案件小于1起"]
    assert [ws.cell(r, 8).value for r in range(14, 21)] == [12.5, 12.5, 12.5, 12.5, 15, 15, 8]
    assert ws["G14"].value == "未核实" and ws["G17"].value == "未核实"
    merged = {str(rng) for rng in ws.merged_cells.ranges}
    assert {"A2:I2", "A14:A17", "A18:A19", "A6:A10"} <= merged
    assert ws["A21"].value == "总分"
    assert ws["I21"].value == "自评等级：优"


def test_formulas_carry_their_values(tmp_path, seed_annex):
    _, path = seed_annex
    formulas = openpyxl.load_workbook(path)[ANNEX_SHEET]
    values = openpyxl.load_workbook(path, data_only=True)[ANNEX_SHEET]
    assert formulas["G7"].value == "=IF(D7=0,0,E7/D7)"
    assert formulas["H7"].value == "=ROUND(F7*MIN(1,G7),2)"
    assert formulas["F21"].value == "=F7+SUM(F14:F20)"
    assert formulas["H21"].value == "=H7+SUM(H14:H20)"
    assert (values["G7"].value, values["H7"].value, values["F21"].value, values["H21"].value) == (1, 10, 98, 98)
    assert formulas["G7"].number_format == "0.00%"
    assert formulas["H21"].number_format == "0.00"
    assert formulas["C7"].number_format == "#,##0.00"


def test_blank_total_row_becomes_a_sum_formula(tmp_path, build, national):
    result = evaluate_file(build(), national)      # clean intake: 年度资金总额 written
    data = clean_data()
    data["budget"].pop("年度资金总额")
    result = evaluate_file(build(data), national)
    ws = openpyxl.load_workbook(write_annex(result, tmp_path))[ANNEX_SHEET]
    assert ws["D7"].value == "=SUM(D8:D10)"
    assert openpyxl.load_workbook(write_annex(result, tmp_path), data_only=True)[ANNEX_SHEET]["D7"].value == 200


def test_print_setup(seed_annex):
    _, path = seed_annex
    ws = openpyxl.load_workbook(path)[ANNEX_SHEET]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1)   # absent means 1 page wide
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$3"


def test_unverified_rows_are_marked(seed_annex):
    _, path = seed_annex
    ws = openpyxl.load_workbook(path)[ANNEX_SHEET]
    assert ws["H14"].fill.fgColor.rgb.endswith("FCE4D6")
    assert ws["H15"].fill.fgColor.rgb in (None, "00000000")
    assert ws["E14"].fill.fgColor.rgb.endswith("FFC7CE")   # the cell with the finding


def test_detail_and_problem_sheets(seed_annex):
    result, path = seed_annex
    wb = openpyxl.load_workbook(path)
    detail = wb[DETAIL_SHEET]
    assert detail["L2"].value == "10 × min(1, 98.65 / 98.65) = 10.00"
    assert detail["A3"].value == 3 and detail["O3"].value == "否（未核实）"
    assert detail["L4"].value == "12.5 × min(1, 100 / 100) = 12.50"
    problems = wb[PROBLEM_SHEET]
    rows = [[c.value for c in row] for row in problems.iter_rows(min_row=3, values_only=False)]
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("错误", "weights-sum", "绩效指标"),
        ("错误", "unit-mismatch", "绩效指标!F3"),
        ("错误", "unit-mismatch", "绩效指标!F6"),
        ("警告", "level1-weights", "绩效指标"),
    ]
    assert not any(cell.hyperlink for row in problems.iter_rows() for cell in row)
    about = {row[0]: row[1] for row in wb[ABOUT_SHEET].iter_rows(values_only=True)}
    assert about["源文件"] == SEED.name
    assert about["源文件 SHA-256"] == result.source_sha256 and len(result.source_sha256) == 64
    assert about["评分规则"].startswith("national")
    assert about["版式"] == "national（全国通用附件1）" and len(about["版式 SHA-256"]) == 64


def test_department_text_is_never_a_formula(tmp_path, build, national):
    data = clean_data()
    data["project"]["项目名称"] = '=HYPERLINK("http://example.com","点我")'
    data["project"]["主管部门"] = "+cmd|' /C calc'!A0"
    data["indicators"][1]["三级指标"] = "@SUM(1,2)"
    data["indicators"][1]["偏差原因分析及改进措施"] = "-2+3"
    result = evaluate_file(build(data), national)
    path = write_annex(result, tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb[ANNEX_SHEET]
    assert ws["B4"].value == '=HYPERLINK("http://example.com","点我")' and ws["B4"].data_type == "s"
    assert ws["B5"].data_type == "s" and ws["C14"].data_type == "s" and ws["I14"].data_type == "s"
    assert all(
        cell.data_type != "f" or not str(cell.value).startswith(("=HYPERLINK", "=+cmd", "=@SUM", "=-2"))
        for sheet in wb for row in sheet.iter_rows() for cell in row
    )
    assert "/" not in path.name and path.parent == tmp_path


def test_output_is_deterministic(tmp_path, national):
    result = evaluate_file(SEED, national)
    first = write_annex(result, tmp_path / "a").read_bytes()
    second = write_annex(result, tmp_path / "b").read_bytes()
    assert first == second


def test_annex_filename_is_safe(build, national):
    data = clean_data()
    data["project"]["项目名称"] = '../../etc/passwd:CON*?"<>|' + "很长" * 200
    name = annex_filename(evaluate_file(build(data), national))
    assert "/" not in name and ".." not in name and not any(ch in name for ch in ':*?"<>|')
    assert len(name.encode()) <= 160 and name.endswith(".xlsx")


def test_sheet_level_findings_shade_the_form(seed_annex):
    """weights-sum (98, not 100) shades the weights' total; level1-weights (满意度 8) the 一级 cell of 满意度."""
    _, path = seed_annex
    ws = openpyxl.load_workbook(path)[ANNEX_SHEET]
    red = {cell.coordinate for row in ws.iter_rows() for cell in row if (cell.fill.fgColor.rgb or "").endswith("FFC7CE")}
    assert ws["F21"].value == "=F7+SUM(F14:F20)" and ws["A20"].value == "满意度指标"
    assert red == {"E14", "E17", "A20", "F21"}         # two unit-mismatch cells, then the two sheet-level findings


def test_a_clean_project_shades_nothing(tmp_path, build, national):
    ws = openpyxl.load_workbook(write_annex(evaluate_file(build(), national), tmp_path))[ANNEX_SHEET]
    assert not [cell.coordinate for row in ws.iter_rows() for cell in row if (cell.fill.fgColor.rgb or "").endswith("FFC7CE")]


def test_problem_sheet_says_how_to_fix_and_whose_cells(seed_annex):
    from perfeval_xl.catalogue import CATALOGUE

    result, path = seed_annex
    ws = openpyxl.load_workbook(path)[PROBLEM_SHEET]
    assert ws["A1"].value == "“位置”指单位报送的填报工作簿（源文件）中的工作表和单元格，不是本附件中的单元格。"
    assert "A1:F1" in {str(rng) for rng in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == ["序号", "级别", "代码", "位置（单位报送的工作簿）", "说明", "如何修改"]
    assert [(r[2], r[5]) for r in ws.iter_rows(min_row=3, values_only=True)] == [
        (p.code, CATALOGUE[p.code].fix) for p in result.problems]
    assert ws["F3"].value == "调整分值，使预算执行分值加各指标分值合计为100。"
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:F6"


def test_an_equal_target_says_it_is_scored_as_positive(tmp_path, build, national):
    data = clean_data()
    data["indicators"][1]["年度指标值"] = "=120公里"
    result = evaluate_file(build(data), national)
    detail = openpyxl.load_workbook(write_annex(result, tmp_path))[DETAIL_SHEET]
    assert detail["F3"].value == "=120公里" and detail["F3"].data_type == "s"
    assert detail["G3"].value == "正向：= 120 公里（“=”按“≥”计分）"
    assert detail["G4"].value.startswith("正向：≥ ") and "计分" not in detail["G4"].value
