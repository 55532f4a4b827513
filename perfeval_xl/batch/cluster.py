"""Scoring on a Dask distributed cluster: `perfeval batch … --scheduler tcp://HOST:PORT`.

When one machine is not enough, the files are scored by the workers of a
running Dask cluster (the `distributed` package, `pip install
"perfeval-xl[dask]"`). Only the scoring moves: the main process still finds
the files, puts the outcomes back in input order, writes the summary,
results.jsonl and the Annexes into its staging folder and renames them into
place, exactly as in a local run (run.py), so the outputs are byte for
byte those of a local run.

Files travel as bytes. The main process reads each file and sends its
content with the task; the worker writes it into a temporary folder of its
own, scores it there, and sends back the small Outcome and the Annex
workbook's bytes. The workers need no access to the inbox (no shared
folder), and nothing of a department's file stays on a worker after its
task. A file the main process cannot read, or one over the size limit, is
not sent: it is scored right here, where it fails as it would locally.

A bad file costs only itself, as locally: an exception while scoring is the
file's `worker-crashed` record (pool.score_one); a chunk whose worker died
(Dask retries it elsewhere first) is sent again one file per task, and a
file that still kills its worker becomes a `worker-crashed` record.

Every worker must run the same version of perfeval-xl as the main process:
the run refuses to start otherwise, since the outputs would differ.
"""

from __future__ import annotations

import tempfile
from collections import deque
from collections.abc import Iterator
from pathlib import Path, PurePath

from .. import __version__
from ..errors import UsageError
from ..profiles import Profile
from ..reading.preflight import DEFAULT_LIMITS, Limits
from ..writers.annex import Layout
from ..writers.files import creation_time
from .pool import (DIED, DIED_EN, MAX_AHEAD, MAX_CHUNK, NO_FILES, Files, Item, Outcome, crashed, died, out_of_memory,
                   outcome_of, score_one, stage_files, timed_out)
from .sandbox import MEMORY, OK, TIMEOUT, score_contained

# How long to wait for the scheduler to answer, and for a first worker to join it.
CONNECT_TIMEOUT = 30


def run_on_cluster(items: list[Item], profile: Profile, layout: Layout, staging: Path,
                   address: str, reports: bool = False, limits: Limits = DEFAULT_LIMITS) -> Iterator[Outcome]:
    """An Outcome for every (index, path), in the order they finish; each Annex into staging/{index}.xlsx.

    Connects at once, so that a cluster that cannot be used is a UsageError
    before anything is written.
    """
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler 需要 Dask：pip install \"perfeval-xl[dask]\"") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"无法连接 Dask 调度器 {address}：{exc}") from None
    try:
        threads = _check_workers(client)
    except BaseException:
        client.close()
        raise
    return _scored(client, threads, items, profile, layout, staging, reports, limits)


