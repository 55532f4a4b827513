"""Every sheet we write prints as a person would set it up.

Read back with openpyxl: orientation, paper, one page wide, the header rows
repeated, a footer with the sheet's own page numbers (never 共 N 页, which
LibreOffice counts over the whole workbook), row heights for wrapped text.
Then printed to PDF by LibreOffice: the pages of each sheet are counted
(each sheet numbers its pages from 1, and the footer names the sheet, so the
PDF splits into sheets) and their orientation checked.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from helpers import SEED, clean_data
from helpers.lo_batch import SOFFICE, convert
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.writers.annex import ABOUT_SHEET, ANNEX_SHEET, DETAIL_SHEET, PROBLEM_SHEET, write_annex
from perfeval_xl.writers.intake_form import SHEET_NAMES, write_intake
from perfeval_xl.writers.summary import SHEETS, SummaryWriter, entry_of

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
LAYOUTS = ("national", "xinzhou")
LANDSCAPE, PORTRAIT = "landscape", "portrait"
A4, A3 = 9, 8
LONG_INDICATORS = 45


def long_data() -> dict:
    """A clean intake with 45 indicators of 2 points each (the budget row keeps 10)."""
    data = clean_data()
    budget, *rows = data["indicators"]
    data["indicators"] = [budget] + [
        {**rows[k % len(rows)], "三级指标": f"{rows[k % len(rows)]['三级指标']}{k}", "分值": 2} for k in range(LONG_INDICATORS)
    ]
    return data


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    """name -> workbook: the seed's and a long intake's Annex in both layouts, the samples' summary, the template."""
    from perfeval_xl.profiles import load_profile

    base = tmp_path_factory.mktemp("print")
    national = load_profile("national")
    write_intake(base / "long_intake.xlsx", long_data())
    results = {"seed": evaluate_file(SEED, national), "long": evaluate_file(base / "long_intake.xlsx", national)}
    paths = {
        f"{case}_{layout}": write_annex(result, base, filename=f"{case}_{layout}.xlsx", layout=layout)
        for case, result in results.items() for layout in LAYOUTS
    }
    summary = base / "summary.xlsx"
    writer = SummaryWriter(summary, national, tmpdir=base)
    for path in sorted(p for p in SAMPLES.rglob("*") if p.suffix in (".xlsx", ".xls", ".ods") and not p.name.startswith("~$")):
        writer.add(entry_of(evaluate_file(path, national)))
    writer.close()
    paths["summary"] = summary
    paths["template"] = write_intake(base / "template.xlsx")
    return paths


# sheet -> (orientation, paper, print title rows, fit to one page high)
ANNEX_SETUP = {
    DETAIL_SHEET: (LANDSCAPE, A4, "$1:$1", False),
    PROBLEM_SHEET: (LANDSCAPE, A4, "$1:$2", False),
    ABOUT_SHEET: (PORTRAIT, A4, None, True),
}
SUMMARY_SETUP = {
    "汇总": (LANDSCAPE, A3, "$1:$1", False),
    **{name: (LANDSCAPE, A4, "$1:$1", False) for name in SHEETS[1:]},
}
TEMPLATE_SETUP = {
    "填报说明": (LANDSCAPE, A4, None, False),
    "项目信息": (PORTRAIT, A4, "$1:$1", False),
    "预算执行": (PORTRAIT, A4, "$1:$1", False),
    "绩效指标": (LANDSCAPE, A4, "$1:$1", False),
    "校验": (LANDSCAPE, A4, None, False),
}


