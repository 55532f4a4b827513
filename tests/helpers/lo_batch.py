"""LibreOffice for the tests, started as few times as possible.

Every start of `soffice --headless --convert-to` costs a second or two, more
with a fresh user profile (LibreOffice builds it on first start). So:

- each test process keeps two warm profiles of its own (one per pytest-xdist
  worker, never shared between processes): `recalc`, which recalculates every
  xlsx and ods formula on load, and `plain`, LibreOffice's own defaults;
- `convert` takes every file a module needs in one run;
- a conversion is done once per process: the same bytes under the same file
  name, to the same format with the same profile, give the file already made
  (copied to where the caller asked for it).
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
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

_root: Path | None = None
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
