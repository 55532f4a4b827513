"""A1 addresses: the one place where (row, column) indices become "G4".

Everything in this package counts rows and columns from 0 internally, as
calamine and xlsxwriter do; an address crosses module borders as an A1 string.
"""

from __future__ import annotations

import functools


# SPEED: a few hundred addresses per intake, over a dozen columns.
@functools.lru_cache(maxsize=1024)
def column_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def a1(row: int, col: int) -> str:
    """0-based (row, col) -> "A1"."""
    return f"{column_letter(col)}{row + 1}"


def parse_a1(ref: str) -> tuple[int, int]:
    """"G4" -> 0-based (3, 6)."""
    letters = "".join(ch for ch in ref if ch.isalpha()).upper()
    digits = "".join(ch for ch in ref if ch.isdigit())
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(digits) - 1, col - 1
