"""Annex layouts as template workbooks (docs/layouts.md).

A layout is an ordinary .xlsx file whose first sheet looks like the printed
form, with placeholders where a project's figures go (`{{项目名称}}`,
`（{{评价年度}}年度）`) and one row of `{{指标.…}}` placeholders that is
repeated once per indicator. A finance bureau edits a copy in Excel or WPS to
make its own layout; no code changes.

`load_layout` reads a template once with openpyxl into a plain `Layout`
(cells, xlsxwriter format dicts, merges, widths, heights, print setup) and
caches it per file; `layout_render.render_layout` writes one project's sheet
from it. A bad template is a `LayoutError` naming the file and the cell.

Over 400 lines on purpose: it is one job, reading a template, and its parts
(placeholders, merges, styles with the theme's colours, print setup) share
the one pass over the sheet and its error messages; split, each part would
need the others' state.
"""

from __future__ import annotations

import colorsys
import functools
import hashlib
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

from ...cells import a1
from ...errors import UsageError
from ...model import APPROPRIATION, CARRYOVER, OTHER, SPLIT_ROWS, STAGES, TOTAL
from ..styles import ERROR_FILL, UNVERIFIED_FILL

BUILTIN_DIR = Path(__file__).resolve().parent.parent.parent / "workbook_templates"
DEFAULT_LAYOUT = "national"
# Sheets the Annex workbook adds after the layout's own sheet.
RESERVED_SHEETS = ("评分明细", "校验问题", "说明")
# A printed Annex is a page or two; a larger used range is a template mistake (a stray cell far away).
MAX_ROWS, MAX_COLUMNS = 500, 60


class LayoutError(UsageError):
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
# Scalar fields that a sheet-level finding marks (render.py).
SHEET_MARKED = frozenset(("分值合计",))
_SHORT_LEVEL = {"achieved": "达成", "partial": "部分达成", "failed": "未达成"}
_TOKEN = re.compile(r"\{\{(.*?)\}\}", re.S)
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
            # So can 分值合计, which a weights-sum finding (a finding on no one cell) marks.
            markable = any(isinstance(part, Field) and ("." in part.name or part.name in SHEET_MARKED) for part in parts)
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
