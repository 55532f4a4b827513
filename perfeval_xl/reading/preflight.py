"""Limits on what a submitted file may cost us, and the checks made before reading.

Files reach a finance bureau from hundreds of offices by e-mail and USB
stick: some are damaged, some password-protected, some enormous, and one day
one will be crafted to hurt the machine that opens it. Before python-calamine
sees a file, `preflight` answers from cheap facts:

- the file's size, and what it really is (zip, OLE, CSV, HTML, PDF...),
  whatever its name says;
- for a zip (xlsx, xlsm, ods): the central directory's sizes and compression
  ratios, before anything is inflated; then every part is inflated once in
  bounded chunks, never held whole, to catch a directory that lies about
  sizes, a truncated or corrupt part, and an XML part that declares a DOCTYPE
  or entities (refused, never expanded);
- for an OLE file: an encrypted package (a password-protected xlsx), an
  encrypted .xls (FILEPASS), or something that is not a workbook at all.

Each limit is a named setting of `Limits`; each refusal is one finding with
its own code (docs/security.md lists them). Sheet sizes are bounded
separately by xlsx.py, ods.py and xls.py, which look at the sheets themselves.

The file is read once (`read_file`, bounded by `max_file_bytes`): the same
bytes are checked here, hashed, handed to calamine and scanned for formats,
so a file swapped on disk in between cannot be read unchecked.

Long because every check made before a library sees the bytes is here, in
the order it is made (size, content sniffing, the zip directory, inflating,
OLE); splitting it would spread one sequence over several files.
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .ole import MAGIC as OLE_MAGIC
from .ole import Ole, OleError
from ..problems import ERROR, INFO, IntakeError, Problem, problem

MB = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"


@dataclass(frozen=True)
class Limits:
    """What one file may cost. An intake has tens of indicators, not a million."""

    max_file_bytes: int = 50 * MB          # the file on disk
    max_part_bytes: int = 100 * MB         # one part of an xlsx/xlsm/ods zip, inflated
    max_total_bytes: int = 300 * MB        # all parts together, inflated
    max_ratio: int = 100                   # inflated / compressed, for a part ...
    ratio_grace_bytes: int = 1 * MB        # ... that inflates to more than this
    max_parts: int = 10_000                # entries in the zip directory
    max_rows: int = 5_000                  # rows read per sheet
    max_cols: int = 200                    # columns read per sheet
    max_cells: int = 3_000_000             # cells of all sheets an .xls/.ods may make the reader hold
    max_cell_chars: int = 32_767           # characters of one cell's text (Excel's own limit)
    max_text_chars: int = 20_000_000       # characters of text the reader would copy into the cells it keeps
    # Containment (perfeval_xl/contained.py): what the process reading one file may use.
    max_memory_bytes: int = 1024 * MB      # address space of the reading process (RLIMIT_AS)
    max_seconds: float = 30.0              # wall-clock time to read and score one file
    max_findings: int = 200                # findings kept for one file; the rest are counted


DEFAULT_LIMITS = Limits()


@dataclass
class Container:
    """What a file really is, once it passed the pre-flight checks."""

    format: str                      # "xlsx" (also xlsm), "ods" or "xls"
    notes: list[Problem] = field(default_factory=list)   # macros-ignored, file-type-mismatch
    ole: Ole | None = None           # the parsed container of an .xls
    workbook_stream: str | None = None
    inflated: InflatedZip | None = None   # a zip's parts as the pre-flight inflated them (small files)


# SPEED: the pre-flight inflates every part of a zip anyway; for an ordinary
# file (all parts together under this size) it keeps them, so that trimming
# and the format pass read them from memory instead of opening and inflating
# the file twice more (about 0.4 ms of the 2 ms a small intake takes).
KEEP_INFLATED_BYTES = 8 * MB


class InflatedZip:
    """The verified parts of a zip, with the few ZipFile methods the reader uses."""

    def __init__(self, infos: list[zipfile.ZipInfo]) -> None:
        self._infos = infos
        self._by_name: dict[str, bytes] = {}
        self._by_info: dict[int, bytes] = {}

    def add(self, info: zipfile.ZipInfo, data: bytes) -> None:
        self._by_name[info.filename] = data     # a repeated name: the last wins, as in ZipFile
        self._by_info[id(info)] = data

    def namelist(self) -> list[str]:
        return [info.filename for info in self._infos]

    def infolist(self) -> list[zipfile.ZipInfo]:
        return list(self._infos)

    def read(self, name: str | zipfile.ZipInfo) -> bytes:
        if isinstance(name, zipfile.ZipInfo):
            return self._by_info[id(name)]
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"There is no item named {name!r} in the archive") from None

    def __enter__(self) -> InflatedZip:
        return self

    def __exit__(self, *exc) -> None:
        return None


def human_size(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} 字节"


def unreadable(reason: str) -> IntakeError:
    return IntakeError(problem("file-unreadable", ERROR, reason=reason))


def read_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a regular file, read once and never more than the size limit allows."""
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise unreadable("不是普通文件（是目录、设备或管道），未读取")
        if info.st_size > limits.max_file_bytes:
            raise IntakeError(problem("file-too-large", ERROR, size=human_size(info.st_size),
                                      limit=human_size(limits.max_file_bytes)))
        data = handle.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:   # it grew while we read it
        raise IntakeError(problem("file-too-large", ERROR, size="超过 " + human_size(limits.max_file_bytes),
                                  limit=human_size(limits.max_file_bytes)))
    return data


