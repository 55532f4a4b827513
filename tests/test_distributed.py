"""`perfeval batch --scheduler`: the same outputs from a Dask cluster as from local workers.

The cluster is a LocalCluster of two worker processes on 127.0.0.1, started
here; nothing leaves the machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import add_legacy_and_broken, clean_data, kill_workers_on, local_cluster
from perfeval_xl.batch import discover, run_batch
from perfeval_xl.errors import UsageError
from perfeval_xl.cli import app
from perfeval_xl.profiles import load_profile
from perfeval_xl.writers.intake_form import write_intake

distributed = pytest.importorskip("distributed", reason='the Dask path needs "distributed" (pip install -e ".[dask]")')


@pytest.fixture(scope="module")
def cluster():
    with local_cluster(n_workers=2, threads_per_worker=1) as local:
        yield local.scheduler_address


def make_inbox(under: Path) -> Path:
    """Good files in three formats, a project submitted twice, and files that cannot be read."""
    root = under / "inbox"
    for folder in ("部门甲", "部门乙"):
        (root / folder).mkdir(parents=True)
    for number, name in enumerate(("饮水工程", "道路养护", "校舍维修", "饮水工程")):
        data = clean_data()
        data["project"]["项目名称"] = name
        data["budget"]["年度资金总额"] = [200, 200, 200, 150 + 10 * number]
        write_intake(root / "部门甲" / f"project{number}.xlsx", data)
    add_legacy_and_broken(root / "部门乙")
    return root


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    """Built once for the module: no test changes it (every run writes elsewhere)."""
    return make_inbox(tmp_path_factory.mktemp("distributed"))


def outputs(out: Path) -> dict[str, bytes]:
    """Every output file by its path under `out`."""
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}


def test_a_cluster_run_is_byte_identical_to_a_local_run(cluster, inbox, tmp_path):
    paths = discover([inbox]).paths
    national = load_profile("national")
    local = run_batch(paths, national, tmp_path / "local", workers=2)
    remote = run_batch(paths, national, tmp_path / "dask", scheduler=cluster)
    assert (remote.files, remote.scored, remote.failed, remote.exit_code) == (local.files, local.scored, local.failed, 1)
    assert remote.failed == 3 and remote.scored == 6
    expected, got = outputs(tmp_path / "local"), outputs(tmp_path / "dask")
    assert sorted(got) == sorted(expected)
    assert "annex/2023_某县水利局_饮水工程_绩效自评表 (2).xlsx" in got
    for name, data in expected.items():
        assert got[name] == data, name


def test_the_cli_sends_the_files_to_the_cluster(cluster, inbox, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    run_batch(discover([inbox]).paths, load_profile("local"), tmp_path / "local", workers=1, layout=None)
    result = CliRunner().invoke(app, ["batch", str(inbox), "-o", str(tmp_path / "dask"), "--profile", "local",
                                      "--scheduler", cluster])
    assert result.exit_code == 0, result.output
    assert "9 个文件：评分 6 个项目，失败 3 个文件" in result.output
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "local")


def test_workers_and_scheduler_together_are_a_usage_error(inbox, tmp_path):
    result = CliRunner().invoke(app, ["batch", str(inbox), "-o", str(tmp_path / "out"),
                                      "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2
    assert not (tmp_path / "out" / "summary.xlsx").exists()


def test_an_unreachable_scheduler_is_a_clear_error(inbox, tmp_path, monkeypatch):
    from perfeval_xl.batch import cluster as remote

    monkeypatch.setattr(remote, "CONNECT_TIMEOUT", 0.5)    # nothing listens on port 9: no need to wait long
    with pytest.raises(UsageError, match="无法连接 Dask 调度器"):
        run_batch(discover([inbox]).paths, load_profile("national"), tmp_path / "out", scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "out" / "summary.xlsx").exists()


def test_a_file_that_kills_its_worker_costs_only_that_file(tmp_path, monkeypatch):
    inbox = make_inbox(tmp_path)     # as before: this test is left exactly as it was
    # The worker processes inherit the hook from this process's environment.
    kill_workers_on(monkeypatch, "project1.xlsx")
    with local_cluster(n_workers=2, threads_per_worker=1) as local:
        report = run_batch(discover([inbox]).paths, load_profile("national"), tmp_path / "out",
                           scheduler=local.scheduler_address)
    assert (report.scored, report.failed) == (5, 4)
    lines = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    crashed = [line for line in lines if '"worker-crashed"' in line]
    assert len(crashed) == 1 and "project1.xlsx" in crashed[0]
