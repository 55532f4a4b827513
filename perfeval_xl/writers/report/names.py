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
_FILE_LIMIT = 50 << 20         # nor a file larger than any the reader takes
_DIRECTORY_LIMIT = 1 << 20     # nor a zip directory larger than this (ours: a few KB)
_EOCD_SEARCH = 22 + 65535      # the end-of-directory record and the longest comment it may carry


def identifier_of(sha256: str) -> str:
    return f"{IDENTIFIER_PREFIX}{sha256}"


def source_of(path: Path) -> str | None:
    """The identifier a report at `path` carries, or None when it is not a report we can read.

    A probe, run in the main process on Word files found in the inputs
    (batch.discover) and on files in a report's place (ReportNames): it
    reads the zip's directory and one small part, within fixed bounds, and
    any damage means "not ours" (the contained reader, which reads the file
    later, says what is wrong with it).
    """
    try:
        # O_NONBLOCK: a FIFO put in the file's place must not block the open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > _FILE_LIMIT:
                return None
            return _identifier(handle, info.st_size)
    except Exception:       # zlib.error, RuntimeError (an encrypted part), NotImplementedError, EOFError…: not ours
        return None


def _identifier(handle, size: int) -> str | None:
    # The end-of-directory record says how large the directory is: a report's is a few KB, and
    # zipfile would read a crafted one of hundreds of thousands of entries whole. zipfile finds the
    # record as this does (the last signature in the last 64 KB) and, when a zip64 locator lies just
    # before it, takes the sizes from the zip64 record instead: python-docx never writes one, so such a
    # file (or a record whose fields say "see zip64") is not ours.
    handle.seek(max(0, size - _EOCD_SEARCH))
    tail = handle.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22 or tail[max(0, end - 20):end].startswith(b"PK\x06\x07"):
        return None
    record = tail[end:end + 22]
    fields = [int.from_bytes(record[at:at + 2], "little") for at in (4, 6, 8, 10)]
    fields += [int.from_bytes(record[at:at + 4], "little") for at in (12, 16)]
    if 0xFFFF in fields[:4] or 0xFFFFFFFF in fields[4:] or fields[4] > _DIRECTORY_LIMIT:
        return None
    handle.seek(0)
    with zipfile.ZipFile(handle) as package:
        info = package.getinfo("docProps/core.xml")
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) \
                or info.file_size > _CORE_LIMIT:
            return None
        with package.open(info) as part:
            data = part.read(_CORE_LIMIT + 1)      # inflated no further than the limit, whatever the directory says
    if len(data) > _CORE_LIMIT:
        return None
    # python-docx's parser: lxml with entities never resolved.
    found = parse_xml(data).find(_DC_IDENTIFIER)
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
