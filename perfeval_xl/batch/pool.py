"""Scoring files in local worker processes, so that a bad file costs only itself.

Each file is scored on its own: an exception while scoring becomes its
`worker-crashed` record, and a worker process that dies (a reader's
segfault, memory) is found by running the files it might have held again,
one at a time, so that only the file that kills a worker is lost. Workers
finish in any order; `in_order` puts their outcomes back in input order.
"""

from __future__ import annotations

import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from ..contained import ReadTimeout, deadline, enter_limits, ran_out_of_memory, send_stderr_to
from ..evaluate import evaluate_path, failed, memory_problem, sha256_of, timeout_problem
from ..model import Result
from ..problems import ERROR, problem
from ..profiles import Profile
from ..review.duplicates import texts_digest
from ..reading.preflight import DEFAULT_LIMITS, Limits
from ..writers.annex import Layout, annex_filename, render_annex
from ..writers.record import to_json
from ..writers.summary import Entry, entry_of
from .. import processes

MAX_CHUNK = 16
# How far ahead of the oldest unfinished file the workers may run; bounds the
# outcomes held while a slow file keeps the input order waiting.
MAX_AHEAD = 2048
DIED = "工作进程意外退出，可能是读取程序崩溃或内存不足"
DIED_EN = "the worker process died: a reader crashed or memory ran out"


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back for one file: small, with no workbook objects in it."""

    index: int
    record: str             # the JSON record, on one line
    entry: Entry            # what the summary needs
    annex: str | None       # the Annex file name it asks for; the workbook waits in staging as `staged`
    has_errors: bool
    # A workbook of several Annex forms holds several projects: this Outcome
    # is its first, `more` the others (part 1, 2, ...), each with its own
    # record, summary entry and Annex.
    part: int = 0
    more: tuple[Outcome, ...] = ()
    report: str | None = None   # with --reports: the report's file name; it waits in staging as `staged_report`
    texts: str = ""             # digest of the goal + achievement texts (review.duplicates), "" when none

    @property
    def staged(self) -> str:
        """The name of this project's Annex in staging."""
        return f"{self.index}.xlsx" if self.part == 0 else f"{self.index}.{self.part}.xlsx"

    @property
    def staged_report(self) -> str:
        """The name of this project's 自评报告 in staging."""
        return self.staged[: -len(".xlsx")] + ".docx"

    @property
    def parts(self) -> tuple[Outcome, ...]:
        return (self, *self.more)


_WORKER: dict = {}
Item = tuple[int, str]    # (index in input order, path)


# Marks the file a worker is reading: staging/.reading-<index>; one older than
# the time limit names the file when a worker is killed past its deadline.
READING_PREFIX = ".reading-"
STDERR_PREFIX = ".stderr-"


@dataclass(frozen=True)
class Run:
    """What every worker of a run is given: the rules, the staging folder, the layout, the limits."""
    profile: Profile
    staging: str
    layout: Layout | None
    limits: Limits = DEFAULT_LIMITS
    reports: bool = False


def _start_worker(run: Run, parent: int | None, started_in: dict | None) -> None:
    # Ctrl-C reaches every process of the terminal's group; only the main
    # process decides what to do with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    processes.settle(started_in)
    # A worker is a contained reader (contained.py): it dies with the batch, whatever
    # it is doing, and cannot take more than limits.max_memory_bytes.
    enter_limits(run.limits.max_memory_bytes, parent)
    # What a dying library prints goes to a log in staging, not over the progress bar;
    # the main process reads it to tell a file too complex from another crash.
    send_stderr_to(Path(run.staging) / f"{STDERR_PREFIX}{os.getpid()}")
    _WORKER.update(profile=run.profile, staging=Path(run.staging), layout=run.layout, limits=run.limits,
                   reports=run.reports)
    processes.exit_with_parent()


def _score_chunk(items: list[Item]) -> list[Outcome]:
    return [_score_one(index, path) for index, path in items]


