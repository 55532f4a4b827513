"""The Annex 1 workbook of one project: the form (from a layout), 评分明细, 校验问题 and 说明.

layout.py reads a layout template workbook once; render.py writes one
project's form sheet from it; workbook.py adds the audit sheets and writes
the file.
"""

from .layout import Layout, LayoutError, builtin_layouts, load_layout
from .workbook import (
    ABOUT_SHEET, ANNEX_SHEET, DETAIL_SHEET, PROBLEM_SHEET, annex_filename, fill_annex, render_annex, write_annex,
)

__all__ = [
    "ABOUT_SHEET", "ANNEX_SHEET", "DETAIL_SHEET", "PROBLEM_SHEET", "Layout", "LayoutError", "annex_filename",
    "builtin_layouts", "fill_annex", "load_layout", "render_annex", "write_annex",
]
