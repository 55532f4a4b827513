"""Hostile and broken files: each gets its finding, in bounded time and memory.

The corpus is made here, by the tests, from a clean intake and the seed
fixtures: a zip bomb, a zip whose directory lies, an entity bomb, encrypted
workbooks, a CSV and a web page renamed, truncated files, a 1,000,000-row
sheet, one cell at XFD1048576, an .ods that repeats a value over the whole
sheet... Each file is scored in a child process that reports its own peak
memory (ru_maxrss) and time, so that the bounds are measured on the reading
itself and a regression cannot take the test runner down with it; the child
also caps its address space as a safety net on a shared machine.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import struct
import zipfile
import zlib
from decimal import Decimal as D
from pathlib import Path

import olefile   # comes with msoffcrypto-tool (the test extra)
import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from typer.testing import CliRunner

from helpers import FIXTURES
from helpers.hostile import (
    MEMORY_BOUND_MB, TIME_BOUND_S, deflated_zeros, rewrite_zip, score_in_child, zip_with_raw_part,
)
from helpers.hostile_once import once, session_folder
from perfeval_xl.cli import app
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.reading.xlsx import sheet_parts
from perfeval_xl.reading.intake import read_intake
from perfeval_xl.reading.preflight import DEFAULT_LIMITS, MB, Limits

runner = CliRunner()

CLEAN_SCORE = D("99.5")    # conftest's clean intake
SEED_SCORE = D("98.00")


# --- making hostile files ----------------------------------------------------------


def sheet_part(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return sheet_parts(archive, set(archive.namelist()))[sheet]


def append_rows(sheet_xml: bytes, rows: bytes) -> bytes:
    return sheet_xml.replace(b"</sheetData>", rows + b"</sheetData>")


def million_rows(clean: Path, target: Path, count: int = 1_000_000) -> Path:
    """绩效指标 with a million more rows, streamed into the zip (never built in memory)."""
    part = sheet_part(clean, "绩效指标")
    with zipfile.ZipFile(clean) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename != part:
                new.writestr(info.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with new.open(part, "w") as out:
                out.write(head)
                for first in range(20, 20 + count, 10_000):
                    out.write(b"".join(
                        b'<row r="%d"><c r="Z%d"><v>%d</v></c></row>' % (r, r, r)
                        for r in range(first, min(first + 10_000, 20 + count))
                    ))
                out.write(b"</sheetData>" + tail)
    return target


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE sst [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&g;</t></si></sst>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
"""


def xls_stream_edit(source: Path, target: Path, edit) -> Path:
    """A copy of an .xls with its Workbook stream edited in place (same length)."""
    shutil.copy(source, target)
    with olefile.OleFileIO(str(source)) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
    edit(stream)
    with olefile.OleFileIO(str(target), write_mode=True) as ole:
        ole.write_stream("Workbook", bytes(stream))
    return target


def biff_records(stream: bytes, start: int = 0):
    position = start
    while position + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, position)
        yield position, kind, length
        position += 4 + length


def xls_sheet_offsets(stream: bytes) -> dict[str, int]:
    from perfeval_xl.reading.xls import xls_sheets

    return dict(xls_sheets(stream))


def move_last_value(sheet: str, row: int, col: int):
    """An edit that moves the last number or text cell of `sheet` to (row, col)."""

    def edit(stream: bytearray) -> None:
        last = None
        for position, kind, _ in biff_records(stream, xls_sheet_offsets(stream)[sheet]):
            if kind == 0x000A:
                break
            if kind in (0x00FD, 0x0203, 0x027E):
                last = position
        assert last is not None, "no value record"
        struct.pack_into("<HH", stream, last + 4, row, col)

    return edit


def mark_encrypted(stream: bytearray) -> None:
    """Turn the globals' first WINDOW1 record into a FILEPASS, as an encrypted .xls has."""
    for position, kind, _ in biff_records(stream):
        if kind == 0x003D:
            struct.pack_into("<H", stream, position, 0x002F)
            return
    raise AssertionError("no WINDOW1 record")


