"""The summary workbook, written from plain Entries and read back with openpyxl."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from decimal import Decimal as D

import openpyxl
import pytest

from helpers import SEED, clean_data
from perfeval_xl.display import width as display_width
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.writers.summary import (
    DEPARTMENT_COLUMNS,
    SHEETS,
    SUMMARY_COLUMNS,
    Entry,
    Finding,
    ProjectLine,
    SummaryWriter,
    entry_of,
    watch_reasons,
)


def line(department: str, name: str, annual, executed, total, *, grade=None, self_total=None, unverified=0,
         errors=0, rate=...) -> ProjectLine:
    annual, executed, total = D(str(annual)), D(str(executed)), D(str(total))
    return ProjectLine(
        year=2023, department=department, unit=department + "下属单位", code=None, name=name,
        annual=annual, executed=executed, rate=(executed / annual if annual else None) if rate is ... else rate,
        budget_score=D(10), output=D(40), benefit=D(30), satisfaction=total - D(80),
        total=total, self_total=D(str(self_total)) if self_total is not None else total,
        grade=grade or ("优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"),
        unverified=D(str(unverified)), errors=errors, warnings=0,
    )


ENTRIES = [
    # department 甲: two projects; department 乙: one; one file that failed.
    Entry("in/甲/a.xlsx", line("甲局", "项目A", 200, 190, 95.5)),
    Entry("in/甲/b.xlsx", line("甲局", "项目B", 100, 50, 72.25, unverified=12.5, errors=1),
          (Finding("错误", "unit-mismatch", "绩效指标", "F3", "单位不一致"),)),
    Entry("in/乙/c.xlsx", line("乙局", "项目C", 300, 297, 88, self_total=93)),
    Entry("in/乙/bad.xlsx", None, (Finding("错误", "file-unreadable", "", "", "无法读取文件：坏了"),), "file-unreadable"),
]


@pytest.fixture
def summary(tmp_path, national):
    path = tmp_path / "summary.xlsx"
    writer = SummaryWriter(path, national, tmpdir=tmp_path)
    for entry in ENTRIES:
        writer.add(entry)
    writer.close()
    return path


def rows(ws) -> list[tuple]:
    """The data rows, without the 合计 row that 汇总 and 按部门 end with."""
    return [tuple(row) for row in ws.iter_rows(min_row=2, values_only=True) if row[0] != "合计"]


def test_sheets_headers_freeze_and_filters(summary):
    wb = openpyxl.load_workbook(summary)
    assert tuple(wb.sheetnames) == SHEETS == ("汇总", "按部门", "等级分布", "关注清单", "问题清单", "处理失败", "重复提交")
    assert tuple(c.value for c in wb["汇总"][1]) == SUMMARY_COLUMNS
    for name in SHEETS:
        assert wb[name].freeze_panes == "A2"
    assert wb["汇总"].auto_filter.ref == "A1:U4"
    assert wb["问题清单"].auto_filter.ref == "A1:I3"
    assert wb["汇总"].print_title_rows == "$1:$1"


def test_summary_rows_and_number_formats(summary):
    ws = openpyxl.load_workbook(summary)["汇总"]
    values = rows(ws)
    assert [(r[0], r[2], r[5], r[6], r[7], r[13], r[16], r[20]) for r in values] == [
        (1, "甲局", "项目A", 200, 190, 95.5, "优", "in/甲/a.xlsx"),
        (2, "甲局", "项目B", 100, 50, 72.25, "中", "in/甲/b.xlsx"),
        (3, "乙局", "项目C", 300, 297, 88, "良", "in/乙/c.xlsx"),
    ]
    assert values[0][8] == pytest.approx(0.95)
    assert values[2][15] == 5                                   # 差异 = 自评 − 核算
    formats = {ws.cell(1, col + 1).value: ws.cell(2, col + 1).number_format for col in range(len(SUMMARY_COLUMNS))}
    assert formats["全年预算数（万元）"] == formats["全年执行数（万元）"] == "#,##0.00"
    assert formats["预算执行率"] == "0.00%"
    assert formats["核算总分"] == formats["未核实分值"] == "0.00"


def test_department_figures_match_a_hand_computation(summary):
    ws = openpyxl.load_workbook(summary)["按部门"]
    header = tuple(c.value for c in ws[1])
    assert header == DEPARTMENT_COLUMNS + ("优", "良", "中", "差")
    by_name = {r[0]: dict(zip(header, r)) for r in rows(ws)}
    jia = by_name["甲局"]
    assert (jia["项目数"], jia["全年预算数（万元）"], jia["全年执行数（万元）"]) == (2, 300, 240)
    assert jia["执行率"] == pytest.approx(240 / 300)            # Σ执行/Σ预算, not the mean of 0.95 and 0.5
    assert jia["平均得分"] == pytest.approx((95.5 + 72.25) / 2)
    assert jia["预算加权平均得分"] == pytest.approx((95.5 * 200 + 72.25 * 100) / 300)
    assert (jia["优"], jia["良"], jia["中"], jia["差"]) == (1, 0, 1, 0)
    assert by_name["乙局"]["执行率"] == pytest.approx(0.99)
    assert list(by_name) == ["乙局", "甲局"]                       # by name, in code-point order


def test_grade_distribution_and_charts(summary):
    wb = openpyxl.load_workbook(summary)
    ws = wb["等级分布"]
    table = {r[0]: r[1:] for r in ws.iter_rows(min_row=2, max_row=6, values_only=True)}
    assert table["优"][:2] == (1, pytest.approx(1 / 3))
    assert table["优"][2:] == (200, pytest.approx(200 / 600))
    assert table["良"][0] == 1 and table["中"][0] == 1 and table["差"][0] == 0
    assert table["合计"] == (3, 1, 600, 1)
    charts = ws._charts
    assert len(charts) == 3
    kinds = sorted(type(chart).__name__ for chart in charts)
    assert kinds == ["BarChart", "BarChart", "ScatterChart"]      # openpyxl reads column charts as BarChart
    with zipfile.ZipFile(summary) as package:
        xml = "".join(package.read(name).decode() for name in package.namelist() if name.startswith("xl/charts/chart"))
    for title in ("各等级项目数", "各部门平均得分", "预算执行率与核算总分"):
        assert title in xml
    assert "按部门!$F$2:$F$3" in xml and "汇总!$I$2:$I$4" in xml and "汇总!$N$2:$N$4" in xml


def test_watch_list_gives_reasons(summary):
    ws = openpyxl.load_workbook(summary)["关注清单"]
    listed = {r[2]: r[9] for r in rows(ws)}
    assert set(listed) == {"项目B", "项目C"}
    assert listed["项目B"] == "核算总分低于80分；预算执行率低于90%；未核实分值 12.50 分；错误 1 项"
    assert listed["项目C"] == "自评总分高于核算总分 5.00 分"


@pytest.mark.parametrize("changes, expected", [
    # what differs from a clean project, the reasons
    ({}, []),
    ({"total": D("79.99"), "self_total": D("79.99")}, ["核算总分低于80分"]),
    ({"rate": D("0.8999")}, ["预算执行率低于90%"]),
    ({"rate": None}, ["无法计算预算执行率"]),
    ({"self_total": D("95.1")}, []),                     # within the profile's tolerance of 0.1
    ({"self_total": D("95.11")}, ["自评总分高于核算总分 0.11 分"]),
    ({"self_total": D("90")}, []),                        # below computed is not a reason
    ({"unverified": D("0.01")}, ["未核实分值 0.01 分"]),
    ({"errors": 2}, ["错误 2 项"]),
])
def test_watch_reasons(changes, expected):
    from dataclasses import replace

    clean = replace(line("甲局", "项目", 100, 100, 95), rate=D(1))
    assert watch_reasons(replace(clean, **changes), D("0.1")) == expected


def test_findings_and_failures(summary):
    wb = openpyxl.load_workbook(summary)
    assert rows(wb["问题清单"]) == [
        (1, "in/甲/b.xlsx", "甲局", "项目B", "错误", "unit-mismatch", "绩效指标", "F3", "单位不一致"),
        (2, "in/乙/bad.xlsx", None, None, "错误", "file-unreadable", None, None, "无法读取文件：坏了"),
    ]
    assert rows(wb["处理失败"]) == [(1, "in/乙/bad.xlsx", "file-unreadable", "无法读取文件：坏了")]


def test_column_widths_fit_chinese_text(summary):
    ws = openpyxl.load_workbook(summary)["汇总"]
    width = {}
    for dim in ws.column_dimensions.values():     # openpyxl keeps one entry per run of equal columns
        for col in range(dim.min, dim.max + 1):
            width[ws.cell(1, col).value] = dim.width
    assert width["实施单位"] >= display_width("甲局下属单位") + 2
    assert width["预算执行率"] >= display_width("预算执行率")
    assert display_width("甲局") == 4 and display_width("ab") == 2


def test_department_text_stays_text(tmp_path, national):
    name = '=HYPERLINK("http://example.com","点我")'
    entry = Entry("in/x.xlsx", line("+局", name, 10, 10, 99, errors=1),
                  (Finding("错误", "weights-sum", "绩效指标", "", "@提示"),))
    path = tmp_path / "summary.xlsx"
    writer = SummaryWriter(path, national)
    writer.add(entry)
    writer.close()
    wb = openpyxl.load_workbook(path)
    for sheet, cell in (("汇总", "F2"), ("关注清单", "C2"), ("问题清单", "D2")):
        assert (wb[sheet][cell].value, wb[sheet][cell].data_type) == (name, "s")
    assert (wb["汇总"]["C2"].value, wb["汇总"]["C2"].data_type) == ("+局", "s")
    assert wb["问题清单"]["I2"].value == "@提示"
    # The only formulas are our own, on the 合计 rows.
    formulas = [(ws.title, ws.cell(cell.row, 1).value, cell.value) for ws in wb for row in ws.iter_rows() for cell in row
                if cell.data_type == "f"]
    assert formulas and all(label == "合计" for _title, label, _f in formulas)
    assert all(f.startswith(("=SUM(", "=IF(", "=AVERAGE(", "=IFERROR(")) for _t, _l, f in formulas)


def test_entry_of_a_scored_project(build, national):
    data = clean_data()
    result = evaluate_file(build(data), national)
    entry = entry_of(result)
    project = entry.project
    assert entry.failure is None and entry.source == result.source_path
    assert (project.department, project.name, project.code) == ("某县水利局", "农村饮水安全巩固提升工程", "XM-2023-001")
    assert (project.annual, project.executed, project.grade) == (D(200), D(190), "优")
    assert project.budget_score + project.output + project.benefit + project.satisfaction == project.total == D("99.5")
    assert (project.output, project.benefit, project.satisfaction) == (D(50), D(30), D(10))


def test_entry_of_seed_counts_findings_and_unverified_points(national):
    entry = entry_of(evaluate_file(SEED, national))
    assert (entry.project.errors, entry.project.warnings) == (3, 1)
    assert entry.project.unverified == D(25)
    assert [f.code for f in entry.findings] == ["weights-sum", "unit-mismatch", "unit-mismatch", "level1-weights"]


def test_entry_of_a_failure(tmp_path, national):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    entry = entry_of(evaluate_file(bad, national))
    assert entry.project is None and entry.failure == "file-unreadable"
    assert entry.reason.startswith("无法读取文件")


def test_cost_level_counts_with_output(build, national):
    data = clean_data()
    data["indicators"][4].update({"一级指标": "成本指标", "二级指标": "经济成本指标"})
    project = entry_of(evaluate_file(build(data), national)).project
    assert project.budget_score + project.output + project.benefit + project.satisfaction == project.total


def test_no_scored_project_still_gives_every_sheet(tmp_path, national):
    path = tmp_path / "summary.xlsx"
    writer = SummaryWriter(path, national)
    writer.add(ENTRIES[-1])
    writer.close()
    wb = openpyxl.load_workbook(path)
    assert tuple(wb.sheetnames) == SHEETS
    assert rows(wb["汇总"]) == [] and len(rows(wb["处理失败"])) == 1
    assert wb["等级分布"]._charts == []


def test_deterministic(tmp_path, national, monkeypatch):
    def write(name):
        path = tmp_path / name
        writer = SummaryWriter(path, national, tmpdir=tmp_path)
        for entry in ENTRIES:
            writer.add(entry)
        writer.close()
        return path.read_bytes()

    assert write("a.xlsx") == write("b.xlsx")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    stamped = write("c.xlsx")
    assert stamped == write("d.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "c.xlsx")
    assert wb.properties.created.year == 2023


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")
def test_libreoffice_opens_the_summary_and_draws_the_charts(tmp_path, summary):
    from helpers.lo_batch import convert

    (pdf,) = convert([summary], "pdf", tmp_path / "pdf", recalc=False)     # LibreOffice's own settings
    assert pdf == tmp_path / "pdf" / "summary.pdf"
    assert pdf.stat().st_size > 0
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        for expected in ("项目A", "各等级项目数", "预算执行率与核算总分", "file-unreadable"):
            assert expected in text


def test_total_rows_are_live_formulas_carrying_their_values(summary):
    formulas = openpyxl.load_workbook(summary)["汇总"]
    values = openpyxl.load_workbook(summary, data_only=True)["汇总"]
    assert [formulas.cell(5, col).value for col in (1, 6, 7, 8, 9)] == [
        "合计", "共 3 个项目；得分各列为平均值", "=SUM(G2:G4)", "=SUM(H2:H4)", '=IF(G5=0,"",H5/G5)']
    assert [formulas.cell(5, col).value for col in (14, 15, 16, 18, 19)] == [
        "=AVERAGE(N2:N4)", '=IFERROR(AVERAGE(O2:O4),"")', '=IFERROR(AVERAGE(P2:P4),"")', "=SUM(R2:R4)", "=SUM(S2:S4)"]
    got = [values.cell(5, col).value for col in range(7, 21)]
    assert got == pytest.approx([600, 537, 0.895, 10, 40, 30, 5.25, 85.25, (95.5 + 72.25 + 93) / 3, 5 / 3, None, 12.5, 1, 0])
    assert formulas.auto_filter.ref == "A1:U4"                 # sorting never moves the 合计 row
    assert formulas["P1"].value == "差异（自评−核算）" and formulas["G1"].value == "全年预算数（万元）"
    assert formulas["U1"].value == "源文件"                      # last


def test_department_total_weights_its_means(summary):
    formulas = openpyxl.load_workbook(summary)["按部门"]
    values = openpyxl.load_workbook(summary, data_only=True)["按部门"]
    assert [c.value for c in formulas[4]][:7] == [
        "合计", "=SUM(B2:B3)", "=SUM(C2:C3)", "=SUM(D2:D3)", '=IF(C4=0,"",D4/C4)',
        '=IF(B4=0,"",SUMPRODUCT(B2:B3,F2:F3)/B4)', '=IF(C4=0,"",SUMPRODUCT(C2:C3,G2:G3)/C4)']
    # The mean over all three projects, and the budget-weighted mean over all 600 万元: not means of means.
    assert [c.value for c in values[4]] == pytest.approx(
        ["合计", 3, 600, 537, 0.895, (95.5 + 72.25 + 88) / 3, (95.5 * 200 + 72.25 * 100 + 88 * 300) / 600, 1, 1, 1, 0])
