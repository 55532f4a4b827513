"""LibreOffice for the tests, started as few times as possible.

Every start of `soffice --headless --convert-to` costs a second or two, more
with a fresh user profile (LibreOffice builds it on first start). So:

- each test process keeps two warm profiles of its own (one per pytest-xdist
  worker, never shared between processes): `recalc`, which recalculates every
  xlsx and ods formula on load, and `plain`, LibreOffice's own defaults;
- where LibreOffice's own Python can drive it over UNO (Debian's python3
  with python3-uno, which LibreOffice's packages bring), each profile's
  LibreOffice is started once and kept running, listening on a pipe of its
  own, and `convert` hands it the files through one helper process
  (helpers/lo_uno.py): a start costs about a second and a half of CPU, a
  conversion in the running instance only its own work; elsewhere, and
  whenever that fails, one `soffice --convert-to` per call;
- `convert` takes every file a module needs in one run;
- a conversion is done once per process: the same bytes under the same file
  name, to the same format with the same profile, give the file already made
  (copied to where the caller asked for it).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

# Always recalculate xlsx and ods on load (0 = always, 1 = never, 2 = prompt).
RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

UNO_PYTHON = "/usr/bin/python3"
_UNO_CLIENT = Path(__file__).with_name("lo_uno.py")

_root: Path | None = None
_running: dict[bool, str] = {}          # profile (recalc or not) -> the pipe its LibreOffice listens on
_client: list[subprocess.Popen] = []    # the lo_uno.py process, once started
_uno_failed = False
_made: dict[tuple[str, str, str, bool], Path] = {}
_runs = 0


def _base() -> Path:
    global _root
    if _root is None:
        _root = Path(tempfile.mkdtemp(prefix="perfeval-lo-"))
        atexit.register(shutil.rmtree, _root, True)
    return _root


def profile(recalc: bool) -> Path:
    """This process's warm profile: `recalc` recalculates on load, `plain` is LibreOffice's default."""
    path = _base() / ("recalc" if recalc else "plain")
    user = path / "user"
    if not user.exists():
        user.mkdir(parents=True)
        if recalc:
            (user / "registrymodifications.xcu").write_text(RECALC_PROFILE, encoding="utf-8")
    return path


def _uno_convert(sources: list[Path], fmt: str, out: Path, recalc: bool) -> bool:
    """Convert in this profile's running LibreOffice (started now if need be); False if that cannot be done."""
    global _uno_failed
    if _uno_failed or not os.path.exists(UNO_PYTHON):
        return False
    try:
        if recalc not in _running:
            pipe = f"perfeval-tests-{os.getpid()}-{'recalc' if recalc else 'plain'}"
            office = subprocess.Popen(
                [SOFFICE, f"-env:UserInstallation={profile(recalc).as_uri()}", "--headless", "--norestore",
                 "--invisible", f"--accept=pipe,name={pipe};urp;"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            atexit.register(_stop, office)
            _running[recalc] = pipe
        if not _client:
            client = subprocess.Popen([UNO_PYTHON, str(_UNO_CLIENT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONPATH": ""})
            atexit.register(_stop, client)
            _client.append(client)
        client = _client[0]
        client.stdin.write(json.dumps({"pipe": _running[recalc], "fmt": fmt, "out": str(out),
                                       "files": [str(source) for source in sources]}) + "\n")
        client.stdin.flush()
        if not select.select([client.stdout], [], [], 300)[0]:
            raise RuntimeError("LibreOffice took more than 300 s")
        answer = json.loads(client.stdout.readline() or '{"ok": false}')
        if not answer.get("ok"):
            raise RuntimeError(answer.get("error"))
        return True
    except (OSError, ValueError, RuntimeError):
        _uno_failed = True       # from now on, soffice --convert-to
        return False


def _stop(process: subprocess.Popen) -> None:
    """End a kept process and what it started (a LibreOffice runs in a process group of its own)."""
    try:
        if process.stdin is not None:
            process.stdin.close()
        os.killpg(process.pid, signal.SIGTERM) if process.pid == os.getpgid(process.pid) else process.terminate()
        process.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        try:
            process.kill()
        except OSError:
            pass


def convert(sources: list[Path], fmt: str, out_dir: Path, *, recalc: bool = True) -> list[Path]:
    """Convert every source (in one LibreOffice run for those not converted yet); return out_dir/<stem>.<ext>, in order.

    `fmt` is what --convert-to takes ("pdf", "xlsx", "xls:MS Excel 97"); `recalc` picks the profile.
    """
    global _runs
    assert SOFFICE is not None, "LibreOffice (soffice) is not installed"
    sources = [Path(source) for source in sources]
    ext = fmt.split(":")[0]
    names = [f"{source.stem}.{ext}" for source in sources]
    assert len(set(names)) == len(names), f"two sources would give one file: {names}"
    keys = [(hashlib.sha256(source.read_bytes()).hexdigest(), source.name, fmt, recalc) for source in sources]
    missing = {key: source for key, source in zip(keys, sources) if key not in _made}
    if missing:
        _runs += 1
        made = _base() / "made" / str(_runs)
        made.mkdir(parents=True)
        if not _uno_convert(list(missing.values()), fmt, made, recalc):
            subprocess.run(
                [SOFFICE, f"-env:UserInstallation={profile(recalc).as_uri()}", "--headless", "--norestore",
                 "--convert-to", fmt, "--outdir", str(made), *map(str, missing.values())],
                check=True, capture_output=True, timeout=300,
            )
        for key, source in missing.items():
            path = made / f"{source.stem}.{ext}"
            assert path.exists(), f"LibreOffice wrote nothing for {source.name}"
            _made[key] = path
    out_dir.mkdir(parents=True, exist_ok=True)
    produced = []
    for key, name in zip(keys, names):
        shutil.copyfile(_made[key], out_dir / name)
        produced.append(out_dir / name)
    return produced
