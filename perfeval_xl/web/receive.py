"""Receiving one uploaded file, with the size limit enforced while it arrives.

The body is read from the ASGI stream chunk by chunk and parsed as it comes
(python-multipart's push parser); the file part goes straight into the
request's private folder. Before a byte is read, Content-Length is checked
against the limit; while reading, the bytes actually received are counted,
so a client that sends no length, or lies about it, is stopped at the limit
too. What a client sends never becomes a path: the file is stored under a
name we choose (`upload` + a suffix from our own list), and its own name is
kept only to be shown.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from ..batch.discover import LOCK_PREFIX, is_candidate
from ..reading.grid import SUPPORTED_SUFFIXES

# Room for the multipart envelope (boundaries, part headers, small fields).
ENVELOPE_BYTES = 64 * 1024
MAX_FIELD_BYTES = 1024
MAX_PARTS = 4
MAX_NAME_CHARS = 200


class Refused(Exception):
    """The upload is refused before it is scored: an HTTP status and a message for the clerk."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def too_large(limit: int) -> Refused:
    return Refused(413, "upload-too-large", f"文件太大：每个文件不能超过 {limit // (1024 * 1024)} MB。请检查是否上传了正确的文件。")


@dataclass
class Upload:
    path: Path          # where we stored it, inside the private folder
    shown_name: str     # the client's file name, for display only
    size: int


def shown_name(raw: str) -> str:
    """The file name as a person should see it: no folders, no control characters, not endless."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip()[:MAX_NAME_CHARS]


def stored_suffix(name: str) -> str:
    """The suffix to store the file under: one of ours, never the client's string."""
    lowered = name.lower()
    if name.startswith(LOCK_PREFIX):
        raise Refused(415, "upload-lock-file", "这是 Excel/WPS 打开文件时生成的临时锁定文件（文件名以 ~$ 开头），不是填报表本身。请上传原文件。")
    if not is_candidate(name):
        accepted = "、".join(SUPPORTED_SUFFIXES)
        raise Refused(415, "upload-type", f"不支持这种文件。可以上传的文件类型：{accepted}。")
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if lowered.endswith(suffix):
            return suffix
    raise Refused(415, "upload-type", "不支持这种文件。")


def check_declared_length(headers: dict[str, str], limit: int) -> None:
    """Refuse, before anything is read or stored, a body whose Content-Length is past the limit."""
    length = headers.get("content-length")
    if length is None:
        return
    if not length.isdigit():
        raise Refused(400, "upload-malformed", "请求头 Content-Length 无效。")
    if int(length) > limit + ENVELOPE_BYTES:
        raise too_large(limit)


async def receive_upload(headers: dict[str, str], chunks: AsyncIterator[bytes], folder: Path, limit: int) -> Upload:
    """Read a multipart/form-data body holding one file field named `file` into `folder`.

    `headers`: the request's headers, names in lower case; `chunks`: the
    body as it arrives (Starlette's request.stream()).
    Raises Refused (413 past `limit`, 400 for a malformed form, 415 for a
    file type we do not read). On a refusal the caller removes `folder`.
    """
    kind, options = parse_options_header(headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise Refused(400, "upload-malformed", "请通过页面上的表单上传文件（multipart/form-data，字段名 file）。")
    check_declared_length(headers, limit)
    body_limit = limit + ENVELOPE_BYTES
    sink = _Sink(folder, limit)
    parser = MultipartParser(boundary, sink.callbacks(), max_size=body_limit)
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > body_limit:
                raise too_large(limit)
            if chunk:
                parser.write(chunk)
            sink.raise_pending()
        parser.finalize()
    except Refused:
        raise
    except Exception as exc:   # python-multipart's parse errors: the form is malformed
        raise Refused(400, "upload-malformed", "上传的表单格式不正确，请重新选择文件上传。") from exc
    finally:
        sink.close()
    return sink.result()


class _Sink:
    """python-multipart callbacks: the `file` part to disk, small fields ignored, limits kept."""

    def __init__(self, folder: Path, limit: int):
        self.folder, self.limit = folder, limit
        self.parts = 0
        self.header_field = self.header_value = b""
        self.part_headers: dict[bytes, bytes] = {}
        self.handle = None
        self.upload: Upload | None = None
        self.field_bytes = 0
        self.pending: Refused | None = None

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._begin, "on_part_data": self._data, "on_part_end": self._end,
            "on_header_field": self._field, "on_header_value": self._value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
        }

    def raise_pending(self) -> None:
        if self.pending is not None:
            raise self.pending

    def _fail(self, refused: Refused) -> None:
        # Raising inside a callback would be wrapped by the parser; remember it and stop taking data.
        if self.pending is None:
            self.pending = refused

    def _begin(self) -> None:
        self.parts += 1
        self.part_headers = {}
        self.header_field = self.header_value = b""
        self.field_bytes = 0
        if self.parts > MAX_PARTS:
            self._fail(Refused(400, "upload-malformed", "上传的表单字段过多。"))

    def _field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        # A name or a value may arrive in pieces, split across chunks: joined until the header ends.
        self.header_value += data[start:end]
        if len(self.header_field) + len(self.header_value) > MAX_FIELD_BYTES:
            self._fail(Refused(400, "upload-malformed", "上传的表单字段过长。"))

    def _header_end(self) -> None:
        self.part_headers[self.header_field.lower()] = self.header_value
        self.header_field, self.header_value = b"", b""

    def _headers_done(self) -> None:
        if self.pending:
            return
        _, options = parse_options_header(self.part_headers.get(b"content-disposition", b""))
        if options.get(b"name") != b"file" or b"filename" not in options:
            return
        if self.upload is not None:
            self._fail(Refused(400, "upload-malformed", "一次只能上传一个文件。"))
            return
        name = shown_name(options[b"filename"].decode("utf-8", "replace"))
        if not name:
            self._fail(Refused(400, "upload-empty", "没有选择文件。请先选择要检查的填报表。"))
            return
        try:
            suffix = stored_suffix(name)
        except Refused as refused:
            self._fail(refused)
            return
        path = self.folder / f"upload{suffix}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.handle = os.fdopen(fd, "wb")
        self.upload = Upload(path, name, 0)

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.pending:
            return
        if self.handle is None:
            self.field_bytes += end - start
            if self.field_bytes > MAX_FIELD_BYTES:
                self._fail(Refused(400, "upload-malformed", "上传的表单字段过长。"))
            return
        self.upload.size += end - start
        if self.upload.size > self.limit:
            self._fail(too_large(self.limit))
            return
        self.handle.write(data[start:end])

    def _end(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def result(self) -> Upload:
        self.raise_pending()
        if self.upload is None:
            raise Refused(400, "upload-empty", "没有选择文件。请先选择要检查的填报表。")
        if self.upload.size == 0:
            raise Refused(400, "upload-empty", "上传的文件是空的（0 字节）。请检查所选文件。")
        return self.upload
