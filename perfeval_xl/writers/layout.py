"""Annex layouts as template workbooks (docs/layouts.md).

A layout is an ordinary .xlsx file whose first sheet looks like the printed
form, with placeholders where a project's figures go (`{{项目名称}}`,
`（{{评价年度}}年度）`) and one row of `{{指标.…}}` placeholders that is
repeated once per indicator. A finance bureau edits a copy in Excel or WPS to
make its own layout; no code changes.

`load_layout` reads a template once with openpyxl into a plain `Layout`
(cells, xlsxwriter format dicts, merges, widths, heights, print setup) and
caches it per file; `render_layout` writes one project's sheet from it with
xlsxwriter, creating the workbook's formats once from the cached dicts. A bad
template is a `LayoutError` naming the file and the cell.
"""

from __future__ import annotations

import colorsys
import functools
import hashlib
import math
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from difflib import get_close_matches
from pathlib import Path

from ..cells import a1
from ..evaluate import Result
from ..model import (
    ANNUAL, APPROPRIATION, BUDGET_SHEET, CARRYOVER, EXECUTED, INDICATOR_SHEET, OTHER, SPLIT_ROWS, STAGES, TOTAL,
)
from ..problems import ERROR
from ..scoring import IndicatorScore, fmt
from ..targets import QUALITATIVE
from ..text import text_of
from .styles import ERROR_FILL, UNVERIFIED_FILL

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "workbook_templates"
DEFAULT_LAYOUT = "national"
EXCEL_TEXT_LIMIT = 32767
# Sheets the Annex workbook adds after the layout's own sheet.
RESERVED_SHEETS = ("评分明细", "校验问题", "说明")
# A printed Annex is a page or two; a larger used range is a template mistake (a stray cell far away).
MAX_ROWS, MAX_COLUMNS = 500, 60


class LayoutError(Exception):
    """A template that cannot be used; the message names the file and the cell."""


# --- the placeholder language --------------------------------------------------------

BUDGET_SOURCES = (TOTAL, APPROPRIATION, *SPLIT_ROWS, CARRYOVER, OTHER)
PROJECT_FIELDS = {
    "项目名称": "name", "项目编码": "code", "主管部门": "department", "实施单位": "unit",
    "项目负责人": "leader", "联系电话": "phone", "预期目标": "goal", "实际完成情况": "achieved",
}
SCALAR_FIELDS = (
    *PROJECT_FIELDS, "评价年度",
    "预算分值", "执行率", "执行率得分", "执行率算式",
    "分值合计", "总分", "等级", "自评总分", "评分规则", "未核实项数", "未核实分值",
    *(f"{source}.{stage}" for source in BUDGET_SOURCES for stage in STAGES),
)
INDICATOR = "指标."
INDICATOR_FIELDS = (
    "序号", "一级指标", "二级指标", "三级指标", "分值", "年度指标值", "实际完成值",
    "完成率", "得分", "自评得分", "偏差原因", "评分规则", "计算过程",
)
KNOWN_FIELDS = frozenset((*SCALAR_FIELDS, *(INDICATOR + name for name in INDICATOR_FIELDS)))
MERGE = "合并"
# Intake column key of an indicator field: a finding on that intake cell marks the Annex cell.
_MARK_KEY = {
    "一级指标": "level1", "二级指标": "level2", "三级指标": "name", "年度指标值": "target",
    "实际完成值": "actual", "分值": "weight", "完成率": "achievement", "得分": "self_score",
    "自评得分": "self_score", "偏差原因": "reason",
}
_SHORT_LEVEL = {"achieved": "达成", "partial": "部分达成", "failed": "未达成"}
_TOKEN = re.compile(r"\{\{(.*?)\}\}", re.S)
# Characters a full em wide: CJK, full-width forms and punctuation.
_WIDE = re.compile("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
                   "\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6]")
# A missing value inside text leaves room to write it in by hand: （    年度）.
BLANK_IN_TEXT = "    "


@dataclass(frozen=True)
class Field:
    name: str            # "项目名称", "年度资金总额.全年预算数", "指标.得分"
    merge: bool = False  # |合并: merge runs of equal values down the indicator rows

    @property
    def is_indicator(self) -> bool:
        return self.name.startswith(INDICATOR)


# What a cell gets: text (always written as text), a number (or blank), a formula with its value.
@dataclass(frozen=True)
class _Text:
    value: str


@dataclass(frozen=True)
class _Number:
    value: float | None


@dataclass(frozen=True)
class _Formula:
    formula: str
    value: float


# Style variants of a cell that can be marked (styles.py colours).
NORMAL, MARKED_ERROR, MARKED_UNVERIFIED, MARKED_FLAG = range(4)


@dataclass(frozen=True)
class Slot:
    """One cell of the template (the top-left one of a merged range)."""

    row: int                          # 0-based template row and column
    col: int
    last_row: int                     # == row / col unless merged
    last_col: int
    literal: _Text | _Number | None   # the value when there is no placeholder
    parts: tuple                      # text and Field pieces; () for a literal
    styles: tuple[int, ...]           # format indices by variant; (-1,) for no format
    field: Field | None = None        # set when the cell holds one placeholder and nothing else
    merged: bool = False              # the top-left cell of a merged range


@dataclass(frozen=True)
class PrintSetup:
    landscape: bool | None = None
    paper: int | None = None
    fit: tuple[int, int] | None = None       # pages wide, pages tall (0 = as many as needed)
    scale: int | None = None
    margins: tuple[float, float, float, float] | None = None   # left, right, top, bottom (inches)
    header: str = ""
    footer: str = ""
    header_margin: float | None = None
    footer_margin: float | None = None
    center_horizontally: bool = False
    center_vertically: bool = False
    print_gridlines: bool = False
    screen_gridlines: bool = True
    title_rows: tuple[int, int] | None = None
    title_cols: tuple[int, int] | None = None
    area: tuple[int, int, int, int] | None = None   # first row, first col, last row, last col
    freeze: tuple[int, int] | None = None


