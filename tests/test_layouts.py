"""Annex layouts as template workbooks (docs/layouts.md), read back with openpyxl."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from helpers import ROOT, SEED, clean_data
from perfeval_xl.cli import app
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.writers.annex import ABOUT_SHEET, ANNEX_SHEET, render_annex, write_annex
from perfeval_xl.writers.annex.layout import BUILTIN_DIR, LayoutError, builtin_layouts, layout_path, load_layout

DOC = ROOT / "docs" / "layouts.md"


@pytest.fixture(scope="module")
def seed_result():
    from perfeval_xl.profiles import load_profile

    return evaluate_file(SEED, load_profile("national"))


def annex(result, tmp_path, layout):
    path = write_annex(result, tmp_path, filename=f"{layout if isinstance(layout, str) else 'custom'}.xlsx", layout=layout)
    return openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)


def merges(ws) -> set[str]:
    return {str(rng) for rng in ws.merged_cells.ranges}


# --- the two shipped layouts, from the seed's sample --------------------------------------


def test_builtin_layouts_ship_inside_the_package():
    assert builtin_layouts() == ("national", "xinzhou")
    assert BUILTIN_DIR == Path(__import__("perfeval_xl").__file__).parent / "workbook_templates"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"workbook_templates/*.xlsx"' in pyproject        # package-data: `pip install .` carries them


def test_national_is_the_default(seed_result):
    assert render_annex(seed_result) == render_annex(seed_result, "national") == render_annex(seed_result, load_layout("national"))


def test_xinzhou_labels_values_and_merges(seed_result, tmp_path):
    formulas, values = annex(seed_result, tmp_path, "xinzhou")
    assert formulas.sheetnames[0] == ANNEX_SHEET
    ws = formulas[ANNEX_SHEET]
    assert (ws["A1"].value, ws["A2"].value, ws["A3"].value) == ("附件1", "项目支出绩效自评表", "（2021年度）")
    assert (ws["A4"].value, ws["B4"].value) == ("项目名称", "安全生产和应急管理督查检查经费")
    assert [ws[ref].value for ref in ("A5", "B5", "E5", "F5")] == ["主管部门", "忻州市应急管理局", "实施单位", "忻州市应急管理局"]
    assert [ws[ref].value for ref in ("B6", "D6", "F6", "H6")] == ["年初预算数", "全年预算数", "全年执行数", "预算执行率"]
    assert [ws[ref].value for ref in ("B7", "D7", "F7")] == [98.65, 98.65, 98.65]
    assert [ws.cell(10, col).value for col in range(1, 10)] == [
        "一级指标", "二级指标", "目标指标", "权重", "目标值", "业绩值", "完成率", "指标得分", "偏差原因分析及改进措施"]
    # 预算执行率 is the first row of the indicator table, as in the seed's own 附件1.
    assert [ws.cell(11, col).value for col in range(1, 6)] == ["预算执行指标", "预算执行指标", "预算执行率", 10, "100%"]
    assert [ws.cell(row, 3).value for row in range(12, 19)] == [
        "监督检查次数（次）", "完成省市安全生产工作年度考核", "完成督查检查工作及时率", "督查检查工作中产生的费用",
        "为社会和谐稳定发展营造良好的安全环境", "推动安全生产形势持续向好", "行政执法案件小于1起"]
    assert [ws.cell(row, 4).value for row in range(12, 19)] == [12.5, 12.5, 12.5, 12.5, 15, 15, 8]
    assert [ws.cell(row, 5).value for row in range(12, 19)] == ["＜＝730次", "100%", "100%", "＜＝130万元", "100%", "100%", "98%"]
    assert [ws.cell(row, 8).value for row in range(12, 19)] == [12.5, 12.5, 12.5, 12.5, 15, 15, 8]
    assert (ws["G12"].value, ws["G15"].value, ws["G13"].value) == ("未核实", "未核实", 1)
    assert (ws["A19"].value, ws["I19"].value) == ("总分", "自评等级：优")
    assert ws["A22"].value.startswith("填表人：")
    assert {"A1:I1", "A2:I2", "B4:I4", "A6:A7", "D7:E7", "A12:A15", "A16:A17", "A19:C19", "E19:G19", "A22:I22"} <= merges(ws)
    assert not any(rng.startswith("A18") for rng in merges(ws))          # a lone 满意度指标 is not merged
    assert values[ANNEX_SHEET]["C11"].value == "预算执行率"


def test_xinzhou_formulas_carry_their_values(seed_result, tmp_path):
    formulas, values = annex(seed_result, tmp_path, "xinzhou")
    ws, shown = formulas[ANNEX_SHEET], values[ANNEX_SHEET]
    expected = {
        "H7": ("=IF(D7=0,0,F7/D7)", 1, "0.00%"),
        "F11": ("=IF(D7=0,0,F7/D7)", 1, "0.00%"),
        "G11": ("=IF(D7=0,0,F7/D7)", 1, "0.00%"),
        "H11": ("=ROUND(D11*MIN(1,H7),2)", 10, "0.00"),
        "D19": ("=D11+SUM(D12:D18)", 98, "0.00"),
        "H19": ("=H11+SUM(H12:H18)", 98, "0.00"),
    }
    found = {cell.coordinate for row in ws.iter_rows() for cell in row if cell.data_type == "f"}
    assert found == set(expected)
    for ref, (formula, value, number_format) in expected.items():
        assert (ws[ref].value, shown[ref].value, ws[ref].number_format) == (formula, value, number_format), ref
    assert ws["D7"].number_format == "#,##0.00" and ws["D12"].number_format == "0.00" and ws["G13"].number_format == "0.00%"


def test_xinzhou_marks_and_print_setup(seed_result, tmp_path):
    ws = annex(seed_result, tmp_path, "xinzhou")[0][ANNEX_SHEET]
    assert ws["H12"].fill.fgColor.rgb.endswith("FCE4D6") and ws["G12"].font.b      # unverified
    assert ws["F12"].fill.fgColor.rgb.endswith("FFC7CE")                           # the finding's cell
    assert ws["H13"].fill.fgColor.rgb in (None, "00000000")
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert ws.page_setup.fitToWidth in (None, 1)
    assert ws.print_title_rows == "$1:$3"
    assert ws.print_area == f"'{ANNEX_SHEET}'!$A$1:$I$22"                          # the template's A1:I16, grown by 6 rows
    assert ws.oddFooter.center.text == "第 &P 页"      # its own pages: LibreOffice counts 共 &N 页 over the workbook
    assert ws.column_dimensions["C"].width == pytest.approx(28.71, abs=0.01)


@pytest.mark.parametrize("layout", ["national", "xinzhou"])
def test_every_label_of_the_template_is_in_the_annex(seed_result, tmp_path, layout):
    """Each literal cell of the template reappears, shifted by the indicator rows below the indicator row."""
    template = openpyxl.load_workbook(layout_path(layout)).worksheets[0]
    ws = annex(seed_result, tmp_path, layout)[0][ANNEX_SHEET]
    repeat = next(cell.row for row in template.iter_rows() for cell in row if "{{指标." in str(cell.value))
    shift = len(seed_result.indicators) - 1
    for row in template.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and "{{" not in cell.value:
                assert ws.cell(cell.row + (shift if cell.row > repeat else 0), cell.column).value == cell.value, cell.coordinate


@pytest.mark.parametrize("layout", ["national", "xinzhou"])
def test_blank_budget_total(build, national, tmp_path, layout):
    data = clean_data()
    data["budget"].pop("年度资金总额")
    result = evaluate_file(build(data), national)
    formulas, values = annex(result, tmp_path, layout)
    ws, shown = formulas[ANNEX_SHEET], values[ANNEX_SHEET]
    if layout == "national":       # the three sources are on the sheet: a SUM of them
        assert (ws["D7"].value, shown["D7"].value) == ("=SUM(D8:D10)", 200)
    else:                          # they are not: the sum as a number
        assert ws["D7"].value == 200
    total = "H21" if layout == "national" else "H19"
    assert shown[total].value == float(result.total_score)


@pytest.mark.parametrize("layout, total_row, formulas", [
    ("national", 14, {"F14": "=F7", "H14": "=H7"}),
    ("xinzhou", 12, {"D12": "=D11", "H12": "=H11"}),
])
def test_no_indicators_removes_the_indicator_row(build, national, tmp_path, layout, total_row, formulas):
    data = clean_data()
    data["indicators"] = data["indicators"][:1]          # the budget row only
    result = evaluate_file(build(data), national)
    assert result.indicators == ()
    ws = annex(result, tmp_path, layout)[0][ANNEX_SHEET]
    assert ws.cell(total_row, 1).value == "总分"
    assert {ref: ws[ref].value for ref in formulas} == formulas


@pytest.mark.parametrize("layout", ["national", "xinzhou"])
def test_department_text_is_never_a_formula(build, national, tmp_path, layout):
    data = clean_data()
    data["project"]["项目名称"] = '=HYPERLINK("http://example.com","点我")'
    data["project"]["预期目标"] = "+cmd|' /C calc'!A0"
    data["indicators"][1]["三级指标"] = "@SUM(1,2)"
    result = evaluate_file(build(data), national)
    ws = annex(result, tmp_path, layout)[0][ANNEX_SHEET]
    texts = {cell.value: cell.data_type for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)}
    for value in ('=HYPERLINK("http://example.com","点我")', "+cmd|' /C calc'!A0", "@SUM(1,2)"):
        assert texts[value] == "s"


@pytest.mark.parametrize("layout", ["national", "xinzhou"])
def test_about_sheet_names_the_layout(seed_result, tmp_path, layout):
    wb = annex(seed_result, tmp_path, layout)[0]
    about = {row[0]: row[1] for row in wb[ABOUT_SHEET].iter_rows(values_only=True)}
    assert about["版式"].startswith(layout)
    assert about["版式 SHA-256"] == hashlib.sha256(layout_path(layout).read_bytes()).hexdigest()
    assert about["源文件"] == SEED.name and about["评分规则"].startswith("national")


@pytest.mark.parametrize("layout", ["national", "xinzhou"])
def test_output_is_deterministic(seed_result, layout):
    assert render_annex(seed_result, layout) == render_annex(seed_result, layout)


# --- a bureau's own layout ----------------------------------------------------------------------


def write_template(path: Path, cells: dict[str, object], merged: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    for ref, value in cells.items():
        ws[ref] = value
    for rng in merged:
        ws.merge_cells(rng)
    wb.save(path)
    return path


MINIMAL = {"A1": "{{项目名称}}", "A2": "{{指标.三级指标}}", "B2": "{{指标.得分}}", "A3": "总分", "B3": "{{总分}}"}


def test_a_copy_edited_and_saved_by_another_program_still_renders(seed_result, tmp_path):
    """openpyxl saves the way Excel does (its own styles table, theme colours): the layout survives."""
    wb = openpyxl.load_workbook(layout_path("national"))
    ws = wb.worksheets[0]
    ws["A4"] = "项目全称"
    ws["A4"].fill = openpyxl.styles.PatternFill("solid", fgColor=openpyxl.styles.colors.Color(theme=4, tint=0.6))
    wb.properties.title = "某市本地附件1"
    wb.save(tmp_path / "mine.xlsx")
    formulas, values = annex(seed_result, tmp_path, str(tmp_path / "mine.xlsx"))
    out = formulas[ANNEX_SHEET]
    assert (out["A4"].value, out["B4"].value) == ("项目全称", "安全生产和应急管理督查检查经费")
    assert out["A4"].fill.fgColor.rgb.endswith("B9CDE5")          # the template theme's accent1 4F81BD, lightened 60 %
    assert out["H21"].value == "=H7+SUM(H14:H20)" and values[ANNEX_SHEET]["H21"].value == 98
    assert {"A14:A17", "A18:A19"} <= merges(out)
    about = {row[0]: row[1] for row in formulas[ABOUT_SHEET].iter_rows(values_only=True)}
    assert about["版式"] == "mine（某市本地附件1）"


def test_minimal_layout_and_formulas_without_budget_cells(seed_result, tmp_path):
    path = write_template(tmp_path / "minimal.xlsx", MINIMAL)
    formulas, values = annex(seed_result, tmp_path, str(path))
    ws = formulas["自评表"]
    assert ws["A1"].value == "安全生产和应急管理督查检查经费"
    assert [ws.cell(row, 1).value for row in (2, 8)] == ["监督检查次数（次）", "行政执法案件小于1起"]
    assert ws["A9"].value == "总分"
    # No 执行率得分 cell on this layout: the formula writes the budget score's arithmetic out.
    assert ws["B9"].value == "=ROUND(10*MIN(1,IF(98.65=0,0,98.65/98.65)),2)+SUM(B2:B8)"
    assert values["自评表"]["B9"].value == 98


def test_text_around_placeholders_and_merge_within_merge(seed_result, tmp_path):
    path = write_template(tmp_path / "nested.xlsx", {
        "A1": "（{{评价年度}}年度）{{主管部门}}：{{执行率}}，{{未核实项数}} 项未核实，共 {{未核实分值}} 分",
        "A2": "{{指标.一级指标|合并}}", "B2": "{{指标.二级指标 | 合并}}", "C2": "{{指标.序号}}. {{指标.三级指标}}（{{指标.完成率}}）",
        "D2": "{{指标.年度指标值}}", "F2": "{{指标.计算过程}}",
    }, merged=("D2:E2",))
    ws = annex(seed_result, tmp_path, str(path))[0]["自评表"]
    assert ws["A1"].value == "（2021年度）忻州市应急管理局：100.00%，2 项未核实，共 25 分"
    assert ws["C2"].value == "1. 监督检查次数（次）（未核实）" and ws["C3"].value == "2. 完成省市安全生产工作年度考核（100.00%）"
    assert {"A2:A5", "A6:A7", "D2:E2", "D8:E8"} <= merges(ws)
    assert not any(rng.startswith("B") for rng in merges(ws))          # every 二级指标 differs within its 一级


def test_full_width_braces_and_missing_values(build, national, tmp_path):
    data = clean_data()
    data["project"]["评价年度"] = None
    result = evaluate_file(build(data), national)
    path = write_template(tmp_path / "fw.xlsx", {"A1": "（｛｛评价年度｝｝年度）", "A2": "{{ 指标．三级指标 }}"})
    ws = annex(result, tmp_path, str(path))[0]["自评表"]
    assert ws["A1"].value == "（    年度）"        # room to write the year by hand
    assert ws["A2"].value == "新建改造供水管网长度"


def test_layout_is_read_once_and_again_when_changed(tmp_path, monkeypatch):
    path = write_template(tmp_path / "once.xlsx", MINIMAL)
    first = load_layout(path)
    assert load_layout(str(path)) is first
    import perfeval_xl.writers.annex.layout as layout_module

    calls = []
    real = layout_module.parse_layout
    monkeypatch.setattr(layout_module, "parse_layout", lambda *a, **k: calls.append(a) or real(*a, **k))
    for _ in range(3):
        load_layout(path)
    assert calls == []
    write_template(path, {**MINIMAL, "A1": "{{项目名称}}（改）"})
    os.utime(path, ns=(first_ns := os.stat(path).st_mtime_ns + 10**9, first_ns))
    assert load_layout(path) is not first and len(calls) == 1


def test_layout_is_plain_data_for_worker_processes(seed_result):
    """A batch loads the layout once and sends it to its workers: it must pickle and render the same."""
    import pickle

    layout = load_layout("xinzhou")
    again = pickle.loads(pickle.dumps(layout))
    assert again == layout and render_annex(seed_result, again) == render_annex(seed_result, layout)


# --- bad templates: a clear message naming the cell ---------------------------------------------------


@pytest.mark.parametrize("cells, merged, where, words", [
    ({"C2": "{{指标.三级}}"}, (), "自评表!C2", "未知占位符 {{指标.三级}}（是否为 {{指标.三级指标}}？）"),
    ({"A1": "{{项目名}}"}, (), "自评表!A1", "未知占位符 {{项目名}}"),
    ({"A1": "（{{评价年度}年度）"}, (), "自评表!A1", "占位符不完整"),
    ({"A1": "{{}}"}, (), "自评表!A1", "没有名称"),
    ({"A1": "{{项目名称|加粗}}"}, (), "自评表!A1", "选项“加粗”未知"),
    ({"A1": "{{项目名称|合并}}"}, (), "自评表!A1", "只能用于指标行"),
    ({"C2": "共 {{指标.三级指标|合并}}"}, (), "自评表!C2", "须独占一个单元格"),
    ({"A1": "=1+1"}, (), "自评表!A1", "不能写公式"),
    ({"C4": "{{指标.分值}}"}, (), "自评表!C4", "只能写在同一行"),
    ({}, ("A2:A3",), "自评表!A2", "不能向下合并"),
    ({"D1": "跨行"}, ("D1:D3",), "自评表!D1", "跨越了指标行"),
    ({"AZ900": "远处"}, (), "自评表!AZ900", "使用区域太大"),
])
def test_bad_template_names_the_cell(tmp_path, cells, merged, where, words):
    path = write_template(tmp_path / "bad.xlsx", {**MINIMAL, "C2": "{{指标.偏差原因}}", **cells}, merged)
    with pytest.raises(LayoutError) as caught:
        load_layout(path)
    message = str(caught.value)
    assert str(path) in message and where in message and words in message


def test_bad_template_files(tmp_path):
    with pytest.raises(LayoutError, match="找不到版式“nowhere”：可用内置版式 national、xinzhou"):
        load_layout("nowhere")
    (tmp_path / "text.xlsx").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(LayoutError, match="不是可读取的 .xlsx 工作簿"):
        load_layout(tmp_path / "text.xlsx")
    path = write_template(tmp_path / "none.xlsx", {"A1": "{{项目名称}}"})
    with pytest.raises(LayoutError, match="没有指标行"):
        load_layout(path)
    wb = openpyxl.load_workbook(write_template(tmp_path / "named.xlsx", MINIMAL))
    wb.active.title = "说明"
    wb.save(tmp_path / "named.xlsx")
    with pytest.raises(LayoutError, match="与附件工作簿的其他工作表重名"):
        load_layout(tmp_path / "named.xlsx")


# --- the command line --------------------------------------------------------------------------


def test_score_with_a_layout(tmp_path):
    done = CliRunner().invoke(app, ["score", str(SEED), "-o", str(tmp_path), "--layout", "xinzhou"])
    assert done.exit_code == 0, done.output          # written, though the seed has error-level findings
    written = next(tmp_path.glob("*.xlsx"))
    assert openpyxl.load_workbook(written)[ANNEX_SHEET]["C10"].value == "目标指标"


def test_score_with_a_bad_layout_is_one_line_and_exit_2(tmp_path):
    bad = write_template(tmp_path / "bad.xlsx", {**MINIMAL, "B2": "{{指标.得份}}"})
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["score", str(SEED), "-o", str(out), "--layout", str(bad)])
    assert done.exit_code == 2
    lines = [line for line in done.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("perfeval: 版式文件") and "自评表!B2" in lines[0]
    assert not out.exists()


# --- the worked example of docs/layouts.md -----------------------------------------------------------


def doc_block(marker: str) -> list[tuple[str, str]]:
    """(cell or range, content) lines of the fenced block after `<!-- example:MARKER -->`."""
    text = DOC.read_text(encoding="utf-8")
    block = re.search(rf"<!-- example:{marker} -->\s*```\n(.*?)```", text, re.S)
    assert block, f"docs/layouts.md has no {marker} block"
    return [tuple(line.split(None, 1)) for line in block.group(1).splitlines() if line.strip()]


def test_docs_worked_example(seed_result, tmp_path):
    cells, merged = {}, []
    for ref, value in doc_block("template"):
        cells[ref.split(":")[0]] = value
        if ":" in ref:
            merged.append(ref)
    path = write_template(tmp_path / "example.xlsx", cells, tuple(merged))
    formulas, values = annex(seed_result, tmp_path, str(path))
    ws, shown = formulas["自评表"], values["自评表"]
    expected = doc_block("result")
    assert len(expected) >= 10
    for ref, content in expected:
        first = ref.split(":")[0]
        if ":" in ref:
            assert ref in merges(ws), ref
        written, _, result = (part.strip() for part in content.partition("→"))
        actual = ws[first].value
        if isinstance(actual, (int, float)):
            assert actual == float(written), ref
        else:
            assert actual == written, ref
        if result:
            assert shown[first].value == float(result), ref
    assert ws["D4"].fill.fgColor.rgb.endswith("FCE4D6")       # the text says: D4 is shaded orange


def test_xinzhou_shades_the_weights_total_and_the_level_off(seed_result, tmp_path):
    ws = annex(seed_result, tmp_path, "xinzhou")[0][ANNEX_SHEET]
    red = {cell.coordinate for row in ws.iter_rows() for cell in row if (cell.fill.fgColor.rgb or "").endswith("FFC7CE")}
    assert (ws["D19"].value, ws["A18"].value) == ("=D11+SUM(D12:D18)", "满意度指标")
    assert red == {"F12", "F15", "A18", "D19"}
