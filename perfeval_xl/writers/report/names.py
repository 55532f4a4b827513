"""Where `perfeval report` puts each report without overwriting anyone else's file.

A report carries its source's SHA-256 in its core properties
(dc:identifier, `sha256:…`). A name already in the folder is reused only
when the file there is the report of the same source (a rerun); a file of
another source, a file that is not our report, or an input of the run keeps
its name, and the new report becomes `… (2).docx`.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

from docx.opc.oxml import parse_xml

IDENTIFIER_PREFIX = "sha256:"
_DC_IDENTIFIER = "{http://purl.org/dc/elements/1.1/}identifier"
_CORE_LIMIT = 1 << 20          # a core.xml larger than this is not one of ours


def identifier_of(sha256: str) -> str:
    return f"{IDENTIFIER_PREFIX}{sha256}"


def source_of(path: Path) -> str | None:
    """The identifier a report at `path` carries, or None when it is not a report we can read."""
    try:
        # O_NONBLOCK: a FIFO put in the file's place must not block the open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return _identifier(handle)
    except OSError:
        return None


def _identifier(handle) -> str | None:
    try:
        with zipfile.ZipFile(handle) as package:
            info = package.getinfo("docProps/core.xml")
            if info.file_size > _CORE_LIMIT:
                return None
            # python-docx's parser: lxml with entities never resolved.
            root = parse_xml(package.read(info))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, SyntaxError):
        return None
    found = root.find(_DC_IDENTIFIER)
    return found.text if found is not None and found.text else None


class ReportNames:
    """Unique report paths in `out_dir` for one run, in input order."""

    def __init__(self, out_dir: Path, inputs: list[Path]) -> None:
        self.out_dir = Path(out_dir)
        self.inputs = {os.path.realpath(path) for path in inputs}
        self.taken: set[str] = set()

    def claim(self, name: str, sha256: str) -> Path:
        stem, suffix = os.path.splitext(name)
        number = 1
        while True:
            candidate = name if number == 1 else f"{stem} ({number}){suffix}"
            path = self.out_dir / candidate
            if candidate.casefold() not in self.taken and self._free(path, sha256):
                self.taken.add(candidate.casefold())
                return path
            number += 1

    def _free(self, path: Path, sha256: str) -> bool:
        if os.path.realpath(path) in self.inputs:
            return False
        if not os.path.lexists(path):
            return True
        return path.is_file() and not path.is_symlink() and source_of(path) == identifier_of(sha256)
