"""How the local pool's worker processes start, and how they end with the batch.

Never a plain fork: the main process runs a progress thread, and forking a
threaded process can deadlock. Where there is a fork server (Linux, macOS)
the workers are forked from it; elsewhere (Windows) they are spawned.

A spawned worker starts a new interpreter and imports the reading and
writing code: about 0.3 s of CPU each, and again for every stage after a
worker dies (pool.plan). The fork server is started once per process, with
the pool module already imported, and forks each worker from itself in a
few milliseconds. Its workers are its children, not the main process's, so:

- each takes the run's folder and environment (SOURCE_DATE_EPOCH among
  them), which a server started for an earlier run in the same process may
  not have, as a spawned worker would;
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

POOL_MODULE = "perfeval_xl.batch.pool"


def executor(workers: int, initializer: Callable, init: tuple, parent: int | None) -> ProcessPoolExecutor:
    """A pool of `workers` processes, each starting with initializer(*init, parent, started_in)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([POOL_MODULE])
        # The server, not the main process, is a forked worker's parent.
        args = (*init, None, (os.getcwd(), dict(os.environ)))
    else:
        context = multiprocessing.get_context("spawn")
        args = (*init, parent, None)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=args)


def settle(started_in: tuple[str, dict] | None) -> None:
    """In a worker forked from the fork server: the run's folder and environment, not the server's."""
    if started_in is None:
        return
    folder, environment = started_in
    os.chdir(folder)
    os.environ.clear()
    os.environ.update(environment)
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
