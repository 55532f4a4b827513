"""What perfeval-xl is measured against (benchmarks/bench.py).

The baseline is the pipeline a user would write with the usual tools:
pandas (openpyxl engine) reads each intake, and openpyxl writes each Annex
and the summary. It does the same work as `perfeval batch`: the grids pandas
reads go through the same checks and scoring (`intake_from_sheets`,
`score_project`), and the same Annex logic (`fill_annex`) drives openpyxl
through a small adapter with xlsxwriter's method names, so that only the
reading and writing libraries differ.

The floor is the cost of the file formats themselves, with no logic:
python-calamine reading every sheet of the same files, and xlsxwriter writing
the same Annex cells, formats, merges and page setup, replayed from a
recording of what perfeval-xl wrote for that file.
"""

from __future__ import annotations

import io
from pathlib import Path

from perfeval_xl.evaluate import FILE_LEVEL_CODES, failed, score_project, sha256_of
from perfeval_xl.model import Result
from perfeval_xl.reading.base import Sheet
from perfeval_xl.reading.intake import intake_from_sheets
from perfeval_xl.model import BUDGET_SHEET, INDICATOR_SHEET, PROJECT_SHEET
from perfeval_xl.problems import ERROR, problem, sort_key
from perfeval_xl.writers.record import to_json
from perfeval_xl.writers.annex import annex_filename, fill_annex
from perfeval_xl.writers.annex.workbook import WORKBOOK_OPTIONS

WANTED = (PROJECT_SHEET, BUDGET_SHEET, INDICATOR_SHEET)


# --- the baseline: pandas + openpyxl ------------------------------------------------


def read_with_pandas(path: Path) -> dict[str, Sheet]:
    import pandas as pd

    frames = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    sheets = {}
    for name, frame in frames.items():
        if name in WANTED:
            rows = frame.astype(object).where(frame.notna(), "").values.tolist()
            sheets[name] = Sheet(name, rows)
    return sheets


def evaluate_with_pandas(path: str, profile) -> Result:
    digest = sha256_of(Path(path))
    try:
        sheets = read_with_pandas(Path(path))
    except Exception as exc:   # whatever pandas or openpyxl raise for a damaged file
        return failed(path, digest, profile, problem("file-unreadable", ERROR, reason=str(exc)[:200]))
    intake, found = intake_from_sheets(sheets, [])
    if intake is None:
        file_level = [p for p in found if p.cell is None and p.code in FILE_LEVEL_CODES]
        failure = file_level[0] if file_level else sorted(found, key=sort_key)[0]
        return failed(path, digest, profile, failure, tuple(sorted(found, key=sort_key)))
    return score_project(intake, profile, tuple(found), source_path=path, source_sha256=digest)


def run_baseline(paths: list[str], profile, layout, out_dir: Path) -> None:
    """Every file: pandas reads, perfeval-xl scores, openpyxl writes the Annex; then the summary with pandas."""
    import pandas as pd

    annex_dir = out_dir / "annex"
    annex_dir.mkdir(parents=True, exist_ok=True)
    rows, findings = [], []
    with open(out_dir / "results.jsonl", "w", encoding="utf-8") as records:
        for index, path in enumerate(paths):
            result = evaluate_with_pandas(path, profile)
            records.write(to_json(result) + "\n")
            for found in result.problems:
                findings.append({"源文件": path, "代码": found.code, "单元格": found.cell, "说明": found.message})
            if not result.ok:
                continue
            workbook = OpenpyxlWorkbook()
            fill_annex(workbook, result, layout)
            workbook.save(annex_dir / f"{index:06d}_{annex_filename(result)}")
            project = result.intake.project
            rows.append({"序号": len(rows) + 1, "主管部门": project.department, "项目名称": project.name,
                         "全年预算数": float(result.budget.annual), "核算总分": float(result.total_score),
                         "等级": result.grade, "源文件": path})
    with pd.ExcelWriter(out_dir / "summary.xlsx", engine="openpyxl") as writer:
        pd.DataFrame(rows).to_excel(writer, sheet_name="汇总", index=False)
        pd.DataFrame(findings).to_excel(writer, sheet_name="问题清单", index=False)


