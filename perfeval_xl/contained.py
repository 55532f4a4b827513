"""Reading a file in a process it cannot take down with it: bounded memory, bounded time.

A spreadsheet library asked for too much by a crafted file may abort the
process (SIGABRT), segfault, raise MemoryError or loop for ever. So a file
is read where none of that reaches the command:

- `run_contained(func, *args, limits=...)` runs `func` in a child process
  with an address-space limit (RLIMIT_AS, `Limits.max_memory_bytes`) and
  kills it past `Limits.max_seconds` of wall-clock time. `perfeval check`
  and `perfeval score` read every file this way (evaluate.evaluate_contained).
- The batch pool's workers already are child processes: each applies the
  same `enter_limits` once and arms a `deadline` around every file.

In both, the process dies with its parent (PR_SET_PDEATHSIG on Linux, so
even a worker stuck inside C code dies when its batch is killed). On
systems without `resource` (Windows) the limits are not applied; the time
limit of `run_contained` still is, by the parent.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

try:
    import resource
except ImportError:     # Windows
    resource = None

# Past the soft wall-clock deadline (a Python exception, which a C loop may
# never see), the process is killed once it has used this much more CPU.
HARD_GRACE_SECONDS = 5.0
PR_SET_PDEATHSIG = 1
# What a library prints when an allocation fails before it aborts (Rust's
# calamine: "memory allocation of 549755813888 bytes failed"; C++: bad_alloc).
OUT_OF_MEMORY = (b"memory allocation of", b"bad_alloc", b"out of memory", b"MemoryError")
LOG_TAIL_BYTES = 256 * 1024


class ReadTimeout(Exception):
    """Reading one file took longer than Limits.max_seconds."""

    def __init__(self, seconds: float):
        super().__init__(f"reading took longer than {seconds:g} s")
        self.seconds = seconds


class ChildDied(Exception):
    """The child process died without an answer (a signal: SIGABRT, SIGSEGV, SIGKILL …)."""

    def __init__(self, exitcode: int | None):
        self.exitcode = exitcode
        self.signal_name = signal_name(exitcode)
        super().__init__(f"the reading process died ({self.signal_name})")


def signal_name(exitcode: int | None) -> str:
    if exitcode is None or exitcode >= 0:
        return f"退出码 {exitcode}"
    try:
        return signal.Signals(-exitcode).name
    except ValueError:
        return f"信号 {-exitcode}"


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux), whatever it is doing.

    A thread that watches the parent cannot help a process stuck in C code
    that holds the GIL; the kernel can.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return


# A forked child inherits its parent's address space: whatever that is (a server with
# many threads may map more than the limit), the reading keeps at least this much room.
MIN_HEADROOM = 256 * 1024 * 1024


def _mapped_now() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def limit_memory(max_bytes: int) -> None:
    """Cap this process's address space; past it allocations fail (MemoryError, or a library aborts)."""
    if resource is None or max_bytes <= 0:
        return
    max_bytes = max(max_bytes, _mapped_now() + MIN_HEADROOM)
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except (ValueError, OSError):
        return


def enter_limits(max_memory_bytes: int, parent: int | None = None) -> None:
    """What every reading process does first: die with its parent, cap its memory, no core files."""
    die_with_parent()
    if parent is not None and os.getppid() != parent:
        os._exit(1)         # the parent died before the request took effect
    limit_memory(max_memory_bytes)
    if resource is not None:
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ValueError, OSError):
            pass


def send_stderr_to(path: str | os.PathLike) -> None:
    """Point this process's stderr (fd 2) at a file: what a dying library prints stays off the
    user's terminal, and the parent reads it to tell memory from other crashes."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 2)
        os.close(fd)
    except OSError:
        return


def ran_out_of_memory(path: str | os.PathLike) -> bool:
    """Whether the end of the log at `path` (its last 256 KB) tells of an allocation failure."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            # the last lines, from where the dying message starts (a backtrace can follow it)
            handle.seek(max(0, handle.tell() - LOG_TAIL_BYTES))
            tail = handle.read()
    except OSError:
        return False
    return any(marker in tail for marker in OUT_OF_MEMORY)


def _raise_timeout(signum, frame):
    raise ReadTimeout(_ARMED.get("seconds", 0.0))


_ARMED: dict = {}


def hard_grace(seconds: float) -> float:
    """How long past its deadline a reader stuck in C code is given before it is killed."""
    return min(HARD_GRACE_SECONDS, max(0.5, seconds / 4))


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Within the block, ReadTimeout is raised after `seconds` (wall clock); past that plus
    a grace of CPU time (up to HARD_GRACE_SECONDS) the process is killed (SIGPROF), for code that never returns to Python.

    Main thread only, and only where SIGALRM exists; elsewhere the block runs unbounded.
    """
    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return
    try:
        previous = signal.signal(signal.SIGALRM, _raise_timeout)
    except ValueError:          # not the main thread
        yield
        return
    _ARMED["seconds"] = seconds
    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_PROF, seconds + hard_grace(seconds))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGALRM, previous)


def _context():
    # fork where it is safe and cheap (Linux: the CLI is single-threaded when it
    # reads); spawn elsewhere, as the batch pool does everywhere.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


def _child(conn, parent: int, max_memory_bytes: int, log: str, func: Callable, args: tuple, kwargs: dict) -> None:
    enter_limits(max_memory_bytes, parent)
    send_stderr_to(log)
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C is the parent's to handle
    import faulthandler

    faulthandler.disable()      # a crash is reported by the parent, in one line, not as a C traceback
    try:
        answer = ("ok", func(*args, **kwargs))
    except MemoryError:
        answer = ("memory", None)
    except BaseException as exc:    # sent back, raised again in the parent
        answer = ("error", f"{type(exc).__name__}: {exc}"[:300])
    try:
        conn.send(answer)
    except MemoryError:
        conn.send(("memory", None))
    conn.close()


def run_contained(func: Callable, *args, max_memory_bytes: int, max_seconds: float, **kwargs):
    """`func(*args, **kwargs)` run in a child process within the limits; its return value.

    Raises ReadTimeout past `max_seconds` (the child is killed), MemoryError
    when the child ran out of its address space (a MemoryError, or a library
    that printed an allocation failure before it aborted), ChildDied when it died
    without an answer, RuntimeError carrying the text of any other exception.
    """
    import tempfile

    handle, log = tempfile.mkstemp(prefix="perfeval-read-", suffix=".log")
    os.close(handle)
    receive, send = _context().Pipe(duplex=False)
    child = _context().Process(
        target=_child, args=(send, os.getpid(), max_memory_bytes, log, func, args, kwargs), daemon=True,
    )
    try:
        child.start()
        send.close()
        if not receive.poll(max_seconds if max_seconds > 0 else None):
            raise ReadTimeout(max_seconds)
        try:
            kind, value = receive.recv()
        except (EOFError, OSError):
            child.join()
            if ran_out_of_memory(log):
                raise MemoryError from None
            raise ChildDied(child.exitcode) from None
    finally:
        if child.pid is not None:
            if child.is_alive():
                child.kill()
            child.join()
        receive.close()
        try:
            os.unlink(log)
        except OSError:
            pass
    if kind == "memory":
        raise MemoryError
    if kind == "error":
        raise RuntimeError(value)
    return value
