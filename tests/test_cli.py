"""The `perfeval` command, in process with typer's CliRunner and as a real process."""

from __future__ import annotations

import json
import subprocess
import sys

import openpyxl

from helpers import SEED, clean_data
from helpers.console_runner import CliRunner
from perfeval_xl.cli import app

runner = CliRunner()


def test_score_seed_from_the_command_line(tmp_path):
    result = runner.invoke(app, ["score", str(SEED), "-o", str(tmp_path), "--json"])
    assert result.exit_code == 0                      # the Annex was written (findings are its content)
    record = json.loads(result.stdout)
    assert record["schema"] == "perfeval-result/1"
    assert (record["total_score"], record["grade"]) == (98.0, "优")
    assert record["budget"] == {"initial": 98.65, "annual": 98.65, "received": 98.65, "executed": 98.65,
                                "rate": 1.0, "weight": 10.0, "score": 10.0}
    unverified = [(i["row"], i["target"], i["actual"], i["score"]) for i in record["indicators"] if not i["verified"]]
    # the targets as the seed writes them (full-width ＜＝), not normalised
    assert unverified == [(3, "＜＝730次", "100%", 12.5), (6, "＜＝130万元", "100%", 12.5)]
    codes = [(p["code"], p["severity"], p["cell"]) for p in record["problems"]]
    assert codes == [("weights-sum", "error", None), ("unit-mismatch", "error", "F3"),
                     ("unit-mismatch", "error", "F6"), ("level1-weights", "warning", None)]
    assert record["problems"][1]["message"] == (
        "实际完成值“100%”的单位与年度指标值“＜＝730次”不一致，无法核算；已按自评得分 12.5 计入")
    written = list(tmp_path.glob("*.xlsx"))
    assert len(written) == 1 and openpyxl.load_workbook(written[0]).sheetnames[0] == "项目支出绩效自评表"