def assert_setup(ws, orientation: str, paper: int, titles: str | None, one_page: bool) -> None:
    setup = ws.page_setup
    assert (setup.orientation, int(setup.paperSize)) == (orientation, paper), ws.title
    assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
    assert setup.fitToWidth in (None, 1), ws.title                 # absent means 1 page wide
    assert setup.fitToHeight in ((None, 1) if one_page else (0,)), ws.title   # absent means 1 page high
    assert setup.useFirstPageNumber and setup.firstPageNumber in (None, 1), ws.title
    footer = "".join(part.text or "" for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right))
    assert "&P" in footer and "&N" not in footer, ws.title
    assert ws.print_title_rows == titles, ws.title


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_annex_sheet_has_a_page_setup(outputs, layout):
    wb = openpyxl.load_workbook(outputs[f"seed_{layout}"])
    assert wb.sheetnames == [ANNEX_SHEET, *ANNEX_SETUP]
    form = wb[ANNEX_SHEET]
    assert_setup(form, LANDSCAPE, A4, "$1:$3", False)
    assert form.oddFooter.center.text == "第 &P 页"
    for name, setup in ANNEX_SETUP.items():
        assert_setup(wb[name], *setup)
        assert wb[name].oddFooter.left.text == "&A" and wb[name].oddFooter.right.text == "第 &P 页"


def test_every_summary_and_template_sheet_has_a_page_setup(outputs):
    summary = openpyxl.load_workbook(outputs["summary"])
    assert tuple(summary.sheetnames) == tuple(SUMMARY_SETUP)
    for name, setup in SUMMARY_SETUP.items():
        assert_setup(summary[name], *setup)
    template = openpyxl.load_workbook(outputs["template"])
    assert tuple(template.sheetnames) == (*SHEET_NAMES, "校验")
    for name, setup in TEMPLATE_SETUP.items():
        assert_setup(template[name], *setup)


def test_wrapped_rows_get_heights(outputs):
    wb = openpyxl.load_workbook(outputs["seed_national"])
    detail = wb[DETAIL_SHEET]
    # Row 4 is 监督检查次数: its 本行问题 (an unit-mismatch message, 30 wide) takes 3 lines at least.
    assert "unit-mismatch" in detail["P3"].value
    assert detail.row_dimensions[3].height >= 3 * 14
    problems = wb[PROBLEM_SHEET]
    assert problems["A1"].value.startswith("“位置”指单位报送的填报工作簿")
    assert problems.row_dimensions[4].height >= 2 * 14                # unit-mismatch: its message wraps
    summary = openpyxl.load_workbook(outputs["summary"])
    findings = summary["问题清单"]
    assert all(findings.row_dimensions[row].height >= 2 * 14 for row in range(2, 6))   # 源文件 paths wrap


# --- printed by LibreOffice ---------------------------------------------------------------------

FOOTER = re.compile(r"^(.*?)第\s*(\d+)\s*页$")


@pytest.fixture(scope="module")
def pdfs(outputs, tmp_path_factory) -> dict[str, Path]:
    """name -> its PDF, every output printed in one LibreOffice run."""
    if SOFFICE is None or shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("LibreOffice and poppler-utils are needed: `.ci/run` installs them")
    base = tmp_path_factory.mktemp("pdf")
    names = list(outputs)
    return dict(zip(names, convert([outputs[name] for name in names], "pdf", base / "pdf", recalc=True)))


@pytest.fixture(scope="module")
def printed(pdfs) -> dict[str, list[tuple[str, int, str, tuple[int, int]]]]:
    """name -> its PDF pages: (sheet, page number, orientation, size in points)."""
    return {name: pdf_pages(pdf) for name, pdf in pdfs.items()}


