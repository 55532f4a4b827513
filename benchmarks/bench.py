"""How fast perfeval-xl is, beside what a user would write and beside the floor.

    python benchmarks/bench.py --quick            # a few minutes
    python benchmarks/bench.py                    # the full run behind docs/performance.md
    python benchmarks/bench.py --files 500 --memory 1000 5000 --summary 50000 --json out.json

Everything is measured in this one run, on generated data (benchmarks/corpus.py:
realistic intake workbooks under a temporary folder, removed at the end
unless --data names a folder to keep them in):

- stages per workbook, as medians: read, check+score, write the Annex; and
  the same stages for the floor (python-calamine reading every sheet,
  xlsxwriter writing the same Annex cells replayed with no logic) and for the
  baseline (pandas with the openpyxl engine reading, openpyxl writing);
- end to end over the same folder, files per second: `run_batch` with 1 and
  2 workers, the baseline pipeline (benchmarks/baseline.py) and the floor,
  interleaved and repeated (--repeat), each in a fresh interpreter;
- peak memory (main process and largest worker) of a batch of --memory N
  files, for each N, and the time of the largest, projected to 100,000;
- the summary workbook of --summary synthetic projects: time and peak memory;
- the start-up time of `perfeval --help`.

It prints a table of medians, ratios and the goals of docs/performance.md,
and writes it all as JSON (--json). Nothing here is part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for folder in (str(ROOT), str(HERE)):
    if folder not in sys.path:
        sys.path.insert(0, folder)

import corpus  # noqa: E402

SEED = 2024
PROVINCE = 100_000

# The goals of the issue "Fast at province scale" (docs/performance.md).
GOALS = {
    "baseline_over_batch1": (">=", 5.0, "1 worker vs pandas+openpyxl doing the same work"),
    "batch1_over_floor": ("<=", 2.0, "1 worker vs the floor (calamine + xlsxwriter, no logic)"),
    "batch2_over_batch1": (">=", 1.7, "2 workers vs 1 worker"),
    "projected_100k_seconds": ("<=", 600.0, "100,000 workbooks, 2 workers, projected"),
    "memory_growth": ("<=", 1.2, "main-process peak, largest N / smallest N"),
    "summary_peak_mb": ("<=", 150.0, "main-process peak writing the summary"),
    "summary_seconds": ("<=", 25.0, "time to write the summary"),
    "help_seconds": ("<", 0.5, "start-up of perfeval --help"),
}


# --- what runs in a fresh interpreter -------------------------------------------------


def _peaks() -> dict:
    """Peak resident memory (MB) of this process and of its largest finished child."""
    return {
        "main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def _paths(folder: str, limit: int | None = None) -> list[str]:
    from perfeval_xl.batch import discover

    paths = discover([folder]).paths
    return paths[:limit] if limit else paths


def child_batch(folder: str, workers: str) -> dict:
    from perfeval_xl.batch import run_batch
    from perfeval_xl.profiles import load_profile

    out = tempfile.mkdtemp(prefix="perfeval-bench-out-")
    try:
        started = time.perf_counter()
        report = run_batch(_paths(folder), load_profile("national"), out, workers=int(workers))
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"files": report.files, "failed": report.failed, "seconds": seconds, **_peaks()}


def child_baseline(folder: str) -> dict:
    from baseline import run_baseline
    from perfeval_xl.profiles import load_profile
    from perfeval_xl.writers.annex.layout import load_layout

    out = Path(tempfile.mkdtemp(prefix="perfeval-bench-base-"))
    try:
        paths = _paths(folder)
        started = time.perf_counter()
        run_baseline(paths, load_profile("national"), load_layout(None), out)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"files": len(paths), "seconds": seconds, **_peaks()}


def child_floor(folder: str) -> dict:
    """calamine reads each file, xlsxwriter writes its Annex cells replayed: only those timed."""
    from baseline import read_with_calamine, record_annex
    from perfeval_xl.evaluate import evaluate_file
    from perfeval_xl.profiles import load_profile
    from perfeval_xl.writers.annex.layout import load_layout

    profile, layout = load_profile("national"), load_layout(None)
    out = Path(tempfile.mkdtemp(prefix="perfeval-bench-floor-"))
    paths = _paths(folder)
    seconds = 0.0
    try:
        for index, path in enumerate(paths):
            result = evaluate_file(path, profile)               # not timed: the logic
            recording = record_annex(result, layout) if result.ok else None
            started = time.perf_counter()
            try:
                read_with_calamine(path)
            except Exception:       # a damaged file: reading it is all there is to do
                pass
            if recording is not None:
                (out / f"{index}.xlsx").write_bytes(recording.replay())
            seconds += time.perf_counter() - started
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"files": len(paths), "seconds": seconds}


def child_stages(folder: str, limit: str) -> dict:
    """Per workbook, interleaved: our stages, the floor's and the baseline's (milliseconds)."""
    from baseline import OpenpyxlWorkbook, read_with_calamine, read_with_pandas, record_annex
    from perfeval_xl.evaluate import score_project, sha256_of
    from perfeval_xl.reading.intake import read_intake
    from perfeval_xl.profiles import load_profile
    from perfeval_xl.writers.annex import fill_annex, render_annex
    from perfeval_xl.writers.annex.layout import load_layout

    profile, layout = load_profile("national"), load_layout(None)
    out = Path(tempfile.mkdtemp(prefix="perfeval-bench-stages-"))
    times: dict[str, list[float]] = {key: [] for key in (
        "read", "score", "write", "floor_read", "floor_write", "baseline_read", "baseline_write")}
    clock = time.perf_counter
    try:
        for path in _paths(folder, int(limit)):
            started = clock()
            intake, found = read_intake(path)
            read = clock() - started
            if intake is None:
                continue
            times["read"].append(read)
            started = clock()
            result = score_project(intake, profile, tuple(found), source_path=path, source_sha256=sha256_of(Path(path)))
            times["score"].append(clock() - started)
            started = clock()
            (out / "ours.xlsx").write_bytes(render_annex(result, layout))
            times["write"].append(clock() - started)

            started = clock()
            read_with_calamine(path)
            times["floor_read"].append(clock() - started)
            recording = record_annex(result, layout)
            started = clock()
            (out / "floor.xlsx").write_bytes(recording.replay())
            times["floor_write"].append(clock() - started)

            started = clock()
            read_with_pandas(Path(path))
            times["baseline_read"].append(clock() - started)
            started = clock()
            workbook = OpenpyxlWorkbook()
            fill_annex(workbook, result, layout)
            workbook.save(out / "baseline.xlsx")
            times["baseline_write"].append(clock() - started)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {key: statistics.median(values) * 1000 for key, values in times.items()} | {"files": len(times["read"])}


def child_summary(projects: str) -> dict:
    """The summary workbook of `projects` synthetic results, as a batch's main process writes it."""
    from decimal import Decimal

    from perfeval_xl.profiles import load_profile
    from perfeval_xl.writers.summary import Entry, Finding, ProjectLine, SummaryWriter

    profile = load_profile("national")
    rng = random.Random(SEED)
    departments = [place + office for place in corpus.PLACES for office in corpus.OFFICES]
    codes = ("self-score-high", "self-score-low", "deviation-reason-missing", "unit-mismatch", "actual-missing")
    out = Path(tempfile.mkdtemp(prefix="perfeval-bench-summary-"))
    try:
        started = time.perf_counter()
        writer = SummaryWriter(out / "summary.xlsx", profile, tmpdir=out)
        for index in range(int(projects)):
            source = f"收件箱/{rng.choice(departments)}/{index:06d}_项目.xlsx"
            findings = tuple(
                Finding("警告", rng.choice(codes), "绩效指标", f"H{rng.randint(3, 30)}", "自评得分与核算得分不一致，请核对。")
                for _ in range(rng.choice((0, 1, 2, 3, 4, 7)))     # 2.8 a project, as in the corpus
            )
            if rng.random() < 0.01:
                writer.add(Entry(source, None, (Finding("错误", "file-unreadable", "", "", "文件已损坏"),), "file-unreadable"))
                continue
            annual = Decimal(rng.randint(500, 300000)) / 100
            executed = (annual * Decimal(rng.randint(60, 100)) / 100).quantize(Decimal("0.01"))
            total = Decimal(rng.randint(5500, 10000)) / 100
            line = ProjectLine(
                year=2023, department=rng.choice(departments), unit="某单位", code=f"XM-{index:06d}",
                name=f"{rng.choice(corpus.SUBJECTS)}项目（{index:06d}）", annual=annual, executed=executed,
                rate=executed / annual, budget_score=Decimal("9.5"), output=Decimal("45"), benefit=Decimal("27"),
                satisfaction=Decimal("9"), total=total, self_total=total + rng.choice((0, 0, 2)),
                grade=profile.grade(total), unverified=Decimal(rng.choice((0, 0, 0, 5))),
                errors=rng.choice((0, 0, 0, 1)), warnings=len(findings),
            )
            writer.add(Entry(source, line, findings))
        writer.close()
        seconds = time.perf_counter() - started
        size = (out / "summary.xlsx").stat().st_size
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"projects": int(projects), "seconds": seconds, "bytes": size, **_peaks()}


