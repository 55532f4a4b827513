"""`perfeval batch`: a bureau's inbox in, one record per spreadsheet, the summary workbook out."""

from __future__ import annotations

import json
import os
import shutil
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from helpers import add_legacy_and_broken, clean_data, kill_workers_on
from perfeval_xl import batch
from perfeval_xl.batch import discover, output_paths, pool, run_batch
from perfeval_xl.batch.outputs import MANIFEST_NAME, STAGING_PREFIX, AnnexNames
from perfeval_xl.batch.pool import _Stage
from perfeval_xl.errors import Interrupted
from perfeval_xl.cli import app
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.writers.record import to_record
from perfeval_xl.writers.intake_form import write_intake

runner = CliRunner()

GOOD = ["部门乙/seed.ods", "部门乙/seed.xls", "部门甲/good1.xlsx", "部门甲/good2.xlsx"]   # in path order
BROKEN = {"部门乙/broken.xlsx": "file-unreadable", "部门乙/empty.xlsx": "file-unreadable",
          "部门乙/wrong.xlsx": "form-not-recognised", "部门乙/说明.docx": "file-unreadable"}
SKIPPED = ["部门乙/~$good1.xlsx", "部门乙/报告.pdf", "部门甲/.hidden.xlsx", ".隐藏/x.xlsx"]


def project(name: str, department: str = "部门甲", annual=200, executed=190) -> dict:
    data = clean_data()
    data["project"]["项目名称"] = name
    data["project"]["主管部门"] = department
    data["project"]["项目编码"] = f"XM-2023-{name}"    # one code per project: the same code is a resubmission
    data["budget"]["年度资金总额"] = [annual, annual, annual, executed]
    return data


def make_inbox(under: Path) -> Path:
    """Good, legacy-format, broken, lock and non-spreadsheet files, as a real inbox has them."""
    root = under / "inbox"
    for folder in ("部门甲", "部门乙", ".隐藏"):
        (root / folder).mkdir(parents=True)
    write_intake(root / "部门甲/good1.xlsx", project("饮水工程"))
    write_intake(root / "部门甲/good2.xlsx", project("道路养护", annual=100, executed=50))
    add_legacy_and_broken(root / "部门乙")
    # seed.ods and seed.xls are one project sent twice: the .xls, modified last, counts.
    os.utime(root / "部门乙/seed.ods", (1_900_000_000, 1_900_000_000))
    os.utime(root / "部门乙/seed.xls", (2_000_000_000, 2_000_000_000))
    shutil.copy(root / "部门甲/good1.xlsx", root / "部门乙/~$good1.xlsx")
    (root / "部门乙/报告.pdf").write_bytes(b"%PDF-1.4")
    (root / "部门乙/说明.docx").write_bytes(b"PK\x03\x04")
    shutil.copy(root / "部门甲/good1.xlsx", root / "部门甲/.hidden.xlsx")
    shutil.copy(root / "部门甲/good1.xlsx", root / ".隐藏/x.xlsx")
    return root


@pytest.fixture
def inbox(tmp_path) -> Path:
    """An inbox of the test's own, for the tests that change it."""
    return make_inbox(tmp_path)


@pytest.fixture(scope="module")
def shared_inbox(tmp_path_factory) -> Path:
    """The same inbox, built once, for the tests that only read it (their outputs go elsewhere)."""
    return make_inbox(tmp_path_factory.mktemp("shared"))


@pytest.fixture(scope="module")
def first_run(shared_inbox, tmp_path_factory):
    """`perfeval batch shared_inbox -o out --workers 2`, run once: (out, the CLI's result).

    The tests that look at one run's outputs share it; none writes into `out`."""
    out = tmp_path_factory.mktemp("first") / "out"
    return out, invoke(str(shared_inbox), "-o", str(out), "--workers", "2")


def invoke(*args: str):
    return runner.invoke(app, ["batch", *args])


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def relative(record: dict, root: Path) -> str:
    return Path(record["source"]["path"]).relative_to(root).as_posix()