def pdf_pages(pdf: Path) -> list[tuple[str, int, str, tuple[int, int]]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True).stdout
    sizes = [tuple(round(float(x)) for x in m.groups()) for m in re.finditer(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
    pages = []
    for number, (width, height) in enumerate(sizes, start=1):
        text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        last = [line for line in text.splitlines() if line.strip()][-1]
        found = FOOTER.match(" ".join(last.split()))
        assert found, f"{pdf.name} page {number}: no page number in its footer: {last!r}"
        sheet = found.group(1).strip() or ANNEX_SHEET           # the form's footer carries the page number only
        pages.append((sheet, int(found.group(2)), LANDSCAPE if width > height else PORTRAIT, (width, height)))
    return pages


def per_sheet(pages) -> list[tuple[str, int, str]]:
    """(sheet, pages, orientation) in print order; each sheet numbers its pages 1, 2, 3…"""
    sheets: list[tuple[str, int, str]] = []
    for sheet, number, orientation, _size in pages:
        if sheets and sheets[-1][0] == sheet and number > 1:
            name, count, first = sheets[-1]
            assert (number, orientation) == (count + 1, first)
            sheets[-1] = (name, count + 1, first)
        else:
            assert number == 1, f"{sheet} starts at page {number}"
            sheets.append((sheet, 1, orientation))
    return sheets


A4_LANDSCAPE, A4_PORTRAIT, A3_LANDSCAPE = (842, 595), (595, 842), (1191, 842)


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
def test_seed_annex_prints_four_pages(printed, layout):
    pages = printed[f"seed_{layout}"]
    assert per_sheet(pages) == [
        (ANNEX_SHEET, 1, LANDSCAPE), (DETAIL_SHEET, 1, LANDSCAPE), (PROBLEM_SHEET, 1, LANDSCAPE), (ABOUT_SHEET, 1, PORTRAIT),
    ]
    assert [size for *_, size in pages] == [A4_LANDSCAPE] * 3 + [A4_PORTRAIT]


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_long_annex_repeats_its_headers(printed, pdfs, layout):
    assert per_sheet(printed[f"long_{layout}"]) == [
        (ANNEX_SHEET, 2, LANDSCAPE), (DETAIL_SHEET, 4, LANDSCAPE), (PROBLEM_SHEET, 4, LANDSCAPE), (ABOUT_SHEET, 1, PORTRAIT),
    ]
    pdf = pdfs[f"long_{layout}"]
    text = {n: subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True, text=True).stdout
            for n in (2, 4, 8)}
    assert "项目支出绩效自评表" in text[2]         # the form's title rows on its second page
    assert "计算过程" in text[4]                  # 评分明细's header on its second page
    assert "如何修改" in text[8]                  # 校验问题's header on its second page


@pytest.mark.slow
def test_summary_prints_one_page_per_sheet(printed):
    pages = printed["summary"]
    # The samples' 21 projects and their findings: 汇总 and 问题清单 run to a second page (header rows repeated).
    many = {"汇总": 2, "问题清单": 2}
    assert per_sheet(pages) == [(name, many.get(name, 1), LANDSCAPE) for name in SHEETS]
    assert [size for *_, size in pages] == [A3_LANDSCAPE] * 2 + [A4_LANDSCAPE] * (len(pages) - 2)


@pytest.mark.slow
def test_template_prints_one_page_per_sheet(printed):
    assert per_sheet(printed["template"]) == [
        ("填报说明", 1, LANDSCAPE), ("项目信息", 1, PORTRAIT), ("预算执行", 1, PORTRAIT), ("绩效指标", 1, LANDSCAPE),
        ("校验", 1, LANDSCAPE),
    ]


@pytest.mark.slow
def test_summary_totals_recalculate_to_the_values_they_carry(outputs, tmp_path):
    if SOFFICE is None:
        pytest.skip("LibreOffice is needed: `.ci/run` installs it")
    (again,) = convert([outputs["summary"]], "xlsx", tmp_path / "recalc", recalc=True)
    formulas, carried = openpyxl.load_workbook(outputs["summary"]), openpyxl.load_workbook(outputs["summary"], data_only=True)
    recalculated = openpyxl.load_workbook(again, data_only=True)
    checked = 0
    for name in ("汇总", "按部门"):
        for row in formulas[name].iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    mine, theirs = carried[name][cell.coordinate].value, recalculated[name][cell.coordinate].value
                    assert theirs == pytest.approx(mine, abs=1e-9), f"{name}!{cell.coordinate} {cell.value}"
                    checked += 1
    assert checked == 13 + 6 + 4          # 汇总: 13 formulas; 按部门: 6 and one per grade
