"""Findings as data: a stable code, a severity, the cell to fix, a message.

Checks yield Problems and never raise, so one run shows every problem. The
messages, and each code's why and fix, come from one catalogue keyed by
code (catalogue.py); a Problem keeps only the
figures that go into its message, so the same finding renders in Chinese for
users and in English for logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from .catalogue import CATALOGUE, Entry
from .cells import parse_a1
from .display import plain

__all__ = ["CATALOGUE", "ERROR", "INFO", "WARNING", "Entry", "IntakeError", "Problem", "Severity", "problem", "sort_key"]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

def _plain(value: object) -> object:
    """Decimals render as people write them: 12.5, 100, 0.4988."""
    return plain(value) if isinstance(value, Decimal) else value


@dataclass(frozen=True)
class Problem:
    code: str
    severity: Severity
    sheet: str | None = None
    cell: str | None = None
    params: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def location(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    @property
    def message(self) -> str:
        return self._render(0)

    @property
    def message_en(self) -> str:
        return self._render(1)

    @property
    def fix(self) -> str:
        """How to fix it, from the catalogue."""
        return CATALOGUE[self.code].fix

    def _render(self, which: int) -> str:
        entry = CATALOGUE[self.code]
        template = entry.message_en if which else entry.message
        params = {"sheet": self.sheet or "", "cell": self.cell or ""}
        params.update((key, _plain(value)) for key, value in self.params.items())
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return template

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
        }


def problem(code: str, severity: Severity, sheet: str | None = None, cell: str | None = None, **params: object) -> Problem:
    if code not in CATALOGUE:
        raise KeyError(f"unknown finding code {code!r}")
    return Problem(code, severity, sheet, cell or None, params)


def sort_key(item: Problem) -> tuple:
    """Errors first, then by sheet and cell in reading order."""
    return (item.severity.rank, item.sheet or "", _cell_order(item.cell), item.code)


def _cell_order(cell: str | None) -> tuple[int, int]:
    """Reading order: findings without a cell first, then by row and column."""
    return parse_a1(cell) if cell else (-1, -1)


class IntakeError(Exception):
    """The file cannot be read at all; carries the one file-level Problem."""

    def __init__(self, found: Problem):
        super().__init__(found.message)
        self.problem = found
