"""How our sheets print: one page setup per kind of sheet, and row heights for wrapped text.

Every sheet numbers its own pages from 1 (`set_start_page`), with the sheet's
name on the left of the footer and `第 N 页` on the right. The footer does not
say `共 N 页`: LibreOffice counts that over the whole workbook, so a one-page
form would read "第 1 页，共 10 页".

Neither LibreOffice nor WPS fits a row to wrapped text when it opens an
xlsx written without heights (they overprint the row below), so `fit_rows`
sets them: the lines a text needs are estimated from the column widths, a
CJK character counting two (display.width), which wraps a little sooner
than the programs do.
"""

from __future__ import annotations

import functools
import math

from ..display import width

A4 = 9
A3 = 8
FOOTER = "&L&A&R第 &P 页"
# left, right, top, bottom (inches): about 1.5 cm at the sides, 2 cm top and bottom.
MARGINS = (0.6, 0.6, 0.75, 0.75)
# A 10 pt 宋体 line in LibreOffice (its CJK fallback, Noto Sans CJK, has tall ascenders).
LINE_HEIGHT = 14.0
LINE_HEIGHT_11 = 15.5        # the same for 11 pt (the intake template)
DEFAULT_HEIGHT = 15.0
MAX_HEIGHT = 409.0


def page_setup(ws, *, landscape: bool = True, paper: int = A4, title_rows: int = 1) -> None:
    """Fit to one page wide, as many long as needed; the first `title_rows` rows on every page."""
    ws.set_paper(paper)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(*MARGINS)
    ws.set_footer(FOOTER, {"margin": 0.3})
    ws.set_start_page(1)
    ws.center_horizontally()
    if title_rows:
        ws.repeat_rows(0, title_rows - 1)


@functools.lru_cache(maxsize=1 << 16)
def lines_needed(text: str, columns: float) -> int:
    """Lines that `text` takes in a wrapped cell `columns` characters wide.

    SPEED: remembered (a pure function): the summary's rows repeat the same
    departments, codes, grades and messages thousands of times."""
    room = max(1.0, columns - 1.5)     # the cell's padding
    return sum(max(1, math.ceil(width(line) / room)) for line in text.split("\n"))


def height_for(lines: int, line_height: float = LINE_HEIGHT) -> float | None:
    """The row height (points) for `lines` lines, None when one line fits the default row."""
    if lines <= 1:
        return None
    return min(MAX_HEIGHT, lines * line_height + 3)


def fit_row(ws, row: int, texts: dict[int, str], widths: list[float] | tuple[float, ...], *,
            line_height: float = LINE_HEIGHT) -> None:
    """Set `row`'s height for the wrapped `texts` (column -> text) in columns of `widths`."""
    lines = max((lines_needed(text, widths[col]) for col, text in texts.items() if text), default=1)
    height = height_for(lines, line_height)
    if height is not None:
        ws.set_row(row, height)
