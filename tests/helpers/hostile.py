"""Building crafted files and reading them in a child process with its time and memory measured.

Shared by tests/test_hostile.py and tests/test_reading_tokenizer.py.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

from . import ROOT
from .hostile_fork import zygote

MEMORY_BOUND_MB = 1024     # the bound: no input makes the program use more than 1 GB
TIME_BOUND_S = 30          # a hang guard only; typical times are printed by -s

def score_in_child(path: Path) -> dict:
    """What reading `path` gave in a process of its own (forked, for this one file, from an
    interpreter that has only imported the reading stack: helpers/hostile_fork.py): failure,
    failed, message, codes, problems ([code, severity, sheet, cell, message]), total, seconds,
    peak_mb."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        returncode = zygote(env).run(str(path), str(out), str(err), timeout=TIME_BOUND_S * 4)
        stderr = err.read_text(errors="replace")
        assert returncode == 0, f"the reader died on {path.name}: {returncode}\n{stderr[-2000:]}"
        return json.loads(out.read_text().strip().splitlines()[-1])


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
