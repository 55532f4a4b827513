"""The quick pass over plain xlsx parts (reading/xlsx_plain.py) measures exactly what the
parser's pass measures, declines whatever it cannot lex exactly, and is taken for the
workbooks departments and our own writers really make.

Also: the stored copy of an inflated zip that calamine reads is read as the file itself.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import FIXTURES
from helpers.books import one_sheet_book
from perfeval_xl.cells import a1
from perfeval_xl.reading.base import stored_zip
from perfeval_xl.reading.preflight import DEFAULT_LIMITS, Limits, preflight_data
from perfeval_xl.reading.xlsx import _parsed_styles, percent_styles, scan_sheet, sheet_parts
from perfeval_xl.reading.xlsx_plain import plain_scan

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
STYLES = frozenset({"1", "3"})


def _measure(scan):
    return scan.rows, scan.cols, dict(scan.shared), scan.text_chars, scan.percent, scan.errors, scan.formulas


def _sheet(body: bytes, head: bytes = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n') -> bytes:
    return head + b"<worksheet " + NS + b"><dimension ref=\"A1\"/><sheetData>" + body + b"</sheetData></worksheet>"


# Cells as real writers spell them, and shapes the quick pass must decline.
CELLS = {
    "number": b'<c r="{ref}" s="1"><v>12.5</v></c>',
    "shared": b'<c r="{ref}" s="3" t="s"><v>0</v></c>',
    "formula-cached": b'<c r="{ref}" t="str"><f>A1&amp;""</f><v>x</v></c>',
    "formula-bare": b'<c r="{ref}"><f>SUM(A1:A2)</f><v></v></c>',
    "formula-only": b'<c r="{ref}"><f>1+1</f></c>',
    "error": b'<c r="{ref}" t="e"><v>#DIV/0!</v></c>',
    "inline": b'<c r="{ref}" t="inlineStr"><is><t>&#38468;&amp;b</t></is></c>',
    "inline-space": b'<c r="{ref}" s="1" t="inlineStr"><is><t xml:space="preserve"> a </t></is></c>',
    "empty-str": b'<c r="{ref}" t="str"><v></v></c>',
    "empty-date": b'<c r="{ref}" t="d"><v></v></c>',
    "style": b'<c r="{ref}" s="1"/>',
    "style-open": b'<c r="{ref}" s="1"></c>',
    "bool": b'<c r="{ref}" t="b"><v>1</v></c>',
    # declined: the parser's pass measures these
    "attr-order": b'<c s="1" r="{ref}"><v>1</v></c>',
    "single-quote": b"<c r='{ref}'><v>2</v></c>",
    "prefixed": b'<x:c r="{ref}"><x:v>3</x:v></x:c>',
    "entity-ref": b'<c r="&#65;{row}"><v>4</v></c>',
    "no-ref": b"<c><v>5</v></c>",
    "comment": b'<!-- <c r="XFD1"><v>1</v></c> --><c r="{ref}"><v>6</v></c>',
    "cdata": b'<c r="{ref}" t="inlineStr"><is><t><![CDATA[<c r="ZZ9">]]></t></is></c>',
    "pi": b'<?pi <c r="XFD1"/>?><c r="{ref}"><v>7</v></c>',
    "rich": b'<c r="{ref}" t="inlineStr"><is><r><t>a</t></r></is></c>',
    "newline": b'<c r="{ref}"\n s="1"><v>8</v></c>',
    "extra-child": b'<c r="{ref}"><v>9</v><extLst/></c>',
}
PLAIN = ["number", "shared", "formula-cached", "formula-bare", "formula-only", "error", "inline",
         "inline-space", "empty-str", "empty-date", "style", "style-open", "bool"]


@st.composite
def sheet_bodies(draw, kinds):
    cells = draw(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 30), st.sampled_from(kinds)),
                          min_size=0, max_size=30))
    by_row: dict[int, dict[int, str]] = {}
    for row, col, kind in cells:
        by_row.setdefault(row, {})[col] = kind
    rows = []
    for row in sorted(by_row):
        pieces = [b'<row r="%d" spans="1:3">' % (row + 1)]
        for col in sorted(by_row[row]):
            ref = a1(row, col).encode()
            pieces.append(CELLS[by_row[row][col]].replace(b"{ref}", ref).replace(b"{row}", b"%d" % (row + 1)))
        pieces.append(b"</row>")
        rows.append(b"".join(pieces))
    return b"".join(rows)


LIMITS = [DEFAULT_LIMITS, Limits(max_rows=20, max_cols=12)]


@settings(max_examples=150, deadline=None)
@given(sheet_bodies(list(CELLS)), st.sampled_from(LIMITS))
def test_the_quick_pass_measures_what_the_parser_measures_or_declines(body, limits):
    data = _sheet(body)
    quick = plain_scan(data, "sheet", limits, STYLES)
    full = scan_sheet(data, "sheet", limits, STYLES, quick=False)
    if quick is not None:
        assert _measure(quick) == _measure(full)
        if full.rows > limits.max_rows or full.cols > limits.max_cols:
            # Cut by either pass, calamine reads the same cells.
            assert _read_cut(data, quick.drops, limits) == _read_cut(data, full.drops, limits)


@settings(max_examples=80, deadline=None)
@given(sheet_bodies(PLAIN))
def test_plain_cells_within_the_limits_take_the_quick_pass(body):
    data = _sheet(body)
    quick = plain_scan(data, "sheet", DEFAULT_LIMITS, STYLES)
    assert quick is not None
    assert _measure(quick) == _measure(scan_sheet(data, "sheet", DEFAULT_LIMITS, STYLES, quick=False))


@settings(max_examples=120, deadline=None)
@given(sheet_bodies(PLAIN))
def test_plain_cells_past_small_limits_are_measured_and_cut_as_the_parser_cuts_them(body):
    limits = Limits(max_rows=20, max_cols=12)
    data = _sheet(body)
    quick = plain_scan(data, "sheet", limits, STYLES)
    full = scan_sheet(data, "sheet", limits, STYLES, quick=False)
    assert quick is not None
    assert _measure(quick) == _measure(full)
    if full.rows > limits.max_rows or full.cols > limits.max_cols:
        assert _read_cut(data, quick.drops, limits) == _read_cut(data, full.drops, limits)


@pytest.mark.parametrize("kind", sorted(set(CELLS) - set(PLAIN)))
def test_each_awkward_shape_is_declined(kind):
    data = _sheet(b'<row r="1">' + CELLS["number"].replace(b"{ref}", b"A1")
                  + CELLS[kind].replace(b"{ref}", b"B1").replace(b"{row}", b"1") + b"</row>")
    assert plain_scan(data, "sheet", DEFAULT_LIMITS, STYLES) is None


@pytest.mark.parametrize("data", [
    _sheet(b"", head=b'<?xml version="1.0" encoding="ISO-8859-1"?>'),
    _sheet(b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'),
    _sheet(b"").replace(b"<dimension", b"<!-- sheetData --><dimension"),
    b"<worksheet " + NS + b"><x:sheetData xmlns:x=\"urn:x\"/><sheetData/></worksheet>",
], ids=["latin-1", "nested", "named-in-a-comment", "second-prefixed"])
def test_a_sheet_that_is_not_plain_as_a_whole_is_declined(data):
    assert plain_scan(data, "sheet", DEFAULT_LIMITS, STYLES) is None


def _read_cut(data: bytes, drops, limits: Limits):
    """What calamine reads of the sheet `data` cut at `drops`, within the limits."""
    import python_calamine

    from perfeval_xl.reading.xlsx import _cut

    cut = _cut(data, drops)
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(one_sheet_book(cut)))
    rows = book.get_sheet_by_name("S").to_python(skip_empty_area=False, nrows=limits.max_rows)
    return [row[: limits.max_cols] for row in rows]


def test_a_cell_past_the_limits_is_measured_and_cut_as_the_parser_cuts_it():
    data = _sheet(b'<row r="1"><c r="A1"><v>1</v></c></row><row r="9000"><c r="B9000"><v>2</v></c></row>')
    quick = plain_scan(data, "sheet", DEFAULT_LIMITS, STYLES)
    full = scan_sheet(data, "sheet", DEFAULT_LIMITS, STYLES, quick=False)
    assert _measure(quick) == _measure(full) and (quick.rows, quick.cols) == (9000, 2)
    assert quick.drops and _read_cut(data, quick.drops, DEFAULT_LIMITS) == _read_cut(data, full.drops, DEFAULT_LIMITS) == [[1.0]]


def test_a_run_of_stray_rows_is_one_range_to_cut():
    stray = b"".join(b'<row r="%d" spans="1:2"><c r="A%d" s="1"><v>%d</v></c><c r="B%d" t="s"><v>0</v></c></row>'
                     % (r, r, r, r) for r in range(6001, 26001))
    data = _sheet(b'<row r="1"><c r="A1"><v>1</v></c></row>' + stray)
    quick = plain_scan(data, "sheet", DEFAULT_LIMITS, STYLES)
    assert (quick.rows, quick.cols) == (26000, 2) and len(quick.drops) == 1
    assert _measure(quick) == _measure(scan_sheet(data, "sheet", DEFAULT_LIMITS, STYLES, quick=False))
    assert _read_cut(data, quick.drops, DEFAULT_LIMITS) == [[1.0]]


def test_a_malformed_sheet_is_the_same_finding_either_way():
    from perfeval_xl.problems import IntakeError

    data = _sheet(b'<row r="1"><c r="A1"><v>1</v></row>')
    with pytest.raises(IntakeError) as quick:
        scan_sheet(data, "sheet", DEFAULT_LIMITS)
    with pytest.raises(IntakeError) as full:
        scan_sheet(data, "sheet", DEFAULT_LIMITS, quick=False)
    assert quick.value.problem == full.value.problem
    assert quick.value.problem.code == "file-unreadable"


def _xlsx_files() -> list[Path]:
    files = sorted(SAMPLES.rglob("*.xlsx")) + sorted(FIXTURES.glob("*.xlsx"))
    return [path for path in files if not path.name.startswith("~$")]


def _parts(path: Path):
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        return None
    return archive


@pytest.mark.parametrize("path", _xlsx_files(), ids=lambda p: p.name)
def test_every_sheet_of_the_samples_takes_the_quick_pass_and_measures_the_same(path):
    archive = _parts(path)
    if archive is None:
        pytest.skip("a damaged sample, as inboxes hold")
    with archive:
        styles = percent_styles(archive.read("xl/styles.xml"))
        for part in sheet_parts(archive).values():
            data = archive.read(part)
            quick = plain_scan(data, part, DEFAULT_LIMITS, styles)
            assert quick is not None, part
            assert _measure(quick) == _measure(scan_sheet(data, part, DEFAULT_LIMITS, styles, quick=False))


STYLE_XML = (b'<?xml version="1.0" encoding="UTF-8"?><styleSheet ' + NS + b'><numFmts count="2">'
             b'<numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="&quot;\xc2\xa5&quot;#,##0.00"/>'
             b'</numFmts><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="5">'
             b'<xf numFmtId="0" fontId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165"/>'
             b'<xf numFmtId="10"><alignment wrapText="1"/></xf><xf/></cellXfs></styleSheet>')


def test_styles_read_as_the_parser_reads_them():
    assert _parsed_styles(STYLE_XML) == (
        {164: "0.0%", 165: '"¥"#,##0.00'}, [0, 164, 165, 10, 0])
    assert percent_styles(STYLE_XML) == frozenset({"1", "3"})


@pytest.mark.parametrize("change, percent", [
    ((b'formatCode="0.0%"', b'formatCode="0.0&#37;"'), {"1", "3"}),
    ((b"<cellXfs", b"<!-- c --><cellXfs"), {"1", "3"}),
    ((b'<xf numFmtId="164"', b"<xf numFmtId='164'"), {"1", "3"}),
    ((b'<xf numFmtId="165"/>', b'<xf xmlns:y="urn:y" y:numFmtId="9"/>'), {"1", "2", "3"}),
    ((b"</cellXfs>", b'</cellXfs><cellXfs><xf numFmtId="9"/></cellXfs>'), {"1", "3", "5"}),
    ((b'formatCode="0.0%"', b'formatCode="[>=1]0.0%"'), {"1", "3"}),
], ids=["char-ref", "comment", "single-quote", "prefixed-attribute", "two-cellXfs", "raw-greater-than"])
def test_styles_of_awkward_shapes_read_as_the_parser_reads_them(change, percent):
    assert percent_styles(STYLE_XML.replace(*change)) == frozenset(percent)


@pytest.mark.parametrize("path", [FIXTURES / "seed.xlsx", FIXTURES / "seed.ods", FIXTURES / "percent.xlsx"],
                         ids=lambda p: p.name)
def test_calamine_reads_the_stored_copy_as_the_file(path):
    import python_calamine

    data = path.read_bytes()
    container = preflight_data(data, path.name)
    copy = stored_zip(container.inflated)
    with zipfile.ZipFile(io.BytesIO(copy)) as archive:
        assert archive.testzip() is None
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(io.BytesIO(copy)) as stored:
        assert [(i.filename, stored.read(i.filename)) for i in stored.infolist()] == \
               [(i.filename, original.read(i.filename)) for i in original.infolist()]

    def grids(raw):
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
        return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}

    assert grids(copy) == grids(data)


def test_a_non_ascii_part_name_is_kept_in_the_stored_copy():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("docProps/说明.xml", "<x/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    container = preflight_data(out.getvalue(), "x.xlsx")
    with zipfile.ZipFile(io.BytesIO(stored_zip(container.inflated))) as archive:
        assert archive.namelist() == ["[Content_Types].xml", "docProps/说明.xml", "xl/workbook.xml"]
        assert archive.read("docProps/说明.xml") == b"<x/>"


def test_a_workbook_openpyxl_writes_takes_the_quick_pass(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "S"
    sheet.append(["名称", 1, 2.5, True])
    sheet.append(["=A1&\"x\"", "=SUM(B1:C1)", None, "≥95%"])
    sheet["C2"].number_format = "0.00%"
    sheet["C2"] = 0.95
    book.save(tmp_path / "o.xlsx")
    with zipfile.ZipFile(tmp_path / "o.xlsx") as archive:
        styles = percent_styles(archive.read("xl/styles.xml"))
        data = archive.read(sheet_parts(archive)["S"])
    quick = plain_scan(data, "S", DEFAULT_LIMITS, styles)
    assert quick is not None
    assert _measure(quick) == _measure(scan_sheet(data, "S", DEFAULT_LIMITS, styles, quick=False))
    assert (quick.rows, quick.cols) == (2, 4)
    assert quick.formulas == {(1, 0): '=A1&"x"', (1, 1): "=SUM(B1:C1)"}
    assert quick.percent == {(1, 2)}


def test_a_part_larger_than_the_quick_bound_is_measured_cell_by_cell():
    from perfeval_xl.reading.xlsx_plain import QUICK_MAX_BYTES

    row = b'<row r="%d"><c r="A%d" s="1"/><c r="B%d"><v>2</v></c></row>'
    body = b"".join(row % (r, r, r) for r in range(1, QUICK_MAX_BYTES // 40))
    data = _sheet(body)
    assert len(data) > QUICK_MAX_BYTES
    quick = plain_scan(data, "sheet", DEFAULT_LIMITS, STYLES)
    full = scan_sheet(data, "sheet", DEFAULT_LIMITS, STYLES, quick=False)
    assert quick is not None and _measure(quick) == _measure(full)
    assert (quick.rows, quick.cols) == (QUICK_MAX_BYTES // 40 - 1, 2) and len(quick.drops) == 1


def test_the_cell_by_cell_pass_counts_what_it_keeps_as_the_parser_does():
    # Past the limits, numbers and shared strings take _plain_cut's short way: the kept ones counted
    # (shared references, percent marks), an empty <v> holding nothing, the stray ones cut.
    limits = Limits(max_rows=3, max_cols=12)
    body = (b'<row r="1"><c r="A1" t="s"><v>4</v></c><c r="B1" s="1"><v>0.5</v></c><c r="C1" t="s"><v></v></c>'
            b'<c r="D1"><v></v></c></row><row r="2"><c r="A2" s="3" t="s"><v>4</v></c><c r="M2"><v>1</v></c></row>'
            b'<row r="9"><c r="B9" t="s"><v>7</v></c></row><row r="10"><c r="C10"><v>2</v></c></row>')
    data = _sheet(body)
    quick = plain_scan(data, "sheet", limits, STYLES)
    full = scan_sheet(data, "sheet", limits, STYLES, quick=False)
    assert quick is not None and _measure(quick) == _measure(full)
    assert (quick.rows, quick.cols) == (10, 13)
    assert dict(quick.shared) == {b"4": 2} and quick.percent == {(0, 1), (1, 0)}
    # M2 and the two stray rows after it, one range (the rows between closed as they were opened).
    (start, end), = quick.drops
    assert data[start:end] == b'<c r="M2"><v>1</v></c></row><row r="9"><c r="B9" t="s"><v>7</v></c></row><row r="10"><c r="C10"><v>2</v></c>'


# --- cases found by a hostile review of the quick pass ------------------------------------


def test_a_processing_instruction_at_the_very_start_is_not_taken_for_the_declaration():
    sheet = (b'<?pi <sheetData><row><c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c></row></sheetData>?>'
             b"<worksheet " + NS + b"/>")
    for data in (sheet, b"\xef\xbb\xbf" + sheet):
        assert plain_scan(data, "sheet", DEFAULT_LIMITS, STYLES) is None
        assert _measure(scan_sheet(data, "sheet", DEFAULT_LIMITS, STYLES)) == (0, 0, {}, 0, set(), {}, {})


def test_a_utf16_sheet_is_never_measured_quickly():
    data = _sheet(b'<row r="3"><c r="C3"><v>1</v></c></row>', head=b"").decode().encode("utf-16")
    assert plain_scan(data, "sheet", DEFAULT_LIMITS, STYLES) is None
    assert (scan_sheet(data, "sheet", DEFAULT_LIMITS, STYLES).rows, scan_sheet(data, "sheet", DEFAULT_LIMITS).cols) == (3, 3)


def _styles(num_fmts: bytes, xfs: bytes, around: bytes = b"") -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><styleSheet ' + NS + b"><numFmts>" + num_fmts
            + b"</numFmts><cellXfs>" + xfs + b"</cellXfs>" + around + b"</styleSheet>")


def test_spaces_around_equals_in_styles_keep_the_percent_style():
    data = _styles(b'<numFmt numFmtId = "164" formatCode="0.0%"/>', b'<xf numFmtId="0"/><xf numFmtId ="164"/><xf numFmtId= "9"/>')
    assert percent_styles(data) == frozenset({"1", "2"})


def test_a_format_id_in_other_digits_is_no_format_not_a_damaged_file():
    data = _styles('<numFmt numFmtId="²" formatCode="0%"/>'.encode(), '<xf numFmtId="²"/><xf numFmtId="10"/>'.encode())
    assert _parsed_styles(data) == ({}, [0, 10])
    assert percent_styles(data) == frozenset({"1"})


@pytest.mark.parametrize("index", [b"x", b"+1", b"1.0", b" 0", b"99"], ids=["letter", "plus", "decimal", "space", "past-the-table"])
def test_a_shared_string_index_calamine_cannot_parse_is_priced_as_the_longest_string(index):
    from perfeval_xl.reading.intake import read_intake_data

    strings = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
               + b"x" * 32_767 + b"</t></si><si><t>y</t></si></sst>")
    cells = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d" t="s"><v>%s</v></c>' % (a1(0, c)[:-1].encode(), r, index)
                                                    for c in range(20)) + b"</row>" for r in range(1, 201))
    intake, found = read_intake_data(one_sheet_book(_sheet(cells), "绩效指标", strings=strings), "x.xlsx")
    assert intake is None
    assert [p.code for p in found] == ["file-too-complex"]
    assert "131,068,000" in found[0].params["what"]