class OpenpyxlWorkbook:
    """openpyxl behind the part of xlsxwriter's API that the Annex writer uses.

    Styles are built once per format, as a careful openpyxl user would, and
    assigned cell by cell, which is the only way openpyxl offers.
    """

    def __init__(self) -> None:
        import openpyxl

        self.book = openpyxl.Workbook()
        self.book.remove(self.book.active)

    def add_format(self, props: dict) -> "_Style":
        return _Style(props)

    def add_worksheet(self, name: str) -> "_OpenpyxlSheet":
        return _OpenpyxlSheet(self.book.create_sheet(name))

    def set_properties(self, props: dict) -> None:
        self.book.properties.title = props.get("title")
        self.book.properties.created = props.get("created")
        self.book.properties.description = props.get("comments")

    def save(self, path: Path) -> None:
        buffer = io.BytesIO()
        self.book.save(buffer)
        Path(path).write_bytes(buffer.getvalue())


_BORDER_STYLES = (None, "thin", "medium", "dashed", "dotted", "thick", "double", "hair")
_ALIGN = {"center_across": "centerContinuous", "vcenter": "center", "vjustify": "justify"}


class _Style:
    def __init__(self, props: dict) -> None:
        self.props = props
        self.built = None

    def apply(self, cell) -> None:
        if self.built is None:
            self.built = self._build()
        font, fill, border, alignment, number_format = self.built
        cell.font = font
        if fill is not None:
            cell.fill = fill
        if border is not None:
            cell.border = border
        cell.alignment = alignment
        if number_format:
            cell.number_format = number_format

    def _build(self):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        p = self.props
        font = Font(name=p.get("font_name", "Calibri"), size=p.get("font_size", 11), bold=p.get("bold", False),
                    italic=p.get("italic", False), color=_rgb(p.get("font_color")))
        fill = None
        if p.get("bg_color") or p.get("fg_color"):
            fill = PatternFill("solid", fgColor=_rgb(p.get("bg_color") or p.get("fg_color")))
        sides = {}
        for side in ("left", "right", "top", "bottom"):
            style = p.get(side, p.get("border"))
            if style:
                sides[side] = Side(style=_BORDER_STYLES[min(int(style), len(_BORDER_STYLES) - 1)],
                                   color=_rgb(p.get(f"{side}_color")))
        border = Border(**sides) if sides else None
        align = p.get("align")
        valign = p.get("valign")
        alignment = Alignment(horizontal=_ALIGN.get(align, align), vertical=_ALIGN.get(valign, valign),
                              wrap_text=p.get("text_wrap") or None, shrink_to_fit=p.get("shrink") or None,
                              indent=p.get("indent", 0), text_rotation=p.get("rotation", 0))
        return font, fill, border, alignment, p.get("num_format")


def _rgb(colour: str | None) -> str | None:
    return None if not colour else "FF" + colour.lstrip("#").upper()


