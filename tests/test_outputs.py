"""The output folder is ours alone while we write: a lock, no symbolic link followed, a commit
that is all or nothing, stale staging removed, SIGTERM as Ctrl-C, a bad disk in one line."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import shutil

import pytest
from typer.testing import CliRunner

from helpers import ROOT, clean_data, hang_workers_on
from perfeval_xl.batch import discover, run_batch
from perfeval_xl.batch.outputs import LOCK_NAME, MANIFEST_NAME, STAGING_PREFIX
from perfeval_xl.batch.pool import READING_PREFIX
from perfeval_xl.cli import app
from perfeval_xl.errors import OutputError
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.profiles import load_profile
from perfeval_xl.writers import summary as summary_module
from perfeval_xl.writers.intake_form import write_intake
from perfeval_xl.writers.record import to_json

runner = CliRunner()
ANNEX_OF = "2023_某县水利局_{}_绩效自评表.xlsx"


def _project(name: str) -> dict:
    data = clean_data()
    data["project"]["项目名称"] = name
    return data


def _inbox(tmp_path: Path, names: list[str], folder: str = "in") -> Path:
    inbox = tmp_path / folder
    inbox.mkdir()
    for name in names:
        write_intake(inbox / f"{name}.xlsx", _project(name))
    return inbox


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (links as their target text), to compare before and after."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[key] = b"-> " + os.fsencode(os.readlink(path))
        elif path.is_file():
            found[key] = path.read_bytes()
    return found


def _run(inbox: Path, out: Path, national, **kwargs):
    return run_batch(discover([inbox]).paths, national, out, workers=1, **kwargs)


@pytest.fixture(scope="module")
def first_outputs(tmp_path_factory) -> Path:
    """The outputs of one run over 甲 and 乙, made once: the tests that need a previous run copy them.

    The next run reads nothing of them but the Annex list (annex/.perfeval-annexes), which names
    Annexes only, so a copy stands for the previous run wherever it is put."""
    root = tmp_path_factory.mktemp("first")
    out = root / "out"
    _run(_inbox(root, ["甲", "乙"]), out, load_profile("national"))
    return out


def _previous_run(first_outputs: Path, out: Path) -> None:
    """`out` as a run over 甲 and 乙 left it."""
    shutil.copytree(first_outputs, out, symlinks=True)


# --- the lock ------------------------------------------------------------------------------


def test_a_second_run_says_who_holds_the_folder_and_exits_2(tmp_path, national):
    inbox = _inbox(tmp_path, ["甲"])
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = {"pid": holder.pid, "host": socket.gethostname(), "started": "2026-12-01 21:00:00"}
        (out / LOCK_NAME).write_text(json.dumps(lock), encoding="utf-8")
        before = _snapshot(out)
        done = runner.invoke(app, ["batch", str(inbox), "-o", str(out), "-w", "1"])
        assert done.exit_code == 2
        assert f"正被另一次运行使用（进程 {holder.pid}，主机 {socket.gethostname()}，开始于 2026-12-01 21:00:00）" in done.output
        assert _snapshot(out) == before
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_left_by_a_dead_run_is_taken_over(tmp_path, national):
    inbox = _inbox(tmp_path, ["甲"])
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": "x"}))
    report = _run(inbox, out, national)
    assert report.scored == 1
    assert not (out / LOCK_NAME).exists()       # released at the end


@pytest.mark.slow
def test_two_batches_into_one_folder_at_once(tmp_path, monkeypatch):
    inbox = _inbox(tmp_path, ["甲", "hang"])
    other = _inbox(tmp_path, ["乙"], folder="other")
    out = tmp_path / "out"
    hang_workers_on(monkeypatch, "hang.xlsx")
    first = subprocess.Popen([sys.executable, "-m", "perfeval_xl", "batch", str(inbox), "-o", str(out), "-w", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not (out / LOCK_NAME).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        # The second batch runs here: the lock is what keeps it out, held by the other process.
        second = runner.invoke(app, ["batch", str(other), "-o", str(out)])
        assert second.exit_code == 2
        assert f"（进程 {first.pid}，主机 {socket.gethostname()}，开始于 " in second.stderr
        assert not (out / "summary.xlsx").exists()
    finally:
        first.kill()
        first.wait()


# --- no link followed ------------------------------------------------------------------------


def test_a_symlink_planted_as_annex_is_refused_and_its_target_untouched(tmp_path, national):
    inbox = _inbox(tmp_path, ["甲"])
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (elsewhere / "重要.xlsx").write_bytes(b"precious")
    (elsewhere / MANIFEST_NAME).write_text("重要.xlsx\n", encoding="utf-8")     # a stale list naming it
    (out / "annex").symlink_to(elsewhere, target_is_directory=True)
    before = _snapshot(elsewhere)
    with pytest.raises(OutputError, match="是符号链接，perfeval 不会跟随它写入或删除文件"):
        _run(inbox, out, national)
    assert _snapshot(elsewhere) == before
    assert not (out / "summary.xlsx").exists()
    done = runner.invoke(app, ["batch", str(inbox), "-o", str(out), "-w", "1"])
    assert done.exit_code == 1
    assert done.output.count("\n") == 1 and "符号链接" in done.output


def test_links_inside_annex_are_replaced_or_left_never_followed(tmp_path, national):
    inbox = _inbox(tmp_path, ["甲"])
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (out / "annex").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "a.xlsx").write_bytes(b"precious a")
    (elsewhere / "b.xlsx").write_bytes(b"precious b")
    # one link where our Annex goes, one named by a stale list, and a list line leading out
    (out / "annex" / ANNEX_OF.format("甲")).symlink_to(elsewhere / "a.xlsx")
    (out / "annex" / "旧.xlsx").symlink_to(elsewhere / "b.xlsx")
    (out / "annex" / MANIFEST_NAME).write_text("旧.xlsx\n../elsewhere/b.xlsx\n", encoding="utf-8")
    _run(inbox, out, national)
    assert (elsewhere / "a.xlsx").read_bytes() == b"precious a"
    assert (elsewhere / "b.xlsx").read_bytes() == b"precious b"
    placed = out / "annex" / ANNEX_OF.format("甲")
    assert not placed.is_symlink() and placed.read_bytes()[:2] == b"PK"
    assert (out / "annex" / "旧.xlsx").is_symlink()     # not ours to remove: a link is never a stale Annex


# --- all or nothing ----------------------------------------------------------------------------


def test_an_annex_that_cannot_be_placed_leaves_the_previous_outputs_whole(tmp_path, national, first_outputs):
    out = tmp_path / "out"
    _previous_run(first_outputs, out)
    before = _snapshot(out)
    # the second run writes 甲 again and a new 丙, whose place a folder holds
    inbox = _inbox(tmp_path, ["甲", "丙"], folder="in2")
    write_intake(inbox / "甲.xlsx", {**_project("甲"), "budget": {**clean_data()["budget"],
                                                                   "年度资金总额": [300, 300, 300, 150]}})
    (out / "annex" / ANNEX_OF.format("丙")).mkdir()
    before[f"annex/{ANNEX_OF.format('丙')}"] = None
    with pytest.raises(OutputError) as caught:
        _run(inbox, out, national)
    assert f"无法放置 {out / 'annex' / ANNEX_OF.format('丙')}" in str(caught.value)
    assert "此前的输出保持原样" in str(caught.value)
    after = _snapshot(out)
    after[f"annex/{ANNEX_OF.format('丙')}"] = None
    assert after == before
    assert not list(out.glob(STAGING_PREFIX + "*")) and not (out / LOCK_NAME).exists()


def test_a_rename_refused_midway_is_rolled_back(tmp_path, national, monkeypatch, first_outputs):
    """As Windows refuses to rename over an Annex open in Excel."""
    out = tmp_path / "out"
    _previous_run(first_outputs, out)
    before = _snapshot(out)
    real_replace = os.replace
    in_excel = out / "annex" / ANNEX_OF.format("乙")

    def replace(source, target, *args, **kwargs):
        if Path(source) == in_excel:
            raise PermissionError(errno.EACCES, "另一个程序正在使用此文件", str(source))
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OutputError, match=f"无法放置 {in_excel}"):
        _run(_inbox(tmp_path, ["甲", "乙", "丙"], folder="in2"), out, national)
    monkeypatch.undo()
    assert _snapshot(out) == before


# --- stale staging, SIGTERM, a bad disk ----------------------------------------------------------


def test_staging_left_by_a_killed_run_is_removed_at_the_next_start(tmp_path, national):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (out / f"{STAGING_PREFIX}old" / "annex").mkdir(parents=True)
    (out / f"{STAGING_PREFIX}old" / "annex" / "0.xlsx").write_bytes(b"half")
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    (out / f"{STAGING_PREFIX}link").symlink_to(elsewhere, target_is_directory=True)
    _run(_inbox(tmp_path, ["甲"]), out, national)
    assert not list(out.glob(STAGING_PREFIX + "*"))
    assert (elsewhere / "keep.txt").read_text() == "keep"


@pytest.mark.slow
def test_sigterm_is_handled_like_ctrl_c(tmp_path, monkeypatch):
    inbox = _inbox(tmp_path, ["甲", "hang"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("mine")
    before = _snapshot(out)
    hang_workers_on(monkeypatch, "hang.xlsx")
    batch = subprocess.Popen([sys.executable, "-m", "perfeval_xl", "batch", str(inbox), "-o", str(out), "-w", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The worker marks the file it reads (staging/.reading-<index>; hang.xlsx is file 0) just before it hangs.
    deadline = time.monotonic() + 30
    while not list(out.glob(f"{STAGING_PREFIX}*/{READING_PREFIX}0")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(out.glob(f"{STAGING_PREFIX}*/{READING_PREFIX}0")), "the worker never took hang.xlsx"
    time.sleep(0.3)
    started = time.monotonic()
    batch.send_signal(signal.SIGTERM)
    _, stderr = batch.communicate(timeout=20)
    assert time.monotonic() - started < 10
    assert batch.returncode == 130
    assert "已中断" in stderr and "保持原样" in stderr and "Traceback" not in stderr
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]


def test_a_read_only_place_is_one_line_with_exit_1(tmp_path):
    inbox = _inbox(tmp_path, ["甲"])
    done = runner.invoke(app, ["batch", str(inbox), "-o", "/proc/perfeval-out", "-w", "1"])
    assert done.exit_code == 1
    assert done.output.startswith("perfeval: 无法写入 /proc/perfeval-out：")
    assert done.output.count("\n") == 1


def test_a_full_disk_is_one_line_and_the_folder_stays_as_it_was(tmp_path, national, monkeypatch, first_outputs):
    out = tmp_path / "out"
    _previous_run(first_outputs, out)
    before = _snapshot(out)

    def full(self):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "summary.xlsx"))

    monkeypatch.setattr(summary_module.SummaryWriter, "close", full)
    with pytest.raises(OutputError, match="No space left on device.*输出文件夹保持原样"):
        _run(_inbox(tmp_path, ["乙"], folder="in2"), out, national)
    assert _snapshot(out) == before
    assert not list(out.glob(STAGING_PREFIX + "*")) and not (out / LOCK_NAME).exists()


# --- one file's findings are capped ---------------------------------------------------------------


def test_one_file_s_findings_are_capped_with_a_count_of_the_rest(build, national):
    data = clean_data()
    row = {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "长度", "分值": 1,
           "年度指标值": "很多很多", "实际完成值": "不知道"}
    data["indicators"] += [dict(row, 三级指标=f"长度{i}") for i in range(400)]
    result = evaluate_file(build(data), national)
    assert len(result.problems) == 201
    closing = result.problems[-1]
    assert closing.code == "too-many-findings"
    total = closing.params["shown"] + closing.params["rest"]
    assert closing.params["shown"] == 200 and total > 400
    assert f"只列出前 200 条，另有 {total - 200} 条未列出" in closing.message
    assert len(to_json(result)) < 1_000_000
