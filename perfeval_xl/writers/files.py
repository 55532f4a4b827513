"""Writing files safely: atomic replace, safe names, fixed timestamps."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import unicodedata
from pathlib import Path

_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_BYTES = 150


def safe_name(text: str, *, max_bytes: int = MAX_NAME_BYTES, fallback: str = "未命名") -> str:
    """A file-name stem from department text, safe on Windows, macOS and Linux.

    Path separators, `..`, control characters and the characters Windows
    forbids become `_`; reserved device names get a `_` suffix; the result
    is cut to `max_bytes` of UTF-8 on a character boundary.
    """
    text = unicodedata.normalize("NFC", text or "")
    text = _FORBIDDEN.sub("_", text)
    text = re.sub(r"\.{2,}", "_", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    if not text:
        text = fallback
    stem, dot, rest = text.partition(".")
    if stem.strip().upper() in _RESERVED:
        # Windows reserves CON and CON.anything alike: the mark goes on the stem.
        text = f"{stem.strip()}_{dot}{rest}"
    encoded = text.encode("utf-8")
    if len(encoded) > max_bytes:
        text = encoded[:max_bytes].decode("utf-8", "ignore").rstrip(" .")
    return text


def creation_time() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else a fixed date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).replace(tzinfo=None)
    return dt.datetime(2000, 1, 1)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary name beside `path`, then rename: never half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp makes the file private (0600); an output is as readable as any new file.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
