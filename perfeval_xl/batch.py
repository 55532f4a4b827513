"""Many intake workbooks -> DIR/annex/*.xlsx, DIR/results.jsonl, DIR/summary.xlsx.

`discover` finds the spreadsheets under the given files and folders;
`run_batch` scores them in worker processes and writes the outputs.

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

import multiprocessing
import os
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath

from .evaluate import Result, evaluate_file, failed, sha256_of
from .grid import SUPPORTED_SUFFIXES
from .problems import ERROR, problem
from .profiles import Profile
from .record import to_json
from .writers.annex import annex_filename, render_annex
from .writers.layout import Layout
from .writers.summary import Entry, SummaryWriter, entry_of

ANNEX_DIR = "annex"
RESULTS_NAME = "results.jsonl"
SUMMARY_NAME = "summary.xlsx"
# The Annex names the last run wrote, so that the next run removes exactly
# those it does not write again and never a file of anyone else's.
MANIFEST_NAME = ".perfeval-annex-list"
STAGING_PREFIX = ".perfeval-run-"
LOCK_PREFIX = "~$"
# TEST ONLY: a worker that meets a file of this name kills itself, as a
# reader's segfault would. tests/test_batch.py uses it to check that a dead
# worker costs only its own file.
KILL_HOOK = "PERFEVAL_TEST_KILL_WORKER_ON"

MAX_CHUNK = 16
# How far ahead of the oldest unfinished file the workers may run; bounds the
# outcomes held while a slow file keeps the input order waiting.
MAX_AHEAD = 2048
DIED = "工作进程意外退出，可能是读取程序崩溃或内存不足"
DIED_EN = "the worker process died: a reader crashed or memory ran out"


class BatchError(Exception):
    """The batch cannot run as asked: a usage error."""


class OutputError(Exception):
    """The outputs could not be put in place (a file open in Excel, a full disk)."""


class Interrupted(Exception):
    """Ctrl-C: the run stopped before its outputs were written; DIR is unchanged."""

    def __init__(self, done: int, total: int):
        super().__init__(f"interrupted after {done} of {total} files")
        self.done = done
        self.total = total


@dataclass(frozen=True)
class Discovery:
    # Each path is the input as given joined with the path below it: where to
    # open the file, and how its record and the summary name it.
    paths: list[str]
    unreadable: list[str] = field(default_factory=list)   # what could not be listed


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back for one file: small, with no workbook objects in it."""

    index: int
    record: str             # the JSON record, on one line
    entry: Entry            # what the summary needs
    annex: str | None       # the Annex file name it asks for; the workbook waits in staging as f"{index}.xlsx"
    has_errors: bool


@dataclass
class Report:
    files: int = 0
    scored: int = 0
    failed: int = 0
    findings: int = 0
    errors: int = 0           # error-level findings of the scored files
    with_errors: int = 0      # scored files with at least one error-level finding
    seconds: float = 0.0
    out_dir: Path = Path(".")
    failures: list[str] = field(default_factory=list)   # the first few "file: reason" lines

    @property
    def exit_code(self) -> int:
        return int(bool(self.failed or self.with_errors))


# --- finding the files -------------------------------------------------------

def is_candidate(name: str) -> bool:
    """A spreadsheet by its name, and neither an Excel/WPS lock file nor hidden."""
    return (
        not name.startswith((LOCK_PREFIX, "."))
        and name.lower().endswith(SUPPORTED_SUFFIXES)
    )


def _hidden(entry: os.DirEntry) -> bool:
    if entry.name.startswith("."):
        return True
    if os.name != "nt":
        return False
    # Windows marks hidden files by an attribute ($RECYCLE.BIN, Office's temporary files).
    return bool(entry.stat(follow_symlinks=False).st_file_attributes & stat.FILE_ATTRIBUTE_HIDDEN)


def _path_key(path: str) -> tuple[str, ...]:
    # By path components, so that a folder's files stay together whatever
    # characters sort between "/" and the next name.
    return PurePath(path).parts


