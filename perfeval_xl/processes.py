"""How worker processes start, and how they end with the process that started them.

Used by the batch's local pool (batch/pool.py) and the check page's scoring
workers (web/pool.py). Never a plain fork: both main processes run threads
(a progress bar, a web server), and forking a threaded process can
deadlock. Where there is a fork server (Linux, macOS) the workers are forked
from it; elsewhere (Windows), or where it cannot start, they are spawned.

A spawned worker starts a new interpreter and imports the reading and
writing code: about 0.3 s of CPU each, and again for every worker started
after one died or was killed. The fork server is started once per process,
with the workers' modules already imported, and forks each worker from
itself in a few milliseconds. Its workers are its children, not the main
process's, so:

- each takes the environment of the process that asks for it
  (SOURCE_DATE_EPOCH among them), as a spawned worker would, not the one the
  server was started with for an earlier run (multiprocessing already hands
  it that process's folder, as it does a spawned worker);
- each dies with the server (PR_SET_PDEATHSIG, contained.enter_limits), and
  the server ends as soon as the main process does, however that ends, once
  no worker holds a copy of its "alive" pipe (`_let_the_server_end`).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

# What the fork server imports before it forks anything: the modules whose
# functions the workers run. An entry that cannot be imported (the web extra
# not installed) is skipped; a module asked for after the server started is
# imported by each worker that needs it.
PRELOAD = ("perfeval_xl.batch.pool", "perfeval_xl.web.scoring")


def context():
    """The multiprocessing context workers start from: the fork server where there is one, else spawn.

    The server is started here, so that one that cannot start (its socket lives in the temporary
    folder, and a socket's path has at most 107 bytes: TMPDIR deep in a tree is enough) means
    spawned workers, not a failed run.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        from multiprocessing import forkserver

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        try:
            forkserver.ensure_running()
        except OSError:
            pass
        else:
            return context
    return multiprocessing.get_context("spawn")


def forked(context) -> bool:
    return context.get_start_method() == "forkserver"


def started_in() -> dict[str, str]:
    """What a worker forked from the server takes from the process asking for it: its environment."""
    return dict(os.environ)


def executor(workers: int, initializer: Callable, init: tuple, parent: int | None) -> ProcessPoolExecutor:
    """A pool of `workers` processes, each starting with initializer(*init, parent, started_in).

    `parent` is the process a spawned worker checks it is the child of; a forked worker is the server's
    child, so it gets None, and `started_in` for `settle`.
    """
    start = context()
    args = (*init, None, started_in()) if forked(start) else (*init, parent, None)
    return ProcessPoolExecutor(workers, mp_context=start, initializer=initializer, initargs=args)


def settle(given: dict[str, str] | None) -> None:
    """In a worker forked from the fork server: the environment it was given, not the server's."""
    if given is None:
        return
    os.environ.clear()
    os.environ.update(given)
    _let_the_server_end()


def _let_the_server_end() -> None:
    # The fork server ends when the last holder of its "alive" pipe closes it: the
    # main process, and each worker, which is handed a copy so that it could ask
    # the server for processes of its own. A worker stuck in C code would then keep
    # the server alive after the main process was killed, and the server would keep
    # the worker alive (its death signal waits for the server's end). Workers start
    # no processes: the copy is closed.
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if alive is not None:
        os.close(alive)
        server._forkserver_alive_fd = None


def exit_with_parent() -> None:
    """A worker whose parent was killed outright would otherwise wait for work forever."""
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def stop(pool: ProcessPoolExecutor) -> None:
    """Stop the workers at once, even one busy in C code; on Ctrl-C we do not wait for their files.

    The executor has no public way to stop work in progress: its private process table is the only handle.
    """
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()
    pool.shutdown(wait=True, cancel_futures=True)
