"""Normalising text before it is matched (intake.md, "Normalising text").

People fill the intake in Excel or WPS with Chinese input methods, so the
same label arrives with full-width digits, ideographic spaces, line breaks
and a dozen spellings of ≥. Everything that is compared goes through here.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal

# Full-width ASCII (U+FF01..U+FF5E) maps to ASCII by a fixed offset.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_SPACES = re.compile(r"[\s\u3000\u00a0\u2002\u2003\u2009\u200b\ufeff]+")
# Two-character spellings first, then single characters: the order matters
# (`﹤=` becomes `<=`, not `≤`, because `<=` is replaced before `﹤`).
_OPERATOR_PAIRS = (("<=", "≤"), (">=", "≥"))
_OPERATOR_CHARS = str.maketrans({
    "≦": "≤",
    "≧": "≥",
    "⩽": "≤",
    "⩾": "≥",
    "﹦": "=",
    "﹤": "<",
    "﹥": ">",
    "—": "-",
    "–": "-",
    "－": "-",
    "〜": "~",
    "～": "~",
})
_LEADING_QIZHONG = re.compile(r"^其中[:：]?")
_POINTS = re.compile(r"\(\s*\d+(\.\d+)?\s*分?\s*\)$")


def normalise(value: object) -> str:
    """Return `value` as comparable text: no spaces, half-width, one ≤/≥/=."""
    if value is None:
        return ""
    if type(value) is str and len(value) <= _CACHED_LENGTH:
        return _normalise_text(value)
    return _normalise(str(value))


# SPEED: reading and scoring one intake normalises a few hundred cells, most
# of them labels, level names and units that every intake repeats; a worker
# remembers the short ones. Keyed by the str itself, so 1, 1.0 and True
# (equal as keys) never share an entry.
_CACHED_LENGTH = 200


@functools.lru_cache(maxsize=8192)
def _normalise_text(text: str) -> str:
    return _normalise(text)


def _normalise(text: str) -> str:
    text = _SPACES.sub("", text.translate(_FULLWIDTH))
    for old, new in _OPERATOR_PAIRS:
        text = text.replace(old, new)
    return text.translate(_OPERATOR_CHARS)


def normalise_label(value: object) -> str:
    """Normalise a row or column label: also drop a trailing colon and 其中."""
    if type(value) is str and len(value) <= _CACHED_LENGTH:
        return _label_text(value)
    return _label(value)


def _label(value: object) -> str:
    text = normalise(value).rstrip(":")
    return _LEADING_QIZHONG.sub("", text)


def level_name(value: object) -> str:
    """A level cell's name without its points: `产出指标(50分)` -> `产出指标`."""
    if type(value) is str and len(value) <= _CACHED_LENGTH:
        return _level_text(value)
    return _POINTS.sub("", normalise_label(value))


# SPEED: labels and level names repeat in every intake, as for normalise.
@functools.lru_cache(maxsize=4096)
def _label_text(text: str) -> str:
    return _label(text)


@functools.lru_cache(maxsize=1024)
def _level_text(text: str) -> str:
    return _POINTS.sub("", normalise_label(text))


def text_of(value: object) -> str:
    """A cell as the text a person sees (numbers without a spurious .0)."""
    if type(value) is str:      # SPEED: most cells are text
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f") if value == value else ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else ""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def printable_path(name: str) -> str:
    """A file name as every output shows it: bytes that are not UTF-8 written as `\\xd7`.

    A name from a Chinese Windows zip is often GBK: Python holds its bytes
    as lone surrogates, which no UTF-8 output (a record, a workbook, the
    console) can encode. Valid names come back unchanged.
    """
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:      # surrogates that are not escaped bytes (from Windows)
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")