def test_score_clean_exits_zero(tmp_path, build):
    result = runner.invoke(app, ["score", str(build()), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "核算总分 99.50（优）" in result.stdout


def test_score_with_local_profile(tmp_path, build):
    data = clean_data()
    data["indicators"][6]["达成情况"] = "部分达成"
    data["indicators"][6]["自评得分"] = None
    result = runner.invoke(app, ["score", str(build(data)), "-o", str(tmp_path), "--json", "--profile", "local"])
    record = json.loads(result.stdout)
    assert record["profile"] == "local"
    assert record["indicators"][5]["score"] == 7.5          # 15 × 0.5
    assert record["grade"] == "优秀"


def test_profile_from_a_file(tmp_path, build):
    from perfeval_xl.profiles import BUILTIN_DIR

    text = (BUILTIN_DIR / "national.toml").read_text(encoding="utf-8").replace('label = "优"', 'label = "A"')
    custom = tmp_path / "bureau.toml"
    custom.write_text(text.replace('name = "national"', 'name = "bureau"'), encoding="utf-8")
    result = runner.invoke(app, ["score", str(build()), "-o", str(tmp_path), "--json", "--profile", str(custom)])
    assert json.loads(result.stdout)["grade"] == "A"


def test_unknown_profile_is_a_usage_error(build):
    result = runner.invoke(app, ["check", str(build()), "--profile", "nowhere"])
    assert result.exit_code == 2
    assert "找不到评分规则" in result.stderr


def test_check_prints_findings_and_verdict():
    result = runner.invoke(app, ["check", str(SEED)])
    assert result.exit_code == 1
    assert "绩效指标!F3" in result.stdout and "unit-mismatch" in result.stdout
    assert "错误 3，警告 1" in result.stdout


def test_check_json_equals_library(build):
    from perfeval_xl.evaluate import evaluate_file
    from perfeval_xl.profiles import load_profile
    from perfeval_xl.writers.record import to_record

    path = build()
    result = runner.invoke(app, ["check", str(path), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == to_record(evaluate_file(path, load_profile("national")))


def test_check_several_files(tmp_path, build):
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"not a workbook")
    result = runner.invoke(app, ["check", str(build()), str(bad)])
    assert result.exit_code == 1
    assert "坏.xlsx" in result.stdout and "file-unreadable" in result.stdout


def test_damaged_file_gives_one_line_and_exit_1(tmp_path):
    bad = tmp_path / "damaged.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    done = subprocess.run([sys.executable, "-m", "perfeval_xl", "score", str(bad), "-o", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "damaged.xlsx" in lines[0] and "file-unreadable" in lines[0]
    assert not list(tmp_path.glob("*绩效自评表*"))


def test_missing_sheet_names_the_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "项目信息"
    path = tmp_path / "partial.xlsx"
    wb.save(path)
    result = runner.invoke(app, ["score", str(path), "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "partial.xlsx: " in result.stderr
    assert "[预算执行] 缺少工作表“预算执行”" in result.stderr and "[绩效指标] 缺少工作表“绩效指标”" in result.stderr


def test_missing_input_is_exit_2_not_traceback(tmp_path):
    result = runner.invoke(app, ["score", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 2
    assert "nope.xlsx" in result.stderr


def test_template_written_and_not_overwritten(tmp_path):
    target = tmp_path / "blank.xlsx"
    assert runner.invoke(app, ["template", "-o", str(target)]).exit_code == 0
    wb = openpyxl.load_workbook(target)
    assert {"项目信息", "预算执行", "绩效指标", "填报说明"} <= set(wb.sheetnames)
    before = target.read_bytes()
    again = runner.invoke(app, ["template", "-o", str(target)])
    assert again.exit_code == 2 and target.read_bytes() == before


def test_blank_template_checks_as_incomplete(tmp_path):
    target = tmp_path / "blank.xlsx"
    runner.invoke(app, ["template", "-o", str(target)])
    result = runner.invoke(app, ["check", str(target), "--json"])
    codes = {p["code"] for p in json.loads(result.stdout)["problems"]}
    assert result.exit_code == 1
    # the template as shipped is not a project: one file-level finding, not a list of blanks
    assert codes == {"intake-empty"}


def test_module_entry_point_and_help():
    done = subprocess.run([sys.executable, "-m", "perfeval_xl", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for command in ("template", "check", "score"):
        assert command in done.stdout


def test_missing_header_is_one_line_naming_the_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "项目信息"
    wb.create_sheet("预算执行")["A1"] = "资金来源"
    wb.create_sheet("绩效指标")["A1"] = "随便写的标题"
    path = tmp_path / "noheader.xlsx"
    wb.save(path)
    result = runner.invoke(app, ["score", str(path), "-o", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "noheader.xlsx" in lines[0]
    assert "[预算执行] " in lines[0] and "[绩效指标] " in lines[0] and "header-missing" in lines[0]


def test_unwritable_output_is_one_line_not_a_traceback(tmp_path, build):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    scored = runner.invoke(app, ["score", str(build()), "-o", str(blocker / "sub")])
    assert scored.exit_code == 1 and "无法写出" in scored.stderr
    assert isinstance(scored.exception, SystemExit), scored.exception    # an exit, not an escaped exception
    written = runner.invoke(app, ["template", "-o", str(blocker / "t.xlsx")])
    assert written.exit_code == 1 and "无法写出" in written.stderr


def test_markup_in_department_text_is_printed_as_text(build, tmp_path):
    data = clean_data()
    data["indicators"][1]["实际完成值"] = "[/]完成了[bold]"
    result = runner.invoke(app, ["check", str(build(data))])
    assert result.exit_code == 1
    assert "[/]完成了[bold]" in result.stdout


def test_a_bug_on_one_file_is_that_files_failure(tmp_path, build, monkeypatch):
    import perfeval_xl.evaluate as evaluate

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(evaluate, "score_project", broken)
    result = runner.invoke(app, ["check", str(build())])
    assert result.exit_code == 1
    assert "worker-crashed" in result.stdout and "ZeroDivisionError" in result.stdout
