"""One batch run: score every file and write DIR/annex/*.xlsx, DIR/results.jsonl, DIR/summary.xlsx.

A bad file never spoils the rest: each file is scored on its own, a file that
cannot be read becomes a failure record, an exception while scoring becomes a
`worker-crashed` record, and a worker process that dies (a reader's segfault,
memory) is found by running the files it might have held again, one at a
time, so that only the file that kills a worker is lost.

Outputs are reproducible and never half written. Workers finish in any
order; their outcomes are put back in input order before anything is
written, so records, 序号 and the ` (2)` of a repeated Annex name follow the
sorted input paths. Everything is written first into a hidden staging folder
inside DIR and renamed into place only when the whole run is complete: an
interrupted run leaves DIR exactly as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import Interrupted, OutputError
from ..text import printable_path
from ..profiles import Profile
from ..review.duplicates import MAX_NAMED, Print, find, print_of
from ..review.findings import copy_problem, with_findings
from ..review.risk import batch_patterns, departments_all_full
from ..reading.preflight import DEFAULT_LIMITS, Limits
from ..writers.annex import Layout, load_layout
from ..writers.summary import SummaryWriter
from .outputs import (
    ANNEX_DIR, MANIFEST_NAME, REPORT_DIR, REPORT_MANIFEST_NAME, RESULTS_NAME, STAGING_PREFIX, SUMMARY_NAME,
    AnnexNames, OutputLock, commit, refuse_inputs_among_outputs, refuse_links, remove_stale_staging, report_dir,
    sigterm_as_interrupt, uninterruptible,
)
from .pool import Outcome, Run, in_order, plan, run_local


@dataclass
class Report:
    files: int = 0
    scored: int = 0
    failed: int = 0
    findings: int = 0
    errors: int = 0           # error-level findings of the scored files
    with_errors: int = 0      # scored files with at least one error-level finding
    seconds: float = 0.0
    reports: int = 0          # 自评报告 written (--reports)
    out_dir: Path = Path(".")
    failures: list[str] = field(default_factory=list)   # the first few "file: reason" lines
    error_files: list[str] = field(default_factory=list)  # the first few files failed or with errors, in order

    @property
    def exit_code(self) -> int:
        """The gate's status (`batch --strict`): 1 when some file failed or has error-level findings."""
        return int(bool(self.failed or self.with_errors))


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))    # the CPUs this process may use (containers)
    except AttributeError:
        return os.cpu_count() or 1


