"""What the tests share: a clean intake as plain data, the sample paths, and small builders.

Imported as `helpers` (pytest's `pythonpath` puts tests/ on the path), never
through conftest, so the suite runs under any import mode.
"""

from __future__ import annotations

import copy
import shutil
from contextlib import contextmanager
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = ROOT / "tests" / "fixtures"
SEED = SAMPLES / "忻州市应急管理局" / "2021_安全生产和应急管理督查检查经费.xlsx"

# A project with nothing wrong: weights 10 + 50 + 30 + 10, every target met,
# self scores equal to the computed ones. Rows on 绩效指标: header 1, budget
# row 2, indicators 3..9 (F = 实际完成值, H = 自评得分, I = 偏差原因).
CLEAN = {
    "project": {
        "评价年度": 2023,
        "项目名称": "农村饮水安全巩固提升工程",
        "项目编码": "XM-2023-001",
        "主管部门": "某县水利局",
        "实施单位": "某县农村供水站",
        "项目负责人": "张三",
        "联系电话": "0350-1234567",
        "预期目标": "新建改造供水管网 120 公里，农村自来水普及率达到 95%。",
        "实际完成情况": "全年新建改造供水管网 126 公里，农村自来水普及率达到 96.2%。",
    },
    "budget": {
        "年度资金总额": [200, 200, 200, 190],
        "当年财政拨款": [150, 150, 150, 145],
        "中央级": [100, 100, 100, 95],
        "县区级": [50, 50, 50, 50],
        "上年结转资金": [50, 50, 50, 45],
    },
    "indicators": [
        {"一级指标": "预算执行指标", "三级指标": "预算执行率", "分值": 10, "自评得分": 9.5},
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "新建改造供水管网长度", "分值": 15,
         "年度指标值": "≥120公里", "实际完成值": "126公里", "自评得分": 15},
        {"一级指标": "产出指标", "二级指标": "质量指标", "三级指标": "工程验收合格率", "分值": 15,
         "年度指标值": "≥95%", "实际完成值": "98%", "自评得分": 15},
        {"一级指标": "产出指标", "二级指标": "时效指标", "三级指标": "工程完工时间", "分值": 10,
         "年度指标值": "≤300天", "实际完成值": "280天", "自评得分": 10},
        {"一级指标": "产出指标", "二级指标": "成本指标", "三级指标": "工程总成本", "分值": 10,
         "年度指标值": "≤200万元", "实际完成值": "190万元", "自评得分": 10},
        {"一级指标": "效益指标", "二级指标": "社会效益指标", "三级指标": "农村自来水普及率", "分值": 15,
         "年度指标值": "≥95%", "实际完成值": "96.2%", "自评得分": 15},
        {"一级指标": "效益指标", "二级指标": "可持续影响指标", "三级指标": "供水保障能力", "分值": 15,
         "年度指标值": "有效提升", "实际完成值": "有效提升", "达成情况": "达成年度指标", "自评得分": 15},
        {"一级指标": "满意度指标", "二级指标": "服务对象满意度指标", "三级指标": "受益群众满意度", "分值": 10,
         "年度指标值": "≥90%", "实际完成值": "95%", "自评得分": 10},
    ],
}


def add_legacy_and_broken(folder: Path) -> None:
    """The seed as .ods and .xls, and three files that cannot be scored:
    a damaged zip, an empty file and a workbook without our sheets."""
    shutil.copy(FIXTURES / "seed.ods", folder / "seed.ods")
    shutil.copy(FIXTURES / "seed.xls", folder / "seed.xls")
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04garbage")
    (folder / "empty.xlsx").write_bytes(b"")
    wrong = openpyxl.Workbook()
    wrong.active.title = "Sheet1"
    wrong.save(folder / "wrong.xlsx")


def clean_data() -> dict:
    return copy.deepcopy(CLEAN)


def findings(result, *, levels=("error", "warning", "info")) -> list[tuple[str, str | None, str | None]]:
    return sorted((p.code, p.sheet, p.cell) for p in result.problems if p.severity.value in levels)


KILL_HOOK = "PERFEVAL_TEST_KILL_WORKER_ON"
_KILLER = Path(__file__).resolve().parent / "killer"


def kill_workers_on(monkeypatch, name: str) -> None:
    """Worker processes started from now on die (SIGKILL) when they meet a file called `name`.

    A `sitecustomize` on PYTHONPATH patches the workers' scoring function, so
    no test hook ships in the package: see helpers/killer/sitecustomize.py.
    """
    _hook(monkeypatch, KILL_HOOK, name)


def _hook(monkeypatch, variable: str, name: str) -> None:
    import os

    global hooks_set
    monkeypatch.setenv(variable, name)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(_KILLER), os.environ.get("PYTHONPATH")])))
    hooks_set = True
    stop_fork_server()


# Set while a test's workers carry a hook; conftest then stops the fork server after the test.
hooks_set = False


def stop_fork_server() -> None:
    """The batch pool's workers are forked from a server started once per process with the
    environment of that moment (perfeval_xl/processes.py): let go of it, and the next pool starts a
    new one, which loads the hooks (or no longer does).

    Not multiprocessing's own ForkServer._stop, which waits for the server to end: a server ends when
    the last process holding its "alive" pipe does, and the workers of a Dask cluster still running
    (helpers.local_cluster) hold one. The old server ends with them.
    """
    import os
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    if server is None or not hasattr(server, "_forkserver_alive_fd"):
        return
    with server._lock:
        if server._forkserver_pid is None:
            return
        os.close(server._forkserver_alive_fd)
        address = server._forkserver_address
        server._forkserver_alive_fd = server._forkserver_address = server._forkserver_pid = None
    if isinstance(address, str) and not address.startswith("\0"):
        try:
            os.unlink(address)
        except OSError:
            pass


def annex_samples():
    """scripts/make_annex_samples.py as a module: the Annex-form builders the tests vary."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_annex_samples", ROOT / "scripts" / "make_annex_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HANG_HOOK = "PERFEVAL_TEST_HANG_WORKER_ON"


def hang_workers_on(monkeypatch, name: str) -> None:
    """Worker processes started from now on hang on a file called `name`: a batch worker spins in C code,
    a check-page worker sleeps (see helpers/killer/sitecustomize.py)."""
    _hook(monkeypatch, HANG_HOOK, name)



@contextmanager
def local_cluster(**options):
    """A Dask LocalCluster of worker processes on 127.0.0.1.

    Its workers are forked from the fork server, as distributed's own test
    suite has them, rather than spawned (a spawned Dask worker spends about a
    second importing distributed); where there is no fork server, spawned.
    """
    import multiprocessing

    import dask
    import distributed

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    with dask.config.set({"distributed.worker.multiprocessing-method": method}), distributed.LocalCluster(
            processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=50, **options) as cluster:
        yield cluster
