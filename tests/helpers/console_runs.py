"""Many `python -m perfeval_xl ...` runs in ONE real child process, each seen as its own process would be.

`perfeval_runs(runs, env=..., cwd=...)` starts one interpreter (with the
environment given, so PYTHONIOENCODING makes its sys.stdout/sys.stderr what a
console of that encoding gives) running this file as a driver. For each run
the driver:

- points file descriptors 1 and 2 at two fresh files, so everything the
  command writes lands there: its Python streams, and also what the child
  processes it forks or spawns (contained reads, the batch pool) write to the
  descriptors they inherit;
- makes sys.stdout and sys.stderr fresh text streams over those descriptors,
  built as the interpreter builds them at start-up, with the encoding, errors
  handler and buffering of the interpreter's own original streams (so each
  command starts from `errors='strict'` on stdout, whatever the previous
  command's `safe_streams()` did);
- runs `perfeval_xl` as `python -m` does (runpy, run_name "__main__",
  sys.argv[0] the module's file, sys.path[0] the working directory), in the
  run's working directory;
- turns the end of the run into the exit status the interpreter would give:
  SystemExit's code (None is 0, an int is itself, anything else is printed to
  stderr and is 1), an uncaught exception handed to sys.excepthook (typer's
  own, once the app has run) and status 1, a failing final flush status 120.

The answers come back as subprocess.CompletedProcess objects, one per run,
with bytes (or text, decoded as subprocess.run(text=True) decodes).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DRIVER = Path(__file__).resolve()


def perfeval_runs(runs, *, env: dict, cwd=None, encoding: str | None = None, timeout: float = 600):
    """One CompletedProcess per run; `runs` is a list of argument lists, or of (arguments, cwd) pairs.

    A run's cwd of None is `cwd` (None: this process's working directory), as for subprocess.run.
    """
    base = str(Path(cwd) if cwd is not None else Path.cwd())
    plan = []
    for run in runs:
        args, where = (run, None) if isinstance(run, list) else run
        plan.append({"args": [os.fspath(a) for a in args], "cwd": str(where) if where is not None else base})
    # The arguments travel on the driver's own command line, so the interpreter decodes them into
    # sys.argv as it would for `python -m perfeval_xl ARGS`; the spec says how many each run takes.
    argv = [arg for run in plan for arg in run["args"]]
    with tempfile.TemporaryDirectory(prefix="perfeval-runs-") as folder:
        spec = Path(folder) / "spec.json"
        runs_spec = [{"count": len(run["args"]), "cwd": run["cwd"]} for run in plan]
        spec.write_text(json.dumps({"runs": runs_spec, "folder": folder}), encoding="utf-8")
        driver = subprocess.run([sys.executable, str(DRIVER), str(spec), *argv], capture_output=True, env=env,
                                cwd=base, timeout=timeout)
        statuses = [int(line) for line in (Path(folder) / "statuses").read_text().split()] \
            if (Path(folder) / "statuses").exists() else []
        assert driver.returncode == 0 and len(statuses) == len(plan), (
            "the driver stopped", driver.returncode, len(statuses), plan[len(statuses):][:1],
            driver.stderr.decode("utf-8", "replace"))
        done = []
        for number, (run, status) in enumerate(zip(plan, statuses)):
            out = (Path(folder) / f"{number}.out").read_bytes()
            err = (Path(folder) / f"{number}.err").read_bytes()
            if encoding is not None:        # as subprocess.run(text=True, encoding=...) decodes
                out, err = (_text(data, encoding) for data in (out, err))
            done.append(subprocess.CompletedProcess([sys.executable, "-m", "perfeval_xl", *run["args"]],
                                                    status, out, err))
    return done


def _text(data: bytes, encoding: str) -> str:
    return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")


# --- the driver, in the child -----------------------------------------------------


def _stream(fd: int, like):
    """A text stream over `fd` as the interpreter makes sys.stdout/sys.stderr (pylifecycle's create_stdio)."""
    binary = io.open(fd, "wb", buffering=-1, closefd=False)
    text = io.TextIOWrapper(binary, encoding=like.encoding, errors=like.errors,
                            newline=None if os.name == "nt" else "\n",
                            line_buffering=like.line_buffering, write_through=like.write_through)
    text.mode = "w"
    return text


def _status(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if os.name != "nt" else code
    print(code, file=sys.stderr)
    return 1


def _run_one() -> int:
    import runpy

    try:
        runpy.run_module("perfeval_xl", run_name="__main__", alter_sys=True)
        status = 0
    except SystemExit as exc:
        status = _status(exc.code)
    except BaseException:     # what the interpreter does with an exception nobody caught (typer hooks it)
        sys.excepthook(*sys.exc_info())
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:     # the interpreter's exit status when flushing stdout fails
            status = 120
    return status


def _drive(spec_path: str, argv: list[str]) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    folder = Path(spec["folder"])
    original = sys.stdout, sys.stderr
    hook = sys.excepthook         # typer installs its own on each run; each run starts with the interpreter's
    saved = os.dup(1), os.dup(2)
    with open(folder / "statuses", "w") as statuses:
        for number, run in enumerate(spec["runs"]):
            with open(folder / f"{number}.out", "wb") as out, open(folder / f"{number}.err", "wb") as err:
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
            sys.stdout, sys.stderr = _stream(1, original[0]), _stream(2, original[1])
            os.chdir(run["cwd"])
            sys.path[0] = run["cwd"]        # `python -m` puts the working directory first
            sys.argv = ["-m", *argv[:run["count"]]]   # runpy sets argv[0] to the module's file
            del argv[:run["count"]]
            status = _run_one()
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.close()
                except Exception:
                    pass
            sys.stdout, sys.stderr = original
            sys.excepthook = hook
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            statuses.write(f"{status}\n")
            statuses.flush()


if __name__ == "__main__":
    _drive(sys.argv[1], sys.argv[2:])