def run_batch(
    paths: list[str],
    profile: Profile,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    layout: Layout | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    reports: bool = False,
) -> Report:
    """Score every file and write DIR/annex/, DIR/results.jsonl and DIR/summary.xlsx.

    `paths` in the order the outputs follow (as `discover` gives them);
    `layout` is the Annex layout (None: national), loaded here once for all the workers.
    `progress(done, failed)` is called as each file finishes. `scheduler`,
    the address of a Dask distributed scheduler (tcp://HOST:PORT), has that
    cluster's workers score the files instead of local worker processes
    (distributed.py); the outputs are the same, byte for byte. Raises
    UsageError when an input is one of our outputs or the cluster cannot be
    used, OutputError when the outputs cannot be put in place, Interrupted
    on Ctrl-C (DIR is then left as it was). `reports` also writes each
    project's 自评报告 into DIR/reports/, staged and committed like the Annexes.
    """
    started = time.monotonic()
    # Loaded here, once, for every worker, local or on a cluster: each is handed it rather than
    # reading the template itself (openpyxl's import and the read cost a worker about 0.26 s of CPU).
    layout = load_layout(layout)
    out_dir = Path(out_dir)
    refuse_inputs_among_outputs(paths, out_dir)
    if reports:
        _refuse_inputs_among_reports(paths, out_dir)
    report = Report(files=len(paths), out_dir=out_dir)
    counts = {"done": 0, "failed": 0}

    def arrived(outcome: Outcome) -> None:
        counts["done"] += 1
        counts["failed"] += outcome.entry.project is None
        if progress is not None:
            progress(counts["done"], counts["failed"])

    with _disk_errors(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
    refuse_links(out_dir)
    lock = OutputLock(out_dir)
    lock.acquire()
    staging = None
    try:
        with sigterm_as_interrupt():
            remove_stale_staging(out_dir)
            with _disk_errors(out_dir):
                staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
            if scheduler is not None:
                from .cluster import run_on_cluster

                finished = run_on_cluster(list(enumerate(paths)), profile, layout, staging, scheduler, reports, limits)
            else:
                run = Run(profile, str(staging), layout, limits, reports)
                finished = run_local(list(enumerate(paths)), plan(max(1, workers or default_workers()), len(paths)), run)
            outcomes = in_order(finished, arrived)
            with _disk_errors(out_dir):
                written, reported = _write_staged(outcomes, staging, profile, report, reports, paths)
            with uninterruptible():
                commit(staging, out_dir, written, reported if reports else None)
    except KeyboardInterrupt:
        raise Interrupted(counts["done"], len(paths)) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        lock.release()
    report.seconds = time.monotonic() - started
    return report


def _write_staged(outcomes: Iterator[Outcome], staging: Path, profile: Profile, report: Report,
                  reports: bool = False, paths: list[str] | None = None) -> tuple[set[str], set[str]]:
    """Write every output into staging, in input order; return the Annex and report names taken (case-folded).

    Two passes, because resubmissions and copies are only known once every
    file is in: the first moves each Annex (and, with `reports`, each report)
    under its final name into staging/annex/ (staging/reports/), with their
    manifests, spools each project's (record, Entry) to a file in staging and
    keeps only a small fingerprint per project (review.duplicates.Print); the
    second reads the spool back and writes results.jsonl and summary.xlsx,
    with the superseded records marked and the copies warned of.
    """
    names, report_names = AnnexNames(), AnnexNames()
    annexes = staging / ANNEX_DIR
    annexes.mkdir()
    if reports:
        (staging / REPORT_DIR).mkdir()
    prints: dict[int, Print] = {}
    totals: list[tuple[int, str, float]] = []
    own: dict[int, list[str]] = {}
    count = 0
    try:
        with open(staging / SPOOL_NAME, "wb") as spool, \
                open(staging / MANIFEST_NAME, "w", encoding="utf-8", newline="\n") as manifest, \
                (open(staging / REPORT_MANIFEST_NAME, "w", encoding="utf-8", newline="\n") if reports
                 else contextlib.nullcontext()) as report_manifest:
            for outcome in outcomes:
                for part in outcome.parts:     # a workbook of several Annex forms: one of each per project
                    _count(report, part)
                    if part.annex is not None:
                        name = names.claim(part.annex)
                        os.replace(staging / part.staged, annexes / name)
                        manifest.write(name + "\n")
                    if part.report is not None:
                        name = report_names.claim(part.report)
                        os.replace(staging / part.staged_report, staging / REPORT_DIR / name)
                        report_manifest.write(name + "\n")
                        report.reports += 1
                    pickle.dump((part.record, part.entry), spool, protocol=pickle.HIGHEST_PROTOCOL)
                    if part.entry.project is not None:
                        record = json.loads(part.record)
                        # By the path opened, not the one shown (a name that is not UTF-8 is shown escaped).
                        opened = paths[outcome.index] if paths is not None else part.entry.source
                        found = print_of(count, record, _mtime(opened), part.texts)
                        if found is not None:
                            prints[count] = found
                            totals.append((count, record["project"].get("department") or "", record["total_score"]))
                            reasons = batch_patterns(record, set())
                            if reasons:
                                own[count] = reasons
                    count += 1
    finally:
        outcomes.close()
    found = find(list(prints.values()))
    full = departments_all_full((department, total) for index, department, total in totals
                                if index not in found.superseded)
    full_index = {index for index, department, _ in totals if department in full}
    del totals
    summary = SummaryWriter(staging / SUMMARY_NAME, profile, tmpdir=staging)
    lines: dict[int, object] = {}
    wanted = {index for group in found.groups for index in group}
    with open(staging / SPOOL_NAME, "rb") as spool, \
            open(staging / RESULTS_NAME, "w", encoding="utf-8", newline="\n") as records:
        for index in range(count):
            text, entry = pickle.load(spool)
            if index in wanted:
                lines[index] = entry.project
            if index in found.superseded:
                record = json.loads(text)
                record["superseded_by"] = prints[found.superseded[index]].path
                records.write(json.dumps(record, ensure_ascii=False) + "\n")
                summary.add(entry, counted=False)
                continue
            reasons = list(own.get(index, ()))
            if index in full_index:
                reasons.append(FULL_DEPARTMENT)
            copies = found.copies.get(index)
            if copies:
                record = json.loads(text)
                warned = [copy_problem(copy, prints[copy.other], record) for copy in copies[:MAX_NAMED]]
                record["problems"] = record["problems"] + [p.to_dict() for p in warned]
                text = json.dumps(record, ensure_ascii=False)
                entry = with_findings(entry, warned)
                reasons.append(f"与其他项目的指标表或目标文本雷同 {len(warned)} 处")
            records.write(text + "\n")
            summary.add(entry, reasons)
    for number, group in enumerate(found.groups, start=1):
        kept = prints[group[0]].path
        for index in group:
            item = prints[index]
            summary.add_duplicate(number, lines[index], item.path, _when(item.mtime), None if index == group[0] else kept)
    summary.close()
    (staging / SPOOL_NAME).unlink()
    return names.taken, report_names.taken


def _refuse_inputs_among_reports(paths: list[str], out_dir: Path) -> None:
    from ..errors import UsageError

    reports = os.path.realpath(report_dir(out_dir))
    for path in paths:
        if os.path.dirname(os.path.realpath(path)) == reports:
            raise UsageError(f"输入文件 {path} 位于输出位置 {REPORT_DIR}/，会被本次运行覆盖或删除；请换一个输出文件夹（-o）")


SPOOL_NAME = ".perfeval-spool"
FULL_DEPARTMENT = "本部门全部项目均为100分"


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def _when(mtime: float) -> str:
    return datetime.fromtimestamp(mtime, timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if mtime else ""


FAILURES_LISTED = 10


@contextmanager
def _disk_errors(out_dir: Path) -> Iterator[None]:
    """A read-only or full disk is one line (OutputError, exit 1), never a traceback."""
    try:
        yield
    except OSError as exc:
        where = printable_path(exc.filename if isinstance(exc.filename, str) else str(out_dir))
        raise OutputError(f"无法写入 {where}：{exc.strerror or exc}（磁盘已满或只读？）；输出文件夹保持原样") from exc
    except Exception as exc:
        # xlsxwriter wraps the OSError of a full disk in its own FileCreateError.
        if type(exc).__module__.startswith("xlsxwriter"):
            raise OutputError(f"无法写入 {printable_path(str(out_dir))}：{exc}（磁盘已满或只读？）；输出文件夹保持原样") from exc
        raise


def _count(report: Report, outcome: Outcome) -> None:
    entry = outcome.entry
    if (entry.project is None or outcome.has_errors) and len(report.error_files) < FAILURES_LISTED \
            and entry.source not in report.error_files:
        report.error_files.append(entry.source)
    if entry.project is None:
        report.failed += 1
        if len(report.failures) < FAILURES_LISTED:
            report.failures.append(f"{entry.source}: {entry.reason} ({entry.failure})")
        return
    report.scored += 1
    report.findings += len(entry.findings)
    report.errors += entry.project.errors
    report.with_errors += outcome.has_errors