def sheet_rows(path: Path, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(path)[sheet]
    header = [c.value for c in ws[1]]
    # 汇总 and 按部门 end with a 合计 row: not a project, not a department.
    return [dict(zip(header, row)) for row in ws.iter_rows(min_row=2, values_only=True) if row[0] != "合计"]


def test_discover_takes_spreadsheets_only(shared_inbox):
    inbox = shared_inbox
    found = discover([inbox])
    assert [Path(path).relative_to(inbox).as_posix() for path in found.paths] == sorted(GOOD + list(BROKEN), key=lambda p: p.split("/"))
    assert found.unreadable == []


def test_discover_skips_our_outputs_and_counts_a_file_once(inbox):
    out = inbox / "输出"
    (out / "annex").mkdir(parents=True)
    shutil.copy(inbox / "部门甲/good1.xlsx", out / "annex/old.xlsx")
    shutil.copy(inbox / "部门甲/good1.xlsx", out / "summary.xlsx")
    found = discover([inbox, inbox / "部门甲", inbox / "部门甲/good1.xlsx"], exclude=output_paths(out))
    shown = [Path(path).relative_to(inbox).as_posix() for path in found.paths]
    assert len(shown) == len(set(shown)) == len(GOOD) + len(BROKEN)


def test_a_folder_gives_one_record_per_spreadsheet(shared_inbox, first_run):
    inbox, (out, result) = shared_inbox, first_run
    assert result.exit_code == 0, result.output
    got = records(out)
    assert [relative(r, inbox) for r in got] == sorted(GOOD + list(BROKEN), key=lambda p: p.split("/"))
    errors = {relative(r, inbox): r["error"]["code"] for r in got if "error" in r}
    assert errors == BROKEN
    scored = [r for r in got if "error" not in r]
    assert all(r["schema"] == "perfeval-result/1" and r["total_score"] is not None for r in scored)

    summary = out / "summary.xlsx"
    assert openpyxl.load_workbook(summary).sheetnames == ["汇总", "按部门", "等级分布", "关注清单", "问题清单", "处理失败", "重复提交"]
    rows = sheet_rows(summary, "汇总")
    # seed.ods is superseded by seed.xls (the same project, modified later): counted once.
    assert [Path(r["源文件"]).relative_to(inbox).as_posix() for r in rows] == GOOD[1:]
    assert [r["序号"] for r in rows] == [1, 2, 3]
    assert [r["项目名称"] for r in rows[1:]] == ["饮水工程", "道路养护"]
    superseded = {relative(r, inbox): Path(r["superseded_by"]).relative_to(inbox).as_posix()
                  for r in got if "superseded_by" in r}
    assert superseded == {"部门乙/seed.ods": "部门乙/seed.xls"}
    copies = [(Path(r["源文件"]).relative_to(inbox).as_posix(), r["处理"]) for r in sheet_rows(summary, "重复提交")]
    assert copies == [("部门乙/seed.xls", "计入汇总"), ("部门乙/seed.ods", "已被取代")]
    failed = {Path(r["源文件"]).relative_to(inbox).as_posix(): r["代码"] for r in sheet_rows(summary, "处理失败")}
    assert failed == BROKEN
    findings = sheet_rows(summary, "问题清单")
    assert sum(len(r["problems"]) for r in got) == len(findings)

    annexes = sorted(p.name for p in (out / "annex").glob("*.xlsx"))
    assert len(annexes) == 4
    # seed.ods and seed.xls are the same project: the second in path order gets " (2)".
    assert "2021_忻州市应急管理局_安全生产和应急管理督查检查经费_绩效自评表.xlsx" in annexes
    assert "2021_忻州市应急管理局_安全生产和应急管理督查检查经费_绩效自评表 (2).xlsx" in annexes
    assert not list(out.glob(STAGING_PREFIX + "*"))
    assert "8 个文件：评分 4 个项目，失败 4 个文件" in result.stdout and str(out) in result.stdout
    assert "wrong.xlsx" in result.stderr


def test_per_department_figures_match_a_hand_computation(first_run):
    out, _ = first_run
    sums = defaultdict(lambda: {"n": 0, "annual": 0.0, "executed": 0.0, "score": 0.0, "weighted": 0.0})
    for record in records(out):
        if "error" in record or "superseded_by" in record:
            continue
        tally = sums[record["project"]["department"]]
        tally["n"] += 1
        tally["annual"] += record["budget"]["annual"]
        tally["executed"] += record["budget"]["executed"]
        tally["score"] += record["total_score"]
        tally["weighted"] += record["total_score"] * record["budget"]["annual"]
    rows = {r["主管部门"]: r for r in sheet_rows(out / "summary.xlsx", "按部门")}
    assert set(rows) == set(sums) == {"部门甲", "忻州市应急管理局"}
    for name, tally in sums.items():
        row = rows[name]
        assert row["项目数"] == tally["n"]
        assert row["全年预算数（万元）"] == pytest.approx(tally["annual"])
        assert row["执行率"] == pytest.approx(tally["executed"] / tally["annual"])   # Σ执行/Σ预算
        assert row["平均得分"] == pytest.approx(tally["score"] / tally["n"])
        assert row["预算加权平均得分"] == pytest.approx(tally["weighted"] / tally["annual"])
    assert rows["部门甲"]["执行率"] == pytest.approx(240 / 300)
    grades = openpyxl.load_workbook(out / "summary.xlsx")["等级分布"]
    assert len(grades._charts) == 3


def test_a_killed_worker_costs_one_file(shared_inbox, tmp_path, monkeypatch):
    inbox = shared_inbox
    kill_workers_on(monkeypatch, "good2.xlsx")
    out = tmp_path / "out"
    result = invoke(str(inbox), "-o", str(out), "--workers", "2")
    assert result.exit_code == 0, result.output
    errors = {relative(r, inbox): r["error"]["code"] for r in records(out) if "error" in r}
    assert errors == {**BROKEN, "部门甲/good2.xlsx": "worker-crashed"}
    assert len(records(out)) == len(GOOD) + len(BROKEN)
    assert len(sheet_rows(out / "summary.xlsx", "汇总")) == len(GOOD) - 2    # good2 lost, seed.ods superseded
    assert len(list((out / "annex").glob("*.xlsx"))) == len(GOOD) - 1


def test_a_killed_worker_inside_a_chunk_costs_one_file(tmp_path, monkeypatch):
    folder = tmp_path / "many"
    folder.mkdir()
    write_intake(folder / "p00.xlsx", project("项目"))
    for number in range(1, 12):
        shutil.copy(folder / "p00.xlsx", folder / f"p{number:02}.xlsx")
    kill_workers_on(monkeypatch, "p05.xlsx")
    # Chunks of 4, so that the dead worker takes three innocent files down with it.
    monkeypatch.setattr(pool, "plan", lambda workers, files: [_Stage(2, 4, 3), _Stage(2, 1, 2), _Stage(1, 1, 1)])
    from perfeval_xl.profiles import load_profile

    report = run_batch(discover([folder]).paths, load_profile("national"), tmp_path / "out", workers=2)
    got = records(tmp_path / "out")
    assert [Path(r["source"]["path"]).name for r in got] == [f"p{n:02}.xlsx" for n in range(12)]
    assert [Path(r["source"]["path"]).name for r in got if "error" in r] == ["p05.xlsx"]
    assert got[5]["error"]["code"] == "worker-crashed" and "工作进程意外退出" in got[5]["error"]["message"]
    assert (report.scored, report.failed, report.exit_code) == (11, 1, 1)
    names = {p.name for p in (tmp_path / "out/annex").glob("*.xlsx")}
    assert names == {"2023_部门甲_项目_绩效自评表.xlsx"} | {f"2023_部门甲_项目_绩效自评表 ({n}).xlsx" for n in range(2, 12)}


def test_an_exception_while_scoring_is_a_record_not_a_crash(tmp_path, monkeypatch, national, build):
    path = build()

    def boom(*args, **kwargs):
        raise RuntimeError("读取器的缺陷")

    monkeypatch.setattr(pool, "evaluate_path", boom)
    monkeypatch.setattr(pool, "_WORKER", {"profile": national, "staging": tmp_path, "layout": None})
    outcome = pool._score_one(0, str(path))
    record = json.loads(outcome.record)
    assert record["error"]["code"] == "worker-crashed"
    assert "RuntimeError: 读取器的缺陷" in record["error"]["message"]
    assert outcome.entry.failure == "worker-crashed" and outcome.annex is None and outcome.has_errors


def test_two_runs_are_byte_identical(shared_inbox, first_run, tmp_path):
    (first, _), second = first_run, tmp_path / "two"
    invoke(str(shared_inbox), "-o", str(second), "--workers", "2")
    for name in ("summary.xlsx", "results.jsonl"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    annexes = sorted(p.name for p in (first / "annex").iterdir())
    assert annexes == sorted(p.name for p in (second / "annex").iterdir())
    for name in annexes:
        assert (first / "annex" / name).read_bytes() == (second / "annex" / name).read_bytes(), name


def test_source_date_epoch_reaches_every_output(shared_inbox, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    out = tmp_path / "out"
    invoke(str(shared_inbox), "-o", str(out), "--workers", "2")
    assert openpyxl.load_workbook(out / "summary.xlsx").properties.created.year == 2023
    annex = next((out / "annex").glob("*.xlsx"))
    assert openpyxl.load_workbook(annex).properties.created.year == 2023


def test_a_second_run_replaces_the_outputs_cleanly(inbox, first_run, tmp_path):
    out = tmp_path / "out"
    # The first run's outputs, as a run over an inbox like this one leaves them: the second run
    # reads nothing of them but the Annex list, which names Annexes only.
    shutil.copytree(first_run[0], out, symlinks=True)
    mine = out / "annex" / "我的备注.xlsx"
    mine.write_bytes(b"not ours")
    before = {p.name for p in (out / "annex").glob("*.xlsx")}
    (inbox / "部门甲/good2.xlsx").unlink()
    result = invoke(str(inbox), "-o", str(out), "--workers", "2")
    assert result.exit_code == 0
    after = {p.name for p in (out / "annex").glob("*.xlsx")}
    assert before - after == {"2023_部门甲_道路养护_绩效自评表.xlsx"}
    assert mine.read_bytes() == b"not ours"
    assert set((out / "annex" / MANIFEST_NAME).read_text(encoding="utf-8").splitlines()) == after - {mine.name}
    assert len(records(out)) == len(GOOD) + len(BROKEN) - 1
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_an_interrupted_run_leaves_the_previous_outputs(inbox, first_run, tmp_path, national):
    out = tmp_path / "out"
    shutil.copytree(first_run[0], out, symlinks=True)     # the previous outputs, as a run over an inbox like this one left them
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    write_intake(inbox / "部门甲/good3.xlsx", project("新项目"))

    def interrupt(done, failed):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as stopped:
        run_batch(discover([inbox]).paths, national, out, workers=2, progress=interrupt)
    assert (stopped.value.done, stopped.value.total) == (2, len(GOOD) + len(BROKEN) + 1)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not list(out.glob(STAGING_PREFIX + "*"))


def test_an_interrupt_is_reported_with_status_130(shared_inbox, tmp_path, monkeypatch):
    inbox = shared_inbox
    def interrupted(*args, **kwargs):
        raise Interrupted(3, 7)

    monkeypatch.setattr(batch, "run_batch", interrupted)
    result = invoke(str(inbox), "-o", str(tmp_path / "out"))
    assert result.exit_code == 130
    assert "已中断：3/7" in result.stderr and "保持原样" in result.stderr


def test_department_text_that_looks_like_a_formula_stays_text(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    name = '=HYPERLINK("http://example.com","点我")'
    data = project(name, department="+财政局")
    data["project"]["实施单位"] = "@单位"
    data["project"]["项目编码"] = "-1+2"
    write_intake(folder / "a.xlsx", data)
    out = tmp_path / "out"
    assert invoke(str(folder), "-o", str(out), "--workers", "1").exit_code == 0
    (record,) = records(out)
    assert record["project"] == {"year": 2023, "name": name, "code": "-1+2", "department": "+财政局", "unit": "@单位"}
    ws = openpyxl.load_workbook(out / "summary.xlsx")["汇总"]
    for cell, value in (("C2", "+财政局"), ("D2", "@单位"), ("E2", "-1+2"), ("F2", name)):
        assert (ws[cell].value, ws[cell].data_type) == (value, "s")
    by_department = openpyxl.load_workbook(out / "summary.xlsx")["按部门"]
    assert (by_department["A2"].value, by_department["A2"].data_type) == ("+财政局", "s")
    (annex,) = (out / "annex").glob("*.xlsx")
    sheet = openpyxl.load_workbook(annex)["项目支出绩效自评表"]
    assert (sheet["B4"].value, sheet["B4"].data_type) == (name, "s")      # row 1 is the 附件1 label
    assert (sheet["B5"].value, sheet["B5"].data_type) == ("+财政局", "s")


def test_a_record_is_the_library_record(shared_inbox, first_run, national):
    inbox, (out, _) = shared_inbox, first_run
    path = inbox / "部门甲/good1.xlsx"
    (record,) = [r for r in records(out) if r["source"]["path"] == str(path)]
    # good1 and good2 share one indicator table under two names: the batch adds that warning, nothing else.
    copies = [p for p in record["problems"] if p["code"] == "copied-across-projects"]
    record["problems"] = [p for p in record["problems"] if p["code"] != "copied-across-projects"]
    assert len(copies) == 1 and str(inbox / "部门甲/good2.xlsx") in copies[0]["message"]
    assert record == to_record(evaluate_file(path, national, display_path=str(path)))


def test_annex_names_are_unique_in_order():
    names = AnnexNames()
    assert [names.claim(n) for n in ("a_表.xlsx", "A_表.xlsx", "a_表.xlsx", "b.xlsx")] == [
        "a_表.xlsx", "A_表 (2).xlsx", "a_表 (3).xlsx", "b.xlsx"]


def test_usage_errors_exit_2(shared_inbox, tmp_path):
    inbox = shared_inbox
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "报告.pdf").write_bytes(b"%PDF")
    result = invoke(str(empty), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "没有表格文件" in result.stderr
    assert invoke(str(tmp_path / "nowhere"), "-o", str(tmp_path / "out")).exit_code == 2
    assert invoke(str(inbox), "--profile", "nowhere").exit_code == 2
    out = tmp_path / "out2"
    (out / "annex").mkdir(parents=True)
    shutil.copy(inbox / "部门甲/good1.xlsx", out / "annex/in.xlsx")
    refused = invoke(str(out / "annex/in.xlsx"), "-o", str(out))
    assert refused.exit_code == 2 and "输出位置" in refused.stderr
    assert (out / "annex/in.xlsx").exists()


def test_clean_inbox_exits_0_and_names_a_file_given_directly(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_intake(folder / "a.xlsx", project("甲"))
    write_intake(folder / "b.xlsx", project("乙"))
    out = tmp_path / "out"
    result = invoke(str(folder / "b.xlsx"), str(folder), "-o", str(out), "--workers", "1")
    assert result.exit_code == 0, result.output
    assert [Path(r["source"]["path"]).name for r in records(out)] == ["a.xlsx", "b.xlsx"]


def test_batch_is_in_the_help():
    result = runner.invoke(app, ["--help"])
    assert "batch" in result.stdout


def test_layout_reaches_every_annex(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_intake(folder / "a.xlsx", project("甲"))
    out = tmp_path / "out"
    assert invoke(str(folder), "-o", str(out), "--workers", "1", "--layout", "xinzhou").exit_code == 0
    (annex,) = (out / "annex").glob("*.xlsx")
    about = {row[0]: row[1] for row in openpyxl.load_workbook(annex)["说明"].iter_rows(values_only=True)}
    assert about["版式"].startswith("xinzhou")
    assert invoke(str(folder), "-o", str(out), "--layout", "nowhere").exit_code == 2


def test_a_worker_that_dies_while_more_work_is_being_sent_costs_no_file(tmp_path, monkeypatch):
    """The pool can break between two waits, while the next chunk is submitted: the submit
    raises, the chunks in flight are the suspects, and the unsent chunk goes to the new pool."""
    import os
    import signal
    import time
    from concurrent.futures import ProcessPoolExecutor

    folder = tmp_path / "many"
    folder.mkdir()
    write_intake(folder / "p00.xlsx", project("项目"))
    for number in range(1, 8):
        shutil.copy(folder / "p00.xlsx", folder / f"p{number:02}.xlsx")
    monkeypatch.setattr(pool, "plan", lambda workers, files: [_Stage(2, 2, 3), _Stage(2, 1, 2), _Stage(1, 1, 1)])
    from perfeval_xl import processes

    made = processes.executor
    killed = []

    class Breaking(ProcessPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            if not killed and len(getattr(self, "_pending_work_items", {})) >= 2:
                # A worker dies now, before this chunk is sent: wait until the pool knows it.
                process = next(iter(self._processes.values()))
                os.kill(process.pid, signal.SIGKILL)
                killed.append(process.pid)
                deadline = time.monotonic() + 30
                while not self._broken and time.monotonic() < deadline:
                    time.sleep(0.01)
            return super().submit(fn, *args, **kwargs)

    def breaking_pool(*args):
        executor = made(*args)
        executor.__class__ = Breaking
        return executor

    monkeypatch.setattr(processes, "executor", breaking_pool)
    from perfeval_xl.profiles import load_profile

    report = run_batch(discover([folder]).paths, load_profile("national"), tmp_path / "out", workers=2)
    assert killed
    got = records(tmp_path / "out")
    assert [Path(r["source"]["path"]).name for r in got] == [f"p{n:02}.xlsx" for n in range(8)]
    # Innocent files of the dead worker are run again alone and scored; so is the unsent chunk.
    assert (report.scored, report.failed) == (8, 0)