def _scored(client, threads: int, items: list[Item], profile: Profile, layout: Layout, staging: Path,
            reports: bool, limits: Limits) -> Iterator[Outcome]:
    try:
        # The rules and the layout (about 10 KB) go with every task rather than
        # scattered once: scattered data dies with the workers that hold it,
        # and a file that kills workers must cost only itself.
        run = _Run(client, (profile, layout, reports, limits), profile, layout, staging, creation_time())
        chunk = max(1, min(MAX_CHUNK, len(items) // (threads * 16)))
        yield from run.all([items[i:i + chunk] for i in range(0, len(items), chunk)], window=2 * threads + 1)
        # The files of chunks that failed, one per task; a file that fails again is lost alone.
        yield from run.all([[item] for item in sorted(run.suspects)], window=threads, last=True)
    finally:
        client.close()

def _check_workers(client) -> int:
    """The cluster's worker threads; refuses a cluster without workers or with another version."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except TimeoutError:
        raise UsageError(f"Dask 集群 {client.scheduler.address} 没有工作进程（{CONNECT_TIMEOUT} 秒内无工作进程加入）") from None
    versions = client.run(_version)
    others = sorted({f"{worker}: {version}" for worker, version in versions.items() if version != __version__})
    if others:
        raise UsageError(f"Dask 工作进程的 perfeval-xl 版本与本机（{__version__}）不同，输出会不一致：{'；'.join(others)}")
    return max(1, sum(client.nthreads().values()))


def _version() -> str:
    return __version__


class _Run:
    def __init__(self, client, shared, profile: Profile, layout: Layout, staging: Path, created) -> None:
        self.client = client
        self.shared = shared
        self.profile = profile
        self.layout = layout
        self.staging = staging
        self.created = created
        self.suspects: set[Item] = set()

    def all(self, chunks: list[list[Item]], *, window: int, last: bool = False) -> Iterator[Outcome]:
        """Every chunk scored, at most `window` in flight and MAX_AHEAD files ahead of the oldest."""
        from distributed import as_completed

        waiting = deque(chunks)
        in_flight: dict = {}       # future -> the (index, path) it was sent
        finished = as_completed(loop=self.client.loop)
        try:
            while waiting or in_flight:
                while waiting and len(in_flight) < window and (
                    not in_flight or waiting[0][0][0] - min(sent[0][0] for sent in in_flight.values()) < MAX_AHEAD
                ):
                    payload = []
                    for index, path in waiting.popleft():
                        data = _read(path)
                        if data is None:     # scored here, where it fails as it would locally
                            yield self.keep(*score_one(index, path, self.profile, self.layout, reports=self.shared[2],
                                                       limits=self.shared[3]))
                        else:
                            payload.append((index, path, data))
                    if payload:
                        future = self.client.submit(score_remote, payload, self.shared, self.created, pure=False)
                        in_flight[future] = [(index, path) for index, path, _ in payload]
                        finished.add(future)
                if not in_flight:
                    continue
                future = next(finished)
                sent = in_flight.pop(future)
                try:
                    scored = future.result()
                except Exception as exc:   # the worker died (KilledWorker), or the task could not run there
                    if not last:
                        self.suspects.update(sent)
                        continue
                    reason, reason_en = _died(exc)
                    for index, path in sent:
                        yield outcome_of(index, crashed(path, self.profile, reason, reason_en), None)
                    continue
                for outcome, files in scored:
                    yield self.keep(outcome, files)
        finally:
            if in_flight:       # Ctrl-C, or the consumer stopped early
                self.client.cancel(list(in_flight))

    def keep(self, outcome: Outcome, files: Files) -> Outcome:
        """Each project's Annex (and report) go into staging under the file's index, as a local worker puts them."""
        stage_files(self.staging, outcome, files)
        return outcome

def _sendable(path: str) -> bool:
    try:
        return Path(path).stat().st_size <= DEFAULT_LIMITS.max_file_bytes
    except OSError:
        return False


def _read(path: str) -> bytes | None:
    """The file's content, or None when it is to be scored here: unreadable, or over the size limit."""
    if not _sendable(path):
        return None
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def _died(exc: Exception) -> tuple[str, str]:
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        return DIED, DIED_EN
    reason = f"{type(exc).__name__}: {exc}"[:300]
    return reason, reason


def score_remote(payload: list[tuple[int, str, bytes]], shared: tuple[Profile, Layout, bool, Limits],
                 created) -> list[tuple[Outcome, Files]]:
    """On a worker: score each file from its bytes, in a temporary folder that is removed after,
    each in a contained process (sandbox.py) with a local batch's limits."""
    profile, layout, reports, limits = shared
    scored = []
    with tempfile.TemporaryDirectory(prefix="perfeval-") as folder:
        for index, path, data in payload:
            # The reader goes by the suffix (a .xls saved as .xlsx is noted): keep it.
            copy = Path(folder) / f"{index}{PurePath(path).suffix}"
            copy.write_bytes(data)
            kind, answer = score_contained((index, path, profile, layout, str(copy), created, reports, limits))
            if kind == OK:
                scored.append(answer)
            elif kind == TIMEOUT:
                scored.append((timed_out(index, path, profile, limits), NO_FILES))
            elif kind == MEMORY:
                scored.append((out_of_memory(index, path, profile, limits), NO_FILES))
            else:
                scored.append((died(index, path, profile, read_from=str(copy)), NO_FILES))
            copy.unlink()
    return scored
