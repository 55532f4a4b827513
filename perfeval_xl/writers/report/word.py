"""The Word side of the 自评报告: 公文-like styles, A4 page, page numbers, tables, a reproducible file.

Formatting follows the usual 党政机关公文 habits (GB/T 9704): A4 with
37/35/28/26 mm margins, the body in 三号 仿宋, first-level headings in
黑体, second-level in 楷体, the title in 二号 宋体 bold and centred, tables
in 五号 宋体, the page number centred in the footer as `— 1 —` (a PAGE
field, so Word, WPS and LibreOffice number the pages themselves). Every
font is set for East Asian text too (w:eastAsia of w:rFonts) and theme
fonts are removed, since a theme font would win over the named one.

Guidance for the department (【填写说明】) has its own style, grey italic
楷体, so that it stands out and is easy to find and replace.

The file is reproducible: fixed core properties (creation time from
SOURCE_DATE_EPOCH, else a fixed date), no thumbnail, and the zip rewritten
with fixed timestamps and a fixed order, since python-docx stamps each part
with the current time.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import zipfile

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT, WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.oxml.table import CT_Tbl
from docx.table import _Cell, _Row

from ..styles import UNVERIFIED_FILL

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体"
TITLE_FONT = "宋体"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
SAN_HAO, SI_HAO, ER_HAO, XIAO_ER, WU_HAO, XIAO_WU = Pt(16), Pt(14), Pt(22), Pt(18), Pt(10.5), Pt(9)
GUIDANCE_GREY = RGBColor(0x80, 0x80, 0x80)
LINE = Pt(28)                  # 公文: 22 lines of 三号 on a page
MARK_FILL = UNVERIFIED_FILL.lstrip("#")

TITLE_STYLE = "Report Title"
SUBTITLE_STYLE = "Report Subtitle"
GUIDANCE_STYLE = "Guidance"
TABLE_STYLE = "Table Text"
TABLE_HEAD_STYLE = "Table Head"
NOTE_STYLE = "Table Note"
GUIDANCE_MARK = "【填写说明】"
_THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
_ZIP_EPOCH = dt.datetime(1980, 1, 1)


def set_fonts(element, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Name the fonts of a style or run element for every script; drop theme fonts."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in _THEME_ATTRIBUTES:
        if fonts.get(qn(attribute)) is not None:
            del fonts.attrib[qn(attribute)]
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    # Characters both scripts share (“ ” — …) are drawn in the East Asian font, full width, as Chinese text wants.
    fonts.set(qn("w:hint"), "eastAsia")


def _paragraph_style(doc, name: str, *, font: str, size, bold=False, italic=False, colour=None,
                     align=None, before=0, after=0, line=LINE, indent=None, base="Normal"):
    styles = doc.styles
    style = styles[name] if name in styles else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base and style.name != base:
        style.base_style = styles[base]
    set_fonts(style.element, font)
    style.font.size = size
    style.font.bold = bold
    style.font.italic = italic
    style.font.color.rgb = colour if colour is not None else RGBColor(0, 0, 0)
    form = style.paragraph_format
    form.space_before, form.space_after = Pt(before), Pt(after)
    if line is None:
        form.line_spacing = 1.0
    else:
        form.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        form.line_spacing = line
    if align is not None:
        form.alignment = align
    if indent is not None:
        form.first_line_indent = indent
    return style


def _defaults(doc) -> None:
    """Document defaults: 仿宋 for East Asian text, Chinese as the East Asian language."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attribute in _THEME_ATTRIBUTES:
        if fonts.get(qn(attribute)) is not None:
            del fonts.attrib[qn(attribute)]
    for attribute, value in (("w:ascii", LATIN_FONT), ("w:hAnsi", LATIN_FONT), ("w:cs", LATIN_FONT), ("w:eastAsia", BODY_FONT)):
        fonts.set(qn(attribute), value)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _styles(doc) -> None:
    _defaults(doc)
    _paragraph_style(doc, "Normal", font=BODY_FONT, size=SAN_HAO, base=None, indent=Pt(32),
                     align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    for name, font in (("Heading 1", HEADING_FONT), ("Heading 2", SUBHEADING_FONT), ("Heading 3", BODY_FONT)):
        style = _paragraph_style(doc, name, font=font, size=SAN_HAO, bold=name == "Heading 3", indent=Pt(32))
        style.paragraph_format.keep_with_next = True
    _paragraph_style(doc, TITLE_STYLE, font=TITLE_FONT, size=ER_HAO, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
                     line=Pt(36), indent=Pt(0), after=6)
    _paragraph_style(doc, SUBTITLE_STYLE, font=SUBHEADING_FONT, size=SAN_HAO, align=WD_ALIGN_PARAGRAPH.CENTER,
                     indent=Pt(0), after=12)
    _paragraph_style(doc, GUIDANCE_STYLE, font=SUBHEADING_FONT, size=SI_HAO, italic=True, colour=GUIDANCE_GREY,
                     line=Pt(24), indent=Pt(28))
    _paragraph_style(doc, TABLE_STYLE, font=TABLE_FONT, size=WU_HAO, line=None, indent=Pt(0),
                     align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(doc, TABLE_HEAD_STYLE, font=TABLE_FONT, size=WU_HAO, bold=True, line=None, indent=Pt(0),
                     align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(doc, NOTE_STYLE, font=TABLE_FONT, size=XIAO_WU, line=None, indent=Pt(0), before=3, after=6,
                     align=WD_ALIGN_PARAGRAPH.LEFT)


@functools.lru_cache(maxsize=None)
def _styled_template():
    """The styles part's element of python-docx's default template with the report's styles, and
    each style's id by name (python-docx finds a style by name by scanning every style of the
    template, about 5 ms each; a report styles some 400 paragraphs)."""
    doc = Document()
    _styles(doc)
    return doc.styles.element, {style.name: style.style_id for style in doc.styles}


def _page(section) -> None:
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    _run(paragraph, "— ")
    _field(paragraph, "PAGE", "1")
    _run(paragraph, " —")


def _run(paragraph, text: str):
    run = paragraph.add_run(text)
    set_fonts(run._element, TITLE_FONT)
    run.font.size = SI_HAO
    return run


def _field(paragraph, instruction: str, shown: str) -> None:
    """A complex field (begin, instruction, separate, the shown value, end): Word and LibreOffice update it."""
    def char(kind: str):
        run = _run(paragraph, "")
        mark = OxmlElement("w:fldChar")
        mark.set(qn("w:fldCharType"), kind)
        run._element.append(mark)

    char("begin")
    run = _run(paragraph, "")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    run._element.append(code)
    char("separate")
    _run(paragraph, shown)
    char("end")


class Draft:
    """A report being written: paragraphs and tables in reading order."""

    def __init__(self) -> None:
        self.doc = Document()
        # SPEED: the styles are the same for every report; they are made once
        # (by _styles, on python-docx's default template) and copied.
        styles_part = self.doc.part.part_related_by(RT.STYLES)
        element, self._ids = _styled_template()
        styles_part._element = copy.deepcopy(element)
        _page(self.doc.sections[0])

    def _add(self, style: str | None = None, text: str = ""):
        """A new paragraph with `style` (by name), its id looked up once."""
        paragraph = self.doc.add_paragraph(text)
        if style is not None:
            paragraph._p.style = self._ids[style]
        return paragraph

    # -- text --

    def title(self, text: str, *, size=None) -> None:
        """A centred title; a line break in `text` breaks the title there."""
        paragraph = self._add(TITLE_STYLE)
        _text(paragraph, text)
        if size is not None:
            for run in paragraph.runs:
                run.font.size = size

    def heading(self, text: str, level: int, *, indent: bool = True, new_page: bool = False) -> None:
        paragraph = self._add(f"Heading {level}", text)
        if not indent:
            paragraph.paragraph_format.first_line_indent = Pt(0)
        if new_page:
            paragraph.paragraph_format.page_break_before = True

    def subtitle(self, text: str) -> None:
        self._add(SUBTITLE_STYLE, text)

    def paragraph(self, text: str = "", *, label: str = "", style: str | None = None):
        """A body paragraph; `label` (say `项目名称：`) in bold before the text. Line breaks are kept."""
        paragraph = self._add(style)
        if label:
            paragraph.add_run(label).bold = True
        _text(paragraph, text)
        return paragraph

    def guidance(self, text: str) -> None:
        paragraph = self._add(GUIDANCE_STYLE)
        paragraph.add_run(GUIDANCE_MARK).bold = True
        paragraph.add_run(text)

    def note(self, text: str) -> None:
        self._add(NOTE_STYLE, text)

    # -- tables --

    def table(self, header: list[tuple], rows: list[list[str]], widths_mm: tuple[float, ...], *,
              spans: tuple[tuple[int, int, int, int], ...] = (), marked: set[tuple[int, int]] = frozenset(),
              left: set[int] = frozenset(), merge_down: tuple[int, ...] = (), together: bool = True):
        """A bordered table: header rows (repeated on each page), then the rows.

        `spans` are (row, col, last_row, last_col) merges over the whole grid
        (header rows first); `marked` the (row, col) of body cells to shade;
        `left` the columns whose body text is left-aligned; `merge_down` the
        columns whose equal consecutive body values are merged into one cell;
        `together` keeps a short table on one page (each row kept with the next).
        """
        grid = [list(h) for h in header] + [list(r) for r in rows]
        table = self.doc.add_table(rows=0, cols=len(widths_mm))
        table._tbl.tblStyle_val = self._ids["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False     # <w:tblLayout w:type="fixed"/>, in its place in w:tblPr
        for c, width in enumerate(widths_mm):
            table.columns[c].width = Mm(width)    # tblGrid: what LibreOffice and WPS lay out by
        merges = list(spans)
        for c in merge_down:
            start = len(header)
            for r in range(len(header), len(grid) + 1):
                if r == len(grid) or grid[r][c] != grid[start][c] or not grid[r][c]:
                    if r - 1 > start:
                        merges.append((start, c, r - 1, c))
                    start = r
        # Only the top-left cell of a merged block holds text (python-docx's merge would join them all).
        hidden = {(r, c) for top, col, bottom, right in merges for r in range(top, bottom + 1)
                  for c in range(col, right + 1) if (r, c) != (top, col)}
        tcs = []
        for r, values in enumerate(grid):
            is_header = r < len(header)
            tr = copy.deepcopy(_row_model(is_header))
            table._tbl.append(tr)
            row = []
            for c, value in enumerate(values):
                tc = copy.deepcopy(_cell_model(
                    widths_mm[c], self._ids[TABLE_HEAD_STYLE if is_header else TABLE_STYLE],
                    left=not is_header and c in left, keep=together and r < len(grid) - 1,
                    marked=(r - len(header), c) in marked))
                tr.append(tc)
                row.append(tc)
                if (r, c) not in hidden:
                    _text(_Cell(tc, table).paragraphs[0], value)
            tcs.append(row)
        for top, col, bottom, right in merges:
            # An empty cell's paragraph is not moved into the merged one (python-docx), so it keeps one paragraph.
            # python-docx's own merge, given the block it would first work out from the two corners
            # (by walking the grid, most of a merge's time): the corner's w:tc grows to the block.
            tcs[top][col]._grow_to(right - col + 1, bottom - top + 1)
        return table

    # -- the file --

    def to_bytes(self, *, created: dt.datetime, title: str, subject: str, comments: str, identifier: str) -> bytes:
        props = self.doc.core_properties
        props.title, props.subject, props.comments, props.identifier = title, subject, comments, identifier
        props.author, props.last_modified_by, props.keywords, props.category = "perfeval-xl", "", "", ""
        props.created = props.modified = props.last_printed = created
        props.revision = 1
        package = self.doc.part.package
        for key, rel in list(package.rels.items()):
            if rel.reltype == RT.THUMBNAIL:     # python-docx's template page, not this report
                del package.rels[key]
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return _fixed_zip(buffer.getvalue(), created)


def _text(paragraph, text: str) -> None:
    """Text with its line breaks kept as breaks (department text exactly as typed)."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    p = paragraph._p
    for index, line in enumerate(lines):
        if "\t" in line:
            run = paragraph.add_run(line)       # python-docx turns each tab into a <w:tab/>
            r = run._r
        else:
            # SPEED: what add_run(line) makes (a w:r holding one w:t), without its
            # search for the run's old content and its walk over every character.
            r = p.add_r()
            if line:
                r.add_t(line)
        if index < len(lines) - 1:
            r.add_br()


# SPEED: python-docx places each property element by searching the element's
# children for its successors in the schema; setting a cell's width, vertical
# alignment, paragraph style, alignment and keep-with-next that way took most
# of a report's time. A cell is the same XML for the same (width, style,
# alignment, keep, shading), so each kind is built once that way, by the
# same calls, and copied; only its text differs.

@functools.lru_cache(maxsize=None)
def _row_model(header: bool):
    """An empty w:tr with the row properties of a header or body row."""
    tbl = CT_Tbl.new_tbl(1, 1, Mm(10))
    tr = tbl.tr_lst[0]
    tr.remove(tr.tc_lst[0])
    _row_props(_Row(tr, None), header=header)
    return tr


@functools.lru_cache(maxsize=None)
def _cell_model(width_mm: float, style_id: str, *, left: bool, keep: bool, marked: bool):
    """An empty w:tc of one kind (see the note above)."""
    tbl = CT_Tbl.new_tbl(1, 1, Mm(width_mm))
    cell = _Cell(tbl.tr_lst[0].tc_lst[0], None)
    cell.width = Mm(width_mm)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph._p.style = style_id
    if left:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    if keep:
        paragraph.paragraph_format.keep_with_next = True
    if marked:
        _shade(cell, MARK_FILL)
    return cell._tc


def _row_props(row, *, header: bool) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    keep = OxmlElement("w:cantSplit")
    tr_pr.append(keep)
    if header:
        repeat = OxmlElement("w:tblHeader")
        tr_pr.append(repeat)


# What may follow w:shd in w:tcPr (CT_TcPr's sequence): Word reads the properties in this order only.
_AFTER_SHADING = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
                  "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().insert_element_before(shading, *_AFTER_SHADING)


def _fixed_zip(data: bytes, created: dt.datetime) -> bytes:
    """The same package with every entry dated `created` (not before 1980, zip's epoch), in the same order."""
    stamp = max(created, _ZIP_EPOCH).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