class _OpenpyxlSheet:
    def __init__(self, ws) -> None:
        self.ws = ws

    def _cell(self, row: int, col: int, value, style: _Style | None):
        cell = self.ws.cell(row=row + 1, column=col + 1)
        if value is not None:
            cell.value = value
        if style is not None:
            style.apply(cell)
        return cell

    def write_string(self, row, col, value, style=None):
        cell = self._cell(row, col, value, style)
        cell.data_type = "s"    # text is never a formula, as write_string guarantees

    def write_number(self, row, col, value, style=None):
        self._cell(row, col, value, style)

    def write_blank(self, row, col, _value=None, style=None):
        if style is not None:
            self._cell(row, col, None, style)

    def write_formula(self, row, col, formula, style=None, _value=None):
        # openpyxl cannot store a formula's computed value beside it.
        self._cell(row, col, formula, style)

    def merge_range(self, first_row, first_col, last_row, last_col, data, style=None):
        self.ws.merge_cells(start_row=first_row + 1, start_column=first_col + 1,
                            end_row=last_row + 1, end_column=last_col + 1)
        for row in range(first_row, last_row + 1):
            for col in range(first_col, last_col + 1):
                self._cell(row, col, None, style)

    def set_column(self, first, last, width=None, _style=None, options=None):
        from openpyxl.utils import get_column_letter

        for col in range(first, last + 1):
            dimension = self.ws.column_dimensions[get_column_letter(col + 1)]
            if width is not None:
                dimension.width = width
            if options and options.get("hidden"):
                dimension.hidden = True

    def set_column_pixels(self, first, last, pixels=None, style=None, options=None):
        width = None if pixels is None else max(0.0, (pixels - 5) / 7)
        self.set_column(first, last, width, style, options)

    def set_row(self, row, height=None, _style=None, options=None):
        dimension = self.ws.row_dimensions[row + 1]
        if height is not None:
            dimension.height = height
        if options and options.get("hidden"):
            dimension.hidden = True

    def freeze_panes(self, row, col):
        self.ws.freeze_panes = self.ws.cell(row=row + 1, column=col + 1).coordinate

    def autofilter(self, first_row, first_col, last_row, last_col):
        from openpyxl.utils import get_column_letter

        self.ws.auto_filter.ref = (f"{get_column_letter(first_col + 1)}{first_row + 1}:"
                                   f"{get_column_letter(last_col + 1)}{last_row + 1}")

    def set_landscape(self):
        self.ws.page_setup.orientation = "landscape"

    def set_portrait(self):
        self.ws.page_setup.orientation = "portrait"

    def set_paper(self, paper):
        self.ws.page_setup.paperSize = paper

    def fit_to_pages(self, wide, tall):
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        self.ws.page_setup.fitToWidth = wide
        self.ws.page_setup.fitToHeight = tall

    def set_print_scale(self, scale):
        self.ws.page_setup.scale = scale

    def set_start_page(self, number):
        self.ws.page_setup.firstPageNumber = number
        self.ws.page_setup.useFirstPageNumber = True

    def set_margins(self, left=0.7, right=0.7, top=0.75, bottom=0.75):
        margins = self.ws.page_margins
        margins.left, margins.right, margins.top, margins.bottom = left, right, top, bottom

    def set_header(self, text="", options=None):
        self.ws.oddHeader.center.text = text

    def set_footer(self, text="", options=None):
        self.ws.oddFooter.center.text = text

    def center_horizontally(self):
        self.ws.print_options.horizontalCentered = True

    def center_vertically(self):
        self.ws.print_options.verticalCentered = True

    def hide_gridlines(self, option=1):
        self.ws.sheet_view.showGridLines = option == 0
        self.ws.print_options.gridLines = option == 0

    def repeat_rows(self, first, last=None):
        self.ws.print_title_rows = f"{first + 1}:{(first if last is None else last) + 1}"

    def repeat_columns(self, first, last=None):
        from openpyxl.utils import get_column_letter

        self.ws.print_title_cols = f"{get_column_letter(first + 1)}:{get_column_letter((first if last is None else last) + 1)}"

    def print_area(self, first_row, first_col, last_row, last_col):
        from openpyxl.utils import get_column_letter

        self.ws.print_area = (f"{get_column_letter(first_col + 1)}{first_row + 1}:"
                              f"{get_column_letter(last_col + 1)}{last_row + 1}")


# --- the floor: calamine reads, xlsxwriter replays -------------------------------------


def read_with_calamine(path: str) -> list[list[list]]:
    """Every sheet of the file as Python values: all that reading costs, no checks."""
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(path)
    grids = [book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names]
    book.close()
    return grids


class Recording:
    """What fill_annex asked of the workbook, replayable with no logic in between."""

    def __init__(self) -> None:
        self.formats: list[dict] = []
        self.properties: dict = {}
        self.sheets: list[tuple[str, list]] = []

    # The recording side has xlsxwriter's Workbook API.
    def add_format(self, props: dict) -> "_Token":
        self.formats.append(dict(props))
        return _Token(len(self.formats) - 1)

    def set_properties(self, props: dict) -> None:
        self.properties = dict(props)

    def add_worksheet(self, name: str) -> "_RecordingSheet":
        calls: list = []
        self.sheets.append((name, calls))
        return _RecordingSheet(calls)

    def replay(self) -> bytes:
        """The same calls on a real xlsxwriter workbook; each format made when first used."""
        import xlsxwriter

        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
        workbook.set_properties(self.properties)
        made: dict[int, object] = {}

        def real(arg):
            if isinstance(arg, _Token):
                if arg.index not in made:
                    made[arg.index] = workbook.add_format(self.formats[arg.index])
                return made[arg.index]
            return arg

        for name, calls in self.sheets:
            ws = workbook.add_worksheet(name)
            for method, args in calls:
                getattr(ws, method)(*(real(arg) for arg in args))
        workbook.close()
        return buffer.getvalue()


class _Token:
    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class _RecordingSheet:
    def __init__(self, calls: list) -> None:
        self._calls = calls

    def __getattr__(self, method: str):
        def record(*args):
            self._calls.append((method, args))
        return record


def record_annex(result: Result, layout) -> Recording:
    recording = Recording()
    fill_annex(recording, result, layout)
    return recording

