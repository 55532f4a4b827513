"""The contained scorer of a Dask worker: a local batch's limits where multiprocessing cannot go.

A local batch scores each file in a worker process with an address-space
cap and a time limit (pool.py, contained.py). A Dask worker can give
neither: its process is daemonic, so multiprocessing refuses it children,
and it runs tasks in threads, where no signal-based deadline can fire. So
each of its threads starts, once, a plain child interpreter with subprocess
(`serve` below, in `python -c`), a small server that never
reads a file itself: for each file it forks one process, which enters the
limits (contained.enter_limits: RLIMIT_AS, no core file, killed with its
parent) and scores the file with pool.score_one, as a local worker does. The
server waits at most limits.max_seconds (plus the grace the reader's own
deadline takes), kills a child past it, and answers with the outcome, or
with what happened: the time ran out, the memory ran out, the process died.
A file that hangs or blows up its reader costs only itself; the Dask worker
never sees it. The server dies with the Dask worker (PDEATHSIG), and its
children with it.

Requests and answers are pickles framed by their length, on the server's
stdin and on a copy of its stdout; the server's own fd 1 is pointed at
stderr, so that nothing a library prints can corrupt an answer.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

from ..contained import die_with_parent, enter_limits, hard_grace, ran_out_of_memory, send_stderr_to

_LENGTH = struct.Struct("<Q")
OK, TIMEOUT, MEMORY, DIED = "ok", "timeout", "memory", "died"


def _send(stream, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _receive(stream):
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


# --- in the Dask worker -------------------------------------------------------------

_SERVERS = threading.local()      # one server per worker thread: a thread's files go one at a time


def score_contained(request: tuple) -> tuple[str, object]:
    """(OK, pool.score_one's answer) or (TIMEOUT | MEMORY | DIED, None) for one file.

    `request` is (index, path, profile, layout, read_from, created, reports, limits).
    """
    server = getattr(_SERVERS, "process", None)
    if server is None or server.poll() is not None:
        server = _SERVERS.process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from perfeval_xl.batch.sandbox import serve; serve(int(sys.argv[1]))",
             str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
    try:
        _send(server.stdin, request)
        return _receive(server.stdout)
    except (EOFError, OSError, pickle.UnpicklingError):
        server.kill()        # it died, or its answer was cut: the next file starts a new one
        server.wait()
        return DIED, None


# --- the server ------------------------------------------------------------------------


def serve(parent: int) -> None:
    die_with_parent()
    if os.getppid() != parent:
        return
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is the batch's to handle
    from . import pool   # imported once, before any fork: each child starts with it loaded

    while True:
        try:
            request = _receive(requests)
        except EOFError:
            return
        _send(answers, _score_in_child(pool, request))


def _score_in_child(pool, request: tuple) -> tuple[str, object]:
    index, path, profile, layout, read_from, created, reports, limits = request
    handle, log = tempfile.mkstemp(prefix="perfeval-read-", suffix=".log")
    os.close(handle)
    readable, writable = os.pipe()
    server = os.getpid()
    started = time.monotonic()
    child = os.fork()
    if child == 0:       # the contained reader
        os.close(readable)
        code = 0
        try:
            enter_limits(limits.max_memory_bytes, server)
            send_stderr_to(log)
            answer = (OK, pool.score_one(index, path, profile, layout, read_from=read_from, created=created,
                                         limits=limits, reports=reports))
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(writable, view):]
        except MemoryError:
            code = 3
        except BaseException:     # noqa: BLE001 - score_one answers for everything it can; the rest is a death
            code = 4
        os._exit(code)
    os.close(writable)
    try:
        chunks = _read_until(readable, started + limits.max_seconds + hard_grace(limits.max_seconds))
        if chunks is None:
            os.kill(child, signal.SIGKILL)
        _, status = os.waitpid(child, 0)
        if chunks:
            try:
                return pickle.loads(b"".join(chunks))
            except Exception:       # noqa: BLE001 - cut short by its death
                pass
        if chunks is None or time.monotonic() - started >= limits.max_seconds:
            return TIMEOUT, None
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3 or ran_out_of_memory(log):
            return MEMORY, None
        return DIED, None
    finally:
        os.close(readable)
        try:
            os.unlink(log)
        except OSError:
            pass


def _read_until(fd: int, until: float) -> list[bytes] | None:
    """All the child writes until it closes its end; None if `until` (monotonic) passes first."""
    chunks: list[bytes] = []
    while True:
        left = until - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return chunks
        chunks.append(chunk)

