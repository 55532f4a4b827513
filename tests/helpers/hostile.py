"""Building crafted files and reading them in a child process with its time and memory measured.

Shared by tests/test_hostile.py and tests/test_reading_tokenizer.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from . import ROOT

MEMORY_BOUND_MB = 1024     # the bound: no input makes the program use more than 1 GB
TIME_BOUND_S = 30          # a hang guard only; typical times are printed by -s

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    # A safety net for a shared machine: a regression fails this child, not the host.
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
    from perfeval_xl.evaluate import evaluate_file
    from perfeval_xl.profiles import load_profile
    profile = load_profile("national")
    start = time.perf_counter()
    result = evaluate_file(sys.argv[1], profile)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "failure": result.failure.code if result.failure else None,
        "message": result.failure.message if result.failure else "",
        "codes": sorted({p.code for p in result.problems}),
        "total": str(result.total_score),
        "seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    """
)


def score_in_child(path: Path) -> dict:
    """What reading `path` gave in a fresh interpreter: failure, message, codes, total, seconds, peak_mb."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                          env=env, timeout=TIME_BOUND_S * 4)
    assert done.returncode == 0, f"the reader died on {path.name}: {done.returncode}\n{done.stderr[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def rewrite_zip(source: Path, target: Path, change: dict | None = None, add: dict | None = None) -> Path:
    """A copy of a zip with some parts changed (name -> function of the bytes) or added (name -> bytes)."""
    change, add = change or {}, add or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename in change:
                data = change[info.filename](data)
            method = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            new.writestr(info.filename, data, method)
        for name, data in add.items():
            new.writestr(name, data)
    return target
