"""The bureau's review: resubmissions and copies in a batch, the 抽评 sample, the 复核表 read back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from helpers import SAMPLES, clean_data
from perfeval_xl.batch import discover, run_batch
from perfeval_xl.cli import app
from perfeval_xl.review.duplicates import Print, find, row_set
from perfeval_xl.review.risk import Point
from perfeval_xl.review.sample import Candidate, draw
from perfeval_xl.writers.intake_form import write_intake

runner = CliRunner()


def project(name: str, department: str = "某县水利局", code: str | None = "XM-2023-001", **changes) -> dict:
    data = clean_data()
    data["project"].update({"项目名称": name, "主管部门": department, "项目编码": code})
    for row, target in changes.get("targets", {}).items():
        data["indicators"][row]["年度指标值"] = target
    if "goal" in changes:
        data["project"]["预期目标"] = changes["goal"]
    return data


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def rows(path: Path, sheet: str, header: int = 1) -> list[dict]:
    ws = openpyxl.load_workbook(path)[sheet]
    labels = [c.value for c in ws[header]]
    # The 合计 row under 汇总 and 按部门 is not a project.
    return [dict(zip(labels, row)) for row in ws.iter_rows(min_row=header + 1, values_only=True) if "合计" not in row[:2]]


def batch(folder: Path, out: Path, national) -> list[dict]:
    run_batch(discover([folder]).paths, national, out, workers=1)
    return records(out)


# --- resubmissions ---------------------------------------------------------------


def test_a_project_sent_three_times_counts_once_the_last_modified(tmp_path, national):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, when in (("a_初稿.xlsx", 1_700_000_000), ("b_终稿.xlsx", 1_800_000_000), ("c_修改稿.xlsx", 1_750_000_000)):
        write_intake(inbox / name, project("饮水工程"))
        os.utime(inbox / name, (when, when))
    got = batch(inbox, tmp_path / "out", national)
    kept = str(inbox / "b_终稿.xlsx")
    assert {Path(r["source"]["path"]).name: r.get("superseded_by") for r in got} == {
        "a_初稿.xlsx": kept, "b_终稿.xlsx": None, "c_修改稿.xlsx": kept}
    summary = tmp_path / "out/summary.xlsx"
    assert [Path(r["源文件"]).name for r in rows(summary, "汇总")] == ["b_终稿.xlsx"]
    (department,) = rows(summary, "按部门")
    assert (department["项目数"], department["全年预算数（万元）"]) == (1, 200)
    listed = [(Path(r["源文件"]).name, r["处理"], r["以此文件为准"]) for r in rows(summary, "重复提交")]
    assert listed == [("b_终稿.xlsx", "计入汇总", None), ("a_初稿.xlsx", "已被取代", kept), ("c_修改稿.xlsx", "已被取代", kept)]


def test_without_a_code_year_department_and_name_match_normalised_and_ties_go_by_path(tmp_path, national):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_intake(inbox / "x.xlsx", project("饮水工程", code=None))
    write_intake(inbox / "y.xlsx", project("饮水 工程", department="某县水利局　", code=None))   # spaces typed
    write_intake(inbox / "z.xlsx", project("饮水工程", department="某县水务局", code=None))      # another department
    for name in ("x.xlsx", "y.xlsx", "z.xlsx"):
        os.utime(inbox / name, (1_800_000_000, 1_800_000_000))
    got = {Path(r["source"]["path"]).name: r.get("superseded_by") for r in batch(inbox, tmp_path / "out", national)}
    assert got == {"x.xlsx": str(inbox / "y.xlsx"), "y.xlsx": None, "z.xlsx": None}


@pytest.mark.slow
def test_the_samples_count_the_road_project_once(tmp_path):
    """samples/ holds 农村公路养护工程 three times (one 项目编码): 按部门 counts it once, 520 not 1,560.

    The department also sent one Annex form of another project (农村公路安全生命防护工程, 400 budgeted,
    372 executed), so its row holds two projects: 520 + 400, not 3 × 520 + 400."""
    result = runner.invoke(app, ["batch", str(SAMPLES), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    departments = {r["主管部门"]: r for r in rows(tmp_path / "out/summary.xlsx", "按部门")}
    road = departments["某县交通运输局"]
    assert (road["项目数"], road["全年预算数（万元）"], road["全年执行数（万元）"]) == (2, 520 + 400, 500 + 372)
    listed = [r["处理"] for r in rows(tmp_path / "out/summary.xlsx", "重复提交") if r["项目名称"] == "农村公路养护工程"]
    assert sorted(listed) == ["已被取代", "已被取代", "计入汇总"]
    # The seed project is there twice too: as an intake workbook and as the Word report of the same project.
    seed = [r["处理"] for r in rows(tmp_path / "out/summary.xlsx", "重复提交") if r["项目名称"] == "安全生产和应急管理督查检查经费"]
    assert sorted(seed) == ["已被取代", "计入汇总"]


# --- copies across projects ------------------------------------------------------


def test_a_copied_indicator_table_is_flagged_both_ways_and_a_merely_similar_one_is_not(tmp_path, national):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_intake(inbox / "a.xlsx", project("饮水工程", code="A-1", goal="本单位自己写的目标一二三四五六七八九十。"))
    # Another department, another name, the same seven rows: a copied template.
    write_intake(inbox / "b.xlsx", project("供水改造", department="某县住建局", code="B-1",
                                           goal="另一单位的目标文字各不相同一二三四五六七八。"))
    # Four of seven targets changed: 3 rows shared of 11, similarity 0.27.
    write_intake(inbox / "c.xlsx", project("管网改造", department="某县城管局", code="C-1",
                                           goal="第三个单位的目标完全不同一二三四五六七八九。",
                                           targets={1: "≥100公里", 2: "≥90%", 3: "≤200天", 4: "≤150万元"}))
    got = {Path(r["source"]["path"]).name: r for r in batch(inbox, tmp_path / "out", national)}
    copied = {name: [p["message"] for p in r["problems"] if p["code"] == "copied-across-projects"]
              for name, r in got.items()}
    assert len(copied["a.xlsx"]) == len(copied["b.xlsx"]) == 1
    assert str(inbox / "b.xlsx") in copied["a.xlsx"][0] and "某县住建局" in copied["a.xlsx"][0]
    assert str(inbox / "a.xlsx") in copied["b.xlsx"][0] and "相似度 100%" in copied["b.xlsx"][0]
    assert copied["c.xlsx"] == []
    watch = {Path(r["源文件"]).name: r["原因"] for r in rows(tmp_path / "out/summary.xlsx", "关注清单")}
    assert "雷同 1 处" in watch["a.xlsx"] and "雷同 1 处" in watch["b.xlsx"] and "雷同" not in watch["c.xlsx"]


def _print(index: int, department: str, rows: list[tuple[str, str]], texts: str = "") -> Print:
    return Print(index, f"{index}.xlsx", 0.0, ("code", str(index)), department, f"p{index}",
                 row_set([{"name": n, "target": t} for n, t in rows]), texts)


def test_the_measure_is_jaccard_at_least_0_8_with_four_rows():
    base = [(f"指标{i}", f"≥{i}") for i in range(10)]
    one_changed = base[:9] + [("指标9", "≥99")]               # 9 / 11 = 0.82
    two_changed = base[:8] + [("指标8", "≥88"), ("指标9", "≥99")]   # 8 / 12 = 0.67
    small = base[:3]                                          # three rows: never compared
    found = find([_print(0, "甲", base), _print(1, "乙", one_changed), _print(2, "丙", two_changed),
                  _print(3, "丁", small), _print(4, "戊", small)])
    assert {i: [(c.other, round(c.similarity, 2)) for c in cs] for i, cs in found.copies.items()} == {
        0: [(1, 0.82)], 1: [(0, 0.82), (2, 0.82)], 2: [(1, 0.82)]}


def test_equal_goal_texts_are_copies_and_one_department_one_name_is_not(tmp_path):
    found = find([_print(0, "甲", [("x", "1")], texts="t"), _print(1, "乙", [("y", "2")], texts="t"),
                  _print(2, "丙", [("z", "3")], texts="")])
    assert {i: [(c.other, c.similarity) for c in cs] for i, cs in found.copies.items()} == {0: [(1, None)], 1: [(0, None)]}


# --- the sample -----------------------------------------------------------------


def _candidates(count: int = 30) -> list[Candidate]:
    pool = []
    for i in range(count):
        points = tuple(Point("执行率低", 2, "x") for _ in range(i % 4 == 0 and 1 + i // 8 or 0))
        record = {"source": {"path": f"p{i:02}.xlsx", "sheet": None}, "project": {"name": f"p{i}"}, "total_score": 90}
        pool.append(Candidate(record, points))
    return pool


def test_the_sample_is_the_same_for_a_seed_different_for_another_and_keeps_the_riskiest():
    pool = _candidates()
    first = [p.candidate.ident[0] for p in draw(pool, 10, seed=7)]
    again = [p.candidate.ident[0] for p in draw(list(reversed(pool)), 10, seed=7)]
    other = [p.candidate.ident[0] for p in draw(pool, 10, seed=8)]
    assert first == again
    assert first != other
    # risk 8, 8, 6, 6, 4, 4, 2 (and p04 at 2): the first 0.7 x 10 = 7 by risk, ties by path
    riskiest = ["p24.xlsx", "p28.xlsx", "p16.xlsx", "p20.xlsx", "p08.xlsx", "p12.xlsx", "p00.xlsx"]
    for picks in (first, other):
        assert picks[:7] == riskiest
        assert len(set(picks)) == 10
    risky = [p for p in draw(pool, 10, seed=7) if p.why.startswith("风险")]
    assert len(risky) == 7     # 0.7 of 10, all of risk > 0


# --- batch, sample, review ------------------------------------------------------


def run_cycle(tmp_path: Path, national) -> tuple[Path, Path, Path]:
    """batch two intakes into out/, then `sample -n 2 --seed 3` into sample/: (inbox, out, sample)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_intake(inbox / "a.xlsx", project("饮水工程", code="A-1", goal="甲单位的目标文字一二三四五六七八九十。"))
    low = project("道路养护", department="某县交通局", code="B-1", goal="乙单位的目标文字一二三四五六七八九十。",
                  targets={1: "≥1公里", 2: "≥10%", 3: "≤900天", 4: "≤2000万元", 5: "≥10%", 6: "有效提升", 7: "≥10%"})
    write_intake(inbox / "b.xlsx", low)
    out = tmp_path / "out"
    batch(inbox, out, national)
    sample = tmp_path / "sample"
    result = runner.invoke(app, ["sample", str(out), "-n", "2", "--seed", "3", "-o", str(sample)])
    assert result.exit_code == 0, result.output
    return inbox, out, sample


