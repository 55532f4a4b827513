"""Numbers finite everywhere: a ratio with a denominator near 0 is a blank figure and a
finding, never Infinity in JSON or a crash of the summary."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal as D

import openpyxl
import pytest
from typer.testing import CliRunner

from helpers import clean_data
from perfeval_xl.batch import discover, run_batch
from perfeval_xl.cli import app
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.writers.record import to_json, to_record
from perfeval_xl.writers.summary import SummaryWriter, entry_of, finite

runner = CliRunner()


def strict_json(text: str):
    def refuse(name):
        raise AssertionError(f"{name} in JSON")
    return json.loads(text, parse_constant=refuse)


def tiny_budget(annual: float, executed: float = 1e10, department: str = "某县水利局", name: str = "项目") -> dict:
    data = clean_data()
    data["project"]["主管部门"] = department
    data["project"]["项目名称"] = name
    data["project"]["项目编码"] = f"XM-{name}"      # each its own project, not a resubmission
    data["budget"]["年度资金总额"] = [annual, annual, annual, executed]
    return data


def tiny_target() -> dict:
    data = clean_data()
    data["indicators"][1]["年度指标值"] = "≥0." + "0" * 400 + "1公里"
    data["project"]["项目编码"] = "XM-tiny-target"
    return data


@pytest.mark.parametrize("annual", [1e-20, 1e-320])       # tiny, and subnormal
def test_an_execution_rate_past_any_figure_is_blank_with_a_finding(evaluate, annual):
    result = evaluate(tiny_budget(annual))
    assert result.budget.rate is None
    found = [(p.code, p.sheet, p.cell) for p in result.problems if p.code == "ratio-out-of-range"]
    assert found == [("ratio-out-of-range", "预算执行", "C2")]
    assert result.budget.score == D("10.00")         # the score stands: min(1, rate) × 10
    record = strict_json(to_json(result))
    assert record["budget"]["rate"] is None


def test_a_completion_past_any_figure_is_blank_with_a_finding(evaluate):
    result = evaluate(tiny_target())
    item = result.indicators[0]      # the first row after the budget line
    assert item.completion is None and item.score == D("15.00")
    assert [(p.code, p.cell) for p in result.problems] == [("ratio-out-of-range", "E3")]
    assert strict_json(to_json(result))["indicators"][0]["completion"] is None


def test_check_json_is_valid_and_score_writes_the_annex(build, tmp_path):
    path = build(tiny_target())
    done = runner.invoke(app, ["check", "--json", str(path)])
    assert done.exit_code == 0, done.output
    assert strict_json(done.output)["indicators"][0]["completion"] is None
    done = runner.invoke(app, ["score", str(path), "-o", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    assert "Traceback" not in done.output
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == 1


def test_the_record_writer_refuses_what_is_not_finite(evaluate):
    result = evaluate()
    broken = dataclasses.replace(result, budget=dataclasses.replace(result.budget, rate=D("Infinity")),
                                 total_score=D("NaN"))
    record = to_record(broken)
    assert record["budget"]["rate"] is None and record["total_score"] is None
    strict_json(to_json(broken))


def test_finite_turns_every_unshowable_figure_into_a_blank():
    assert finite(D("1e400")) is None
    assert finite(float("inf")) is None and finite(float("nan")) is None
    assert finite(D("Infinity")) is None
    assert finite(D("12.5")) == 12.5


def test_the_summary_of_a_department_with_subnormal_budgets_is_written(build, national, tmp_path):
    entries = [entry_of(evaluate_file(build(tiny_budget(1e-320, name=f"项目{i}")), national)) for i in range(2)]
    path = tmp_path / "summary.xlsx"
    writer = SummaryWriter(path, national)
    for entry in entries:
        writer.add(entry)
    writer.close()
    ws = openpyxl.load_workbook(path)["按部门"]
    header = [cell.value for cell in ws[1]]
    row = [cell.value for cell in ws[2]]
    assert row[header.index("项目数")] == 2
    assert row[header.index("执行率")] is None           # Σ1e10 / Σ1e-320: no figure


@pytest.mark.slow
def test_a_batch_with_such_projects_writes_everyone_s_outputs(build, national, tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    build(tiny_budget(1e-320, name="甲"), name="in/a.xlsx")
    build(tiny_budget(1e-320, name="乙"), name="in/b.xlsx")
    build(tiny_target(), name="in/c.xlsx")
    build(name="in/d.xlsx")
    report = run_batch(discover([inbox]).paths, national, tmp_path / "out", workers=1)
    assert (report.scored, report.failed) == (4, 0)
    lines = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    records = [strict_json(line) for line in lines]
    assert [r["budget"]["rate"] for r in records] == [None, None, 0.95, 0.95]
    assert len(list((tmp_path / "out" / "annex").glob("*.xlsx"))) == 4     # c and d: the same name, the second with (2)
    wb = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")
    assert wb["汇总"].max_row == 6      # the header, four projects and the 合计 row
