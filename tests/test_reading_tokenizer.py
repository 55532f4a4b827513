"""The reading stack measured with a real XML parser: decoys, prices, stream choice, formats.

Each test builds its file. The hostile ones are scored in a child process that
reports its peak memory and time (as tests/test_hostile.py does), so that a
regression fails the child, not the test runner.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, clean_data
from helpers.books import one_sheet_book
from helpers.hostile import MEMORY_BOUND_MB, TIME_BOUND_S, rewrite_zip, score_in_child
from perfeval_xl.reading.intake import read_intake, read_intake_data
from perfeval_xl.reading.preflight import DEFAULT_LIMITS, Limits
from perfeval_xl.reading.xlsx import percent_styles, scan_sheet, sheet_parts

CLEAN_SCORE = D("99.5")

def in_child(path: Path) -> dict:
    report = score_in_child(path)
    assert report["peak_mb"] < MEMORY_BOUND_MB, report
    assert report["seconds"] < TIME_BOUND_S, report
    return report


def rewrite(source: Path, target: Path, change: dict) -> Path:
    """A copy of `source` with parts changed; a part it lacks is added as change[name](b"")."""
    with zipfile.ZipFile(source) as old:
        present = set(old.namelist())
    return rewrite_zip(source, target, {name: fn for name, fn in change.items() if name in present},
                       {name: fn(b"") for name, fn in change.items() if name not in present})


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    from perfeval_xl.writers.intake_form import write_intake

    path = tmp_path_factory.mktemp("tok") / "clean.xlsx"
    write_intake(path, clean_data())
    return path


def part_of(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return sheet_parts(archive)[sheet]


FAR = b'<row r="1000000"><c r="AX1000000"><v>1</v></c></row>'


def before_sheetdata(xml: bytes, insert: bytes) -> bytes:
    at = xml.index(b"<sheetData")
    return xml[:at] + insert + xml[at:]


def after_sheetdata_open(xml: bytes, insert: bytes) -> bytes:
    at = xml.index(b">", xml.index(b"<sheetData")) + 1
    return xml[:at] + insert + xml[at:]


def append_far(xml: bytes) -> bytes:
    return xml.replace(b"</sheetData>", FAR + b"</sheetData>")


# --- decoys in xlsx: each hides a far cell from a regex, never from the parser ----------

def _decoy_files(clean: Path, folder: Path) -> dict[str, Path]:
    part = part_of(clean, "绩效指标")
    files = {
        "comment-empty-sheetdata": {part: lambda x: before_sheetdata(append_far(x), b"<!--<sheetData/>-->")},
        "comment-closing-sheetdata": {part: lambda x: after_sheetdata_open(append_far(x), b"<!--</sheetData>-->")},
        "row-1000000-col-AX": {part: append_far},
        "far-cell-in-near-row": {part: lambda x: x.replace(b"</sheetData>", b'<row r="30"><c r="AX1000000"><v>1</v></c></row></sheetData>')},
        "backtracking-comment": {part: lambda x: after_sheetdata_open(append_far(x), b"<!-- <c " + b"a" * 14_000 + b"' -->")},
    }
    made = {name: rewrite(clean, folder / f"{name}.xlsx", change) for name, change in files.items()}
    # A commented Relationship with the real Id, pointing at a clean copy, before the real one.
    with zipfile.ZipFile(clean) as archive:
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        clean_sheet = archive.read(part)
    rid = re.search(r'<Relationship[^>]*Id="(rId\d+)"[^>]*Target="%s"' % re.escape(part.removeprefix("xl/")), rels)
    assert rid, rels
    decoy_rel = f'<!--<Relationship Id="{rid.group(1)}" Type="x" Target="worksheets/decoy.xml"/>-->'
    made["comment-relationship"] = rewrite(clean, folder / "rel.xlsx", {
        part: append_far,
        "xl/worksheets/decoy.xml": lambda _: clean_sheet,
        "xl/_rels/workbook.xml.rels": lambda x: x.replace(b"<Relationship ", decoy_rel.encode() + b"<Relationship ", 1),
    })
    made["comment-sheet"] = rewrite(clean, folder / "sheet.xlsx", {
        part: append_far,
        "xl/worksheets/decoy.xml": lambda _: clean_sheet,
        "xl/_rels/workbook.xml.rels": lambda x: x.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="x" Target="worksheets/decoy.xml"/></Relationships>'),
        "xl/workbook.xml": lambda x: x.replace(b"<sheets>", '<sheets><!--<sheet name="绩效指标" sheetId="99" r:id="rId99"/>-->'.encode()),
    })
    made["character-reference-in-name"] = rewrite(clean, folder / "ref.xlsx", {
        part: append_far,
        "xl/workbook.xml": lambda x: x.replace('name="绩效指标"'.encode(), b'name="&#32489;&#25928;&#25351;&#26631;"'),
    })
    return made


DECOYS = ["comment-empty-sheetdata", "comment-closing-sheetdata", "row-1000000-col-AX", "far-cell-in-near-row",
          "backtracking-comment", "comment-relationship", "comment-sheet", "character-reference-in-name"]


@pytest.fixture(scope="module")
def decoys(clean, tmp_path_factory):
    return _decoy_files(clean, tmp_path_factory.mktemp("decoys"))


@pytest.mark.parametrize("name", DECOYS)
def test_xlsx_decoys_are_measured_and_cut(decoys, name):
    report = in_child(decoys[name])
    assert report["failure"] is None, report
    assert report["codes"] == ["too-many-rows"], report
    assert D(report["total"]) == CLEAN_SCORE, report


# --- what calamine would copy: refused before it is called ---------------------------------

def test_one_long_shared_string_referenced_everywhere_is_too_complex(clean, tmp_path):
    part = part_of(clean, "填报说明") if "填报说明" in sheet_parts(zipfile.ZipFile(clean)) else part_of(clean, "项目信息")
    with zipfile.ZipFile(clean) as archive:
        strings = archive.read("xl/sharedStrings.xml")
    count = strings.count(b"<si>")
    long = b"<si><t>" + "长".encode() * 32_767 + b"</t></si>"
    strings = strings.replace(b"</sst>", long + b"</sst>")
    rows = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d" t="s"><v>%d</v></c>' % (col.encode(), r, count)
                                                  for col in _columns(200)) + b"</row>" for r in range(40, 140))
    path = rewrite(clean, tmp_path / "shared.xlsx", {
        "xl/sharedStrings.xml": lambda _: strings,
        part_of(clean, "绩效指标"): lambda x: x.replace(b"</sheetData>", rows + b"</sheetData>"),
    })
    assert part
    report = in_child(path)
    assert report["failure"] == "file-too-complex", report


def _columns(n: int) -> list[str]:
    from perfeval_xl.cells import column_letter
    return [column_letter(i) for i in range(n)]


def test_a_million_percent_formats_cost_little(clean, tmp_path):
    formats = b"".join(b'<numFmt numFmtId="%d" formatCode="0.%s%%"/>' % (200 + i, b"0" * (i % 5)) for i in range(1_000_000))
    path = rewrite(clean, tmp_path / "formats.xlsx", {
        "xl/styles.xml": lambda x: re.sub(rb"<numFmts[^>]*>.*?</numFmts>|(?=<fonts)", lambda m: b"<numFmts>" + formats + b"</numFmts>" if not m.group(0) else b"<numFmts>" + formats + b"</numFmts>", x, count=1, flags=re.S),
    })
    report = in_child(path)
    assert report["failure"] is None, report
    assert D(report["total"]) == CLEAN_SCORE, report


# --- ods -----------------------------------------------------------------------------------

def _ods(target: Path, change) -> Path:
    return rewrite(FIXTURES / "seed.ods", target, {"content.xml": change})


def _indicator_table(content: bytes) -> tuple[int, int]:
    start = content.index('table:name="绩效指标"'.encode())
    return start, content.index(b"</table:table>", start)


def test_ods_comment_and_decoy_repeat_do_not_hide_repeats(tmp_path, national):
    def change(content: bytes) -> bytes:
        start, end = _indicator_table(content)
        rows = (b'<!--</table:table>--><table:table-row foo:number-rows-repeated="1" xmlns:foo="urn:foo" '
                b'table:number-rows-repeated="200000"><table:table-cell table:number-columns-repeated="200" '
                b'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>')
        return content[:end] + rows + content[end:]

    path = _ods(tmp_path / "repeat.ods", change)
    report = in_child(path)
    assert report["failure"] is None, report
    assert "too-many-rows" in report["codes"], report


def test_ods_repeated_text_is_too_complex(tmp_path):
    def change(content: bytes) -> bytes:
        start, _ = _indicator_table(content)
        end = content.index(b"<table:table-row", start)    # the first rows of the sheet
        rows = (b'<table:table-row table:number-rows-repeated="4000"><table:table-cell table:number-columns-repeated="100" '
                b'office:value-type="string"><text:p>' + "长".encode() * 30_000 + b"</text:p></table:table-cell></table:table-row>")
        return content[:end] + rows + content[end:]

    report = in_child(_ods(tmp_path / "text.ods", change))
    assert report["failure"] == "file-too-complex", report


# --- .xls: the stream calamine reads -------------------------------------------------------

def _directory_entries(data: bytes):
    from perfeval_xl.reading.ole import Ole
    ole = Ole(data)
    (first_dir,) = struct.unpack_from("<I", data, 0x30)
    sector = first_dir
    return ole, (sector + 1) * ole.sector


def _rename(data: bytearray, index: int, new: str) -> None:
    _, base = _directory_entries(bytes(data))
    at = base + 128 * index
    encoded = new.encode("utf-16-le") + b"\0\0"
    data[at:at + 64] = encoded.ljust(64, b"\0")
    struct.pack_into("<H", data, at + 0x40, len(encoded))


def _swap(data: bytearray, a: int, b: int) -> None:
    _, base = _directory_entries(bytes(data))
    ra, rb = data[base + 128 * a: base + 128 * (a + 1)], data[base + 128 * b: base + 128 * (b + 1)]
    data[base + 128 * a: base + 128 * (a + 1)], data[base + 128 * b: base + 128 * (b + 1)] = rb, ra


@pytest.mark.parametrize("decoy", ["Book", "WORKBOOK"])
def test_xls_decoy_stream_before_the_workbook_is_not_what_is_checked(tmp_path, decoy, national):
    from perfeval_xl.evaluate import evaluate_file
    from perfeval_xl.reading.ole import Ole

    data = bytearray((FIXTURES / "seed.xls").read_bytes())
    names = [e.name for e in Ole(bytes(data)).entries]
    workbook, summary = names.index("Workbook"), names.index("\x05SummaryInformation")
    _rename(data, summary, decoy)          # a stream that is no workbook, named as one
    _swap(data, workbook, summary)         # and placed before the real Workbook in the directory
    path = tmp_path / "decoy.xls"
    path.write_bytes(bytes(data))
    import python_calamine
    assert python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(bytes(data))).sheet_names   # calamine reads Workbook
    assert Ole(bytes(data)).workbook_stream().name == "Workbook"
    result = evaluate_file(path, national)
    assert result.failure is None, result.problems
    assert result.total_score == D("98.00")


# --- formats -------------------------------------------------------------------------------

WPS_STYLES = (b'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<numFmts count="3"><numFmt formatCode="0.0%" numFmtId="176"/><numFmt formatCode="&quot;%&quot;0.00" numFmtId="177"/>'
              b'<numFmt formatCode="[Red]0.00&quot;%&quot;;0%" numFmtId="178"/></numFmts>'
              b'<cellStyleXfs count="1"><xf numFmtId="9"/></cellStyleXfs>'
              b'<cellXfs count="6"><xf numFmtId="0"/><xf fontId="0" numFmtId="9"/><xf numFmtId="10"/>'
              b'<xf numFmtId="176"/><xf numFmtId="177"/><!-- <xf numFmtId="9"/> --><xf numFmtId="178"/></cellXfs></styleSheet>')


def test_percent_styles_as_wps_writes_them():
    # formatCode before numFmtId, &quot; in codes, built-in 9 and 10, a commented xf, cellStyleXfs ignored
    assert percent_styles(WPS_STYLES) == frozenset({"1", "2", "3", "5"})


def test_percent_styles_of_openpyxl_xlsxwriter_and_libreoffice(tmp_path):
    import shutil

    import openpyxl
    import xlsxwriter

    def percent_cells(path: Path) -> set[tuple[int, int]]:
        with zipfile.ZipFile(path) as archive:
            styles = percent_styles(archive.read("xl/styles.xml"))
            part = sheet_parts(archive)[next(iter(sheet_parts(archive)))]
            return scan_sheet(archive.read(part), part, DEFAULT_LIMITS, styles).percent

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["B2"], sheet["C3"] = 0.5, 0.25, 0.75
    sheet["A1"].number_format, sheet["B2"].number_format = "0%", "0.0%"
    book.save(tmp_path / "openpyxl.xlsx")
    assert percent_cells(tmp_path / "openpyxl.xlsx") == {(0, 0), (1, 1)}

    workbook = xlsxwriter.Workbook(tmp_path / "xlsxwriter.xlsx")
    worksheet = workbook.add_worksheet()
    worksheet.write_number(0, 0, 0.5, workbook.add_format({"num_format": "0.00%"}))
    worksheet.write_number(1, 1, 0.5, workbook.add_format({"num_format": 9}))
    worksheet.write_number(2, 2, 0.5)
    workbook.close()
    assert percent_cells(tmp_path / "xlsxwriter.xlsx") == {(0, 0), (1, 1)}

    if shutil.which("soffice"):
        from helpers.lo_batch import convert

        out = tmp_path / "lo"
        (ods,) = convert([tmp_path / "openpyxl.xlsx"], "ods", out, recalc=False)
        (xlsx,) = convert([ods], "xlsx", out / "x", recalc=False)
        assert percent_cells(xlsx) == {(0, 0), (1, 1)}


def test_unreadable_styles_give_a_finding_not_a_silent_score(clean, tmp_path, national):
    from perfeval_xl.evaluate import evaluate_file

    # Not well-formed (calamine reads it all the same): the format pass fails, and says so.
    path = rewrite(clean, tmp_path / "badstyles.xlsx", {"xl/styles.xml": lambda x: x.replace(b"</fonts>", b"</fontz>")})
    result = evaluate_file(path, national)
    assert result.failure is None
    found = [(p.code, p.severity.value, p.sheet, p.cell) for p in result.problems if p.code == "formats-unreadable"]
    assert found == [("formats-unreadable", "warning", None, None)]


# --- the bytes, once ----------------------------------------------------------------------

def test_bytes_entry_reads_what_it_is_given(clean, tmp_path):
    data = clean.read_bytes()
    intake, found = read_intake_data(data, "whatever.xlsx")
    assert intake is not None and intake.project.name == read_intake(clean)[0].project.name
    # The name only gives the suffix: .xls bytes named .xlsx are read by content.
    intake, found = read_intake_data((FIXTURES / "seed.xls").read_bytes(), "seed.xlsx")
    assert intake is not None
    assert "file-type-mismatch" in [p.code for p in found]


def test_a_directory_or_device_is_refused_at_once(tmp_path):
    intake, found = read_intake(tmp_path)
    assert intake is None and [p.code for p in found] == ["file-unreadable"]


# --- the property: our extent is calamine's ---------------------------------------------

NOISE = st.sampled_from([b"", b"<!-- <c r=\"ZZ99999\"><v>1</v></c> -->", b"<!--</sheetData>-->", b"<![CDATA[</row>]]>",
                         b"<?pi <c r='XFD1'/>?>", b"<!--<sheetData/>-->"])


@st.composite
def sheets(draw):
    cells = draw(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 30), st.sampled_from(["n", "s", "str", "inline", "empty", "style", "bare", "bare-style"])),
                          min_size=1, max_size=25))
    by_row: dict[int, list] = {}
    for row, col, kind in cells:
        by_row.setdefault(row, {})[col] = kind
    body = []
    for row in sorted(by_row):
        pieces = [b'<row r="%d">' % (row + 1), draw(NOISE)]
        for col in sorted(by_row[row]):
            ref = _columns(col + 1)[col].encode() + b"%d" % (row + 1)
            kind = by_row[row][col]
            pieces.append({
                "n": b'<c r="%s"><v>%d</v></c>' % (ref, col),
                "s": b'<c r="%s" t="s"><v>0</v></c>' % ref,
                "str": b'<c r="%s" t="str"><f>1</f><v>x</v></c>' % ref,
                "inline": b'<c r="%s" t="inlineStr"><is><t>a&amp;b</t></is></c>' % ref,
                "empty": b'<c r="%s"><f>A1</f><v/></c>' % ref,
                "style": b'<c r="%s" s="1"/>' % ref,
                "bare": b'<c><v>7</v></c>',          # no reference: the column after the last cell
                "bare-style": b'<c s="1"/>',
            }[kind])
            pieces.append(draw(NOISE))
        pieces.append(b"</row>")
        body.append(b"".join(pieces))
    return draw(NOISE).replace(b"</sheetData>", b"") + b"<sheetData>" + b"".join(body) + b"</sheetData>" + draw(NOISE)


def _book(sheet_body: bytes) -> bytes:
    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return one_sheet_book(b"<worksheet " + ns + b">" + sheet_body + b"</worksheet>",
                          sheets='<!--<sheet name="S" sheetId="2" r:id="rId2"/>--><sheet name="S" sheetId="1" r:id="rId1"/>')


@settings(max_examples=60, deadline=None)
@given(sheets())
def test_measured_extent_is_calamines(body):
    import python_calamine

    data = _book(body)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sheet_parts(archive) == {"S": "xl/worksheets/sheet1.xml"}
        scan = scan_sheet(archive.read("xl/worksheets/sheet1.xml"), "sheet", Limits(), frozenset())
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("S")
    if sheet.height == 0:
        assert (scan.rows, scan.cols) == (0, 0)
    else:
        assert (scan.rows, scan.cols) == (sheet.end[0] + 1, sheet.end[1] + 1)


@pytest.mark.slow
@pytest.mark.skipif(not __import__("shutil").which("soffice"), reason="LibreOffice makes the .xls")
def test_xls_sst_string_on_a_sheet_not_read_is_too_complex(clean, tmp_path):
    """One 32,767-character string in 1,000 cells of 填报说明, saved as .xls by LibreOffice:
    calamine would copy it into every cell of a sheet perfeval does not even read.

    The .xlsx handed to LibreOffice holds the string once, in its shared strings, and the
    1,000 cells refer to it (openpyxl would write it inline into every cell: 262 MB of XML
    that LibreOffice takes seconds to parse); the .xls LibreOffice makes is the same."""
    long = "长" * 32_767
    notes = part_of(clean, "填报说明")
    with zipfile.ZipFile(clean) as archive:
        index = archive.read("xl/sharedStrings.xml").count(b"<si>")
    rows = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d" t="s"><v>%d</v></c>' % (col.encode(), r, index)
                                                  for col in _columns(100)) + b"</row>"
                    for r in range(200, 210))        # below the instructions and their merged cells
    rewrite(clean, tmp_path / "notes.xlsx", {
        "xl/sharedStrings.xml": lambda x: x.replace(b"</sst>", b"<si><t>" + long.encode() + b"</t></si></sst>"),
        notes: lambda x: x.replace(b"</sheetData>", rows + b"</sheetData>"),
    })
    with zipfile.ZipFile(tmp_path / "notes.xlsx") as archive:    # what openpyxl would have made: 1,000 cells of it
        assert archive.read(notes).count(b'<v>%d</v>' % index) == 1000
    from helpers.lo_batch import convert

    (xls,) = convert([tmp_path / "notes.xlsx"], "xls:MS Excel 97", tmp_path / "out", recalc=False)
    report = in_child(xls)
    assert report["failure"] == "file-too-complex", report


def test_ods_cut_of_self_closing_cells_is_well_formed_and_read():
    """LibreOffice ends each row with `<table:table-cell table:number-columns-repeated="…"/>`:
    cutting past the columns must leave well-formed XML that calamine reads to the limits."""
    import python_calamine
    from xml.dom.minidom import parseString

    from perfeval_xl.reading.ods import prepare_ods

    with zipfile.ZipFile(FIXTURES / "seed.ods") as archive:
        trimmed, _ = prepare_ods(archive, {"绩效指标"}, Limits(max_rows=8, max_cols=3))
    assert trimmed.oversize == {"绩效指标": (10, 11)}
    with zipfile.ZipFile(io.BytesIO(trimmed.data)) as copy:
        parseString(copy.read("content.xml"))
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(trimmed.data)).get_sheet_by_name("绩效指标")
    assert (sheet.height, sheet.width) == (8, 3)


def test_a_text_file_of_repeated_comments_is_refused_at_once(tmp_path):
    """The HTML sniff once backtracked exponentially on `<!-- -->` × 512 (a 4 KB file hung)."""
    path = tmp_path / "comments.xlsx"
    path.write_bytes(b"<!-- -->" * 512)
    report = in_child(path)
    assert report["failure"] == "file-unreadable", report
    assert report["seconds"] < 1, report


def test_ods_number_with_a_percentage_data_style_is_percent():
    """A writer that stores 0.98 as a float under a cell style whose data style is a
    `number:percentage-style` (automatic styles in content.xml) shows 98 %."""
    from perfeval_xl.reading.ods import _Styles, scan_content

    content = (b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
               b'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:automatic-styles>'
               b'<number:percentage-style style:name="N11"><number:number number:decimal-places="0"/><number:text>%</number:text></number:percentage-style>'
               b'<style:style style:name="ce1" style:family="table-cell" style:data-style-name="N11"/>'
               b'<style:style style:name="ce2" style:family="table-cell"/></office:automatic-styles>'
               b'<office:body><office:spreadsheet><table:table table:name="S"><table:table-row>'
               b'<table:table-cell table:style-name="ce1" office:value-type="float" office:value="0.98"><text:p>98%</text:p></table:table-cell>'
               b'<table:table-cell table:style-name="ce2" office:value-type="float" office:value="0.5"><text:p>0.5</text:p></table:table-cell>'
               b'<table:table-cell office:value-type="percentage" office:value="0.5"><text:p>50%</text:p></table:table-cell>'
               b'</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')
    (table,) = scan_content(content, {"S"}, DEFAULT_LIMITS, _Styles())
    assert table.percent == {(0, 0), (0, 2)}
    assert (table.rows, table.cols) == (1, 3)
