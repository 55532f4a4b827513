"""Normalising text before it is matched (intake.md, "Normalising text").

People fill the intake in Excel or WPS with Chinese input methods, so the
same label arrives with full-width digits, ideographic spaces, line breaks
and a dozen spellings of ≥. Everything that is compared goes through here.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

# Full-width ASCII (U+FF01..U+FF5E) maps to ASCII by a fixed offset.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_SPACES = re.compile(r"[\s\u3000\u00a0\u2002\u2003\u2009\u200b\ufeff]+")
_OPERATORS = (
    ("<=", "≤"),
    (">=", "≥"),
    ("≦", "≤"),
    ("≧", "≥"),
    ("⩽", "≤"),
    ("⩾", "≥"),
    ("﹦", "="),
    ("﹤", "<"),
    ("﹥", ">"),
    ("—", "-"),
    ("–", "-"),
    ("－", "-"),
    ("〜", "~"),
    ("～", "~"),
)
_LEADING_QIZHONG = re.compile(r"^其中[:：]?")
_POINTS = re.compile(r"\(\s*\d+(\.\d+)?\s*分?\s*\)$")


def normalise(value: object) -> str:
    """Return `value` as comparable text: no spaces, half-width, one ≤/≥/=."""
    if value is None:
        return ""
    text = str(value).translate(_FULLWIDTH)
    text = _SPACES.sub("", text)
    for old, new in _OPERATORS:
        text = text.replace(old, new)
    return text


def normalise_label(value: object) -> str:
    """Normalise a row or column label: also drop a trailing colon and 其中."""
    text = normalise(value).rstrip(":")
    return _LEADING_QIZHONG.sub("", text)


def level_name(value: object) -> str:
    """A level cell's name without its points: `产出指标(50分)` -> `产出指标`."""
    return _POINTS.sub("", normalise_label(value))


def text_of(value: object) -> str:
    """A cell as the text a person sees (numbers without a spurious .0)."""
    if value is None or value == "":
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
