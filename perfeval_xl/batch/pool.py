"""Scoring files in local worker processes, so that a bad file costs only itself.

Each file is scored on its own: an exception while scoring becomes its
`worker-crashed` record, and a worker process that dies (a reader's
segfault, memory) is found by running the files it might have held again,
one at a time, so that only the file that kills a worker is lost. Workers
finish in any order; `in_order` puts their outcomes back in input order.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..evaluate import evaluate_file, failed, sha256_of
from ..model import Result
from ..problems import ERROR, problem
from ..profiles import Profile
from ..review.duplicates import texts_digest
from ..writers.annex import Layout, annex_filename, render_annex
from ..writers.record import to_json
from ..writers.summary import Entry, entry_of

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
    annex: str | None       # the Annex file name it asks for; the workbook waits in staging as f"{index}.xlsx"
    has_errors: bool
    texts: str = ""         # digest of the goal + achievement texts (review.duplicates), "" when none


_WORKER: dict = {}
Item = tuple[int, str]    # (index in input order, path)


def _start_worker(profile: Profile, staging: str, layout: Layout | None) -> None:
    # Ctrl-C reaches every process of the terminal's group; only the main
    # process decides what to do with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER.update(profile=profile, staging=Path(staging), layout=layout)
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
    outcome, annex = score_one(index, path, profile, _WORKER["layout"])
    if annex is None:
        return outcome
    try:
        (staging / f"{index}.xlsx").write_bytes(annex)
        return outcome
    except Exception as exc:   # a full disk, say: this file's outcome says so
        reason = _reason(exc)
        return outcome_of(index, crashed(path, profile, reason, reason), None)


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
            return outcome_of(index, result, None), None
        return outcome_of(index, result, annex_filename(result)), render_annex(result, layout, created=created)
    except Exception as exc:   # a bug on one file must cost only that file
        reason = _reason(exc)
        return outcome_of(index, crashed(path, profile, reason, reason, read_from=read_from), None), None


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def outcome_of(index: int, result: Result, annex: str | None) -> Outcome:
    project = result.intake.project if result.intake is not None else None
    texts = texts_digest(project.goal, project.achieved) if project is not None else ""
    return Outcome(index, to_json(result), entry_of(result), annex, result.has_errors, texts)


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


def run_local(items: list[Item], plan: list[_Stage], init: tuple) -> Iterator[Outcome]:
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
                    yield outcome_of(index, crashed(path, profile, DIED, DIED_EN), None)
            else:
                yield from run_local(suspects, plan[1:], init)
        if executor is not None:
            executor.shutdown(wait=True)
            executor = None
    finally:
        if executor is not None:      # Ctrl-C, or the consumer stopped early
            _stop(executor)


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