@pytest.fixture
def cycle(tmp_path, national):
    """A cycle of the test's own: the round trip changes an intake in its inbox."""
    return run_cycle(tmp_path, national)


@pytest.fixture(scope="module")
def read_cycle(tmp_path_factory):
    """One cycle for the tests that only read it; their `sample` reruns must leave it as it was, and they check that."""
    from perfeval_xl.profiles import load_profile

    return run_cycle(tmp_path_factory.mktemp("cycle"), load_profile("national"))


def test_the_review_workbook_round_trips_with_exactly_two_findings(cycle, tmp_path):
    inbox, out, sample = cycle
    form = sample / "复核表.xlsx"
    wb = openpyxl.load_workbook(form)
    ws = wb["复核表"]
    header = {c.value: c.column - 1 for c in ws[2]}
    lines = {(r[header["源文件"]].value, r[header["行"]].value): r for r in ws.iter_rows(min_row=3)}
    a, b = str(inbox / "a.xlsx"), str(inbox / "b.xlsx")
    lines[(a, "3")][header["复核得分"]].value = 12          # 15 -> 12
    lines[(a, "5")][header["复核得分"]].value = 11          # weight 10: out of range, finding
    lines[(a, "3")][header["复核意见"]].value = "台账不全"
    lines[(b, "3")][header["复核得分"]].value = 0           # b's source changes below: refused
    wb.save(tmp_path / "filled.xlsx")
    out_of_range = lines[(a, "5")][header["复核得分"]].coordinate
    data = project("道路养护", department="某县交通局", code="B-1")
    write_intake(inbox / "b.xlsx", data)

    result = runner.invoke(app, ["review", str(tmp_path / "filled.xlsx"), "--results", str(out), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    got = {Path(r["source"]["path"]).name: r for r in records(tmp_path / "r")}
    assert "review" not in got["b.xlsx"]
    review = got["a.xlsx"]["review"]
    computed = got["a.xlsx"]["total_score"]
    assert review["total"] == pytest.approx(computed - 3)
    assert review["lines_reviewed"] == 1
    assert review["lines"] == [{"row": 3, "name": "新建改造供水管网长度", "weight": 15.0, "computed": 15.0, "score": 12.0,
                                "difference": -3.0, "comment": "台账不全"}]
    findings = [(r["代码"], r["单元格"]) for r in rows(tmp_path / "r/复核结果.xlsx", "复核问题", header=2)]
    refused = lines[(b, "预算")][header["复核得分"]].coordinate      # the project's first line
    assert sorted(findings) == [("review-score-invalid", f"复核表!{out_of_range}"),
                                ("review-source-changed", f"复核表!{refused}")]
    cuts = rows(tmp_path / "r/复核结果.xlsx", "最大扣减", header=2)
    assert [(c["三级指标"], c["扣减"]) for c in cuts] == [("新建改造供水管网长度", 3)]

    # Byte-identical reruns.
    first = {name: (tmp_path / "r" / name).read_bytes() for name in ("复核结果.xlsx", "results.jsonl")}
    runner.invoke(app, ["review", str(tmp_path / "filled.xlsx"), "--results", str(out), "-o", str(tmp_path / "r")])
    assert {name: (tmp_path / "r" / name).read_bytes() for name in first} == first


def test_the_sample_files_are_byte_identical_on_a_rerun_and_name_the_sources(read_cycle):
    inbox, out, sample = read_cycle
    first = {name: (sample / name).read_bytes() for name in ("抽评清单.xlsx", "复核表.xlsx")}
    result = runner.invoke(app, ["sample", str(out), "-n", "2", "--seed", "3", "-o", str(sample)])
    assert result.exit_code == 0, result.output
    assert {name: (sample / name).read_bytes() for name in first} == first
    listed = rows(sample / "抽评清单.xlsx", "抽评清单", header=2)
    shas = {r["source"]["path"]: r["source"]["sha256"] for r in records(out)}
    assert {(r["源文件"], r["SHA-256"]) for r in listed} == set(shas.items())
    # b beats its targets by far on several indicators: risk points and why.
    (b,) = [r for r in listed if r["源文件"].endswith("b.xlsx")]
    assert "目标偏低" in b["风险点及原因"] and b["风险分"] >= 2
    ws = openpyxl.load_workbook(sample / "复核表.xlsx")["复核表"]
    assert ws.column_dimensions["N"].hidden       # SHA-256
    validations = {str(v.sqref): (v.type, v.formula1, v.formula2) for v in ws.data_validations.dataValidation}
    assert validations["J3"] == ("decimal", "0", "10.0")


def test_a_blank_line_accepts_the_computed_score_and_an_unknown_project_is_a_finding():
    from perfeval_xl.review.review_read import Filled, Form, apply

    record = {"source": {"path": "a.xlsx", "sheet": None, "sha256": "aa"}, "project": {"name": "p"},
              "budget": {"weight": 10.0, "score": 9.5}, "total_score": 89.5, "self_total": 90.0, "grade": "良",
              "indicators": [{"row": 3, "name": "x", "weight": 80.0, "score": 80.0}]}
    form = Form({("a.xlsx", "", "aa"): [Filled("预算", None, "", "J3"), Filled("3", "79.5", "", "J4")],
                 ("b.xlsx", "", "bb"): [Filled("预算", 1, "", "J5")]})
    reviews, problems = apply(form, [record], lambda path: "aa", lambda r: (lambda total: "良"))
    assert reviews[0]["total"] == 89.0 and reviews[0]["difference_to_self"] == -1.0
    assert [(p.code, p.cell) for p in problems] == [("review-project-unknown", "J5")]


def test_review_finds_relative_sources_from_another_folder(tmp_path, national, monkeypatch):
    """batch records `inbox/a.xlsx` as it was given; review, run elsewhere, finds it beside the results."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_intake(inbox / "a.xlsx", project("饮水工程", code="A-1", goal="甲单位的目标文字一二三四五六七八九十。"))
    monkeypatch.chdir(tmp_path)
    run_batch(discover([Path("inbox")]).paths, national, Path("out"), workers=1)
    assert records(tmp_path / "out")[0]["source"]["path"] == "inbox/a.xlsx"
    assert runner.invoke(app, ["sample", "out", "-n", "1", "--seed", "1", "-o", "sample"]).exit_code == 0
    wb = openpyxl.load_workbook(tmp_path / "sample/复核表.xlsx")
    ws = wb["复核表"]
    header = {c.value: c.column - 1 for c in ws[2]}
    (line,) = [r for r in ws.iter_rows(min_row=3) if r[header["行"]].value == "3"]
    line[header["复核得分"]].value = 12
    wb.save(tmp_path / "filled.xlsx")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(app, ["review", str(tmp_path / "filled.xlsx"), "--results", str(tmp_path / "out"),
                                 "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    (reviewed,) = records(tmp_path / "r")
    assert reviewed["review"]["lines_reviewed"] == 1
    assert rows(tmp_path / "r/复核结果.xlsx", "复核问题", header=2) == []


def test_sample_writes_under_the_folders_lock_all_or_nothing(read_cycle):
    from perfeval_xl.batch.outputs import OutputLock

    _inbox, out, sample = read_cycle
    before = {name: (sample / name).read_bytes() for name in ("抽评清单.xlsx", "复核表.xlsx")}
    lock = OutputLock(sample)
    lock.acquire()          # another run is writing into the folder
    try:
        result = runner.invoke(app, ["sample", str(out), "-n", "1", "--seed", "9", "-o", str(sample)])
    finally:
        lock.release()
    assert result.exit_code == 2, result.output
    assert {name: (sample / name).read_bytes() for name in before} == before      # nothing half written
    assert not [p for p in sample.iterdir() if p.name.startswith(".perfeval-run-")]
