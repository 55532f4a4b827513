"""What every format reader shares: the grid of one sheet, and the trimmed copy calamine reads.

Each format module (xlsx.py, ods.py, xls.py) measures its sheets against the
limits, cuts what lies past them into a `Trimmed` copy held in memory, and
marks the cells calamine cannot tell us about (percent formats, error
values, formulas without a value) on the `Sheet` grids it is given.
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
from dataclasses import dataclass, field

from .preflight import Limits


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]
    percent: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    # Formulas that carry no value: read as their text, never evaluated (intake.md).
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


@dataclass
class Trimmed:
    """What calamine should read, and the sheets that were cut."""

    data: bytes | None = None                    # a trimmed copy, or None: read the file as it is
    stream: bytes | None = None                  # .xls: the workbook stream as calamine will read it
    oversize: dict[str, tuple[int, int]] = field(default_factory=dict)   # sheet -> (rows, cols) in the file


def unescape(text: str) -> str:
    """The five predefined XML entities; nothing else is ever expanded."""
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")
    )


def over(rows: int, cols: int, limits: Limits) -> bool:
    return rows > limits.max_rows or cols > limits.max_cols


def held(sizes, limits: Limits) -> int:
    return sum(min(rows, limits.max_rows) * min(cols, limits.max_cols) for rows, cols in sizes)


def rezip(archive: zipfile.ZipFile, replaced: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    # Level 1: the copy is read once, at once; speed matters more than size.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy:
        for info in archive.infolist():
            data = replaced.get(info.filename)
            if data is None:
                data = archive.read(info)
            stored = info.filename == "mimetype"   # ODF wants it first and stored
            copy.writestr(info.filename, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def stored_zip(archive) -> bytes:
    """The parts of `archive` (as the pre-flight inflated and verified them) in a zip that
    stores them uncompressed, so that calamine does not inflate them a second time."""
    # SPEED: about 0.2 ms of calamine's 0.6 ms for an ordinary intake is inflating.
    local: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for info in archive.infolist():
        data = archive.read(info)
        name = info.filename.encode("utf-8")
        flags = 0x800 if not info.filename.isascii() else 0
        crc = info.CRC
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 0, 0, 0x21, crc, len(data), len(data), len(name), 0)
        local += (header, name, data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 0, 0, 0x21, crc, len(data), len(data),
                                   len(name), 0, 0, 0, 0, 0, offset) + name)
        offset += len(header) + len(name) + len(data)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0)
    return b"".join(local) + directory + end


@functools.lru_cache(maxsize=256)
def is_percent_code(code: str) -> bool:
    """A number format shows a percent when a % stands outside quotes and brackets."""
    depth, quoted = 0, False
    for ch in code:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "[":
            depth += 1
        elif not quoted and ch == "]":
            depth = max(0, depth - 1)
        elif ch == "%" and not quoted and depth == 0:
            return True
    return False