def discover(inputs: Iterable[str | Path], *, exclude: Iterable[str | Path] = ()) -> Discovery:
    """Every spreadsheet under `inputs`, sorted by path, each once.

    Folders are searched recursively for .xlsx .xlsm .xls .ods, skipping
    `~$` lock files, hidden files and folders, and the `exclude` files and
    folders (our own outputs). A file named on its own is taken as it is:
    the user asked for it, and if it is no spreadsheet its record says so.
    """
    excluded = {os.path.realpath(path) for path in exclude}
    excluded_names = {os.path.basename(path) for path in excluded}
    found: list[str] = []
    unreadable: list[str] = []
    for given in inputs:
        given = str(Path(given))
        if not os.path.isdir(given):
            found.append(given)
            continue
        stack = [given]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError:
                unreadable.append(folder)
                continue
            for entry in entries:
                path = os.path.join(folder, entry.name)
                try:
                    if _hidden(entry) or (entry.name in excluded_names and os.path.realpath(path) in excluded):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(path)
                    elif is_candidate(entry.name) and entry.is_file():
                        found.append(path)
                except OSError:
                    unreadable.append(path)
    found.sort(key=_path_key)
    seen: set[str] = set()
    unique = []
    for path in found:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return Discovery(unique, unreadable)


# --- the worker ----------------------------------------------------------------

_WORKER: dict = {}
Item = tuple[int, str]    # (index in input order, path)


def _start_worker(profile: Profile, staging: str, kill_on: str | None, layout: Layout | None) -> None:
    # Ctrl-C reaches every process of the terminal's group; only the main
    # process decides what to do with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER.update(profile=profile, staging=Path(staging), kill_on=kill_on, layout=layout)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    # A worker whose main process was killed outright would otherwise wait
    # for work forever.
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _score_chunk(items: list[Item]) -> list[Outcome]:
    return [_score_one(index, path) for index, path in items]


def _score_one(index: int, path: str) -> Outcome:
    profile, staging = _WORKER["profile"], _WORKER["staging"]
    if _WORKER["kill_on"] and os.path.basename(path) == _WORKER["kill_on"]:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
    outcome, annex = score_one(index, path, profile, _WORKER["layout"])
    if annex is None:
        return outcome
    try:
        (staging / f"{index}.xlsx").write_bytes(annex)
        return outcome
    except Exception as exc:   # a full disk, say: this file's outcome says so
        reason = _reason(exc)
        return _outcome(index, _crashed(path, profile, reason, reason), None)


def score_one(
    index: int, path: str, profile: Profile, layout: Layout | None, *,
    read_from: str | None = None, created: datetime | None = None,
) -> tuple[Outcome, bytes | None]:
    """One file's Outcome and its Annex workbook as bytes (None when it has none).

    `path` is how the outputs name the file; `read_from`, where it is read
    when that is elsewhere (a cluster worker's copy). Never raises: a bug on
    one file becomes its `worker-crashed` record.
    """
    try:
        result = evaluate_file(read_from or path, profile, display_path=path)
        if not result.ok:
            return _outcome(index, result, None), None
        return _outcome(index, result, annex_filename(result)), render_annex(result, layout, created=created)
    except Exception as exc:   # a bug on one file must cost only that file
        reason = _reason(exc)
        return _outcome(index, _crashed(path, profile, reason, reason, read_from=read_from), None), None


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _outcome(index: int, result: Result, annex: str | None) -> Outcome:
    return Outcome(index, to_json(result), entry_of(result), annex, result.has_errors)


def _crashed(path: str, profile: Profile, reason: str, reason_en: str, *, read_from: str | None = None) -> Result:
    try:
        digest = sha256_of(Path(read_from or path))
    except OSError:
        digest = ""
    return failed(path, digest, profile, problem("worker-crashed", ERROR, reason=reason, reason_en=reason_en))


# --- running the workers ---------------------------------------------------------


@dataclass(frozen=True)
class _Stage:
    workers: int
    chunk: int
    window: int      # chunks in flight at once


