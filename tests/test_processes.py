"""processes.py: workers forked from a fork server behave as spawned ones would, or are spawned."""

from __future__ import annotations

import json
import multiprocessing

import openpyxl
import pytest

from helpers import clean_data
from perfeval_xl import processes
from perfeval_xl.batch import discover, run_batch
from perfeval_xl.writers.intake_form import write_intake

has_fork_server = pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(),
                                     reason="no fork server on this system: workers are spawned")


@has_fork_server
def test_a_worker_forked_from_an_older_server_takes_the_folder_and_environment_of_its_run(
        tmp_path, monkeypatch, national):
    processes.context()                      # the server runs now, with this process's folder and environment
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")      # 2009-02-13
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inbox").mkdir()
    write_intake(tmp_path / "inbox" / "2023_项目.xlsx", clean_data())

    report = run_batch(discover(["inbox"]).paths, national, "out", workers=1)

    # The relative path is found from the run's folder, not the server's.
    assert (report.scored, report.failed) == (1, 0)
    (record,) = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text("utf-8").splitlines()]
    assert record["source"]["path"] == "inbox/2023_项目.xlsx" and "error" not in record
    (annex,) = (tmp_path / "out" / "annex").glob("*.xlsx")
    assert openpyxl.load_workbook(annex).properties.created.year == 2009


@has_fork_server
def test_workers_come_from_the_fork_server(national):
    assert processes.context().get_start_method() == "forkserver"


def test_a_fork_server_that_cannot_start_means_spawned_workers(tmp_path, monkeypatch, national):
    """Its socket's path is too long under a deep TMPDIR, say: the run goes on with spawned workers."""
    from multiprocessing import forkserver

    def cannot(*args, **kwargs):
        raise OSError("AF_UNIX path too long")

    monkeypatch.setattr(forkserver, "ensure_running", cannot)
    assert processes.context().get_start_method() == "spawn"
    write_intake(tmp_path / "2023_项目.xlsx", clean_data())
    report = run_batch([str(tmp_path / "2023_项目.xlsx")], national, tmp_path / "out", workers=1)
    assert (report.scored, report.failed) == (1, 0)
