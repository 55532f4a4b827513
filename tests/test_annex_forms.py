"""Annex 1 forms in the layouts departments send: every block found, every value at its cell, scores to the cent."""

from __future__ import annotations

import copy
import io
import json
import shutil
from decimal import Decimal as D

import openpyxl
import pytest
from typer.testing import CliRunner

from helpers import SAMPLES, annex_samples
from helpers.lo_batch import convert
from perfeval_xl.cli import app
from perfeval_xl.evaluate import evaluate_file, evaluate_path
from perfeval_xl.writers.annex import write_annex
from perfeval_xl.writers.record import to_record

A = annex_samples()
runner = CliRunner()
ANNEX_SAMPLES = SAMPLES / "附件表单"


def found(result) -> list[tuple[str, str, str | None, str | None]]:
    return [(p.code, p.severity.value, p.sheet, p.cell) for p in result.problems]


def scores(result) -> list[str]:
    return [str(item.score) for item in result.indicators]


# --- the national 附件1 ------------------------------------------------------------


def test_national_form_every_block_at_its_cell(tmp_path, national):
    result = evaluate_file(A.national_form(tmp_path / "公路.xlsx", [A.ROADS]), national)
    assert result.source_form == "annex" and result.source_sheet == "项目支出绩效自评表"
    project = result.intake.project
    assert (project.year, project.name, project.department, project.unit) == (
        2023, "农村公路安全生命防护工程", "某县交通运输局", "某县农村公路养护中心")
    assert project.cells["项目名称"] == "B4" and project.cells["主管部门"] == "B5" and project.cells["实施单位"] == "G5"
    assert project.cells["评价年度"] == "A3"
    assert project.goal.startswith("完成全县320公里") and project.cells["预期目标"] == "B12"
    assert project.achieved.startswith("全年养护农村公路326公里") and project.cells["实际完成情况"] == "F12"
    lines = result.intake.budget.lines
    assert lines["年度资金总额"].cells == {"年初预算数": "C7", "全年预算数": "D7", "全年执行数": "E7"}
    assert lines["上年结转资金"].amounts == {"年初预算数": None, "全年预算数": D(20), "全年执行数": D(20)}
    assert result.intake.budget_row.weight == D(10) and result.intake.budget_row.cells["weight"] == "F7"
    assert result.budget.self_score == D("9.3") and result.budget.score == D("9.30") and result.budget.rate == D("0.93")
    # 指标3 and the …… row are template residue; 指标1：/指标2： prefixes go; (50分) is not in the name.
    rows = result.indicators
    assert [item.indicator.row for item in rows] == [14, 15, 17, 18, 19, 21, 22, 23]
    assert [item.indicator.name for item in rows[:2]] == ["养护农村公路里程", "修复路面坑槽面积"]
    assert {item.indicator.level1 for item in rows[:5]} == {"产出指标"}
    assert rows[1].indicator.cells["actual"] == "E15" and rows[1].indicator.cells["weight"] == "F15"
    assert rows[1].indicator.cells["self_score"] == "G15" and rows[1].indicator.cells["reason"] == "H15"
    assert scores(result) == ["15.00", "9.50", "10.00", "5.00", "10.00", "15.00", "14.63", "10.00"]
    assert result.total_score == D("98.43") and result.grade == "优"
    assert result.intake.total_rows[0].weight == D(100) and result.intake.total_rows[0].self_score == D("98.3")
    sheet = "项目支出绩效自评表"
    assert found(result) == [("total-mismatch", "warning", sheet, "G24"), ("self-score-low", "info", sheet, "G22")]


def test_an_empty_label_never_takes_the_next_label_as_its_value(tmp_path, national):
    form = dict(A.ROADS, department="")
    result = evaluate_file(A.national_form(tmp_path / "公路.xlsx", [form]), national)
    assert result.intake.project.department == "" and result.intake.project.unit == "某县农村公路养护中心"
    assert ("required-missing", "error", "项目支出绩效自评表", "B5") in found(result)


def test_written_rate_far_from_the_figures_is_a_warning(tmp_path, national):
    form = copy.deepcopy(A.ROADS)
    form["funds"]["total"][4] = "98%"          # 372 / 400 is 93 %
    result = evaluate_file(A.national_form(tmp_path / "公路.xlsx", [form]), national)
    assert ("rate-mismatch", "warning", "项目支出绩效自评表", "G7") in found(result)
    assert result.budget.score == D("9.30")
    form["funds"]["total"][4] = 0.934          # within half a point
    result = evaluate_file(A.national_form(tmp_path / "公路2.xlsx", [form]), national)
    assert "rate-mismatch" not in {p.code for p in result.problems}


