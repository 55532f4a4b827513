"""The contained reader: whatever a library does with a file (abort, segfault, memory, an
endless loop), the command gets one finding, in bounded time, and the batch goes on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import ROOT, SEED, hang_workers_on
from perfeval_xl import evaluate as evaluate_module
from perfeval_xl.batch import discover, run_batch
from perfeval_xl.batch.outputs import STAGING_PREFIX
from perfeval_xl.batch.pool import READING_PREFIX
from perfeval_xl.cli import app
from perfeval_xl.contained import ReadTimeout, run_contained
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.reading.preflight import DEFAULT_LIMITS, MB, Limits

runner = CliRunner()
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, prctl and /proc are Linux's")


def _spin_in_c(*args, **kwargs):
    import collections
    import itertools

    collections.deque(itertools.repeat(1), maxlen=0)    # never returns, never looks at a signal


def _abort(*args, **kwargs):
    os.abort()


def _segfault(*args, **kwargs):
    import ctypes

    ctypes.string_at(0)


def _allocate(*args, **kwargs):
    return bytearray(4 << 30)      # past the 1 GB address space: MemoryError


def _endless_python(*args, **kwargs):
    while True:
        pass


# --- check and score: one child per file ------------------------------------------------


def test_limits_are_the_documented_defaults():
    assert DEFAULT_LIMITS.max_memory_bytes == 1024 * MB
    assert DEFAULT_LIMITS.max_seconds == 30.0
    assert DEFAULT_LIMITS.max_findings == 200


@linux_only
@pytest.mark.parametrize("reader, code, seconds", [
    (_abort, "worker-crashed", 5),
    (_segfault, "worker-crashed", 5),
    (_allocate, "file-too-complex", 5),
    (_endless_python, "read-timeout", 6),
    (_spin_in_c, "read-timeout", 6),
])
def test_a_reader_that_dies_or_hangs_is_one_finding(monkeypatch, national, reader, code, seconds):
    monkeypatch.setattr(evaluate_module, "read_forms_data", reader)     # the child is forked: it sees the patch
    started = time.monotonic()
    # A 1 s limit: the hanging readers are stopped at it, the dying ones answer long before it.
    result = evaluate_file(SEED, national, contained=True, limits=Limits(max_seconds=1))
    elapsed = time.monotonic() - started
    assert result.failure is not None and result.failure.code == code, result.problems
    assert [p.code for p in result.problems] == [code]
    assert elapsed < seconds
    assert len(result.source_sha256) == 64


@linux_only
def test_the_signal_is_named_when_the_reader_aborts(monkeypatch, national):
    monkeypatch.setattr(evaluate_module, "read_forms_data", _abort)
    result = evaluate_file(SEED, national, contained=True)
    assert "SIGABRT" in result.failure.message


def test_contained_and_direct_reading_give_the_same_result(national):
    direct = evaluate_file(SEED, national)
    contained = evaluate_file(SEED, national, contained=True)
    assert contained == direct
    assert str(contained.total_score) == "98.00"


def test_run_contained_raises_for_the_caller():
    with pytest.raises(ReadTimeout):
        run_contained(time.sleep, 5, max_memory_bytes=1 << 30, max_seconds=0.5)
    assert run_contained(sum, [1, 2, 3], max_memory_bytes=1 << 30, max_seconds=5) == 6


@linux_only
def test_check_of_a_hanging_reader_exits_with_one_line(monkeypatch):
    monkeypatch.setattr(evaluate_module, "read_forms_data", _spin_in_c)
    monkeypatch.setattr(evaluate_module, "DEFAULT_LIMITS", Limits(max_seconds=0.5))
    started = time.monotonic()
    done = runner.invoke(app, ["check", str(SEED)])
    assert time.monotonic() - started < 5
    assert done.exit_code == 1
    assert "(read-timeout)" in done.output
    assert "读取该文件超过 0.5 秒仍未完成" in done.output


# --- what is not a regular file is never opened --------------------------------------------

# Runs a command and prints the peak memory of it and all its descendants (RUSAGE_CHILDREN).
_MEASURE = (
    "import json, resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(json.dumps({'rc': done.returncode, 'out': done.stdout, 'err': done.stderr, 'peak_mb': peak}))\n"
)


def perfeval_measured(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "perfeval_xl", *args],
                          capture_output=True, text=True, env=env, timeout=90)
    return json.loads(done.stdout)


@linux_only
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "dev-urandom", "folder"])
def test_check_refuses_what_is_not_a_regular_file_at_once(tmp_path, kind):
    if kind == "fifo":
        target = tmp_path / "管道.xlsx"
        os.mkfifo(target)
    elif kind == "folder":
        target = tmp_path / "文件夹.xlsx"
        target.mkdir()
    else:
        target = Path("/dev/zero" if kind == "dev-zero" else "/dev/urandom")
    started = time.monotonic()
    done = perfeval_measured("check", str(target))
    assert time.monotonic() - started < 10
    assert done["peak_mb"] < 200        # nothing was read from the device
    if kind == "folder":                # a folder given to check is a usage error that points to batch
        assert done["rc"] == 2, done["err"]
        assert done["err"].strip().splitlines() == [
            f"perfeval: {target} 是文件夹；要处理整个文件夹请用 perfeval batch {target} -o 输出文件夹"]
        return
    assert done["rc"] == 1, done["err"]
    assert "(not-a-regular-file)" in done["out"]
    assert done["out"].count("\n") == 1


@linux_only
def test_batch_of_dev_zero_and_a_good_file_scores_the_good_one(tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(SEED.read_bytes())
    out = tmp_path / "out"
    started = time.monotonic()
    done = perfeval_measured("batch", "/dev/zero", str(good), "-o", str(out), "-w", "1")
    assert time.monotonic() - started < 30
    assert done["rc"] == 0, done["err"]      # batch wrote its outputs; the failure is in them
    assert done["peak_mb"] < 300
    records = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r.get("error", {}).get("code") for r in records] == ["not-a-regular-file", None]
    assert len(list((out / "annex").glob("*.xlsx"))) == 1


# --- batch: the workers get both limits ------------------------------------------------------


def _inbox(tmp_path: Path, names: list[str]) -> Path:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name in names:
        (inbox / name).write_bytes(SEED.read_bytes())
    return inbox


@linux_only
@pytest.mark.slow
def test_batch_kills_a_worker_stuck_in_c_and_records_a_timeout(tmp_path, monkeypatch, national):
    inbox = _inbox(tmp_path, ["a.xlsx", "hang.xlsx", "z.xlsx"])
    hang_workers_on(monkeypatch, "hang.xlsx")
    started = time.monotonic()
    report = run_batch(discover([inbox]).paths, national, tmp_path / "out", workers=2, limits=Limits(max_seconds=1))
    elapsed = time.monotonic() - started
    records = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [Path(r["source"]["path"]).name for r in records] == ["a.xlsx", "hang.xlsx", "z.xlsx"]
    assert [r.get("error", {}).get("code") for r in records] == [None, "read-timeout", None]
    assert (report.scored, report.failed) == (2, 1)
    assert len(list((tmp_path / "out" / "annex").glob("*.xlsx"))) == 2
    # killed once past the deadline (1 s + 0.5 s of CPU) and recorded, not run again in the two
    # slower stages; the bound is loose for a loaded machine (alone it takes about 4 s)
    assert elapsed < 30


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def _workers_of(batch: int) -> set[int]:
    """The batch's worker processes: forked by its fork server (pool._pool), or spawned where there is none.

    The fork server and the resource tracker are children of the batch too; a fork server's
    children are the workers, and it is returned with them, since it must not outlive the batch either.
    """
    def command(pid: int) -> bytes:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return b""

    found = set()
    for child in _children(batch):
        if b"spawn_main" in command(child):
            found.add(child)
        elif b"forkserver" in command(child):
            workers = _children(child)
            if workers:
                found |= workers | {child}
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@linux_only
@pytest.mark.slow
def test_no_worker_outlives_a_killed_batch_even_stuck_in_c(tmp_path, monkeypatch):
    inbox = _inbox(tmp_path, ["hang.xlsx"])
    hang_workers_on(monkeypatch, "hang.xlsx")
    env = {**os.environ}
    batch = subprocess.Popen([sys.executable, "-m", "perfeval_xl", "batch", str(inbox), "-o", str(tmp_path / "out"),
                              "-w", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        workers: set[int] = set()
        while time.monotonic() < deadline and not workers:
            time.sleep(0.2)
            workers = _workers_of(batch.pid)
        assert workers, "no worker started"
        # The worker marks the file it reads (staging/.reading-<index>) just before it starts to spin.
        while time.monotonic() < deadline and not list((tmp_path / "out").glob(f"{STAGING_PREFIX}*/{READING_PREFIX}0")):
            time.sleep(0.05)
        assert list((tmp_path / "out").glob(f"{STAGING_PREFIX}*/{READING_PREFIX}0")), "the worker never took the file"
        time.sleep(0.3)      # the worker is now spinning in C, holding the GIL
        batch.send_signal(signal.SIGKILL)
        batch.wait(5)
        gone_by = time.monotonic() + 3
        while time.monotonic() < gone_by and any(_alive(pid) for pid in workers):
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)]
    finally:
        if batch.poll() is None:
            batch.kill()


def _calamine_reads(data: bytes) -> int:
    import io

    import python_calamine as calamine

    book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return sum(len(book.get_sheet_by_name(name).to_python()) for name in book.sheet_names)


@linux_only
def test_calamine_asked_for_512_gb_aborts_only_its_child(build, tmp_path):
    """The real thing, not a stand-in: a cell at XFD1048576 handed to calamine untrimmed
    makes it allocate for 17 billion cells; within 1 GB it aborts. The parent gets an answer."""
    import io
    import zipfile

    source = build()
    out = io.BytesIO()
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>",
                                    b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>', 1)
            copy.writestr(info, data)
    started = time.monotonic()
    # calamine prints "memory allocation of 549755813888 bytes failed" and aborts: that is memory
    with pytest.raises(MemoryError):
        run_contained(_calamine_reads, out.getvalue(), max_memory_bytes=DEFAULT_LIMITS.max_memory_bytes, max_seconds=20)
    assert time.monotonic() - started < 15


def test_a_deadline_that_passes_while_the_annex_is_written_is_a_timeout_not_a_crash(tmp_path, monkeypatch):
    from helpers import clean_data
    from perfeval_xl.batch import pool
    from perfeval_xl.contained import ReadTimeout
    from perfeval_xl.profiles import load_profile
    from perfeval_xl.reading.preflight import Limits
    from perfeval_xl.writers.intake_form import write_intake

    path = write_intake(tmp_path / "a.xlsx", clean_data())

    def slow_render(*args, **kwargs):
        raise ReadTimeout(7.0)

    monkeypatch.setattr(pool, "render_annex", slow_render)
    with pytest.raises(ReadTimeout):
        pool.score_one(0, str(path), load_profile("national"), None)
    staging = tmp_path / "staging"
    staging.mkdir()
    monkeypatch.setattr(pool, "_WORKER", {"profile": load_profile("national"), "staging": staging, "layout": None,
                                          "limits": Limits(max_seconds=7.0), "reports": False})
    outcome = pool._score_one(0, str(path))
    assert '"read-timeout"' in outcome.record and '"worker-crashed"' not in outcome.record
    assert "7 秒" in outcome.record