CHILDREN = {"batch": child_batch, "baseline": child_baseline, "floor": child_floor,
            "stages": child_stages, "summary": child_summary}


# --- the parent: runs children, prints and saves ------------------------------------------


def run_child(name: str, *args: object) -> dict:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", name, *map(str, args)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench: {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def help_seconds(runs: int = 7) -> float:
    command = [shutil.which("perfeval")] if shutil.which("perfeval") else [sys.executable, "-m", "perfeval_xl"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([*command, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        memory_gb = round(int(memory) / 1024 / 1024, 1)
    except (OSError, StopIteration):
        memory_gb = None
    from importlib.metadata import version

    return {
        "cpu": model or platform.processor(), "cores": len(os.sched_getaffinity(0)), "memory_gb": memory_gb,
        "system": platform.platform(), "python": platform.python_version(),
        "libraries": {name: version(name) for name in ("python-calamine", "xlsxwriter", "openpyxl", "pandas")},
    }


def _goal_line(key: str, value: float) -> str:
    op, target, what = GOALS[key]
    met = {"<=": value <= target, ">=": value >= target, "<": value < target}[op]
    return f"  {what:<52} {value:>9.2f}  goal {op} {target:<6g} {'met' if met else 'NOT met'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    parser.add_argument("--files", type=int, help="workbooks for the comparisons (default 1000; quick 200)")
    parser.add_argument("--memory", type=int, nargs="+", help="batch sizes for peak memory (default 1000 10000; quick 200 1000)")
    parser.add_argument("--summary", type=int, help="synthetic projects in the summary (default 100000; quick 20000)")
    parser.add_argument("--repeat", type=int, help="end-to-end runs of each pipeline (default 3; quick 1)")
    parser.add_argument("--data", type=Path, help="keep the generated workbooks here (reused when complete)")
    parser.add_argument("--json", type=Path, default=Path("bench-results.json"), help="where the results go")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, *rest = args.child
        print(json.dumps(CHILDREN[name](*rest)))
        return

    quick = args.quick
    files = args.files or (200 if quick else 1000)
    memory_sizes = sorted(args.memory or ([200, 1000] if quick else [1000, 10000]))
    summary_projects = args.summary or (20_000 if quick else PROVINCE)
    repeat = args.repeat or (1 if quick else 3)
    base = args.data or Path(tempfile.mkdtemp(prefix="perfeval-bench-"))
    results: dict = {"machine": machine(), "files": files, "repeat": repeat, "seed": SEED}
    try:
        started = time.monotonic()
        jobs = len(os.sched_getaffinity(0))
        sizes = sorted({files, *memory_sizes})
        folders = {size: corpus.generate(base / f"inbox-{size}", size, seed=SEED, jobs=jobs) for size in sizes}
        print(f"corpus: {', '.join(str(size) for size in sizes)} workbooks in {base} "
              f"({time.monotonic() - started:.0f} s to make)", flush=True)
        comparison = str(folders[files])

        print("stages ...", flush=True)
        results["stages_ms"] = run_child("stages", comparison, min(files, 500))

        print("end to end ...", flush=True)
        runs: dict[str, list[dict]] = {"batch1": [], "batch2": [], "baseline": [], "floor": []}
        for _ in range(repeat):     # interleaved, so that the machine's noise falls on all alike
            runs["batch1"].append(run_child("batch", comparison, 1))
            runs["batch2"].append(run_child("batch", comparison, 2))
            runs["baseline"].append(run_child("baseline", comparison))
            runs["floor"].append(run_child("floor", comparison))
        seconds = {name: statistics.median(run["seconds"] for run in done) for name, done in runs.items()}
        results["end_to_end"] = {name: {"seconds": seconds[name], "files_per_second": files / seconds[name],
                                        "runs": done} for name, done in runs.items()}

        print("memory ...", flush=True)
        results["memory"] = {size: run_child("batch", str(folders[size]), 2) for size in memory_sizes}
        print("summary ...", flush=True)
        results["summary"] = run_child("summary", summary_projects)
        results["help_seconds"] = help_seconds()
    finally:
        if args.data is None:
            shutil.rmtree(base, ignore_errors=True)

    largest, smallest = results["memory"][memory_sizes[-1]], results["memory"][memory_sizes[0]]
    summary = results["summary"]
    results["ratios"] = {
        "baseline_over_batch1": seconds["baseline"] / seconds["batch1"],
        "batch1_over_floor": seconds["batch1"] / seconds["floor"],
        "batch2_over_batch1": seconds["batch1"] / seconds["batch2"],
        "projected_100k_seconds": largest["seconds"] * PROVINCE / memory_sizes[-1],
        "memory_growth": largest["main_mb"] / smallest["main_mb"],
        # Scaled to 100,000 projects when fewer were written (--quick): time grows linearly, memory does not.
        "summary_seconds": summary["seconds"] * PROVINCE / summary["projects"],
        "summary_peak_mb": summary["main_mb"],
        "help_seconds": results["help_seconds"],
    }
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print_table(results, memory_sizes)
    print(f"\nwritten: {args.json}")


def print_table(results: dict, memory_sizes: list[int]) -> None:
    m, s, e = results["machine"], results["stages_ms"], results["end_to_end"]
    print(f"\nmachine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}; "
          + ", ".join(f"{k} {v}" for k, v in m["libraries"].items()))
    print(f"\nper workbook, median ms ({s['files']} workbooks)   perfeval-xl     floor  baseline")
    print(f"  read                                   {s['read']:>10.2f} {s['floor_read']:>9.2f} {s['baseline_read']:>9.2f}")
    print(f"  check + score                          {s['score']:>10.2f} {'—':>9} {'(same)':>9}")
    print(f"  write Annex (4 sheets)                 {s['write']:>10.2f} {s['floor_write']:>9.2f} {s['baseline_write']:>9.2f}")
    total = s["read"] + s["score"] + s["write"]
    print(f"  sum                                    {total:>10.2f} {s['floor_read'] + s['floor_write']:>9.2f} "
          f"{s['baseline_read'] + s['score'] + s['baseline_write']:>9.2f}")
    print(f"\nend to end, {results['files']} workbooks (median of {results['repeat']})        s   files/s  ms/file")
    names = {"batch1": "perfeval batch, 1 worker", "batch2": "perfeval batch, 2 workers",
             "baseline": "baseline: pandas+openpyxl, 1 process", "floor": "floor: calamine+xlsxwriter, no logic"}
    for key, label in names.items():
        row = e[key]
        print(f"  {label:<40} {row['seconds']:>7.2f} {row['files_per_second']:>9.1f} {1000 / row['files_per_second']:>8.2f}")
    print("\nbatch with 2 workers: peak memory            s   main MB  worker MB")
    for size in memory_sizes:
        row = results["memory"][size]
        print(f"  {size:>7,} workbooks                   {row['seconds']:>7.1f} {row['main_mb']:>9.0f} {row['worker_mb']:>10.0f}")
    summary = results["summary"]
    print(f"\nsummary of {summary['projects']:,} projects: {summary['seconds']:.1f} s, peak {summary['main_mb']:.0f} MB, "
          f"{summary['bytes'] / 1e6:.1f} MB file")
    print(f"perfeval --help: {results['help_seconds']:.2f} s")
    print("\ngoals")
    for key, value in results["ratios"].items():
        print(_goal_line(key, value))


if __name__ == "__main__":
    main()
