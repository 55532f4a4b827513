"""The intake template checks itself: the 校验 sheet's live formulas and the data sheets' conditional formats.

Read back with openpyxl (formulas, the values they carry, where the
conditional formats sit); the reader never sees a check (a template with
only its checks reads as nothing filled, a filled one scores as it did
without them); LibreOffice recalculates filled samples to the same values.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from helpers import clean_data
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.reading.intake import read_intake
from perfeval_xl.writers.intake_checks import BAD, CHECK, CHECK_SHEET, OK
from perfeval_xl.writers.intake_form import write_intake

LABELS = (
    "预算执行分值", "分值合计（预算执行 + 各指标）", "产出指标分值小计", "效益指标分值小计", "满意度指标分值小计",
    "全年预算数（万元）", "全年执行数（万元）", "预算执行率", "预算执行率得分", "实际到位数（万元）",
    "年度资金总额≠来源之和的列数", "财政拨款≠中央、省、市、县区级之和的列数", "项目信息必填项未填",
    "缺分值、年度指标值或实际完成值的指标行",
)


def broken_data() -> dict:
    """A clean intake with one mistake of each kind the checks catch."""
    data = clean_data()
    data["project"]["项目名称"] = ""
    data["budget"]["年度资金总额"] = [200, 210, 200, 190]          # 全年预算数 210 ≠ 150 + 50
    data["budget"]["中央级"] = [90, 100, 100, 95]                  # 年初: 90 + 50 ≠ 150
    data["indicators"][2]["分值"] = 7                             # 产出 42, total 92
    data["indicators"][3]["实际完成值"] = None
    data["indicators"][4]["自评得分"] = 99
    return data


def checks(path: Path) -> dict[str, tuple]:
    """label -> (value, expected, status) as the file carries them."""
    ws = openpyxl.load_workbook(path, data_only=True)[CHECK_SHEET]
    return {row[0]: tuple(row[1:4]) for row in ws.iter_rows(min_row=4, max_row=3 + len(LABELS), max_col=4, values_only=True)}


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("checks")
    return {
        "blank": write_intake(base / "blank.xlsx"),
        "clean": write_intake(base / "clean.xlsx", clean_data()),
        "broken": write_intake(base / "broken.xlsx", broken_data()),
    }


def test_the_check_sheet_comes_last_with_formulas_everywhere(books):
    wb = openpyxl.load_workbook(books["blank"])
    assert wb.sheetnames[-1] == CHECK_SHEET
    ws = wb[CHECK_SHEET]
    assert [c.value for c in ws[3]][:5] == ["检查项", "当前值", "应为", "结果", "说明"]
    assert tuple(ws.cell(row, 1).value for row in range(4, 4 + len(LABELS))) == LABELS
    assert all(ws.cell(row, 2).data_type == "f" for row in range(4, 4 + len(LABELS)))
    assert ws["B5"].value == "=$B$4+SUM($L$2:$L$43)"                 # budget weight + every counted weight
    assert ws["D5"].value == '=IF(ABS($B$5-100)>0.01,"✗ 请修改","✓")'
    assert ws["I3"].value == '=IF(\'绩效指标\'!A3<>"",\'绩效指标\'!A3&"",I2)'   # 一级 carried down
    assert ws.print_area == f"'{CHECK_SHEET}'!$A$1:$E${3 + len(LABELS)}"


def test_blank_template_values(books):
    got = checks(books["blank"])
    assert got["预算执行分值"][0] == 10 and got["分值合计（预算执行 + 各指标）"] == (10, "100", BAD)
    assert got["产出指标分值小计"] == (0, "50", CHECK)
    assert got["全年预算数（万元）"] == (0, "大于0", BAD)
    assert got["预算执行率"][0] is None and got["预算执行率得分"][0] == 0
    assert got["项目信息必填项未填"] == (6, "0", BAD)
    assert got["缺分值、年度指标值或实际完成值的指标行"] == (0, "0", OK)


def test_clean_intake_passes_every_check(books):
    got = checks(books["clean"])
    statuses = {label: status for label, (_value, _expected, status) in got.items() if status is not None}
    assert set(statuses.values()) == {OK}
    assert got["分值合计（预算执行 + 各指标）"][0] == 100
    assert [got[f"{name}指标分值小计"][0] for name in ("产出", "效益", "满意度")] == [50, 30, 10]
    assert (got["全年预算数（万元）"][0], got["全年执行数（万元）"][0]) == (200, 190)
    assert got["预算执行率"][0] == pytest.approx(0.95) and got["预算执行率得分"][0] == 9.5


def test_broken_intake_shows_each_mistake(books):
    got = checks(books["broken"])
    assert got["分值合计（预算执行 + 各指标）"] == (92, "100", BAD)
    assert got["产出指标分值小计"] == (42, "50", CHECK)
    assert got["效益指标分值小计"][2] == OK
    assert got["全年预算数（万元）"][0] == 210                      # the total as written counts
    assert got["预算执行率"][0] == pytest.approx(190 / 210)
    assert got["预算执行率得分"][0] == 9.05
    assert got["年度资金总额≠来源之和的列数"] == (1, "0", BAD)
    assert got["财政拨款≠中央、省、市、县区级之和的列数"] == (1, "0", BAD)
    assert got["项目信息必填项未填"] == (1, "0", BAD)
    assert got["缺分值、年度指标值或实际完成值的指标行"] == (1, "0", BAD)


def test_data_sheets_carry_conditional_formats_only(books):
    wb = openpyxl.load_workbook(books["blank"])
    ranges = {name: {str(cf.sqref): [rule.formula or rule.type for rule in cf.rules] for cf in wb[name].conditional_formatting}
              for name in ("项目信息", "预算执行", "绩效指标")}
    assert {"B2", "B3", "B5", "B6", "B9", "B10"} <= set(ranges["项目信息"])
    assert ranges["项目信息"]["B3"] == [["LEN(TRIM(B3))=0"]]           # xlsxwriter's "blanks" rule
    assert set(ranges["预算执行"]) == {"B2:E2", "B3:E7", "E2:E9"}
    assert ranges["预算执行"]["B3:E7"] == [["AND(COUNT(B$4:B$7)>0,ABS(SUM(B$4:B$7)-N(B$3))>0.01)"]]
    assert set(ranges["绩效指标"]) == {"D2:D43", "A2:A43", "D3:F43", "H2:H43"}
    assert ranges["绩效指标"]["D2:D43"] == [["AND(D2<>\"\",ABS('校验'!$B$5-100)>0.01)"]]
    # Nothing is written into a data cell a clerk types in: the blank rows stay blank.
    ws = wb["绩效指标"]
    assert all(ws.cell(row, col).value is None for row in range(3, 43) for col in range(1, 12))


def test_a_template_with_only_its_checks_reads_as_nothing_filled(books):
    intake, found = read_intake(books["blank"])
    # Its check formulas and example count as nothing filled: the one finding is intake-empty.
    assert intake is None
    assert [(p.code, p.sheet, p.cell) for p in found] == [("intake-empty", None, None)]


def test_the_checks_change_no_score(books, tmp_path, national):
    """The filled intake scores exactly as the same workbook without its 校验 sheet."""
    for name in ("clean", "broken"):
        wb = openpyxl.load_workbook(books[name])
        del wb[CHECK_SHEET]
        bare = tmp_path / f"{name}_bare.xlsx"
        wb.save(bare)
        with_checks, without = evaluate_file(books[name], national), evaluate_file(bare, national)
        assert with_checks.total_score == without.total_score
        assert [(i.score, i.verified) for i in with_checks.indicators] == [(i.score, i.verified) for i in without.indicators]
        assert [(p.code, p.sheet, p.cell) for p in with_checks.problems] == [(p.code, p.sheet, p.cell) for p in without.problems]
    assert evaluate_file(books["clean"], national).total_score == pytest.approx(99.5)


@pytest.mark.slow
def test_libreoffice_recalculates_the_values_the_checks_carry(books, tmp_path):
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice is needed: `.ci/run` installs it")
    from helpers.lo_batch import convert

    names = list(books)
    again = dict(zip(names, convert([books[name] for name in names], "xlsx", tmp_path / "re", recalc=True)))
    for name in names:
        formulas = openpyxl.load_workbook(books[name])[CHECK_SHEET]
        carried = openpyxl.load_workbook(books[name], data_only=True)[CHECK_SHEET]
        recalculated = openpyxl.load_workbook(again[name], data_only=True)[CHECK_SHEET]
        count = 0
        for row in formulas.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                mine, theirs = carried[cell.coordinate].value, recalculated[cell.coordinate].value
                if isinstance(mine, (int, float)):
                    assert theirs == pytest.approx(mine, abs=1e-9), f"{name} {cell.coordinate}"
                else:
                    assert (theirs or "") == (mine or ""), f"{name} {cell.coordinate}"
                count += 1
        assert count == len(LABELS) + 10 + 7 * 42       # the block's values, its 10 statuses, 7 per helper row
    assert checks(again["broken"])["分值合计（预算执行 + 各指标）"] == (92, "100", BAD)


def test_the_check_sheet_colours_its_results(books):
    ws = openpyxl.load_workbook(books["blank"])[CHECK_SHEET]
    (rules,) = [cf.rules for cf in ws.conditional_formatting if str(cf.sqref) == f"D4:D{3 + len(LABELS)}"]
    assert [(rule.type, rule.operator, rule.text) for rule in rules] == [
        ("beginsWith", "beginsWith", "✗"), ("beginsWith", "beginsWith", "！"), ("beginsWith", "beginsWith", "✓")]
    fills = [rule.dxf.fill.bgColor.rgb if rule.dxf.fill is not None else None for rule in rules]
    assert fills[0] == fills[1] and fills[0].endswith("FFC7CE") and fills[2] is None    # errors and reminders red
