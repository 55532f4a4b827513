"""At most N uploads scored at once, in N worker processes that can be killed.

Each worker is a separate process that scores one upload at a time
(scoring.py). A reader that segfaults or exhausts memory costs that worker
only; one that loops is stopped: the server waits at most `timeout` seconds
for an answer, then kills the worker. A dead or killed worker is replaced by
a new one, and a worker is also replaced after `MAX_JOBS` uploads, so that
nothing one file leaves behind lives long. Each worker arms an alarm of its
own per upload, so that it dies even if the server was killed first, and it
exits when the server's end of its pipe closes.

Nothing pickled comes back from a worker: it answers with raw bytes
(`ok`, or a reason) and writes its outputs as files; only the server sends
it pickled arguments (paths and names it chose itself).

Admission is counted before a body is read: past N being scored plus
`queue_limit` waiting, a request is refused at once with 503, and the others
wait their turn for a free worker.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import asyncio

from .. import processes

MAX_JOBS = 500
ANSWER_BYTES = 4096


class Busy(Exception):
    """Too many uploads are waiting already."""


@dataclass(frozen=True)
class Finished:
    ok: bool
    reason: str = ""          # for the clerk when not ok
    reason_en: str = ""


def _worker_main(conn, alarm: int, given: dict | None) -> None:
    # Ctrl-C on the server's terminal is the server's to handle.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    processes.settle(given)
    # A contained reader, as check and batch use (contained.py): it dies with the server,
    # and its address space is capped, so a crafted upload costs this child, never the server.
    from ..contained import enter_limits
    from ..reading.preflight import DEFAULT_LIMITS

    enter_limits(DEFAULT_LIMITS.max_memory_bytes, os.getppid())
    from .scoring import score_upload, warm

    warm()
    while True:
        try:
            args = conn.recv()
        except (EOFError, OSError):     # the server is gone
            return
        if hasattr(signal, "alarm"):
            signal.alarm(alarm)         # SIGALRM's default action ends this process
        try:
            score_upload(*args)
            answer = b"ok"
        except Exception as exc:        # outputs not written: the server reports a failure
            answer = f"{type(exc).__name__}: {exc}"[:300].encode("utf-8", "replace")
        if hasattr(signal, "alarm"):
            signal.alarm(0)
        conn.send_bytes(answer)


class _Worker:
    def __init__(self, context, alarm: int):
        self.conn, child = context.Pipe(duplex=True)
        given = processes.started_in() if processes.forked(context) else None
        self.process = context.Process(target=_worker_main, args=(child, alarm, given), daemon=True,
                                       name="perfeval-serve-worker")
        self.process.start()
        child.close()
        self.jobs = 0

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


class ScoringPool:
    def __init__(self, workers: int, queue_limit: int, timeout: float):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers, self.queue_limit, self.timeout = workers, queue_limit, timeout
        self.capacity = workers + queue_limit
        self.admitted = 0
        self._context = processes.context()
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="perfeval-score")
        self._slots: asyncio.Semaphore | None = None
        self._started = False

    def start(self) -> None:
        """Start the workers now (each imports the package once), not on the first clerk's upload."""
        if not self._started:
            self._started = True
            for _ in range(self.workers):
                self._idle.put(self._new_worker())

    def _new_worker(self) -> _Worker:
        worker = _Worker(self._context, int(self.timeout) + 5)
        with self._lock:
            self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.discard(worker)

    @contextmanager
    def admit(self):
        """Hold a place for one upload from before its body is read until it is scored."""
        if self.admitted >= self.capacity:
            raise Busy()
        self.admitted += 1
        try:
            yield
        finally:
            self.admitted -= 1

    async def score(self, *args) -> Finished:
        """Run scoring.score_upload(*args) in a worker; never raises for what the file does."""
        self.start()
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._threads, self._run, args)

    def _run(self, args: tuple) -> Finished:
        worker = self._idle.get()
        if not worker.process.is_alive():
            # It died while idle (its fork server ended, or the system killed it): not this upload's
            # doing, so the upload goes to a new worker instead of being reported as what killed it.
            self._retire(worker)
            worker = self._new_worker()
        try:
            worker.conn.send(args)
            if not worker.conn.poll(self.timeout):
                seconds = f"{self.timeout:g}"
                self._retire(worker)
                worker = None
                return Finished(False, f"处理超过 {seconds} 秒仍未完成，已停止", f"stopped after {seconds} s")
            answer = worker.conn.recv_bytes(ANSWER_BYTES)
        except (EOFError, OSError):
            worker.process.join(1)
            code = worker.process.exitcode
            self._retire(worker)
            worker = None
            how = "" if code is None else (f"，退出码 {code}" if code >= 0 else f"，信号 {-code}")
            return Finished(False, f"处理程序意外退出{how}，可能是文件损坏或构造异常", f"the worker died ({code})")
        finally:
            if worker is None:
                self._idle.put(self._new_worker())
        worker.jobs += 1
        if worker.jobs >= MAX_JOBS:
            self._retire(worker)
            self._idle.put(self._new_worker())
        else:
            self._idle.put(worker)
        if answer != b"ok":
            reason = answer.decode("utf-8", "replace")
            return Finished(False, reason, reason)
        return Finished(True)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