def ods_edit(target: Path, sheet: str, edit) -> Path:
    def change(content: bytes) -> bytes:
        start = content.index(f'table:name="{sheet}"'.encode())
        end = content.index(b"</table:table>", start)
        return content[:start] + edit(content[start:end]) + content[end:]

    return rewrite_zip(FIXTURES / "seed.ods", target, {"content.xml": change})


def ods_repeat_everywhere(table: bytes) -> bytes:
    """The trailing empty rows become one value repeated over the whole sheet."""
    empty = re.search(rb'table:number-rows-repeated="\d+"><table:table-cell table:number-columns-repeated="16384"/>', table)
    valued = (b'table:number-rows-repeated="1048500"><table:table-cell table:number-columns-repeated="16384" '
              b'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>')
    return table[: empty.start()] + valued + table[empty.end():]


# --- the corpus ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    """name -> hostile file, made once for the session (shared by the xdist workers)."""
    root = session_folder(tmp_path_factory)
    folder = root / "hostile-corpus"
    made = once(root, "hostile-corpus", lambda folder: {name: path.name for name, path in make_corpus(folder).items()})
    return {name: folder / file for name, file in made.items()}


@pytest.fixture(scope="module")
def measured(corpus, tmp_path_factory):
    """measured(name) -> score_in_child(corpus[name]): one measured child run per file and
    session, whichever of the tests below (and whichever xdist worker) asks first."""
    root = session_folder(tmp_path_factory) / "hostile-reports"
    return lambda name: once(root, name, lambda _: score_in_child(corpus[name]))


