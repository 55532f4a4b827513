"""Building crafted files and reading them in a child process with its time and memory measured.

Shared by tests/test_hostile.py and tests/test_reading_tokenizer.py.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

from . import ROOT
from .hostile_fork import zygote

MEMORY_BOUND_MB = 1024     # the bound: no input makes the program use more than 1 GB
TIME_BOUND_S = 30          # a hang guard only; typical times are printed by -s

def score_in_child(path: Path) -> dict:
    """What reading `path` gave in a process of its own (forked, for this one file, from an
    interpreter that has only imported the reading stack: helpers/hostile_fork.py): failure,
    failed, message, codes, problems ([code, severity, sheet, cell, message]), total, seconds,
    peak_mb."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        returncode = zygote(env).run(str(path), str(out), str(err), timeout=TIME_BOUND_S * 4)
        stderr = err.read_text(errors="replace")
        assert returncode == 0, f"the reader died on {path.name}: {returncode}\n{stderr[-2000:]}"
        return json.loads(out.read_text().strip().splitlines()[-1])


def rewrite_zip(source: Path, target: Path, change: dict | None = None, add: dict | None = None) -> Path:
    """A copy of a zip with some parts changed (name -> function of the bytes) or added (name -> bytes)."""
    change, add = change or {}, add or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename in change:
                data = change[info.filename](data)
            method = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            new.writestr(info.filename, data, method)
        for name, data in add.items():
            new.writestr(name, data)
    return target


MB = 1 << 20


def deflated_zeros(size: int) -> tuple[bytes, int]:
    """`size` zero bytes, deflated (about 1000:1); and their CRC. Made in 1 MB steps."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc, pieces, block = 0, [], bytes(MB)
    for done in range(0, size, MB):
        chunk = block[: min(MB, size - done)]
        crc = zlib.crc32(chunk, crc)
        pieces.append(packer.compress(chunk))
    pieces.append(packer.flush())
    return b"".join(pieces), crc


def zip_with_raw_part(source: Path, target: Path, part: str, compressed: bytes, crc: int,
                      declared: int) -> Path:
    """A copy of an intake whose `part` is replaced by already deflated bytes, with
    whatever size the directory should claim for it (honest or not)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != part:
                new.writestr(info.filename, old.read(info))
    # Append the raw part by hand: local header, data, then a rebuilt directory.
    body = bytearray(target.read_bytes())
    end = body.rfind(b"PK\x05\x06")
    entries, directory_size, directory_offset = struct.unpack_from("<HII", body, end + 10)
    directory = bytes(body[directory_offset : directory_offset + directory_size])
    name = part.encode()
    offset = directory_offset
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(compressed), declared,
                        len(name), 0) + name
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(compressed),
                          declared, len(name), 0, 0, 0, 0, 0, offset) + name
    new_directory_offset = offset + len(local) + len(compressed)
    record = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, entries + 1, entries + 1,
                         len(directory) + len(central), new_directory_offset, 0)
    target.write_bytes(bytes(body[:directory_offset]) + local + compressed + directory + central + record)
    return target
