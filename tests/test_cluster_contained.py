"""On a Dask worker every file is read by a contained process (batch/sandbox.py): a file that
hangs, dies or runs out of memory costs only itself, within the limits of a local batch, and the
Dask worker goes on. The server of contained readers dies with the worker that started it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import clean_data, hang_workers_on, kill_workers_on, local_cluster
from perfeval_xl.batch import discover, run_batch, sandbox
from perfeval_xl.batch.pool import score_one
from perfeval_xl.profiles import load_profile
from perfeval_xl.reading.preflight import DEFAULT_LIMITS, Limits
from perfeval_xl.writers.files import creation_time
from perfeval_xl.writers.intake_form import write_intake

SHORT = Limits(max_seconds=1.0)


@pytest.fixture
def fresh_server():
    """Each test starts its own server, with the environment the test set."""
    def stop():
        server = getattr(sandbox._SERVERS, "process", None)
        if server is not None:
            server.kill()
            server.wait()
            sandbox._SERVERS.process = None
    stop()
    yield
    stop()


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    paths = {}
    for name in ("good.xlsx", "hang.xlsx", "kill.xlsx"):
        paths[name] = write_intake(tmp_path / name, clean_data())
    return paths


def _request(path: Path, index: int = 0, limits: Limits = DEFAULT_LIMITS, created=None):
    return (index, str(path), load_profile("national"), None, str(path), created, False, limits)


def test_the_contained_scorer_answers_what_score_one_answers(files, fresh_server):
    created = creation_time()
    kind, (outcome, parts) = sandbox.score_contained(_request(files["good.xlsx"], 7, created=created))
    expected, expected_parts = score_one(7, str(files["good.xlsx"]), load_profile("national"), None,
                                         read_from=str(files["good.xlsx"]), created=created)
    assert kind == sandbox.OK
    assert outcome == expected
    assert parts == expected_parts and parts[0][0][:2] == b"PK"


def test_a_file_stuck_in_c_is_a_timeout_and_the_server_goes_on(files, fresh_server, monkeypatch):
    hang_workers_on(monkeypatch, "hang.xlsx")
    started = time.monotonic()
    assert sandbox.score_contained(_request(files["hang.xlsx"], limits=SHORT)) == (sandbox.TIMEOUT, None)
    assert 1.0 <= time.monotonic() - started < 4.0
    server = sandbox._SERVERS.process
    kind, (outcome, _) = sandbox.score_contained(_request(files["good.xlsx"], 1, limits=SHORT))
    assert kind == sandbox.OK and not outcome.has_errors
    assert sandbox._SERVERS.process is server      # the same server: only the file's reader was killed


def test_a_reader_that_dies_is_a_death_and_the_server_goes_on(files, fresh_server, monkeypatch):
    kill_workers_on(monkeypatch, "kill.xlsx")
    assert sandbox.score_contained(_request(files["kill.xlsx"])) == (sandbox.DIED, None)
    server = sandbox._SERVERS.process
    assert sandbox.score_contained(_request(files["good.xlsx"], 1))[0] == sandbox.OK
    assert sandbox._SERVERS.process is server


class _Greedy:
    """A pool whose scorer wants 2 GB, as a reader of a crafted file would."""

    @staticmethod
    def score_one(*args, **kwargs):
        return bytearray(2 * 1024 ** 3)


def test_a_reader_past_the_memory_limit_is_a_memory_failure(files):
    limits = Limits(max_memory_bytes=300 * 1024 ** 2)
    assert sandbox._score_in_child(_Greedy, _request(files["good.xlsx"], limits=limits)) == (sandbox.MEMORY, None)


def test_the_server_and_its_readers_die_with_the_worker_that_started_them(files, monkeypatch):
    hang_workers_on(monkeypatch, "hang.xlsx")
    script = (
        "import threading, time, os\n"
        "from perfeval_xl.batch import sandbox\n"
        "from perfeval_xl.profiles import load_profile\n"
        "from perfeval_xl.reading.preflight import Limits\n"
        f"path = {str(files['hang.xlsx'])!r}\n"
        "request = (0, path, load_profile('national'), None, path, None, False, Limits(max_seconds=600))\n"
        "threading.Thread(target=sandbox.score_contained, args=(request,), daemon=True).start()\n"
        "print(os.getpid(), flush=True)\n"
        "time.sleep(600)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        worker_pid = int(worker.stdout.readline())
        # Wait for the server and the reader it forked for the hanging file.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            servers = _children_of(worker_pid)
            readers = [reader for server in servers for reader in _children_of(server)]
            if servers and readers:
                break
            time.sleep(0.05)
        assert servers and readers, "the worker started no server, or the server no reader"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(pid) for pid in servers + readers):
        time.sleep(0.05)
    assert not [pid for pid in servers + readers if _alive(pid)]


def _children_of(pid: int) -> list[int]:
    """Children of every thread of `pid` (a thread's children are listed under that thread)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


distributed = pytest.importorskip("distributed", reason='the Dask path needs "distributed" (pip install -e ".[dask]")')


def test_on_a_cluster_a_file_that_hangs_or_kills_its_reader_costs_only_itself(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number, name in enumerate(("a_good.xlsx", "b_hang.xlsx", "c_kill.xlsx", "d_good.xlsx")):
        data = clean_data()
        data["project"]["项目名称"] = name
        data["project"]["项目编码"] = f"XM-2023-10{number}"
        write_intake(inbox / name, data)
    # The worker processes inherit both hooks from this process's environment.
    hang_workers_on(monkeypatch, "b_hang.xlsx")
    kill_workers_on(monkeypatch, "c_kill.xlsx")
    with local_cluster(n_workers=1, threads_per_worker=2) as local, \
            distributed.Client(local) as client:
        workers = set(client.scheduler_info()["workers"])
        report = run_batch(discover([inbox]).paths, load_profile("national"), tmp_path / "out",
                           scheduler=local.scheduler_address, limits=SHORT)
        assert set(client.scheduler_info()["workers"]) == workers     # no Dask worker died or was restarted
    assert (report.scored, report.failed) == (2, 2)
    lines = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    by_name = {name: line for line in lines for name in ("a_good", "b_hang", "c_kill", "d_good") if name in line}
    assert '"read-timeout"' in by_name["b_hang"] and '"worker-crashed"' not in by_name["b_hang"]
    assert '"worker-crashed"' in by_name["c_kill"]
    annexes = sorted(p.name for p in (tmp_path / "out" / "annex").iterdir() if not p.name.startswith("."))
    assert len(annexes) == 2 and all("good" in name for name in annexes), annexes