def test_a_staff_list_is_no_form(tmp_path, national):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "在职人员名单"
    for row in (["序号", "姓名", "性别", "职务", "联系电话"], [1, "张伟", "男", "科长", "13800000001"],
                [2, "李娜", "女", "科员", "13800000002"]):
        ws.append(row)
    path = tmp_path / "人员名单.xlsx"
    wb.save(path)
    (result,) = evaluate_path(path, national)
    assert result.failure.code == "form-not-recognised" and result.source_form is None
    assert "项目信息" in result.failure.message and "三级指标" in result.failure.message
    record = to_record(result)
    assert record["error"]["code"] == "form-not-recognised" and record["source"]["form"] is None
    checked = runner.invoke(app, ["check", str(path)])
    assert checked.exit_code == 1
    lines = [line for line in checked.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and "人员名单.xlsx" in lines[0] and "Traceback" not in checked.output


def test_a_staff_list_in_a_batch_is_one_error_record(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(ANNEX_SAMPLES / "某县交通运输局" / "2023_农村公路安全生命防护工程_附件1.xlsx", inbox / "a.xlsx")
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "部门", "岗位"])
    wb.save(inbox / "b.xlsx")
    done = runner.invoke(app, ["batch", str(inbox), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.output
    records = [json.loads(line) for line in (tmp_path / "out/results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r.get("error", {}).get("code") for r in records] == [None, "form-not-recognised"]
    assert records[0]["source"]["form"] == "annex" and records[0]["total_score"] == 98.43


# --- split target, amounts in 元, a grade beside the total ---------------------------


def test_split_target_in_yuan(tmp_path, national):
    result = evaluate_file(A.split_target_form(tmp_path / "防火.xlsx"), national)
    sheet = "自评表"
    assert result.budget.annual == D(125) and result.budget.executed == D("118.75") and result.budget.initial == D(120)
    assert result.intake.budget.lines["上年结转资金"].amounts["全年预算数"] == D(5)
    first = result.intake.indicators[0]
    assert (first.nature, first.target, first.unit) == ("≥", "3600", "人次")
    assert first.cells["nature"] == "D14" and first.cells["target"] == "E14" and first.cells["unit"] == "F14"
    assert first.cells["actual"] == "G14" and first.cells["weight"] == "H14" and first.cells["self_score"] == "I14"
    assert scores(result) == ["20.00", "10.00", "10.00", "8.57", "15.00", "15.00", "10.00"]
    assert result.total_score == D("98.07") and result.grade == "优"
    assert result.intake.printed_grade == ("优", sheet, "J21")
    assert found(result) == [("amounts-in-yuan", "info", sheet, "A5")]


def test_a_printed_grade_that_differs_is_noted(tmp_path, national):
    form = dict(A.FOREST, grade="良")
    result = evaluate_file(A.split_target_form(tmp_path / "防火.xlsx", form), national)
    assert found(result) == [("amounts-in-yuan", "info", "自评表", "A5"), ("grade-mismatch", "info", "自评表", "J21")]
    assert "良" in result.problems[-1].message and "优" in result.problems[-1].message


# --- 分值 before the target, no 年初预算数, no 实施单位, ★ (.xls) ----------------------------


def test_weight_before_target_form_as_xls(national):
    result = evaluate_file(ANNEX_SAMPLES / "池州市贵池区棠溪镇" / "2023_农村人居环境整治提升项目.xls", national)
    sheet = "绩效自评表"
    project = result.intake.project
    assert project.year == 2023 and project.cells["评价年度"] == "A2"
    assert project.department == "219-池州市贵池区棠溪镇人民政府" and project.unit == ""
    first = result.intake.indicators[0]
    assert first.name == "农村改厕数量"                    # ★ removed
    assert first.cells["weight"] == "D13" and first.cells["target"] == "E13" and first.cells["actual"] == "F13"
    assert result.budget.initial == 0 and result.budget.annual == D(86) and result.budget.executed == D("81.7")
    assert scores(result) == ["15.00", "10.00", "10.00", "5.00", "10.00", "15.00", "14.00", "10.00"]
    assert result.total_score == D("98.50")
    # dashes and slashes in the funds block are blanks, not not-a-number
    assert found(result) == [("required-missing", "warning", sheet, None)]


# --- no 全年预算数 (.ods) -----------------------------------------------------------------


def test_initial_budget_only_form_as_ods(national):
    result = evaluate_file(ANNEX_SAMPLES / "某市文化和旅游局" / "2023_公共文化服务体系建设.ods", national)
    sheet = "项目支出绩效自评表"
    assert result.intake.project.code == "37020023T000012345"
    assert result.budget.annual == D(150) and result.budget.rate == D("0.92") and result.budget.score == D("9.20")
    assert found(result) == [("annual-budget-missing", "warning", sheet, "C4")]
    assert result.total_score == D("97.98")


# --- the budget worth 20 points in the labels, with and without a 分值 column -------------


def test_budget_points_in_labels(tmp_path, national):
    result = evaluate_file(A.budget_points_form(tmp_path / "救助.xlsx"), national)
    assert result.budget.weight == D(20) and result.budget.score == D("19.80") and result.budget.self_score == D("19.8")
    assert list(result.intake.budget.lines) == ["年度资金总额"]
    assert result.intake.budget.lines["年度资金总额"].cells["全年预算数"] == "C6"
    assert result.total_score == D("99.68")
    assert found(result) == [("level1-weights", "warning", "自评表", None)]


def test_no_weight_column_is_one_error_and_no_weight_findings(tmp_path, national):
    result = evaluate_file(A.budget_points_form(tmp_path / "救助.xlsx", weights=False), national)
    assert found(result) == [("weight-column-missing", "error", "自评表", "A9")]
    assert len(result.indicators) == 7 and all(item.weight == 0 and item.score == 0 for item in result.indicators)
    assert result.budget.score == D("19.80") and result.total_score == D("19.80")


# --- two projects in one workbook -------------------------------------------------------


def test_two_project_sheets_are_two_results(national):
    path = ANNEX_SAMPLES / "某县住房和城乡建设局" / "2023_住建局项目自评表（两个项目）.xlsx"
    first, second = evaluate_path(path, national)
    assert (first.source_sheet, first.total_score) == ("老旧小区改造", D("98.06"))
    assert (second.source_sheet, second.total_score) == ("城市道路照明维护", D("99.58"))
    assert found(second) == [("budget-cut-to-spend", "warning", "城市道路照明维护", "D7")]
    assert to_record(second)["source"] == {"path": str(path), "sha256": second.source_sha256, "form": "annex",
                                          "sheet": "城市道路照明维护"}
    assert evaluate_file(path, national).source_sheet == "老旧小区改造"


def test_two_projects_give_two_records_rows_and_annexes(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(ANNEX_SAMPLES / "某县住房和城乡建设局" / "2023_住建局项目自评表（两个项目）.xlsx", inbox / "住建.xlsx")
    done = runner.invoke(app, ["batch", str(inbox), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert done.exit_code == 0, done.output
    records = [json.loads(line) for line in (tmp_path / "out/results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["source"]["sheet"], r["total_score"]) for r in records] == [("老旧小区改造", 98.06), ("城市道路照明维护", 99.58)]
    assert sorted(p.name for p in (tmp_path / "out/annex").glob("*.xlsx")) == [
        "2023_某县住房和城乡建设局_城市道路照明设施维护_绩效自评表.xlsx", "2023_某县住房和城乡建设局_城镇老旧小区改造项目_绩效自评表.xlsx"]
    summary = openpyxl.load_workbook(tmp_path / "out/summary.xlsx")["汇总"]
    names = [row[5] for row in summary.iter_rows(min_row=2, values_only=True) if row[5] and row[0] != "合计"]
    assert names == ["城镇老旧小区改造项目", "城市道路照明设施维护"]


def test_score_writes_one_annex_per_project(tmp_path):
    path = ANNEX_SAMPLES / "某县住房和城乡建设局" / "2023_住建局项目自评表（两个项目）.xlsx"
    done = runner.invoke(app, ["score", str(path), "-o", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert len(list(tmp_path.glob("*.xlsx"))) == 2
    assert "城镇老旧小区改造项目：核算总分 98.06（优）" in done.stdout and "城市道路照明设施维护：核算总分 99.58（优）" in done.stdout


# --- the Word report in the seed's shape ------------------------------------------------


def test_seed_report_as_docx_scores_like_its_intake(tmp_path, national):
    result = evaluate_file(A.seed_report(tmp_path / "报告.docx"), national)
    assert result.source_form == "annex" and result.source_sheet == "表6"
    assert result.total_score == D("98.00") and result.grade == "优"
    project = result.intake.project
    assert (project.year, project.name, project.department, project.unit) == (
        2021, "安全生产和应急管理督查检查经费", "忻州市应急管理局", "忻州市应急管理局")
    assert project.goal.startswith("应急安全项目实施过程") and project.achieved.startswith("2021年市财政局")
    # the transposed 预算执行情况 table: stages as rows, 财政资金 over 小计 | 中央级 | … | 县区级
    lines = result.intake.budget.lines
    assert lines["年度资金总额"].cells["全年预算数"] == "C4" and lines["当年财政拨款"].cells["全年执行数"] == "D6"
    assert lines["市级"].amounts["全年执行数"] == D("98.65") and lines["中央级"].amounts["全年执行数"] is None
    assert result.budget.rate == 1 and result.budget.weight == D(10)
    unit = [(p.code, p.sheet, p.cell) for p in result.problems if p.code == "unit-mismatch"]
    assert unit == [("unit-mismatch", "表6", "F3"), ("unit-mismatch", "表6", "F6")]
    unverified = {item.indicator.row: item.indicator.actual_text for item in result.indicators if not item.verified}
    assert unverified[3] == "100%" and unverified[6] == "98.65%"
    assert sorted({p.code for p in result.problems if p.severity.value == "error"}) == ["unit-mismatch", "weights-sum"]
    assert to_record(result)["source"]["sheet"] == "表6"


def test_docm_encrypted_docx_and_doc(tmp_path, national):
    from msoffcrypto.format.ooxml import OOXMLFile

    import zipfile

    plain = A.seed_report(tmp_path / "报告.docx")
    macro = tmp_path / "报告.docm"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(macro, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml")
                data = data.replace(b"application/vnd.openxmlformats-officedocument.ms-word", b"application/vnd.ms-word")
            target.writestr(info, data)
        target.writestr("word/vbaProject.bin", b"\0" * 64)
    assert b"macroEnabled" in zipfile.ZipFile(macro).read("[Content_Types].xml")
    result = evaluate_file(macro, national)
    assert result.total_score == D("98.00")
    assert ("macros-ignored", "info", None, None) in found(result)
    encrypted = io.BytesIO()
    with open(plain, "rb") as handle:
        OOXMLFile(handle).encrypt("secret", encrypted)
    (tmp_path / "加密.docx").write_bytes(encrypted.getvalue())
    assert evaluate_file(tmp_path / "加密.docx", national).failure.code == "file-encrypted"
    (tmp_path / "旧版.doc").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600)
    legacy = evaluate_file(tmp_path / "旧版.doc", national)
    assert legacy.failure.code == "file-unreadable" and ".docx" in legacy.failure.message


def test_a_word_document_without_a_form(tmp_path, national):
    import docx

    document = docx.Document()
    document.add_paragraph("关于召开2023年度绩效自评工作会议的通知")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "参会单位"
    table.cell(0, 1).text = "人数"
    document.save(tmp_path / "通知.docx")
    result = evaluate_file(tmp_path / "通知.docx", national)
    assert result.failure.code == "form-not-recognised"


# --- round trip: perfeval's own Annex output reads back with the same scores -------------


INTAKE_SAMPLES = sorted(
    path for path in SAMPLES.rglob("*")
    if path.suffix in (".xlsx", ".xls", ".ods") and "附件表单" not in path.parts and not path.name.startswith("~$")
    and path.name != "损坏的文件.xlsx"
)


@pytest.mark.parametrize("layout", ["national", "xinzhou"])
@pytest.mark.parametrize("sample", INTAKE_SAMPLES, ids=lambda path: path.name)
def test_own_annex_reads_back_with_the_same_scores(sample, layout, tmp_path, national):
    scored = evaluate_file(sample, national)
    annex = write_annex(scored, tmp_path, layout=layout)
    (back,) = evaluate_path(annex, national)
    assert back.source_form == "annex"
    assert back.total_score == scored.total_score and back.grade == scored.grade
    assert back.budget.score == scored.budget.score and back.budget.weight == scored.budget.weight
    assert scores(back) == scores(scored)
    assert [item.indicator.name for item in back.indicators] == [item.indicator.name for item in scored.indicators]


# --- .xls and .ods copies read like the .xlsx --------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_libreoffice_copies_read_like_the_xlsx(suffix, tmp_path, national):
    original = A.national_form(tmp_path / "公路.xlsx", [A.ROADS, A.OLD_ESTATES])
    expected = [to_record(result) for result in evaluate_path(original, national)]
    # What A.convert does (LibreOffice's own settings, the .xlsx removed), with this process's warm profile.
    copy = A.national_form(tmp_path / "copy" / "公路.xlsx", [A.ROADS, A.OLD_ESTATES])
    (converted,) = convert([copy], {"xls": "xls:MS Excel 97", "ods": "ods"}[suffix], copy.parent, recalc=False)
    copy.unlink()
    assert converted == copy.with_suffix("." + suffix)
    got = [to_record(result) for result in evaluate_path(converted, national)]
    for record in expected + got:
        record.pop("source")
    assert got == expected
