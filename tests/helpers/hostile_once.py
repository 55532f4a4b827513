"""Work done once per test session, shared by the pytest-xdist workers: the hostile
corpus, and the measured child run of a file that several tests look at.

Under xdist every worker has its own base temp folder, all in one session
folder; the first worker to need a thing makes it there, under a lock, and
the others wait for it and read it. Run without xdist, the session's base
temp folder serves the same way.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Callable


def session_folder(tmp_path_factory) -> Path:
    """A folder all the processes of this test session see."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def once(root: Path, key: str, make: Callable[[Path], object]):
    """make(folder)'s JSON-able answer, computed by the first process that asks for `key`
    (in root/key/, a folder of its own) and read back by every later one."""
    folder = root / key
    done = folder / "done.json"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                folder.mkdir(exist_ok=True)
                answer = make(folder)
                done.write_text(json.dumps(answer), encoding="utf-8")
            return json.loads(done.read_text(encoding="utf-8"))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