def make_corpus(folder: Path) -> dict[str, Path]:
    """name -> hostile file, made in `folder`."""
    from perfeval_xl.writers.intake_form import write_intake
    from helpers import clean_data

    clean = folder / "clean.xlsx"
    write_intake(clean, clean_data())
    indicators = sheet_part(clean, "绩效指标")
    files: dict[str, Path] = {}

    def add(name: str, path: Path) -> None:
        files[name] = path

    # 1. Limits
    big = folder / "too-large.xlsx"
    with open(big, "wb") as handle:   # sparse: costs no disk
        handle.write(b"PK\x03\x04")
        handle.truncate(DEFAULT_LIMITS.max_file_bytes + MB)
    add("file-too-large", big)
    zeros, crc = deflated_zeros(200 * MB)
    add("zip-bomb", zip_with_raw_part(clean, folder / "bomb.xlsx", indicators, zeros, crc, 200 * MB))
    small_zeros, small_crc = deflated_zeros(8 * MB)
    add("zip-bomb-ratio", zip_with_raw_part(clean, folder / "ratio.xlsx", indicators, small_zeros, small_crc, 8 * MB))
    # The directory says 4 KB; the part inflates to 200 MB.
    add("zip-bomb-lying-directory", zip_with_raw_part(clean, folder / "liar.xlsx", indicators, zeros, crc, 4096))
    add("million-rows", million_rows(clean, folder / "million.xlsx"))
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    add("cell-at-XFD1048576", rewrite_zip(clean, folder / "far.xlsx", {indicators: lambda d: append_rows(d, far)}))
    add("ods-value-over-whole-sheet", ods_edit(folder / "repeat.ods", "绩效指标", ods_repeat_everywhere))
    add("xls-cell-at-IV65536", xls_stream_edit(FIXTURES / "seed.xls", folder / "far.xls",
                                               move_last_value("绩效指标", 65535, 255)))
    add("xls-far-cell-on-other-sheet", xls_stream_edit(FIXTURES / "seed.xls", folder / "far-other.xls",
                                                       move_last_value("填报说明", 65535, 255)))
    many = folder / "many-parts.xlsx"
    with zipfile.ZipFile(many, "w") as archive:
        for index in range(DEFAULT_LIMITS.max_parts + 1):
            archive.writestr(f"x/{index}.xml", b"")
    add("too-many-parts", many)
    # 2. Not what they claim
    add("entity-bomb", rewrite_zip(clean, folder / "laughs.xlsx", {"xl/sharedStrings.xml": lambda d: BILLION_LAUGHS}))
    add("external-entity", rewrite_zip(clean, folder / "xxe.xlsx", {
        "xl/workbook.xml": lambda d: EXTERNAL_ENTITY + d.split(b"?>", 1)[1]}))
    add("entity-utf16", rewrite_zip(clean, folder / "xxe16.xlsx", {
        "xl/workbook.xml": lambda d: (EXTERNAL_ENTITY.replace(b"UTF-8", b"UTF-16") + d.split(b"?>", 1)[1])
        .decode().encode("utf-16")}))
    encrypted = io.BytesIO()
    with open(clean, "rb") as handle:
        OOXMLFile(handle).encrypt("secret", encrypted)
    (folder / "encrypted.xlsx").write_bytes(encrypted.getvalue())
    add("encrypted-xlsx", folder / "encrypted.xlsx")
    add("encrypted-xls", xls_stream_edit(FIXTURES / "seed.xls", folder / "encrypted.xls", mark_encrypted))
    (folder / "csv.xlsx").write_text("项目名称,分值\n农村饮水,10\n", encoding="utf-8")
    add("csv-renamed", folder / "csv.xlsx")
    (folder / "web.xls").write_text("<html><body><table><tr><td>项目名称</td></tr></table></body></html>")
    add("html-renamed", folder / "web.xls")
    (folder / "report.xlsx").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    add("pdf-renamed", folder / "report.xlsx")
    docx = folder / "letter.xlsx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<document/>")
    add("docx-renamed", docx)
    whole = clean.read_bytes()
    (folder / "truncated.xlsx").write_bytes(whole[: len(whole) * 2 // 3])
    add("truncated-zip", folder / "truncated.xlsx")
    seed_xls = (FIXTURES / "seed.xls").read_bytes()
    (folder / "truncated.xls").write_bytes(seed_xls[: len(seed_xls) // 2])
    add("truncated-xls", folder / "truncated.xls")
    corrupt = bytearray(whole)
    with zipfile.ZipFile(clean) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    corrupt[middle : middle + 8] = b"\x00\xff" * 4
    (folder / "corrupt.xlsx").write_bytes(bytes(corrupt))
    add("corrupt-part", folder / "corrupt.xlsx")
    bz = folder / "bzip2.xlsx"
    with zipfile.ZipFile(clean) as old, zipfile.ZipFile(bz, "w", zipfile.ZIP_BZIP2) as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info))
    add("unsupported-compression", bz)
    add("xlsm-with-macros", rewrite_zip(clean, folder / "macros.xlsm", add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 VBA"}))
    shutil.copy(FIXTURES / "seed.xls", folder / "old.xlsx")
    add("xls-named-xlsx", folder / "old.xlsx")
    shutil.copy(FIXTURES / "seed.ods", folder / "calc.xlsx")
    add("ods-named-xlsx", folder / "calc.xlsx")
    return files


# name -> (failure code or None when the file is still scored, codes that must be among the findings)
EXPECTED = {
    "file-too-large": ("file-too-large", set()),
    "zip-bomb": ("zip-bomb", set()),
    "zip-bomb-ratio": ("zip-bomb", set()),
    "zip-bomb-lying-directory": ("zip-bomb", set()),
    "too-many-parts": ("file-unreadable", set()),
    "million-rows": (None, {"too-many-rows"}),
    "cell-at-XFD1048576": (None, {"too-many-rows"}),
    "ods-value-over-whole-sheet": (None, {"too-many-rows"}),
    "xls-cell-at-IV65536": (None, {"too-many-rows"}),
    "xls-far-cell-on-other-sheet": (None, set()),
    "entity-bomb": ("xml-entities", set()),
    "external-entity": ("xml-entities", set()),
    "entity-utf16": ("xml-entities", set()),
    "encrypted-xlsx": ("file-encrypted", set()),
    "encrypted-xls": ("file-encrypted", set()),
    "csv-renamed": ("file-unreadable", set()),
    "html-renamed": ("file-unreadable", set()),
    "pdf-renamed": ("file-unreadable", set()),
    "docx-renamed": ("file-unreadable", set()),
    "truncated-zip": ("file-unreadable", set()),
    "truncated-xls": ("file-unreadable", set()),
    "corrupt-part": ("file-unreadable", set()),
    "unsupported-compression": ("file-unreadable", set()),
    "xlsm-with-macros": (None, {"macros-ignored"}),
    "xls-named-xlsx": (None, {"file-type-mismatch"}),
    "ods-named-xlsx": (None, {"file-type-mismatch"}),
}

# Words the one line must carry, so that a person knows what to do.
MESSAGE_WORDS = {
    "file-too-large": "超过上限",
    "zip-bomb": "压缩炸弹",
    "too-many-parts": "部件",
    "entity-bomb": "DOCTYPE",
    "encrypted-xlsx": "取消密码",
    "encrypted-xls": "取消密码",
    "csv-renamed": "CSV",
    "html-renamed": "HTML",
    "pdf-renamed": "PDF",
    "docx-renamed": "Word",
    "truncated-zip": "不完整",
    "corrupt-part": "损坏",
    "unsupported-compression": "压缩方式",
}

# million-rows last, so that test_oversized_sheet_is_read_up_to_the_limit[million-rows], which
# reads the same measured run, comes right after it (under xdist: most likely on the same worker).
@pytest.mark.parametrize("name", sorted(EXPECTED, key=lambda name: (name == "million-rows", name)))
def test_hostile_file_gets_its_finding_in_bounded_time_and_memory(measured, name):
    report = measured(name)
    failure, codes = EXPECTED[name]
    print(f"{name}: {report['failure'] or report['codes']} in {report['seconds']:.2f} s, peak {report['peak_mb']:.0f} MB")
    assert report["failure"] == failure, report
    assert codes <= set(report["codes"]), report
    if failure is None:
        assert report["total"] != "None"
    word = MESSAGE_WORDS.get(name, MESSAGE_WORDS.get(failure or ""))
    if word:
        assert word in report["message"], report["message"]
    assert "\n" not in report["message"], report["message"]    # one clear line
    assert report["peak_mb"] < MEMORY_BOUND_MB, report
    assert report["seconds"] < TIME_BOUND_S, report


# The next two read what evaluate_file gave in the measured child run of the test above
# (the same call, with the national profile): reading a million rows once is enough.


@pytest.mark.parametrize("name", ["million-rows", "cell-at-XFD1048576"])
def test_oversized_sheet_is_read_up_to_the_limit(measured, name):
    result = measured(name)
    assert result["failed"] is False
    assert result["total"] != "None" and D(result["total"]) == CLEAN_SCORE    # the indicators above the stray rows are all there
    (too_many,) = [p for p in result["problems"] if p[0] == "too-many-rows"]
    _, severity, sheet, cell, message = too_many
    assert (severity, sheet, cell) == ("warning", "绩效指标", None)
    rows = {"million-rows": 1000019, "cell-at-XFD1048576": 1048576}[name]
    assert f"有 {rows} 行" in message, message


def test_ods_and_xls_oversized_sheets_keep_their_data(measured):
    ods = measured("ods-value-over-whole-sheet")
    assert "too-many-rows" in ods["codes"] and ods["failed"] is False
    other = measured("xls-far-cell-on-other-sheet")
    assert other["total"] != "None" and D(other["total"]) == SEED_SCORE and "too-many-rows" not in other["codes"]


def test_renamed_workbooks_are_read_as_what_they_are(corpus, national):
    for name in ("xls-named-xlsx", "ods-named-xlsx"):
        result = evaluate_file(corpus[name], national)
        assert result.total_score == SEED_SCORE
        (note,) = [p for p in result.problems if p.code == "file-type-mismatch"]
        assert note.severity.value == "info" and ".xlsx" in note.message


def test_macros_are_noted_never_run(corpus, national):
    result = evaluate_file(corpus["xlsm-with-macros"], national)
    assert result.total_score == CLEAN_SCORE
    assert [(p.code, p.severity.value) for p in result.problems] == [("macros-ignored", "info")]


# --- limits are settings -----------------------------------------------------------


def test_limits_are_named_settings_with_defaults():
    limits = Limits()
    assert (limits.max_file_bytes, limits.max_rows, limits.max_cols, limits.max_cell_chars) == (
        50 * MB, 5000, 200, 32767)
    with pytest.raises(Exception):
        limits.max_rows = 10   # frozen


def test_smaller_limits_apply(build):
    path = build()
    intake, found = read_intake(path, limits=Limits(max_rows=5))
    assert ("too-many-rows", "绩效指标") in [(p.code, p.sheet) for p in found]
    assert len(intake.indicators) == 3    # rows 3..5 of 绩效指标
    _, found = read_intake(path, limits=Limits(max_file_bytes=1000))
    assert [p.code for p in found] == ["file-too-large"]


# --- error values, long text -------------------------------------------------------


def test_error_values_name_the_cell_in_xlsx(tmp_path, build):
    path = build()
    part = sheet_part(path, "绩效指标")

    def errors(xml: bytes) -> bytes:
        xml = re.sub(rb'<c r="F4"([^>]*?)(/>|>.*?</c>)', b'<c r="F4" t="e"><f>1/0</f><v>#DIV/0!</v></c>', xml, count=1)
        return re.sub(rb'<c r="H5"([^>]*?)(/>|>.*?</c>)', b'<c r="H5" t="e"><f>#REF!</f><v>#REF!</v></c>', xml, count=1)

    target = rewrite_zip(path, tmp_path / "errors.xlsx", {part: errors})
    _, found = read_intake(target)
    got = {(p.code, p.sheet, p.cell, p.params.get("value")) for p in found if p.code == "not-a-number"}
    assert got == {("not-a-number", "绩效指标", "F4", "#DIV/0!"), ("not-a-number", "绩效指标", "H5", "#REF!")}


def test_error_value_names_the_cell_in_ods(tmp_path):
    seed, _ = read_intake(FIXTURES / "seed.ods")
    row = seed.indicators[1]
    cell = row.cells["actual"]

    def error_cell(table: bytes) -> bytes:
        # The n-th row of the table, the F column: LibreOffice's own spelling of an error result.
        rows = list(re.finditer(rb"<table:table-row\b.*?</table:table-row>", table, re.S))
        body = rows[row.row - 1]
        cells = list(re.finditer(rb"<table:(covered-)?table-cell\b[^>]*?(/>|>.*?</table:(covered-)?table-cell>)",
                                 body.group(0), re.S))
        target = cells[5]
        error = (b'<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" '
                 b'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>')
        new_row = body.group(0)[: target.start()] + error + body.group(0)[target.end():]
        return table[: body.start()] + new_row + table[body.end():]

    assert cell == f"F{row.row}"
    _, found = read_intake(ods_edit(tmp_path / "error.ods", "绩效指标", error_cell))
    assert ("not-a-number", "绩效指标", cell) in [(p.code, p.sheet, p.cell) for p in found]


def test_long_text_is_cut_with_a_finding_and_the_annex_is_written(tmp_path, build, national):
    """The goal cell becomes an inline string of 40,000 characters, written here by hand
    (openpyxl would cut it, and writes differently with and without lxml)."""
    from perfeval_xl.writers.annex import write_annex

    path = build()
    intake, _ = read_intake(path)
    ref = intake.project.cells["预期目标"]
    part = sheet_part(path, "项目信息")

    def lengthen(xml: bytes) -> bytes:
        start = xml.index(b'<c r="%s"' % ref.encode())
        end = xml.index(b"</c>", start) + 4
        cell = b'<c r="%s" t="inlineStr"><is><t>' % ref.encode() + "长".encode() * 40_000 + b"</t></is></c>"
        return xml[:start] + cell + xml[end:]

    path = rewrite_zip(path, tmp_path / "long.xlsx", {part: lengthen})
    result = evaluate_file(path, national)
    (cut,) = [p for p in result.problems if p.code == "text-truncated"]
    assert (cut.severity.value, cut.sheet, cut.cell) == ("warning", "项目信息", ref)
    assert "40000" in cut.message
    assert len(result.intake.project.goal) == 32_767
    written = write_annex(result, tmp_path / "out")
    values = [c.value for row in openpyxl.load_workbook(written)["项目支出绩效自评表"].iter_rows() for c in row]
    assert "长" * 32_767 in values


# --- the command line: one clear line, exit 1, no traceback ---------------------------

REFUSED = ["zip-bomb", "zip-bomb-lying-directory", "entity-bomb", "encrypted-xlsx", "csv-renamed",
           "truncated-zip", "file-too-large"]


@pytest.mark.parametrize("name", REFUSED)
def test_score_and_check_give_one_line(corpus, name, tmp_path):
    path = corpus[name]
    code = EXPECTED[name][0]
    out = tmp_path / "out"
    scored = runner.invoke(app, ["score", str(path), "-o", str(out)])
    assert scored.exit_code == 1
    lines = scored.stderr.strip().splitlines()
    assert len(lines) == 1 and path.name in lines[0] and f"({code})" in lines[0], scored.stderr
    assert scored.exception is None or isinstance(scored.exception, SystemExit), scored.exception
    assert not out.exists()    # a refused file writes nothing, not even the folder
    checked = runner.invoke(app, ["check", str(path)])
    assert checked.exit_code == 1
    assert len(checked.stdout.strip().splitlines()) == 1 and f"({code})" in checked.stdout


def test_batch_scores_the_good_files_beside_the_hostile_ones(corpus, tmp_path, build):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = build()
    shutil.copy(good, inbox / "good.xlsx")
    for name in ["zip-bomb", "entity-bomb", "encrypted-xlsx", "csv-renamed", "truncated-zip",
                 "cell-at-XFD1048576", "xlsm-with-macros"]:
        shutil.copy(corpus[name], inbox / f"{name}{corpus[name].suffix}")
    out = tmp_path / "out"
    done = runner.invoke(app, ["batch", str(inbox), "-o", str(out), "--workers", "1"])
    assert done.exit_code == 0, done.output
    records = {Path(r["source"]["path"]).stem: r
               for r in map(json.loads, (out / "results.jsonl").read_text(encoding="utf-8").splitlines())}
    assert {name: (r.get("error") or {}).get("code") for name, r in records.items()} == {
        "good": None, "zip-bomb": "zip-bomb", "entity-bomb": "xml-entities", "encrypted-xlsx": "file-encrypted",
        "csv-renamed": "file-unreadable", "truncated-zip": "file-unreadable", "cell-at-XFD1048576": None,
        "xlsm-with-macros": None,
    }
    assert records["good"]["total_score"] == 99.5
    assert "too-many-rows" in {p["code"] for p in records["cell-at-XFD1048576"]["problems"]}
    assert len(list((out / "annex").glob("*.xlsx"))) == 3


# --- names and paths ---------------------------------------------------------------


@pytest.mark.parametrize(
    "department",
    ["../../../etc/passwd", "..\\..\\Windows\\System32", "CON", "nul", "a/b\\c:d*e?f\"g<h>i|j",
     "tab\tnew\nline\x00nul\x1f", "   ...   ", "局" * 200, "=HYPERLINK(\"http://x\")"],
)
def test_annex_names_stay_inside_the_output_folder(tmp_path, build, national, department):
    from helpers import clean_data

    data = clean_data()
    data["project"]["主管部门"] = department
    source = build(data)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    mtime = source.stat().st_mtime_ns
    out = tmp_path / "out"
    done = runner.invoke(app, ["score", str(source), "-o", str(out)])
    assert done.exit_code in (0, 1), done.output
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != source]
    assert len(written) == 1 and written[0].parent == out, written
    name = written[0].name
    assert len(name.encode("utf-8")) <= 255
    assert not re.search(r'[\x00-\x1f<>:"/\\|?*]', name) and ".." not in name
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before and source.stat().st_mtime_ns == mtime


def test_score_never_overwrites_its_input(tmp_path, build, national):
    from perfeval_xl.writers.annex import annex_filename

    source = build()
    result = evaluate_file(source, national)
    same = tmp_path / annex_filename(result)
    source.rename(same)
    before = same.read_bytes()
    done = runner.invoke(app, ["score", str(same), "-o", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert same.read_bytes() == before
    assert len(list(tmp_path.glob("*.xlsx"))) == 2


def test_output_sheet_names_are_within_excel_limits(tmp_path, evaluate):
    from perfeval_xl.writers.annex import write_annex

    written = write_annex(evaluate(), tmp_path)
    for name in openpyxl.load_workbook(written).sheetnames:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\"), name