def _plan(workers: int, files: int) -> list[_Stage]:
    """Normal running, then the suspects of a dead worker one per task, then alone."""
    chunk = max(1, min(MAX_CHUNK, files // (workers * 16)))
    return [_Stage(workers, chunk, 2 * workers + 1), _Stage(workers, 1, workers), _Stage(1, 1, 1)]


def _pool(workers: int, init: tuple) -> ProcessPoolExecutor:
    # spawn, not fork: the main process runs a progress thread, and forking a
    # threaded process can deadlock; spawn is also what Windows and macOS do.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=init)


def _stop(executor: ProcessPoolExecutor) -> None:
    # The executor has no public way to stop work in progress (its private
    # process table is the only handle); on Ctrl-C we do not wait for the
    # workers to finish their files.
    for process in list(getattr(executor, "_processes", {}).values()):
        process.terminate()
    executor.shutdown(wait=True, cancel_futures=True)


def _run(items: list[Item], plan: list[_Stage], init: tuple) -> Iterator[Outcome]:
    """An Outcome for every item, in the order they finish."""
    stage, profile = plan[0], init[0]
    chunks = deque(items[i:i + stage.chunk] for i in range(0, len(items), stage.chunk))
    executor = None
    in_flight: dict = {}
    try:
        while chunks or in_flight:
            if executor is None:
                executor = _pool(min(stage.workers, len(chunks)), init)
            while chunks and len(in_flight) < stage.window and (
                not in_flight or chunks[0][0][0] - min(c[0][0] for c in in_flight.values()) < MAX_AHEAD
            ):
                chunk = chunks.popleft()
                in_flight[executor.submit(_score_chunk, chunk)] = chunk
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            suspects: list[Item] = []
            for future in done:
                chunk = in_flight.pop(future)
                try:
                    yield from future.result()
                except BrokenProcessPool:
                    suspects.extend(chunk)
            if not suspects:
                continue
            # A worker died. Every file in flight may be the one: collect what
            # did finish, then run the others again, more carefully.
            wait(in_flight)
            for future, chunk in in_flight.items():
                try:
                    yield from future.result()
                except BrokenProcessPool:
                    suspects.extend(chunk)
            in_flight.clear()
            executor.shutdown(wait=True)
            executor = None
            suspects.sort()
            if len(plan) == 1:      # alone: this file killed the worker
                for index, path in suspects:
                    yield _outcome(index, _crashed(path, profile, DIED, DIED_EN), None)
            else:
                yield from _run(suspects, plan[1:], init)
        if executor is not None:
            executor.shutdown(wait=True)
            executor = None
    finally:
        if executor is not None:      # Ctrl-C, or the consumer stopped early
            _stop(executor)


def _in_order(outcomes: Iterator[Outcome], arrived: Callable[[Outcome], None]) -> Iterator[Outcome]:
    """Outcomes by index, whatever order the workers finish in."""
    waiting: dict[int, Outcome] = {}
    following = 0
    try:
        for outcome in outcomes:
            arrived(outcome)
            waiting[outcome.index] = outcome
            while following in waiting:
                yield waiting.pop(following)
                following += 1
    finally:
        outcomes.close()


# --- the run ---------------------------------------------------------------------

def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))    # the CPUs this process may use (containers)
    except AttributeError:
        return os.cpu_count() or 1


def output_paths(out_dir: str | Path) -> tuple[Path, Path, Path]:
    """DIR/annex, DIR/summary.xlsx, DIR/results.jsonl: what a run writes, and what discovery skips."""
    out_dir = Path(out_dir)
    return out_dir / ANNEX_DIR, out_dir / SUMMARY_NAME, out_dir / RESULTS_NAME


class _AnnexNames:
    """Unique Annex names in input order: the second `X.xlsx` becomes `X (2).xlsx`.

    Compared case-folded, as Windows and macOS compare file names.
    """

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.last: dict[str, int] = {}    # the last number given to a repeated name

    def claim(self, name: str) -> str:
        stem, suffix = os.path.splitext(name)
        key = name.casefold()
        number = self.last.get(key, 1)
        candidate = name if number == 1 else f"{stem} ({number}){suffix}"
        while candidate.casefold() in self.taken:
            number += 1
            candidate = f"{stem} ({number}){suffix}"
        if number > 1:
            self.last[key] = number
        self.taken.add(candidate.casefold())
        return candidate


