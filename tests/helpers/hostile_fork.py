"""A fork server for the measured child runs of tests/helpers/hostile.py.

Starting a fresh interpreter and importing the reading stack costs about a
quarter of a second, tens of times per run of the hostile tests. Here one
interpreter (the "zygote", one per test process) imports it once and then
forks a NEW process for every file: each file is still read alone, in a
process of its own that sets its own address-space cap, measures its own time
and peak memory (ru_maxrss) and can crash or be killed without touching the
test runner or the zygote. The zygote itself never reads a file.

Protocol, one JSON object per line: the test process writes
{"path", "stdout", "stderr"}; the zygote answers {"pid"} once it has forked,
then {"status"} (the child's exit code, negative for a signal) when the child
is done. The child writes its report, as the last line, to the "stdout" file.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time

ZYGOTE = textwrap.dedent(
    """
    import gc, json, os, resource, sys, time
    from perfeval_xl.evaluate import evaluate_file
    from perfeval_xl.profiles import load_profile
    gc.collect()
    gc.freeze()      # what the imports made is never collected: the children's collections skip it
    answer = os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_RDONLY)
    answer.write(json.dumps({"ready": os.getpid()}) + "\\n"); answer.flush()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:                                    # the child: one file, then exit
            os.dup2(null, 0)
            os.dup2(os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
            os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
            answer.close()
            # A safety net for a shared machine: a regression fails this child, not the host.
            resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
            profile = load_profile("national")
            start = time.perf_counter()
            result = evaluate_file(request["path"], profile)
            seconds = time.perf_counter() - start
            print(json.dumps({
                "failure": result.failure.code if result.failure else None,
                "failed": result.failure is not None,
                "message": result.failure.message if result.failure else "",
                "codes": sorted({p.code for p in result.problems}),
                "problems": [[p.code, p.severity.value, p.sheet, p.cell, p.message] for p in result.problems],
                "total": str(result.total_score),
                "seconds": seconds,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }))
            sys.exit(0)                                 # a normal interpreter shutdown, as a fresh process has
        answer.write(json.dumps({"pid": pid}) + "\\n"); answer.flush()
        _, status = os.waitpid(pid, 0)
        answer.write(json.dumps({"status": os.waitstatus_to_exitcode(status)}) + "\\n"); answer.flush()
    """
)


class Zygote:
    def __init__(self, env: dict) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env)
        self.buffer = b""
        self.answer(60)

    def answer(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.process.stdout], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                raise EOFError(f"the zygote exited: {self.process.wait()}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def run(self, path: str, stdout: str, stderr: str, timeout: float) -> int:
        """The exit code of a new child that read `path`; raises TimeoutError after killing it."""
        self.process.stdin.write(json.dumps({"path": path, "stdout": stdout, "stderr": stderr}).encode() + b"\n")
        self.process.stdin.flush()
        pid = self.answer(30)["pid"]
        try:
            return self.answer(timeout)["status"]
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            self.answer(30)
            raise

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


_zygotes: dict[tuple, Zygote] = {}


def zygote(env: dict) -> Zygote:
    """The zygote of this test process for `env`, started on first use (again if it died).
    pytest's PYTEST_CURRENT_TEST, which changes with every test, is not passed on."""
    env = {name: value for name, value in env.items() if name != "PYTEST_CURRENT_TEST"}
    key = tuple(sorted(env.items()))
    current = _zygotes.get(key)
    if current is None or current.process.poll() is not None:
        current = _zygotes[key] = Zygote(env)
    return current


@atexit.register
def _close_all() -> None:
    for each in _zygotes.values():
        each.close()