def _score_one(index: int, path: str) -> Outcome:
    profile, staging, limits = _WORKER["profile"], _WORKER["staging"], _WORKER.get("limits", DEFAULT_LIMITS)
    marker = staging / f"{READING_PREFIX}{index}"
    marker.touch()
    try:
        with deadline(limits.max_seconds):
            outcome, files = score_one(index, path, profile, _WORKER["layout"], limits=limits,
                                       reports=_WORKER.get("reports", False))
    except ReadTimeout:     # past the deadline outside the reader (rendering the Annex)
        outcome, files = timed_out(index, path, profile, limits), NO_FILES
    finally:
        marker.unlink(missing_ok=True)
    try:
        stage_files(staging, outcome, files)
        return outcome
    except Exception as exc:   # a full disk, say: this file's outcome says so
        reason = _reason(exc)
        return outcome_of(index, crashed(path, profile, reason, reason), None)


# What a worker writes for each project part: its Annex and (with --reports) its report, as bytes.
Files = tuple[tuple[bytes | None, bytes | None], ...]
NO_FILES: Files = ((None, None),)


def stage_files(staging: Path, outcome: Outcome, files: Files) -> None:
    """Each project's Annex (and report) into staging, under the names its Outcome part gives."""
    for part, (annex, report) in zip(outcome.parts, files):
        if annex is not None:
            (staging / part.staged).write_bytes(annex)
        if report is not None:
            (staging / part.staged_report).write_bytes(report)


def score_one(
    index: int, path: str, profile: Profile, layout: Layout | None, *,
    read_from: str | None = None, created: datetime | None = None, limits: Limits = DEFAULT_LIMITS,
    reports: bool = False,
) -> tuple[Outcome, Files]:
    """One file's Outcome and, for each of its projects in the order of
    `Outcome.parts`, its Annex workbook and (with `reports`) its 自评报告 as
    bytes (None for a project that has none).

    `path` is how the outputs name the file; `read_from`, where it is read
    when that is elsewhere (a cluster worker's copy). Raises only the
    ReadTimeout of a deadline the caller armed (the caller records it): a bug
    on one file becomes its `worker-crashed` record.
    """
    try:
        outcomes, files = [], []
        for part, result in enumerate(evaluate_path(read_from or path, profile, display_path=path, limits=limits)):
            if not result.ok:
                outcomes.append(outcome_of(index, result, None, part))
                files.append((None, None))
                continue
            outcome = outcome_of(index, result, annex_filename(result), part)
            report = None
            if reports:
                # python-docx is imported only by runs that write reports (it costs a worker about 0.3 s to load).
                from ..writers.report import render_report, report_filename

                report = render_report(result, created=created)
                outcome = replace(outcome, report=report_filename(result))
            outcomes.append(outcome)
            files.append((render_annex(result, layout, created=created), report))
        first = replace(outcomes[0], more=tuple(outcomes[1:]))
        return first, tuple(files)
    except MemoryError:
        return out_of_memory(index, path, profile, limits), NO_FILES
    except ReadTimeout:        # the file's whole time ran out while its Annex was written: the caller records it
        raise
    except Exception as exc:   # a bug on one file must cost only that file
        reason = _reason(exc)
        return outcome_of(index, crashed(path, profile, reason, reason, read_from=read_from), None), NO_FILES


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def outcome_of(index: int, result: Result, annex: str | None, part: int = 0) -> Outcome:
    project = result.intake.project if result.intake is not None else None
    texts = texts_digest(project.goal, project.achieved) if project is not None else ""
    return Outcome(index, to_json(result), entry_of(result), annex, result.has_errors, part, texts=texts)


def timed_out(index: int, path: str, profile: Profile, limits: Limits) -> Outcome:
    """The Outcome of a file whose reading ran past limits.max_seconds."""
    return outcome_of(index, failed(path, "", profile, timeout_problem(limits.max_seconds)), None)