@dataclass(frozen=True)
class Layout:
    """A template workbook read once: everything needed to write it per project."""

    name: str
    title: str
    path: str
    sha256: str
    sheet: str
    slots: tuple[Slot, ...]                       # outside the indicator row, in row-major order
    repeat_row: int                               # the indicator row of the template
    repeat: tuple[Slot, ...]                      # its cells
    formats: tuple[dict, ...]                     # xlsxwriter format dicts
    columns: tuple[tuple[int, int, int, bool], ...]   # first, last, width in pixels, hidden
    col_pixels: tuple[int, ...]                   # width of each used column, for fitting text
    rows: dict[int, tuple[float | None, bool]]    # template row -> height (points), hidden
    default_height: float
    print_setup: PrintSetup
    anchors: dict[str, tuple[int, int]]           # scalar field -> its first template cell
    indicator_cols: dict[str, int]                # indicator field -> its column in the indicator row

    def rendered_row(self, row: int, count: int) -> int:
        """Where template row `row` (not the indicator row) lands with `count` indicators."""
        return row if row < self.repeat_row else row + count - 1


# --- reading a template ----------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def builtin_layouts() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in BUILTIN_DIR.glob("*.xlsx") if not path.name.startswith("~$")))


def layout_path(name_or_path: str | Path) -> Path:
    if str(name_or_path) in builtin_layouts():
        return BUILTIN_DIR / f"{name_or_path}.xlsx"
    path = Path(name_or_path)
    if not path.is_file():
        raise LayoutError(
            f"找不到版式“{name_or_path}”：可用内置版式 {'、'.join(builtin_layouts())}，或给出版式工作簿（.xlsx）的路径"
        )
    return path


def load_layout(layout: Layout | str | Path | None = None) -> Layout:
    """A Layout from a built-in name or a template path; read once per file and cached."""
    if isinstance(layout, Layout):
        return layout
    path = layout_path(DEFAULT_LAYOUT if layout is None else layout)
    name = path.stem
    stat = path.stat()
    return _load_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size, name, str(path))


@functools.lru_cache(maxsize=16)
def _load_cached(resolved: str, _mtime: int, _size: int, name: str, shown: str) -> Layout:
    return parse_layout(Path(resolved), name=name, shown=shown)