def run_batch(
    paths: list[str],
    profile: Profile,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    layout: Layout | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
) -> Report:
    """Score every file and write DIR/annex/, DIR/results.jsonl and DIR/summary.xlsx.

    `paths` in the order the outputs follow (as `discover` gives them);
    `layout` is the Annex layout, loaded once (None: national).
    `progress(done, failed)` is called as each file finishes. `scheduler`,
    the address of a Dask distributed scheduler (tcp://HOST:PORT), has that
    cluster's workers score the files instead of local worker processes
    (distributed.py); the outputs are the same, byte for byte. Raises
    BatchError when an input is one of our outputs or the cluster cannot be
    used, OutputError when the outputs cannot be put in place, Interrupted
    on Ctrl-C (DIR is then left as it was).
    """
    started = time.monotonic()
    out_dir = Path(out_dir)
    _refuse_inputs_among_outputs(paths, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = Report(files=len(paths), out_dir=out_dir)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    counts = {"done": 0, "failed": 0}

    def arrived(outcome: Outcome) -> None:
        counts["done"] += 1
        counts["failed"] += outcome.entry.project is None
        if progress is not None:
            progress(counts["done"], counts["failed"])

    try:
        if scheduler is not None:
            from .distributed import run_on_cluster

            finished = run_on_cluster(list(enumerate(paths)), profile, layout, staging, scheduler)
        else:
            init = (profile, str(staging), os.environ.get(KILL_HOOK) or None, layout)
            finished = _run(list(enumerate(paths)), _plan(max(1, workers or default_workers()), len(paths)), init)
        outcomes = _in_order(finished, arrived)
        written = _write_staged(outcomes, staging, profile, report)
        with _uninterruptible():
            _commit(staging, out_dir, written)
    except KeyboardInterrupt:
        raise Interrupted(counts["done"], len(paths)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report


def _write_staged(outcomes: Iterator[Outcome], staging: Path, profile: Profile, report: Report) -> set[str]:
    """Write every output into staging, in input order; return the Annex names taken (case-folded).

    staging/annex/ receives each Annex under its final name and
    staging/.perfeval-annex-list their names, so that nothing per file is
    kept in memory but its name.
    """
    names = _AnnexNames()
    annexes = staging / ANNEX_DIR
    annexes.mkdir()
    summary = SummaryWriter(staging / SUMMARY_NAME, profile, tmpdir=staging)
    try:
        with open(staging / RESULTS_NAME, "w", encoding="utf-8", newline="\n") as records, \
                open(staging / MANIFEST_NAME, "w", encoding="utf-8", newline="\n") as manifest:
            for outcome in outcomes:
                records.write(outcome.record + "\n")
                summary.add(outcome.entry)
                _count(report, outcome)
                if outcome.annex is not None:
                    name = names.claim(outcome.annex)
                    os.replace(staging / f"{outcome.index}.xlsx", annexes / name)
                    manifest.write(name + "\n")
    finally:
        outcomes.close()
    summary.close()
    return names.taken


FAILURES_LISTED = 10


def _count(report: Report, outcome: Outcome) -> None:
    entry = outcome.entry
    if entry.project is None:
        report.failed += 1
        if len(report.failures) < FAILURES_LISTED:
            report.failures.append(f"{entry.source}: {entry.reason} ({entry.failure})")
        return
    report.scored += 1
    report.findings += len(entry.findings)
    report.errors += entry.project.errors
    report.with_errors += outcome.has_errors


def _refuse_inputs_among_outputs(paths: list[str], out_dir: Path) -> None:
    annex_dir, *files = output_paths(out_dir)
    annex_real = os.path.realpath(annex_dir)
    written = {os.path.realpath(path) for path in files}
    for path in paths:
        real = os.path.realpath(path)
        if real in written or os.path.dirname(real) == annex_real:
            raise BatchError(f"输入文件 {path} 位于输出位置，会被本次运行覆盖或删除；请换一个输出文件夹（-o）")


@contextmanager
def _uninterruptible() -> Iterator[None]:
    """Ctrl-C is ignored while the outputs are renamed into place: DIR holds one run, never half of two."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:          # not the main thread: signals are not ours to handle
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _commit(staging: Path, out_dir: Path, written: set[str]) -> None:
    annex_dir, summary, results = output_paths(out_dir)
    target = summary
    try:
        # summary.xlsx first: the file most likely to be open in Excel, which
        # on Windows refuses the rename; then nothing else has been replaced.
        os.replace(staging / SUMMARY_NAME, summary)
        target = results
        os.replace(staging / RESULTS_NAME, results)
        target = annex_dir
        annex_dir.mkdir(exist_ok=True)
        previous = _read_manifest(annex_dir)
        with os.scandir(staging / ANNEX_DIR) as annexes:
            for entry in annexes:
                os.replace(entry.path, annex_dir / entry.name)
        os.replace(staging / MANIFEST_NAME, annex_dir / MANIFEST_NAME)
    except OSError as exc:
        raise OutputError(f"无法写入 {target}：{exc.strerror or exc}（文件是否正在 Excel/WPS 中打开？）") from exc
    for name in previous:
        stale = annex_dir / name
        if name.casefold() not in written and stale.is_file() and not stale.is_symlink():
            try:
                stale.unlink()
            except OSError:
                pass    # a stale Annex open elsewhere stays; the new ones are all in place


def _read_manifest(annex_dir: Path) -> list[str]:
    try:
        lines = (annex_dir / MANIFEST_NAME).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    # Only plain names of ours: a line that names another folder is ignored.
    return [line for line in lines if line and Path(line).name == line and line.endswith(".xlsx") and not line.startswith(".")]