def out_of_memory(index: int, path: str, profile: Profile, limits: Limits) -> Outcome:
    """The Outcome of a file whose reader ran out of limits.max_memory_bytes."""
    return outcome_of(index, failed(path, "", profile, memory_problem(limits)), None)


def died(index: int, path: str, profile: Profile, *, read_from: str | None = None) -> Outcome:
    """The Outcome of a file whose reading process died without an answer."""
    return outcome_of(index, crashed(path, profile, DIED, DIED_EN, read_from=read_from), None)


def crashed(path: str, profile: Profile, reason: str, reason_en: str, *, read_from: str | None = None) -> Result:
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


def plan(workers: int, files: int) -> list[_Stage]:
    """Normal running, then the suspects of a dead worker one per task, then alone."""
    chunk = max(1, min(MAX_CHUNK, files // (workers * 16)))
    return [_Stage(workers, chunk, 2 * workers + 1), _Stage(workers, 1, workers), _Stage(1, 1, 1)]


def run_local(items: list[Item], plan: list[_Stage], run: Run) -> Iterator[Outcome]:
    """An Outcome for every item, in the order they finish."""
    stage, profile = plan[0], run.profile
    chunks = deque(items[i:i + stage.chunk] for i in range(0, len(items), stage.chunk))
    executor = None
    in_flight: dict = {}
    try:
        while chunks or in_flight:
            if executor is None:
                executor = processes.executor(min(stage.workers, len(chunks)), _start_worker, (run,), os.getpid())
            while chunks and len(in_flight) < stage.window and (
                not in_flight or chunks[0][0][0] - min(c[0][0] for c in in_flight.values()) < MAX_AHEAD
            ):
                chunk = chunks.popleft()
                try:
                    future = executor.submit(_score_chunk, chunk)
                except BrokenProcessPool:
                    # A worker died since the last wait: the chunks in flight say which
                    # files may have killed it; this one has not run, and is sent again.
                    chunks.appendleft(chunk)
                    if not in_flight:
                        executor.shutdown(wait=True)
                        executor = None
                    break
                in_flight[future] = chunk
            if not in_flight:
                continue
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
            # A file read past the time limit killed its worker (contained.deadline's
            # hard stop): it is recorded, not run again.
            late = _past_deadline(run)
            for index, path in sorted(item for item in suspects if item[0] in late):
                yield timed_out(index, path, profile, run.limits)
            suspects = sorted(item for item in suspects if item[0] not in late)
            if not suspects:
                continue
            if len(plan) == 1:      # alone: this file killed the worker
                for index, path in suspects:
                    if _last_worker_ran_out_of_memory(run):
                        yield out_of_memory(index, path, profile, run.limits)
                    else:
                        yield died(index, path, profile)
            else:
                yield from run_local(suspects, plan[1:], run)
        if executor is not None:
            executor.shutdown(wait=True)
            executor = None
    finally:
        if executor is not None:      # Ctrl-C, or the consumer stopped early
            processes.stop(executor)


def _last_worker_ran_out_of_memory(run: Run) -> bool:
    """Whether the worker that died last printed an allocation failure (its log is the newest)."""
    logs = []
    for log in Path(run.staging).glob(STDERR_PREFIX + "*"):
        try:
            logs.append((log.stat().st_mtime, str(log)))
        except OSError:
            continue
    return bool(logs) and ran_out_of_memory(max(logs)[1])


def _past_deadline(run: Run) -> set[int]:
    """Indices whose reading marker is older than the time limit; every marker is removed."""
    staging, limit = Path(run.staging), run.limits.max_seconds
    late: set[int] = set()
    now = time.time()
    for marker in staging.glob(READING_PREFIX + "*"):
        try:
            if now - marker.stat().st_mtime >= limit:
                late.add(int(marker.name[len(READING_PREFIX):]))
            marker.unlink()
        except (OSError, ValueError):
            continue
    return late


def in_order(outcomes: Iterator[Outcome], arrived: Callable[[Outcome], None]) -> Iterator[Outcome]:
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