def parse_layout(path: Path, *, name: str | None = None, shown: str | None = None) -> Layout:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    shown = shown or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LayoutError(f"版式文件 {shown} 无法打开：{exc.strerror or exc}") from exc
    try:
        workbook = openpyxl.load_workbook(path, rich_text=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise LayoutError(f"版式文件 {shown} 不是可读取的 .xlsx 工作簿：{exc}") from exc
    return _Reader(workbook, shown, name or path.stem, hashlib.sha256(raw).hexdigest()).layout()


class _Reader:
    """openpyxl worksheet -> Layout; raises LayoutError naming the cell."""

    def __init__(self, workbook, shown: str, name: str, sha256: str) -> None:
        self.workbook = workbook
        self.ws = workbook.worksheets[0]
        self.shown = shown
        self.name = name
        self.sha256 = sha256
        self.theme = _theme_colours(workbook.loaded_theme)
        self.formats: list[dict] = []
        self.format_index: dict[tuple, int] = {}

    def fail(self, ref: str, message: str) -> LayoutError:
        return LayoutError(f"版式文件 {self.shown}，单元格 {self.ws.title}!{ref}：{message}")

    def layout(self) -> Layout:
        ws = self.ws
        if ws.title in RESERVED_SHEETS:
            raise LayoutError(f"版式文件 {self.shown}：工作表名“{ws.title}”与附件工作簿的其他工作表重名，请改名")
        spans = {}
        covered = set()
        for merged in ws.merged_cells.ranges:
            spans[(merged.min_row - 1, merged.min_col - 1)] = (merged.max_row - 1, merged.max_col - 1)
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if (r, c) != (merged.min_row, merged.min_col):
                        covered.add((r - 1, c - 1))
        if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLUMNS:
            far = a1(ws.max_row - 1, ws.max_column - 1)
            raise self.fail(far, f"版式的使用区域太大（到 {far}）；一张附件1 不超过 {MAX_ROWS} 行、{MAX_COLUMNS} 列，请删除多余的行列（含只设了格式的空白单元格）")
        cells = []
        for row in ws.iter_rows():
            for cell in row:
                position = (cell.row - 1, cell.column - 1)
                if position in covered or (cell.value is None and not cell.has_style and position not in spans):
                    continue
                cells.append((cell, position))
        parsed = [(cell, position, self.parts(cell)) for cell, position in cells]
        repeat_row = self.find_repeat_row(parsed)
        slots, repeat = [], []
        for cell, (row, col), parts in parsed:
            last_row, last_col = spans.get((row, col), (row, col))
            if row == repeat_row and last_row != row:
                raise self.fail(cell.coordinate, "指标行中的单元格不能向下合并；需要合并相同的一级/二级指标时请写 {{指标.一级指标|合并}}")
            if row < repeat_row <= last_row:
                raise self.fail(cell.coordinate, "合并单元格跨越了指标行；指标行会按指标个数重复，请拆分该合并单元格")
            # Indicator cells and budget amounts can be marked (unverified, a finding): keep their variants ready.
            markable = any(isinstance(part, Field) and "." in part.name for part in parts)
            sole = parts[0] if len(parts) == 1 and isinstance(parts[0], Field) else None
            slot = Slot(row, col, last_row, last_col, None if parts else _literal(cell.value), parts,
                        self.styles_of(cell, markable), sole, (last_row, last_col) != (row, col))
            (repeat if row == repeat_row else slots).append(slot)
        anchors: dict[str, tuple[int, int]] = {}
        for slot in slots:
            if slot.field is not None and not slot.field.is_indicator:
                anchors.setdefault(slot.field.name, (slot.row, slot.col))
        indicator_cols: dict[str, int] = {}
        for slot in repeat:
            if slot.field is not None and slot.field.is_indicator:
                indicator_cols.setdefault(slot.field.name[len(INDICATOR):], slot.col)
        columns, col_pixels = self.columns(max((slot.last_col for slot in (*slots, *repeat)), default=0))
        return Layout(
            name=self.name,
            title=(self.workbook.properties.title or "").strip(),
            path=self.shown,
            sha256=self.sha256,
            sheet=ws.title,
            slots=tuple(slots),
            repeat_row=repeat_row,
            repeat=tuple(repeat),
            formats=tuple(self.formats),
            columns=columns,
            col_pixels=col_pixels,
            rows={
                index - 1: (dim.ht, bool(dim.hidden))
                for index, dim in sorted(ws.row_dimensions.items())
                if dim.ht is not None or dim.hidden
            },
            default_height=float(ws.sheet_format.defaultRowHeight or 15),
            print_setup=self.print_setup(),
            anchors=anchors,
            indicator_cols=indicator_cols,
        )

    # -- text and placeholders --

    def parts(self, cell) -> tuple:
        """A cell's text as literal pieces and Fields; () for a cell without placeholders."""
        value = cell.value
        if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=") and len(value) > 1):
            raise self.fail(cell.coordinate, "版式中不能写公式；执行率、得分和总分请用占位符 {{执行率}}、{{执行率得分}}、{{分值合计}}、{{总分}}，程序会把它们写成公式")
        if not isinstance(value, str):
            return ()
        # Braces typed with a Chinese input method are braces too.
        value = value.replace("｛", "{").replace("｝", "}")
        if "{{" not in value and "}}" not in value:
            return ()
        parts: list = []
        position = 0
        for match in _TOKEN.finditer(value):
            parts.append(self.literal_piece(cell, value[position:match.start()]))
            parts.append(self.field(cell, match.group(1), whole=value.strip() == match.group(0)))
            position = match.end()
        parts.append(self.literal_piece(cell, value[position:]))
        return tuple(part for part in parts if part != "")

    def literal_piece(self, cell, piece: str) -> str:
        if "{{" in piece or "}}" in piece:
            raise self.fail(cell.coordinate, f"占位符不完整：“{cell.value}”；占位符写作 {{{{名称}}}}，前后各两个花括号")
        return piece

    def field(self, cell, inside: str, *, whole: bool) -> Field:
        shown = "{{" + inside.strip() + "}}"
        if "{" in inside or "}" in inside:
            raise self.fail(cell.coordinate, f"占位符不完整：“{cell.value}”；占位符写作 {{{{名称}}}}，前后各两个花括号")
        # Full-width ．｜ and spaces typed with a Chinese input method are accepted.
        name, *options = (piece.strip() for piece in unicodedata.normalize("NFKC", inside).split("|"))
        if not name:
            raise self.fail(cell.coordinate, f"占位符 {shown} 中没有名称")
        if name not in KNOWN_FIELDS:
            guess = get_close_matches(name, sorted(KNOWN_FIELDS), n=1, cutoff=0.5)
            hint = f"（是否为 {{{{{guess[0]}}}}}？）" if guess else ""
            raise self.fail(cell.coordinate, f"未知占位符 {shown}{hint}；可用的占位符见 docs/layouts.md")
        merge = False
        for option in options:
            if option != MERGE:
                raise self.fail(cell.coordinate, f"占位符 {shown} 的选项“{option}”未知；可用的选项只有“|{MERGE}”")
            if not name.startswith(INDICATOR):
                raise self.fail(cell.coordinate, f"“|{MERGE}”只能用于指标行的占位符 {{{{指标.…}}}}，不能用于 {shown}")
            if not whole:
                raise self.fail(cell.coordinate, f"带“|{MERGE}”的占位符 {shown} 须独占一个单元格")
            merge = True
        return Field(name, merge)

    def find_repeat_row(self, parsed) -> int:
        rows: dict[int, str] = {}
        for cell, (row, _col), parts in parsed:
            if any(isinstance(part, Field) and part.is_indicator for part in parts):
                rows.setdefault(row, cell.coordinate)
        if not rows:
            raise LayoutError(
                f"版式文件 {self.shown}，工作表 {self.ws.title}：没有指标行；"
                "请在一行中写 {{指标.一级指标}}、{{指标.三级指标}}、{{指标.得分}} 等占位符，该行按指标个数重复"
            )
        if len(rows) > 1:
            second = sorted(rows)[1]
            raise self.fail(rows[second], f"指标占位符（{{{{指标.…}}}}）只能写在同一行；第 {sorted(rows)[0] + 1} 行已是指标行")
        return next(iter(rows))

    # -- styles --

    def styles_of(self, cell, markable: bool) -> tuple[int, ...]:
        """Format indices: the cell's own, and for a markable cell its marked variants (NORMAL, MARKED_…)."""
        base = _format_dict(cell, self.theme) if cell.has_style else {}
        own = self.add(base) if base else -1
        if not markable:
            return (own,)
        # A mark changes only the fill: solid, in the mark's colour.
        plain = {key: value for key, value in base.items() if key not in ("pattern", "fg_color", "bg_color")}
        return (
            own,
            self.add({**plain, "pattern": 1, "bg_color": ERROR_FILL}),
            self.add({**plain, "pattern": 1, "bg_color": UNVERIFIED_FILL}),
            self.add({**plain, "pattern": 1, "bg_color": UNVERIFIED_FILL, "bold": True}),
        )

    def add(self, style: dict) -> int:
        key = tuple(sorted(style.items()))
        if key not in self.format_index:
            self.format_index[key] = len(self.formats)
            self.formats.append(style)
        return self.format_index[key]

    # -- columns, print setup --

    def columns(self, last_col: int) -> tuple[tuple, tuple[int, ...]]:
        pixels = [64] * (last_col + 1)    # Excel's default column: 8.43 characters
        columns = []
        for dim in self.ws.column_dimensions.values():
            if dim.min is None:
                continue
            first, last = dim.min - 1, dim.max - 1
            width = dim.width or None
            hidden = bool(dim.hidden)
            if not width and not hidden:
                continue
            # openpyxl gives the width as stored (with Excel's 5-pixel padding);
            # xlsxwriter takes pixels, so the round trip keeps the same width.
            px = round(width * 7) if width else 64
            columns.append((first, last, px, hidden))
            for col in range(first, min(last, last_col) + 1):
                pixels[col] = 0 if hidden else px
        return tuple(sorted(columns)), tuple(pixels)

    def print_setup(self) -> PrintSetup:
        ws = self.ws
        setup = ws.page_setup
        margins = ws.page_margins
        fit = None
        if ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage:
            wide = 1 if setup.fitToWidth is None else int(setup.fitToWidth)
            tall = 1 if setup.fitToHeight is None else int(setup.fitToHeight)
            fit = (wide, tall)
        area = None
        if ws.print_area:
            from openpyxl.utils.cell import range_boundaries

            first = str(ws.print_area).split(",")[0].split("!")[-1].replace("$", "")
            min_col, min_row, max_col, max_row = range_boundaries(first)
            area = (min_row - 1, min_col - 1, max_row - 1, max_col - 1)
        freeze = None
        if ws.freeze_panes:
            from openpyxl.utils.cell import coordinate_to_tuple

            row, col = coordinate_to_tuple(ws.freeze_panes)
            freeze = (row - 1, col - 1)
        return PrintSetup(
            landscape=None if setup.orientation is None else setup.orientation == "landscape",
            paper=int(setup.paperSize) if setup.paperSize else None,
            fit=fit,
            scale=int(setup.scale) if setup.scale and fit is None else None,
            margins=(margins.left, margins.right, margins.top, margins.bottom) if margins is not None else None,
            header=_header_footer(ws.oddHeader),
            footer=_header_footer(ws.oddFooter),
            header_margin=margins.header if margins is not None else None,
            footer_margin=margins.footer if margins is not None else None,
            center_horizontally=bool(ws.print_options.horizontalCentered),
            center_vertically=bool(ws.print_options.verticalCentered),
            print_gridlines=bool(ws.print_options.gridLines),
            screen_gridlines=ws.sheet_view.showGridLines is not False,
            title_rows=_line_span(ws.print_title_rows),
            title_cols=_column_span(ws.print_title_cols),
            area=area,
            freeze=freeze,
        )


def _literal(value) -> _Text | _Number | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return _Text("TRUE" if value else "FALSE")
    if isinstance(value, (int, float)):
        return _Number(float(value))
    return _Text(str(value))


def _line_span(text: str | None) -> tuple[int, int] | None:
    numbers = [int(n) - 1 for n in re.findall(r"\d+", text or "")]
    return (numbers[0], numbers[-1]) if numbers else None


def _column_span(text: str | None) -> tuple[int, int] | None:
    from openpyxl.utils.cell import column_index_from_string

    letters = re.findall(r"[A-Za-z]+", (text or "").split("!")[-1])
    return (column_index_from_string(letters[0]) - 1, column_index_from_string(letters[-1]) - 1) if letters else None


def _header_footer(item) -> str:
    """openpyxl's header or footer back to Excel's &L&C&R string (unescaped)."""
    if item is None:
        return ""
    text = []
    for key, part in (("L", item.left), ("C", item.center), ("R", item.right)):
        if part is not None and part.text:
            text.append(f"&{key}{part}")
    return "".join(text)


# openpyxl style names, in xlsxwriter's index order.
_BORDERS = (None, "thin", "medium", "dashed", "dotted", "thick", "double", "hair", "mediumDashed",
            "dashDot", "mediumDashDot", "dashDotDot", "mediumDashDotDot", "slantDashDot")
_PATTERNS = (None, "solid", "mediumGray", "darkGray", "lightGray", "darkHorizontal", "darkVertical", "darkDown",
             "darkUp", "darkGrid", "darkTrellis", "lightHorizontal", "lightVertical", "lightDown", "lightUp",
             "lightGrid", "lightTrellis", "gray125", "gray0625")
_ALIGN = {"left": "left", "center": "center", "right": "right", "fill": "fill", "justify": "justify",
          "centerContinuous": "center_across", "distributed": "distributed"}
_VALIGN = {"top": "top", "center": "vcenter", "bottom": "bottom", "justify": "vjustify", "distributed": "vdistributed"}
_UNDERLINE = {"single": 1, "double": 2, "singleAccounting": 33, "doubleAccounting": 34}
# Office's default theme, for a template without one; Excel numbers theme colours lt1, dk1, lt2, dk2, accents...
_DEFAULT_THEME = ("FFFFFF", "000000", "E7E6E6", "44546A", "4472C4", "ED7D31", "A5A5A5", "FFC000", "5B9BD5",
                  "70AD47", "0563C1", "954F72")


def _format_dict(cell, theme: tuple[str, ...]) -> dict:
    """An openpyxl cell style as an xlsxwriter format dict."""
    style: dict = {}
    font = cell.font
    if font is not None:
        if font.name:
            style["font_name"] = font.name
        if font.sz:
            style["font_size"] = _number(font.sz)
        if font.b:
            style["bold"] = True
        if font.i:
            style["italic"] = True
        if font.u in _UNDERLINE:
            style["underline"] = _UNDERLINE[font.u]
        if font.strike:
            style["font_strikeout"] = True
        if font.vertAlign in ("superscript", "subscript"):
            style["font_script"] = 1 if font.vertAlign == "superscript" else 2
        colour = _colour(font.color, theme)
        if colour and colour != "#000000":
            style["font_color"] = colour
    fill = cell.fill
    pattern = getattr(fill, "patternType", None)
    if pattern in _PATTERNS[1:]:
        index = _PATTERNS.index(pattern)
        fg, bg = _colour(fill.fgColor, theme), _colour(fill.bgColor, theme)
        if index == 1:
            if fg:
                style.update(pattern=1, bg_color=fg)
        else:
            style["pattern"] = index
            if fg:
                style["fg_color"] = fg
            if bg:
                style["bg_color"] = bg
    border = cell.border
    if border is not None:
        for side_name in ("left", "right", "top", "bottom"):
            side = getattr(border, side_name)
            if side is not None and side.style in _BORDERS[1:]:
                style[side_name] = _BORDERS.index(side.style)
                colour = _colour(side.color, theme)
                if colour and colour != "#000000":
                    style[f"{side_name}_color"] = colour
        diagonal = border.diagonal
        if diagonal is not None and diagonal.style in _BORDERS[1:] and (border.diagonalUp or border.diagonalDown):
            style["diag_type"] = 3 if border.diagonalUp and border.diagonalDown else (1 if border.diagonalUp else 2)
            style["diag_border"] = _BORDERS.index(diagonal.style)
            colour = _colour(diagonal.color, theme)
            if colour:
                style["diag_color"] = colour
    align = cell.alignment
    if align is not None:
        if align.horizontal in _ALIGN:
            style["align"] = _ALIGN[align.horizontal]
        if align.vertical in _VALIGN:
            style["valign"] = _VALIGN[align.vertical]
        if align.wrap_text:
            style["text_wrap"] = True
        if align.shrink_to_fit:
            style["shrink"] = True
        if align.indent:
            style["indent"] = int(align.indent)
        rotation = int(align.text_rotation or 0)
        if rotation:
            style["rotation"] = 270 if rotation == 255 else (90 - rotation if rotation > 90 else rotation)
    if cell.number_format and cell.number_format != "General":
        style["num_format"] = cell.number_format
    protection = cell.protection
    if protection is not None:
        if protection.locked is False:
            style["locked"] = False
        if protection.hidden:
            style["hidden"] = True
    return style


def _number(value) -> int | float:
    value = float(value)
    return int(value) if value.is_integer() else value


def _colour(colour, theme: tuple[str, ...]) -> str | None:
    if colour is None:
        return None
    kind = getattr(colour, "type", None)
    rgb = None
    if kind == "rgb" and isinstance(colour.rgb, str) and len(colour.rgb) in (6, 8):
        rgb = colour.rgb[-6:]
    elif kind == "indexed" and isinstance(colour.indexed, int):
        from openpyxl.styles.colors import COLOR_INDEX

        if colour.indexed < 64 and colour.indexed < len(COLOR_INDEX):
            rgb = COLOR_INDEX[colour.indexed][-6:]
    elif kind == "theme" and isinstance(colour.theme, int) and colour.theme < len(theme):
        rgb = theme[colour.theme]
    if rgb is None:
        return None
    tint = float(getattr(colour, "tint", 0) or 0)
    if tint:
        rgb = _tinted(rgb, tint)
    return "#" + rgb.upper()


def _tinted(rgb: str, tint: float) -> str:
    """Excel's tint: lighten (tint > 0) or darken (< 0) in HLS space."""
    red, green, blue = (int(rgb[i:i + 2], 16) / 255 for i in (0, 2, 4))
    hue, light, sat = colorsys.rgb_to_hls(red, green, blue)
    light = light * (1 + tint) if tint < 0 else light * (1 - tint) + tint
    return "".join(f"{round(part * 255):02X}" for part in colorsys.hls_to_rgb(hue, light, sat))


def _theme_colours(theme_xml: bytes | None) -> tuple[str, ...]:
    if not theme_xml:
        return _DEFAULT_THEME
    try:
        root = ET.fromstring(theme_xml)
    except ET.ParseError:
        return _DEFAULT_THEME
    ns = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    scheme = root.find(f".//{ns}clrScheme")
    if scheme is None:
        return _DEFAULT_THEME
    found: dict[str, str] = {}
    for entry in scheme:
        name = entry.tag.replace(ns, "")
        for colour in entry:
            value = colour.get("val") if colour.tag == f"{ns}srgbClr" else colour.get("lastClr")
            if value:
                found[name] = value
    order = ("lt1", "dk1", "lt2", "dk2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6", "hlink", "folHlink")
    return tuple(found.get(key, default) for key, default in zip(order, _DEFAULT_THEME))


# --- writing one project ----------------------------------------------------------------


def text(value: object) -> str:
    """Department text for a cell: within Excel's limit, never a formula."""
    shown = "" if value is None else str(value)
    return shown[:EXCEL_TEXT_LIMIT]


def render_layout(workbook, layout: Layout, result: Result):
    """Add the layout's sheet to `workbook`, filled with `result`; return the worksheet."""
    ws = workbook.add_worksheet(layout.sheet)
    _Sheet(ws, layout, result, _Formats(workbook, layout.formats)).write()
    return ws


class _Formats:
    """The workbook's formats for a layout: each made once, from its cached dict, when first used."""

    def __init__(self, workbook, styles: tuple[dict, ...]) -> None:
        self.workbook = workbook
        self.styles = styles
        self.made: list = [None] * len(styles)

    def __getitem__(self, index: int):
        if index < 0:
            return None
        made = self.made[index]
        if made is None:
            made = self.made[index] = self.workbook.add_format(self.styles[index])
        return made


class _Sheet:
    def __init__(self, ws, layout: Layout, result: Result, formats: _Formats) -> None:
        self.ws = ws
        self.layout = layout
        self.result = result
        self.formats = formats
        self.count = len(result.indicators)
        self.first = layout.repeat_row                      # first indicator row, rendered
        self.last = self.first + self.count - 1
        self.heights: dict[int, float] = {}
        self.budget_marks = {p.cell for p in result.problems if p.sheet == BUDGET_SHEET and p.severity == ERROR}
        self.indicator_marks = _marked_cells(result)

    # -- addresses --

    def at(self, name: str) -> str | None:
        """The rendered A1 address of scalar field `name`, when the layout shows it."""
        where = self.layout.anchors.get(name)
        if where is None:
            return None
        return a1(self.layout.rendered_row(where[0], self.count), where[1])

    def column_range(self, field: str) -> str | None:
        col = self.layout.indicator_cols.get(field)
        if col is None or self.count == 0:
            return None
        return f"{a1(self.first, col)}:{a1(self.last, col)}"

    # -- writing --

    def write(self) -> None:
        layout = self.layout
        for slot in layout.slots:
            row = layout.rendered_row(slot.row, self.count)
            last_row = layout.rendered_row(slot.last_row, self.count)
            value, variant = self.scalar_cell(slot)
            self.put(slot, row, last_row, value, variant)
        self.write_indicators()
        self.page_setup()

    def put(self, slot: Slot, row: int, last_row: int, value, variant: int) -> None:
        ws = self.ws
        style = slot.styles[variant] if variant < len(slot.styles) else slot.styles[0]
        cell_format = self.formats[style]
        if slot.merged or last_row != row:
            ws.merge_range(row, slot.col, last_row, slot.last_col, "", cell_format)
        if isinstance(value, _Text):
            ws.write_string(row, slot.col, text(value.value), cell_format)
            if slot.parts and last_row == row:
                self.fit_height(row, slot, value.value, style)
        elif isinstance(value, _Formula):
            ws.write_formula(row, slot.col, value.formula, cell_format, value.value)
        elif isinstance(value, _Number) and value.value is not None:
            ws.write_number(row, slot.col, value.value, cell_format)
        elif not slot.merged and last_row == row:
            ws.write_blank(row, slot.col, None, cell_format)

    def scalar_cell(self, slot: Slot):
        if not slot.parts:
            return slot.literal, NORMAL
        field = slot.field
        if field is not None:
            return self.scalar(field.name), self.budget_variant(field.name)
        return _Text("".join(part if isinstance(part, str) else self.scalar_text(part.name) for part in slot.parts)), NORMAL

    def budget_variant(self, name: str) -> int:
        source, _, stage = name.partition(".")
        if not stage:
            return NORMAL
        line = self.result.intake.budget.lines.get(source)
        return MARKED_ERROR if line is not None and line.cells.get(stage) in self.budget_marks else NORMAL

    # -- scalar fields --

    def scalar(self, name: str):
        result = self.result
        budget = result.budget
        project = result.intake.project
        if name in PROJECT_FIELDS:
            return _Text(text_of(getattr(project, PROJECT_FIELDS[name])))
        if name == "评价年度":
            return _Number(None if project.year is None else float(project.year))
        if "." in name:
            return self.amount(*name.split(".", 1))
        if name == "预算分值":
            return _Number(float(budget.weight))
        if name == "执行率":
            return _Formula(f"={self.rate_expression()}", float(budget.rate) if budget.rate is not None else 0.0)
        if name == "执行率得分":
            return _Formula(f"={self.budget_score_expression()}", float(budget.score))
        if name == "分值合计":
            weight = self.at("预算分值") or fmt(budget.weight)
            weights = sum((item.weight for item in result.indicators), Decimal(0))
            return _Formula(self.total_formula(weight, "分值", weights), float(budget.weight + weights))
        if name == "总分":
            score = self.at("执行率得分") or self.budget_score_expression()
            scores = sum((item.score for item in result.indicators), Decimal(0))
            return _Formula(self.total_formula(score, "得分", scores), float(result.total_score))
        if name == "自评总分":
            return _Number(None if result.self_total is None else float(result.self_total))
        if name in ("未核实项数", "未核实分值"):
            unverified = [item for item in result.indicators if not item.verified]
            return _Number(float(len(unverified) if name == "未核实项数" else result.unverified_points))
        return _Text(self.scalar_text(name))

    def total_formula(self, head: str, field: str, literal: Decimal) -> str:
        column = self.column_range(field)
        if column is not None:
            return f"={head}+SUM({column})"
        if self.count and literal:
            return f"={head}+{fmt(literal)}"
        return f"={head}"

    def rate_expression(self) -> str:
        budget = self.result.budget
        annual = self.at(f"{TOTAL}.{ANNUAL}") or fmt(budget.annual)
        executed = self.at(f"{TOTAL}.{EXECUTED}") or fmt(budget.executed)
        return f"IF({annual}=0,0,{executed}/{annual})"

    def budget_score_expression(self) -> str:
        weight = self.at("预算分值") or fmt(self.result.budget.weight)
        rate = self.at("执行率") or self.rate_expression()
        return f"ROUND({weight}*MIN(1,{rate}),2)"

    def amount(self, source: str, stage: str):
        lines = self.result.intake.budget.lines
        line = lines.get(source)
        if source != TOTAL:
            value = line.amounts.get(stage) if line else None
            return _Number(None if value is None else float(value))
        if line is not None and not line.is_blank():
            return _Number(float(line.amounts.get(stage) or 0))
        # The intake left the total blank: it is the sum of its sources (scoring.md §1).
        total = sum((lines[key].amount(stage) for key in (APPROPRIATION, CARRYOVER, OTHER) if key in lines), Decimal(0))
        refs = [self.at(f"{key}.{stage}") for key in (APPROPRIATION, CARRYOVER, OTHER)]
        if all(refs):
            return _Formula(f"=SUM({_sum_range(refs)})", float(total))
        return _Number(float(total))

    def scalar_text(self, name: str) -> str:
        """A field's value written inside text; numbers as the arithmetic shows them (12.5, 98)."""
        result = self.result
        project = result.intake.project
        if name in PROJECT_FIELDS:
            shown = text_of(getattr(project, PROJECT_FIELDS[name]))
        elif name == "评价年度":
            shown = "" if project.year is None else str(project.year)
        elif name == "执行率":
            shown = "" if result.budget.rate is None else f"{result.budget.rate:.2%}"
        elif name == "执行率算式":
            shown = result.budget.arithmetic
        elif name == "等级":
            shown = result.grade or ""
        elif name == "评分规则":
            shown = result.profile.title or result.profile.name
        elif name == "未核实项数":
            shown = str(sum(1 for item in result.indicators if not item.verified))
        else:
            shown = _decimal_text(name, result)
        return shown or BLANK_IN_TEXT

    # -- the indicator rows --

    def write_indicators(self) -> None:
        layout = self.layout
        items = self.result.indicators
        marks = [self.indicator_marks.get(item.indicator.row, frozenset()) for item in items]
        merge_keys = self.merge_keys()
        for slot in layout.repeat:
            field = slot.field
            if field is not None and field.merge:
                for start, end in _runs(merge_keys[slot.col]):
                    # A merged cell is marked when any of its rows has a finding there.
                    run_marks = frozenset().union(*marks[start:end + 1])
                    value, variant = self.indicator_cell(slot, items[start], start, run_marks)
                    self.put(slot, self.first + start, self.first + end, value, variant)
                continue
            for index, item in enumerate(items):
                value, variant = self.indicator_cell(slot, item, index, marks[index])
                self.put(slot, self.first + index, self.first + index, value, variant)

    def merge_keys(self) -> dict[int, list[tuple]]:
        """Column -> per indicator, the values that must be equal to merge: its own and those of merged columns to its left."""
        merged = sorted((slot.col, slot.field.name) for slot in self.layout.repeat if slot.field is not None and slot.field.merge)
        keys: dict[int, list[tuple]] = {}
        for position, (col, _name) in enumerate(merged):
            names = [name for _col, name in merged[: position + 1]]
            keys[col] = [
                tuple(self.indicator_text(name[len(INDICATOR):], item, index) for name in names)
                for index, item in enumerate(self.result.indicators)
            ]
        return keys

    def indicator_cell(self, slot: Slot, item: IndicatorScore, index: int, marks: frozenset[str]):
        field = slot.field
        if not slot.parts:
            return self.scalar_cell(slot)
        if field is None:
            pieces = []
            for part in slot.parts:
                if isinstance(part, str):
                    pieces.append(part)
                elif part.is_indicator:
                    pieces.append(self.indicator_text(part.name[len(INDICATOR):], item, index) or BLANK_IN_TEXT)
                else:
                    pieces.append(self.scalar_text(part.name))
            return _Text("".join(pieces)), NORMAL
        if not field.is_indicator:
            return self.scalar(field.name), self.budget_variant(field.name)
        name = field.name[len(INDICATOR):]
        value = self.indicator_value(name, item, index)
        unverified = not item.verified
        if name == "完成率" and unverified:
            return value, MARKED_FLAG
        if _MARK_KEY.get(name) in marks:
            return value, MARKED_ERROR
        if unverified and name in ("实际完成值", "得分"):
            return value, MARKED_UNVERIFIED
        return value, NORMAL

    def indicator_value(self, name: str, item: IndicatorScore, index: int):
        ind = item.indicator
        if name == "序号":
            return _Number(float(index + 1))
        if name == "分值":
            return _Number(float(item.weight))
        if name == "得分":
            return _Number(float(item.score))
        if name == "自评得分":
            return _Number(None if ind.self_score is None else float(ind.self_score))
        if name == "完成率" and item.verified and item.kind != QUALITATIVE and item.completion is not None:
            return _Number(float(item.completion))
        return _Text(self.indicator_text(name, item, index))

    def indicator_text(self, name: str, item: IndicatorScore, index: int) -> str:
        ind = item.indicator
        if name == "序号":
            return str(index + 1)
        if name in ("一级指标", "二级指标", "三级指标", "年度指标值", "偏差原因"):
            return text_of({"一级指标": ind.level1, "二级指标": ind.level2, "三级指标": ind.name,
                            "年度指标值": ind.target, "偏差原因": ind.reason}[name])
        if name == "实际完成值":
            if ind.actual_is_percent and isinstance(ind.actual, (int, float)):
                return f"{fmt(Decimal(repr(ind.actual)) * 100)}%"
            return text_of(ind.actual)
        if name == "分值":
            return fmt(item.weight)
        if name == "得分":
            return str(item.score)
        if name == "自评得分":
            return "" if ind.self_score is None else fmt(ind.self_score)
        if name == "完成率":
            if not item.verified:
                return "未核实"
            if item.kind == QUALITATIVE:
                return _SHORT_LEVEL.get(item.level or "", "—")
            return "—" if item.completion is None else f"{item.completion:.2%}"
        if name == "评分规则":
            return item.rule
        return item.arithmetic    # 计算过程

    # -- heights and printing --

    def fit_height(self, row: int, slot: Slot, value: str, style: int) -> None:
        """Grow a row so that wrapped text is not cut off on screen or paper.

        Neither Excel nor LibreOffice fits a row to wrapped text in a merged
        cell, nor reliably to any text when it opens a file, so we set the
        height: estimated by 宋体's metrics in Excel (a CJK character 1 em,
        any other 1/2 em), which wraps sooner than LibreOffice does.
        """
        if style < 0 or not self.layout.formats[style].get("text_wrap") or not value:
            return
        size = float(self.layout.formats[style].get("font_size", 11))
        pixels = self.layout.col_pixels
        available = sum(pixels[col] for col in range(slot.col, slot.last_col + 1) if col < len(pixels)) - 6
        if available <= 0:
            return
        em = size * 4 / 3
        if len(value) * em <= available and "\n" not in value:
            return
        lines = 0
        for line in value.split("\n"):
            width = (len(line) + len(_WIDE.findall(line))) * em / 2
            lines += max(1, math.ceil(width / available))
        if lines > 1:
            self.heights[row] = max(self.heights.get(row, 0), min(409.0, lines * size * 1.4 + 3))

    def page_setup(self) -> None:
        ws, layout, setup = self.ws, self.layout, self.layout.print_setup
        for first, last, px, hidden in layout.columns:
            ws.set_column_pixels(first, last, px, None, {"hidden": True} if hidden else None)
        rows: dict[int, tuple[float | None, bool]] = {}
        for row, (height, hidden) in layout.rows.items():
            if row == layout.repeat_row:
                for index in range(self.count):
                    rows[self.first + index] = (height, hidden)
            elif row < layout.repeat_row or row > layout.repeat_row:
                rows[layout.rendered_row(row, self.count)] = (height, hidden)
        for row, needed in self.heights.items():
            height, hidden = rows.get(row, (None, False))
            base = height if height is not None else layout.default_height
            if needed > base:
                rows[row] = (needed, hidden)
        for row in sorted(rows):
            height, hidden = rows[row]
            if height is not None or hidden:
                ws.set_row(row, height, None, {"hidden": True} if hidden else None)
        if setup.landscape is True:
            ws.set_landscape()
        elif setup.landscape is False:
            ws.set_portrait()
        if setup.paper:
            ws.set_paper(setup.paper)
        if setup.fit:
            ws.fit_to_pages(*setup.fit)
        elif setup.scale:
            ws.set_print_scale(setup.scale)
        if setup.margins:
            ws.set_margins(*setup.margins)
        if setup.header or setup.header_margin is not None:
            ws.set_header(setup.header, {"margin": setup.header_margin} if setup.header_margin is not None else None)
        if setup.footer or setup.footer_margin is not None:
            ws.set_footer(setup.footer, {"margin": setup.footer_margin} if setup.footer_margin is not None else None)
        if setup.center_horizontally:
            ws.center_horizontally()
        if setup.center_vertically:
            ws.center_vertically()
        ws.hide_gridlines(0 if setup.print_gridlines else (1 if setup.screen_gridlines else 2))
        if setup.title_rows:
            ws.repeat_rows(*(self.map_row(row) for row in setup.title_rows))
        if setup.title_cols:
            ws.repeat_columns(*setup.title_cols)
        if setup.area:
            first_row, first_col, last_row, last_col = setup.area
            ws.print_area(self.map_row(first_row), first_col, self.map_row(last_row, end=True), last_col)
        if setup.freeze:
            ws.freeze_panes(self.map_row(setup.freeze[0]), setup.freeze[1])

    def map_row(self, row: int, *, end: bool = False) -> int:
        if row == self.layout.repeat_row:
            return self.first + max(self.count - 1, 0) if end else self.first
        return self.layout.rendered_row(row, self.count)


def _decimal_text(name: str, result: Result) -> str:
    """Scores and amounts written inside text, as the arithmetic shows them (12.5, 98)."""
    budget = result.budget
    values = {
        "预算分值": budget.weight,
        "执行率得分": budget.score,
        "分值合计": budget.weight + sum((item.weight for item in result.indicators), Decimal(0)),
        "总分": result.total_score,
        "未核实分值": result.unverified_points,
        "自评总分": result.self_total,
    }
    if name in values:
        return fmt(values[name])
    source, _, stage = name.partition(".")
    lines = result.intake.budget.lines
    if source == TOTAL and (lines.get(TOTAL) is None or lines[TOTAL].is_blank()):
        return fmt(sum((lines[key].amount(stage) for key in (APPROPRIATION, CARRYOVER, OTHER) if key in lines), Decimal(0)))
    line = lines.get(source)
    return fmt(line.amounts.get(stage)) if line is not None and line.amounts.get(stage) is not None else ""


def _sum_range(refs: list[str]) -> str:
    """D7:D9 for cells one under the other, else D7,D8,D9."""
    from ..cells import parse_a1

    cells = [parse_a1(ref) for ref in refs]
    same_column = len({col for _row, col in cells}) == 1
    rows = [row for row, _col in cells]
    if same_column and rows == list(range(rows[0], rows[0] + len(rows))):
        return f"{refs[0]}:{refs[-1]}"
    return ",".join(refs)


def _runs(keys: list) -> list[tuple[int, int]]:
    runs, start = [], 0
    for index in range(1, len(keys) + 1):
        if index == len(keys) or keys[index] != keys[start]:
            runs.append((start, index - 1))
            start = index
    return runs


def _marked_cells(result: Result) -> dict[int, set[str]]:
    """Intake row -> the intake column keys that carry a warning or an error."""
    marked: dict[int, set[str]] = {}
    by_cell = {}
    for item in result.indicators:
        for key, ref in item.indicator.cells.items():
            by_cell[ref] = (item.indicator.row, key)
    for found in result.problems:
        if found.sheet == INDICATOR_SHEET and found.cell in by_cell and found.severity.value != "info":
            row, key = by_cell[found.cell]
            marked.setdefault(row, set()).add(key)
    return marked


__all__ = [
    "BUILTIN_DIR", "DEFAULT_LAYOUT", "INDICATOR_FIELDS", "KNOWN_FIELDS", "Layout", "LayoutError", "SCALAR_FIELDS",
    "builtin_layouts", "load_layout", "parse_layout", "render_layout", "text",
]
