"""Just enough of the OLE compound file format (MS-CFB) to look inside a file.

An .xls keeps its cells in a `Workbook` stream inside an OLE container, and
an encrypted .xlsx is an OLE container too (`EncryptionInfo` and
`EncryptedPackage`). We read the directory to tell them apart, and map a
stream's bytes to their places in the file so that limits.py / trim.py can
scan the stream and patch records in a copy without rewriting the container.

Every chain is bounded by the number of sectors in the file and checked for
loops: a crafted container raises OleError, never hangs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_STREAM, _ROOT = 2, 5
WORKBOOK_NAMES = ("Workbook", "Book", "WORKBOOK", "BOOK")


class OleError(Exception):
    """The container is damaged or not an OLE file."""


@dataclass(frozen=True)
class Entry:
    name: str
    kind: int
    start: int
    size: int


class Ole:
    """An OLE container held in memory (the caller bounds its size)."""

    def __init__(self, data: bytes):
        if len(data) < 512 or not data.startswith(MAGIC):
            raise OleError("not an OLE compound file")
        self.data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if shift not in (9, 12) or mini_shift != 6:
            raise OleError("bad sector size")
        self.sector = 1 << shift
        self.mini_sector = 1 << mini_shift
        self.sectors = max(0, (len(data) - self.sector) // self.sector + 1)
        (n_fat,) = struct.unpack_from("<I", data, 0x2C)
        (first_dir,) = struct.unpack_from("<I", data, 0x30)
        (self.cutoff,) = struct.unpack_from("<I", data, 0x38)
        first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from("<IIII", data, 0x3C)
        self.fat = self._read_fat(n_fat, first_difat, n_difat)
        self.entries = self._read_directory(first_dir)
        root = next((e for e in self.entries if e.kind == _ROOT), None)
        self._mini_container = self._chain(root.start) if root and root.size else []
        self.minifat = self._u32s(b"".join(self._sector_bytes(s) for s in self._chain(first_minifat)))

    # --- sectors and chains --------------------------------------------------

    def _offset(self, sector: int) -> int:
        if sector >= self.sectors:
            raise OleError("sector out of range")
        return (sector + 1) * self.sector

    def _sector_bytes(self, sector: int) -> bytes:
        start = self._offset(sector)
        return self.data[start : start + self.sector]

    @staticmethod
    def _u32s(blob: bytes) -> list[int]:
        return list(struct.unpack(f"<{len(blob) // 4}I", blob[: len(blob) // 4 * 4]))

    def _read_fat(self, n_fat: int, first_difat: int, n_difat: int) -> list[int]:
        header = self._u32s(self.data[0x4C:0x200])
        difat = [s for s in header if s not in (_FREE, _END_OF_CHAIN)]
        sector, seen = first_difat, set()
        while sector not in (_FREE, _END_OF_CHAIN) and len(seen) < n_difat:
            if sector in seen:
                raise OleError("DIFAT loop")
            seen.add(sector)
            values = self._u32s(self._sector_bytes(sector))
            difat += [s for s in values[:-1] if s not in (_FREE, _END_OF_CHAIN)]
            sector = values[-1]
        if len(difat) > self.sectors:
            raise OleError("FAT larger than the file")
        return self._u32s(b"".join(self._sector_bytes(s) for s in difat[:n_fat] or difat))

    def _chain(self, start: int, table: list[int] | None = None) -> list[int]:
        table = self.fat if table is None else table
        chain, seen = [], set()
        sector = start
        while sector not in (_END_OF_CHAIN, _FREE):
            if sector in seen or sector >= len(table):
                raise OleError("broken sector chain")
            seen.add(sector)
            chain.append(sector)
            sector = table[sector]
        return chain

    def _read_directory(self, first: int) -> list[Entry]:
        entries = []
        for sector in self._chain(first):
            blob = self._sector_bytes(sector)
            for at in range(0, len(blob) - 127, 128):
                raw = blob[at : at + 128]
                (length,) = struct.unpack_from("<H", raw, 0x40)
                kind = raw[0x42]
                if kind == 0:
                    continue
                name = raw[: max(0, min(length, 64) - 2)].decode("utf-16-le", "replace")
                start, size = struct.unpack_from("<IQ", raw, 0x74)
                if self.sector == 512:
                    size &= 0xFFFFFFFF  # version 3 files leave the high half undefined
                entries.append(Entry(name, kind, start, size))
        return entries

    # --- streams ---------------------------------------------------------------

    def names(self) -> set[str]:
        return {entry.name for entry in self.entries}

    def find(self, *names: str) -> Entry | None:
        wanted = {name.lower() for name in names}
        return next((e for e in self.entries if e.kind == _STREAM and e.name.lower() in wanted), None)

    def workbook_stream(self) -> Entry | None:
        """The stream python-calamine reads as the workbook, chosen as it chooses.

        It asks for `Workbook`, then `Book`, then `WORKBOOK`, then `BOOK`, by
        exact name, and takes the first entry of that name in the directory
        (measured: a directory holding a clean `Book` and a `Workbook` with
        far cells is read from `Workbook`). So every check looks at exactly
        the stream calamine will read, never a decoy beside it. An entry of
        that name that is not a stream is no workbook.
        """
        for name in WORKBOOK_NAMES:
            entry = next((e for e in self.entries if e.name == name), None)
            if entry is not None:
                return entry if entry.kind == _STREAM else None
        return None

    def spans(self, entry: Entry) -> list[tuple[int, int]]:
        """(file offset, length) pieces that make up the stream, in order."""
        if entry.size > len(self.data):
            raise OleError("stream larger than the file")
        pieces: list[tuple[int, int]] = []
        left = entry.size
        if entry.size < self.cutoff:
            for mini in self._chain(entry.start, self.minifat):
                if left <= 0:
                    break
                position = mini * self.mini_sector
                index, within = divmod(position, self.sector)
                if index >= len(self._mini_container):
                    raise OleError("mini sector out of range")
                size = min(self.mini_sector, left)
                pieces.append((self._offset(self._mini_container[index]) + within, size))
                left -= size
        else:
            for sector in self._chain(entry.start):
                if left <= 0:
                    break
                size = min(self.sector, left)
                pieces.append((self._offset(sector), size))
                left -= size
        if left > 0:
            raise OleError("stream shorter than its directory entry says")
        return pieces

    def read(self, entry: Entry) -> bytes:
        return b"".join(self.data[start : start + size] for start, size in self.spans(entry))
