"""How fast `perfeval batch` runs, and how much memory it takes.

    python benchmarks/batch_speed.py [--copies 150] [--workers 1 2] [--keep DIR]

Builds an inbox of copies of samples/ (every copy keeps the broken file, the
lock file and the pdf, so about 1 in 14 spreadsheets fails, as in a real
inbox), runs the batch once per worker count and prints files per second and
the peak resident memory of the main process and of the largest worker.
The figures go into the README; nothing here is part of the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_inbox(target: Path, copies: int) -> int:
    samples = ROOT / "samples"
    for number in range(copies):
        for folder in sorted(p for p in samples.iterdir() if p.is_dir()):
            destination = target / f"{folder.name}_{number:04}"
            shutil.copytree(folder, destination)
    return sum(1 for p in target.rglob("*") if p.suffix in (".xlsx", ".xls", ".ods") and not p.name.startswith("~$"))


def measure(inbox: Path, out: Path, workers: int) -> str:
    # A fresh interpreter per run, so that one run's peak memory does not hide the next's.
    code = f"""
import resource, sys, time
from perfeval_xl.batch import discover, run_batch
from perfeval_xl.profiles import load_profile
started = time.monotonic()
paths = discover([{str(inbox)!r}]).paths
report = run_batch(paths, load_profile("national"), {str(out)!r}, workers={workers})
seconds = time.monotonic() - started
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"workers {workers}: {{report.files}} files ({{report.failed}} failed) in {{seconds:.1f}} s = "
      f"{{report.files / seconds:.0f}} files/s; peak RSS main {{me:.0f}} MB, largest worker {{child:.0f}} MB")
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=150)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", type=Path, help="build the inbox here and keep it")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="perfeval-bench-"))
    inbox = base / "inbox"
    if not inbox.exists():
        started = time.monotonic()
        count = build_inbox(inbox, args.copies)
        print(f"inbox: {count} spreadsheets in {inbox} ({time.monotonic() - started:.1f} s to build)")
    for workers in args.workers:
        print(measure(inbox, base / f"out{workers}", workers), flush=True)
    if args.keep is None:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