def preflight_data(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> Container:
    """Check a file's bytes before any spreadsheet library sees them.

    Raises IntakeError with one file-level finding when the file must not be
    read; returns the real format and any notes otherwise.
    """
    size = len(data)
    if size == 0:
        raise unreadable("文件为空（0字节）")
    if size > limits.max_file_bytes:
        raise IntakeError(
            problem("file-too-large", ERROR, size=human_size(size), limit=human_size(limits.max_file_bytes))
        )
    head = data[:4096]
    if head.startswith(ZIP_MAGIC) or head.startswith(EMPTY_ZIP_MAGIC):
        container = check_zip(data, limits)
    elif head.startswith(OLE_MAGIC):
        container = check_ole(data)
    else:
        raise unreadable(describe_other(head))
    suffix = Path(name).suffix.lower()
    claimed = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods"}.get(suffix)
    if claimed and claimed != container.format:
        container.notes.append(
            problem(
                "file-type-mismatch", INFO, suffix=suffix,
                actual=_FORMAT_NAMES[container.format], actual_en=_FORMAT_NAMES_EN[container.format],
            )
        )
    return container


_FORMAT_NAMES = {"xlsx": "Excel 2007 及以上（.xlsx/.xlsm）", "xls": "Excel 97-2003（.xls）", "ods": "OpenDocument（.ods）"}
_FORMAT_NAMES_EN = {"xlsx": "Excel 2007+ (.xlsx/.xlsm)", "xls": "Excel 97-2003 (.xls)", "ods": "OpenDocument (.ods)"}


# --- not a spreadsheet container ---------------------------------------------------

_HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<table", b"<meta", b"<style", b"<div")


def _looks_like_html(body: bytes) -> bool:
    """Whether the text starts (after blanks and comments) with an HTML tag.

    A loop over the comments, not a pattern: `(<!--.*?-->\\s*)*` backtracked
    exponentially on a head of repeated comments (`<!-- -->` × 512 hung).
    """
    at = 0
    lower = body.lower()
    while True:
        while at < len(lower) and lower[at:at + 1].isspace():
            at += 1
        if not lower.startswith(b"<!--", at):
            break
        end = lower.find(b"-->", at + 4)
        if end < 0:
            return False
        at = end + 3
    for tag in _HTML_TAGS:
        if lower.startswith(tag, at):
            following = lower[at + len(tag) : at + len(tag) + 1]
            if not following or not (following.isalnum() or following == b"_"):
                return True
    return False


def describe_other(head: bytes) -> str:
    """Why a file that is neither a zip nor an OLE file cannot be read, precisely."""
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if body.startswith(b"%PDF"):
        return "文件内容是 PDF 文档，不是表格；请提交填报表的 Excel/WPS 文件"
    if body.startswith((b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")):
        return "文件内容是压缩包（RAR/7z/gz），不是表格；请解压后提交其中的 .xlsx 文件"
    if body.startswith(b"{\\rtf"):
        return "文件内容是 RTF 文档，不是表格"
    text = _as_text(body)
    if text is not None:
        if _looks_like_html(body) or b"<html" in body[:1024].lower():
            return "文件内容是网页（HTML）表格，不是 Excel 工作簿（常见于系统导出的“xls”）；请在 Excel/WPS 中打开后另存为 .xlsx"
        if "urn:schemas-microsoft-com:office:spreadsheet" in text:
            return "文件内容是 Excel 2003 XML 表格，不是 .xlsx 工作簿；请在 Excel/WPS 中打开后另存为 .xlsx"
        if text.lstrip().startswith("<"):
            return "文件内容是 XML 文本，不是 Excel 工作簿；请在 Excel/WPS 中打开后另存为 .xlsx"
        lines = [line for line in text.splitlines()[:20] if line.strip()]
        if lines and sum(("," in line or "\t" in line or "，" in line) for line in lines) >= max(1, len(lines) // 2):
            return "文件内容是 CSV/文本表格（逗号或制表符分隔），不是 Excel 工作簿；请在 Excel/WPS 中打开后另存为 .xlsx"
        return "文件内容是纯文本，不是 Excel 工作簿；请在 Excel/WPS 中打开后另存为 .xlsx"
    return "不是 Excel/WPS/ODS 表格文件（内容既非 xlsx/ods 压缩包，也非 xls）"


def _as_text(head: bytes) -> str | None:
    """The head of a file as text, when it is text (UTF-8, GBK or UTF-16)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head[:4094].decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:   # a character cut at the end of the head is fine
                continue
            text = head[: exc.start].decode(encoding)
        if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
            return text
    return None


# --- zip: xlsx, xlsm, ods ------------------------------------------------------------

_CHUNK = 1 * MB
_DOCTYPE = (b"<!doctype", b"<!entity")
_DOCTYPE_16 = tuple(p.decode().encode("utf-16-le") for p in _DOCTYPE) + tuple(
    p.decode().encode("utf-16-be") for p in _DOCTYPE
)
_MACRO_PARTS = re.compile(r"(^|/)vbaProject\.bin$|^Basic/|^Scripts/", re.I)


def _bomb(part: str, size: int, compressed: int) -> IntakeError:
    ratio = f"{size / max(compressed, 1):.0f}:1"
    return IntakeError(problem("zip-bomb", ERROR, part=part, size=human_size(size), ratio=ratio))


def check_zip(data: bytes, limits: Limits, *, word: bool = False) -> Container:
    size = len(data)
    entries = _directory_count(data, size)
    if entries > limits.max_parts:
        raise unreadable(f"压缩包内有 {entries} 个部件，超过上限 {limits.max_parts}，未读取")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise unreadable(f"文件已损坏或不完整（{str(exc)[:120] or type(exc).__name__}）") from exc
    with archive:
        infos = archive.infolist()
        total = 0
        # Sizes as the directory states them: refuse before inflating anything.
        for info in infos:
            if info.flag_bits & 0x1:
                raise IntakeError(problem("file-encrypted", ERROR))
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise unreadable(f"文件内部“{info.filename[:80]}”使用了不支持的压缩方式，请在 Excel/WPS 中另存为 .xlsx")
            _check_sizes(info.filename, info.file_size, info.compress_size, limits)
            total += info.file_size
            if total > limits.max_total_bytes:
                raise _bomb("全部内容", total, sum(i.compress_size for i in infos))
        names = {info.filename for info in infos}
        fmt = "docx" if word and "word/document.xml" in names else _zip_format(archive, names)
        # Then inflate each part once, in chunks, to see whether the directory told the truth.
        keep = sum(info.file_size for info in infos) <= KEEP_INFLATED_BYTES
        inflated = InflatedZip(infos) if keep else None
        with io.BytesIO(data) as handle:
            for info in infos:
                part = _verify_part(handle, info, limits, keep=keep)
                if inflated is not None:
                    inflated.add(info, part)
    container = Container(fmt, inflated=inflated)
    if any(_MACRO_PARTS.search(name) for name in names):
        container.notes.append(problem("macros-ignored", INFO))
    return container


def _check_sizes(part: str, inflated: int, compressed: int, limits: Limits) -> None:
    if inflated > limits.max_part_bytes:
        raise _bomb(part, inflated, compressed)
    if inflated > limits.ratio_grace_bytes and inflated > limits.max_ratio * max(compressed, 1):
        raise _bomb(part, inflated, compressed)


def _directory_count(data: bytes, size: int) -> int:
    """Entries the zip's end record announces, read before zipfile builds them all."""
    tail = data[max(0, size - (65536 + 22)):]
    at = tail.rfind(EMPTY_ZIP_MAGIC)
    if at < 0 or len(tail) - at < 22:
        raise unreadable("文件不完整（压缩包缺少结尾目录，可能在下载或拷贝时被截断）")
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    if entries == 0xFFFF:
        # zip64: each directory record takes at least 46 bytes.
        return (directory_size if directory_size != 0xFFFFFFFF else size) // 46
    return entries


def _zip_format(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "mimetype" in names:
        with archive.open("mimetype") as member:
            mimetype = member.read(100)
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return "ods"
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            raise unreadable("文件是 OpenDocument 文本或演示文稿，不是表格")
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise unreadable("文件是 Excel 二进制工作簿（.xlsb），不受支持；请在 Excel 中另存为 .xlsx")
    if "word/document.xml" in names:
        raise unreadable("文件内容是 Word 文档（.docx），不是表格")
    if any(name.startswith("ppt/") for name in names):
        raise unreadable("文件内容是 PowerPoint 演示文稿，不是表格")
    raise unreadable("文件是压缩包，但其中没有 Excel/ODS 工作簿")


def _verify_part(handle, info: zipfile.ZipInfo, limits: Limits, *, keep: bool = False) -> bytes | None:
    """Inflate one part in bounded chunks: its real size, its CRC, and no DOCTYPE.

    The directory's sizes were checked already; this catches a directory that
    lies. Inflating stops as soon as the real size passes the part limit or
    the ratio limit, so a lying bomb costs a few megabytes, never its size.
    With `keep` (the directory promised a small file), the verified bytes are
    returned.
    """
    produced = crc = 0
    patterns: tuple[bytes, ...] | None = None
    tail = b""
    kept: list[bytes] = []
    for out in _inflate(handle, info):
        produced += len(out)
        if keep and produced <= info.file_size:    # past it the directory lied: the check below refuses the file
            kept.append(out)
        if produced > limits.max_part_bytes or (
            produced > limits.ratio_grace_bytes and produced > limits.max_ratio * max(info.compress_size, 1)
        ):
            ratio = f"{produced / max(info.compress_size, 1):.0f}:1"
            raise IntakeError(problem("zip-bomb", ERROR, part=info.filename[:80],
                                      size="超过 " + human_size(produced), ratio="超过 " + ratio))
        crc = zlib.crc32(out, crc)
        if patterns is None:
            patterns = _xml_patterns(out)
        if patterns:
            window = tail + out
            # SPEED: every spelling looked for opens with `<!` (in UTF-16, `<` NUL `!`).
            if (b"<!" in window or b"<\x00!" in window) and any(pattern in window.lower() for pattern in patterns):
                raise IntakeError(problem("xml-entities", ERROR, part=info.filename[:80]))
            tail = out[-32:]
    if produced != info.file_size or crc != info.CRC:
        raise unreadable(f"文件已损坏（部件“{info.filename[:80]}”校验失败）")
    return b"".join(kept) if keep else None


def _inflate(handle, info: zipfile.ZipInfo):
    """The inflated bytes of one part, at most one chunk at a time."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or not header.startswith(ZIP_MAGIC):
        raise unreadable(f"文件已损坏（部件“{info.filename[:80]}”的位置无效）")
    name_length, extra_length = struct.unpack_from("<HH", header, 26)
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    left = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    while left > 0 or (inflater is not None and inflater.unconsumed_tail):
        raw = handle.read(min(_CHUNK, left)) if left > 0 else b""
        left -= len(raw)
        if left > 0 and not raw:
            raise unreadable(f"文件不完整（部件“{info.filename[:80]}”被截断）")
        if inflater is None:
            if raw:
                yield raw
            continue
        data = raw
        while True:
            try:
                out = inflater.decompress(data, _CHUNK)
            except zlib.error as exc:
                raise unreadable(f"文件已损坏（部件“{info.filename[:80]}”无法解压）") from exc
            if out:
                yield out
            data = inflater.unconsumed_tail
            if not data or inflater.eof:
                break
        if inflater.eof:
            return
    if inflater is not None:
        try:
            rest = inflater.flush()   # at most what zlib held back: all input is consumed
        except zlib.error as exc:
            raise unreadable(f"文件已损坏（部件“{info.filename[:80]}”无法解压）") from exc
        if rest:
            yield rest
        if not inflater.eof:
            raise unreadable(f"文件不完整（部件“{info.filename[:80]}”被截断）")


def _xml_patterns(first: bytes) -> tuple[bytes, ...]:
    """The DOCTYPE/ENTITY spellings to look for, by the part's encoding; none for binary parts."""
    start = first.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"<"):
        return _DOCTYPE
    if start.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return _DOCTYPE_16
    return ()


# --- OLE: xls, and encrypted xlsx ----------------------------------------------------

_FILEPASS, _BOF, _EOF = 0x002F, 0x0809, 0x000A


def check_ole(data: bytes) -> Container:
    try:
        ole = Ole(data)
    except (OleError, struct.error, IndexError) as exc:
        raise unreadable(f"文件已损坏或不完整（{exc}）") from exc
    names = {name.lower() for name in ole.names()}
    if "encryptioninfo" in names or "encryptedpackage" in names:
        raise IntakeError(problem("file-encrypted", ERROR))
    stream = ole.workbook_stream()
    if stream is None:
        if "worddocument" in names:
            raise unreadable("文件内容是 Word 97-2003 文档（.doc），不是表格")
        if "powerpoint document" in names:
            raise unreadable("文件内容是 PowerPoint 演示文稿，不是表格")
        raise unreadable("文件是 OLE 复合文档，但其中没有 Excel 工作簿数据")
    try:
        globals_head = ole.read(stream)
    except (OleError, struct.error, IndexError) as exc:
        raise unreadable(f"文件已损坏或不完整（{exc}）") from exc
    if _has_filepass(globals_head):
        raise IntakeError(problem("file-encrypted", ERROR))
    container = Container("xls", ole=ole, workbook_stream=stream.name)
    if "_vba_project_cur" in names or "vba" in names:
        container.notes.append(problem("macros-ignored", INFO))
    return container


def _has_filepass(stream: bytes) -> bool:
    """An encrypted .xls says so with a FILEPASS record in its globals."""
    position = 0
    while position + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, position)
        if kind == _FILEPASS:
            return True
        if kind == _EOF:
            return False
        position += 4 + length
    return False
