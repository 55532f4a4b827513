"""The intake workbook writer, tested by reading its files back with openpyxl."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from perfeval_xl.writers.intake_form import (
    ACHIEVEMENT_CHOICES,
    BUDGET_COLUMNS,
    BUDGET_ROWS,
    INDICATOR_HEADERS,
    LEVEL1_CHOICES,
    LEVEL2_CHOICES,
    NATURE_CHOICES,
    PROJECT_LABELS,
    Percent,
    write_intake,
)

FILLED = {
    "project": {
        "评价年度": 2021,
        "项目名称": '=HYPERLINK("x")',
        "主管部门": "某局",
        "实施单位": "+某单位",
        "预期目标": "目标",
        "实际完成情况": "完成",
    },
    "budget": {
        "年度资金总额": [98.65, 98.65, None, 98.65],
        "其中：当年财政拨款": [98.65, 98.65, None, 98.65],
        "市级": [98.65, 98.65, None, "98.65万元"],
    },
    "indicators": [
        {"一级指标": "预算执行指标", "三级指标": "预算执行率", "分值": 10, "自评得分": 9.5},
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "检查次数", "分值": 25,
         "年度指标值": "≥12次", "实际完成值": "12次", "自评得分": 25},
        {"一级指标": "产出指标", "二级指标": "质量指标", "三级指标": "合格率", "分值": 25,
         "年度指标值": "≥95%", "实际完成值": Percent(0.92), "自评得分": 24.21,
         "偏差原因分析及改进措施": "=SUM(A1:A2)"},
        {"一级指标": "效益指标", "二级指标": "社会效益指标", "三级指标": "覆盖率", "分值": 30,
         "年度指标值": 95, "实际完成值": Percent(0.9865), "自评得分": 30, "指标性质": "≥", "计量单位": "%"},
        {"一级指标": "满意度指标", "二级指标": "服务对象满意度指标", "三级指标": "满意度", "分值": 10,
         "年度指标值": "有效提升", "实际完成值": "有效提升", "达成情况": "达成年度指标", "自评得分": 10,
         "指标性质": "定性"},
    ],
    "total_row": {"分值": 100, "自评得分": 98.71},
    "merge_level1": True,
}


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("blank") / "intake.xlsx"
    write_intake(path)
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("filled") / "intake.xlsx"
    write_intake(path, FILLED)
    return openpyxl.load_workbook(path)


def validations(sheet) -> dict[str, object]:
    return {str(rule.sqref): rule for rule in sheet.data_validations.dataValidation}


def row_values(sheet, row: int) -> list[object]:
    return [sheet.cell(row, col).value for col in range(1, len(INDICATOR_HEADERS) + 1)]


def test_sheet_order(blank, filled):
    for workbook in (blank, filled):
        assert workbook.sheetnames == ["填报说明", "项目信息", "预算执行", "绩效指标", "校验"]   # 校验: never read


def test_project_sheet_layout(blank):
    sheet = blank["项目信息"]
    assert (sheet["A1"].value, sheet["B1"].value) == ("项目", "填报内容")
    assert [sheet.cell(row, 1).value for row in range(2, 11)] == list(PROJECT_LABELS)
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold


def test_budget_sheet_layout(blank):
    sheet = blank["预算执行"]
    assert [sheet.cell(1, col).value for col in range(1, 6)] == ["资金来源", *BUDGET_COLUMNS]
    assert [sheet.cell(1, col).value for col in range(2, 6)] == ["年初预算数", "全年预算数", "实际到位数", "全年执行数"]
    assert [sheet.cell(row, 1).value for row in range(2, 10)] == list(BUDGET_ROWS)
    assert sheet["A3"].value == "其中：当年财政拨款"
    assert sheet["A11"].value == "单位：万元"
    assert all(sheet.cell(row, col).value is None for row in range(2, 10) for col in range(2, 6))
    rule = validations(sheet)["B2:E9"]
    assert (rule.type, rule.operator, rule.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert rule.prompt and rule.showInputMessage


def test_indicator_sheet_layout(blank):
    sheet = blank["绩效指标"]
    assert row_values(sheet, 1) == [
        "一级指标", "二级指标", "三级指标", "分值", "年度指标值", "实际完成值",
        "达成情况", "自评得分", "偏差原因分析及改进措施", "指标性质", "计量单位",
    ]
    assert all(sheet.cell(1, col).font.bold for col in range(1, 12))
    assert sheet.freeze_panes == "A2"
    assert row_values(sheet, 2)[:4] == ["预算执行指标", None, "预算执行率", 10]
    assert all(value is None for value in row_values(sheet, 2)[4:])
    assert all(value is None for row in range(3, 43) for value in row_values(sheet, row))


@pytest.mark.parametrize("cells, choices", [
    ("A3:A42", LEVEL1_CHOICES),
    ("B3:B42", LEVEL2_CHOICES),
    ("J3:J42", NATURE_CHOICES),
    ("G3:G42", ACHIEVEMENT_CHOICES),
])
def test_indicator_drop_downs(blank, cells, choices):
    rule = validations(blank["绩效指标"])[cells]
    assert rule.type == "list"
    assert rule.formula1 == '"' + ",".join(choices) + '"'
    assert rule.showDropDown in (None, False)  # openpyxl's inverted flag: False shows the arrow
    assert rule.prompt


def test_drop_down_contents(blank):
    rules = validations(blank["绩效指标"])
    assert rules["A3:A42"].formula1 == '"产出指标,效益指标,满意度指标"'
    assert rules["J3:J42"].formula1 == '"≥,>,=,≤,<,正向,反向,定性"'
    assert rules["G3:G42"].formula1 == (
        '"达成年度指标,部分达成年度指标并具有一定效果,未达成年度指标且效果较差"'
    )


@pytest.mark.parametrize("cells", ["D2:D42", "H2:H42"])
def test_weight_and_score_validation(blank, cells):
    rule = validations(blank["绩效指标"])[cells]
    assert (rule.type, rule.formula1, rule.formula2) == ("decimal", "0", "100")
    assert rule.operator in (None, "between")  # "between" is the OOXML default, left out of the file
    assert rule.errorStyle in (None, "stop")


def test_instructions_sheet(blank):
    sheet = blank["填报说明"]
    text = "\n".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None)
    for phrase in ("≥95%", "≤130万元", "=12次", "90%-100%", "有效提升", "万元", "100分", "偏差原因"):
        assert phrase in text
    examples = [cell.value for cell in sheet["C"] if isinstance(cell.value, str) and cell.value.startswith("【示例】")]
    assert 2 <= len(examples) <= 3


def test_filled_project_text_is_never_a_formula(filled):
    sheet = filled["项目信息"]
    assert sheet["B2"].value == 2021 and sheet["B2"].data_type == "n"
    assert sheet["B3"].value == '=HYPERLINK("x")'
    assert sheet["B3"].data_type == "s"
    assert sheet["B6"].value == "+某单位"
    assert sheet["B4"].value is None


def test_filled_budget(filled):
    sheet = filled["预算执行"]
    assert [sheet.cell(2, col).value for col in range(2, 6)] == [98.65, 98.65, None, 98.65]
    assert sheet["E6"].value == "98.65万元" and sheet["E6"].data_type == "s"
    assert sheet["B4"].value is None


def test_filled_indicators(filled):
    sheet = filled["绩效指标"]
    assert row_values(sheet, 2)[:4] == ["预算执行指标", None, "预算执行率", 10]
    assert sheet["H2"].value == 9.5
    assert row_values(sheet, 6) == [
        "满意度指标", "服务对象满意度指标", "满意度", 10, "有效提升", "有效提升",
        "达成年度指标", 10, None, "定性", None,
    ]
    assert sheet["E5"].value == 95 and sheet["J5"].value == "≥" and sheet["K5"].value == "%"
    assert sheet["I4"].value == "=SUM(A1:A2)" and sheet["I4"].data_type == "s"
    assert row_values(sheet, 7)[:8] == ["合计", None, None, 100, None, None, None, 98.71]
    assert all(value is None for row in range(8, 20) for value in row_values(sheet, row))


def test_level1_merged(filled):
    sheet = filled["绩效指标"]
    assert [str(cells) for cells in sheet.merged_cells.ranges] == ["A3:A4"]
    assert sheet["A3"].value == "产出指标"


def test_percent_number_format(filled):
    sheet = filled["绩效指标"]
    assert sheet["F4"].value == pytest.approx(0.92) and sheet["F4"].number_format == "0%"
    assert sheet["F5"].value == pytest.approx(0.9865) and sheet["F5"].number_format == "0.00%"
    assert sheet["F3"].value == "12次"


def test_percent_is_a_float():
    assert Percent(0.92) == 0.92
    assert Percent(0.92).whole and not Percent(0.9865).whole
    assert repr(Percent(0.5)) == "Percent(0.5)"


def test_output_is_byte_identical(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_intake(first, FILLED)
    write_intake(second, FILLED)
    assert first.read_bytes() == second.read_bytes()
    write_intake(first)
    write_intake(second)
    assert first.read_bytes() == second.read_bytes()
    assert openpyxl.load_workbook(first).properties.created == datetime(2000, 1, 1)


def test_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    path = tmp_path / "intake.xlsx"
    write_intake(path)
    assert openpyxl.load_workbook(path).properties.created == datetime(2023, 11, 14, 22, 13, 20)


def test_no_temporary_file_left(tmp_path):
    write_intake(tmp_path / "intake.xlsx", FILLED)
    assert [path.name for path in tmp_path.iterdir()] == ["intake.xlsx"]


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "intake.xlsx"
    bad = {"indicators": [{"三级指标": object()}]}
    with pytest.raises(TypeError):
        write_intake(target, bad)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "intake.xlsx"
    write_intake(target)
    before = target.read_bytes()
    with pytest.raises(ValueError):
        write_intake(target, {"project": {"项目名字": "x"}})
    assert target.read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == ["intake.xlsx"]


@pytest.mark.parametrize("data", [
    {"projects": {}},
    {"budget": {"合计": [1, 2, 3, 4]}},
    {"budget": {"市级": [1, 2, 3]}},
    {"indicators": [{"指标": "x"}]},
    {"total_row": {"得分": 1}, "indicators": []},
])
def test_unknown_keys_are_refused(tmp_path, data):
    with pytest.raises(ValueError):
        write_intake(tmp_path / "intake.xlsx", data)


def test_total_row_sums_when_not_given(tmp_path):
    path = tmp_path / "intake.xlsx"
    data = {"indicators": [{"一级指标": "产出指标", "三级指标": "a", "分值": 40, "自评得分": 38.5}],
            "total_row": {}}
    write_intake(path, data)
    sheet = openpyxl.load_workbook(path)["绩效指标"]
    assert row_values(sheet, 4)[:8] == ["合计", None, None, 50, None, None, None, 38.5]


def test_accepts_str_path(tmp_path):
    path = tmp_path / "intake.xlsx"
    assert write_intake(str(path)) == Path(path)
    assert path.exists()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_filled_workbook(tmp_path):
    """End to end: LibreOffice reads the workbook and keeps its values and formats."""
    from python_calamine import CalamineWorkbook

    source = tmp_path / "intake.xlsx"
    write_intake(source, FILLED)
    from helpers.lo_batch import convert

    convert([source], "ods", tmp_path, recalc=False)      # LibreOffice's own settings
    rows = CalamineWorkbook.from_path(str(tmp_path / "intake.ods")).get_sheet_by_name("绩效指标").to_python()
    assert rows[0][:3] == ["一级指标", "二级指标", "三级指标"]
    assert rows[3][5] == pytest.approx(0.92)
    assert rows[6][0] == "合计" and rows[6][3] == 100
    project = CalamineWorkbook.from_path(str(tmp_path / "intake.ods")).get_sheet_by_name("项目信息").to_python()
    assert project[2][1] == '=HYPERLINK("x")'
