"""How numbers and department text are shown: one rule for every output.

Scores are rounded half-up to the cent with decimal arithmetic (scoring.md
§6); a figure is written the way people write it (12.5, 100, 0.4988, never
1E+2); text for a cell is kept within Excel's limit and is never a formula;
and a text's width on screen or in a column counts a CJK character as two.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP, Context, Decimal

CENT = Decimal("0.01")
WHOLE = Decimal(1)
# Wide enough that quantizing any number a cell can hold never overflows.
WIDE = Context(prec=40000)
# Excel's limit on the characters of one cell.
EXCEL_TEXT_LIMIT = 32767


def half_up(value: Decimal, places: Decimal = CENT) -> Decimal:
    """`value` rounded half-up to `places` (0.985 -> 0.99), the one rounding rule."""
    return value.quantize(places, rounding=ROUND_HALF_UP, context=WIDE)


HUNDRED = Decimal(100)


def as_percent(fraction: Decimal) -> Decimal:
    """A fraction in percent (0.98 -> 98.00): the one place a rate is multiplied by 100."""
    return fraction * HUNDRED


def percent_text(fraction: Decimal | float | None, places: Decimal = CENT) -> str:
    """A rate or completion as percent text, rounded half-up: 0.98765 -> `98.77%`, None -> `—`.

    Every rate and completion shown as text goes through here, so a cell and
    the text that quotes it never disagree (Python's `:.2%` rounds half-even).
    """
    if fraction is None:
        return "—"
    # A float (a rate read back from a JSON record) by its shortest repr: 0.98765 is 0.98765,
    # not the binary 0.987649999… that would round down.
    number = Decimal(repr(fraction)) if isinstance(fraction, float) else Decimal(fraction)
    return f"{format(half_up(as_percent(number), places), 'f')}%"


def plain(value: Decimal) -> str:
    """A Decimal as people write it: 12.5, 100, 0.4988."""
    return format(value.normalize(), "f")


def fmt(value: Decimal | None) -> str:
    """A number as the arithmetic shows it, `—` when there is none."""
    return "—" if value is None else plain(value)


def cell_text(value: object) -> str:
    """Department text for a cell: within Excel's limit, never a formula."""
    shown = "" if value is None else str(value)
    return shown[:EXCEL_TEXT_LIMIT]


def width(text: str) -> int:
    """Width in character cells: a wide (CJK) or full-width character counts two."""
    if text.isascii():
        return len(text)
    wide = len(text) - len(_wide().sub("", text))
    # Characters past the BMP are rare (CJK extensions, emoji): looked up one by one.
    wide += sum(1 for char in _ASTRAL.findall(text) if unicodedata.east_asian_width(char) in "WF")
    return len(text) + wide


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@functools.cache
def _wide() -> re.Pattern:
    """One character class of the BMP's wide and full-width characters, built once per process
    (about 10 ms) from the Unicode database: counting them is then one C-level scan per text."""
    ranges, start = [], None
    for code in range(0x10000):
        wide = unicodedata.east_asian_width(chr(code)) in "WF"
        if wide and start is None:
            start = code
        elif not wide and start is not None:
            ranges.append((start, code - 1))
            start = None
    if start is not None:
        ranges.append((start, 0xFFFF))
    return re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]")
