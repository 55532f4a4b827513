"""Open our Annex in a real spreadsheet program: LibreOffice, headless.

For both shipped layouts: LibreOffice recalculates every formula on load
(set in a private user profile), saves the workbook again, and we compare
each recalculated value with the value our file carried. It also prints the
Annex to PDF, which must be A4 landscape with the whole table on the page
width and its Chinese text present; the first page is rendered to PNG.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import openpyxl
import pytest

from helpers import SEED, clean_data
from helpers.lo_batch import SOFFICE, convert
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.writers.annex import ANNEX_SHEET, write_annex

pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: `.ci/run` installs libreoffice-calc-nogui and fonts-noto-cjk",
)
LAYOUTS = ("national", "xinzhou")
# The leftmost and rightmost header of each layout's indicator table, and labels only that layout has.
LABELS = {
    "national": ("一级指标", "偏差原因分析及改进措施", "三级指标", "年度指标值", "实际完成值"),
    "xinzhou": ("一级指标", "偏差原因分析及改进措施", "目标指标", "权重", "业绩值", "指标得分"),
}


def soffice_convert(sources: list[Path], fmt: str, out_dir: Path) -> list[Path]:
    """Convert every source in one LibreOffice run, recalculating on load; return the converted files, in order."""
    return convert(sources, fmt, out_dir, recalc=True)


def formula_values(path: Path) -> dict[str, object]:
    formulas = openpyxl.load_workbook(path)[ANNEX_SHEET]
    values = openpyxl.load_workbook(path, data_only=True)[ANNEX_SHEET]
    return {
        cell.coordinate: values[cell.coordinate].value
        for row in formulas.iter_rows() for cell in row
        if cell.data_type == "f"
    }


@pytest.fixture(scope="module")
def annexes(tmp_path_factory) -> tuple[Path, dict[tuple[str, str], Path]]:
    """(layout, case) -> Annex: the seed, and a clean intake whose blank 年度资金总额 becomes a SUM."""
    from perfeval_xl.profiles import load_profile
    from perfeval_xl.writers.intake_form import write_intake

    base = tmp_path_factory.mktemp("lo")
    national = load_profile("national")
    data = clean_data()
    data["budget"].pop("年度资金总额")
    intake = base / "clean.xlsx"
    write_intake(intake, data)
    results = {"seed": evaluate_file(SEED, national), "clean": evaluate_file(intake, national)}
    paths = {
        (layout, case): write_annex(result, base / "annex", filename=f"{case}_{layout}.xlsx", layout=layout)
        for layout in LAYOUTS for case, result in results.items()
    }
    return base, paths


def control_workbook(path: Path) -> Path:
    """A control file whose carried value is wrong: B1 = A1*21 carries 0."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet(ANNEX_SHEET)
    ws.write_number("A1", 2)
    ws.write_formula("B1", "=A1*21", None, 0)
    wb.close()
    return path


@pytest.fixture(scope="module")
def recalculated(annexes) -> dict:
    """(layout, case) -> the Annex as LibreOffice saved it again, and "control" -> the control file; in one run."""
    base, paths = annexes
    keys = list(paths)
    control = control_workbook(base / "control.xlsx")
    converted = soffice_convert([*(paths[key] for key in keys), control], "xlsx", base / "recalc")
    return {**dict(zip(keys, converted)), "control": converted[-1]}


@pytest.fixture(scope="module")
def pdfs(annexes) -> dict[str, Path]:
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("poppler-utils (pdftotext, pdfinfo, pdftoppm) not installed; .ci/run installs it")
    base, paths = annexes
    converted = soffice_convert([paths[(layout, "seed")] for layout in LAYOUTS], "pdf", base / "pdf")
    return dict(zip(LAYOUTS, converted))


@pytest.mark.parametrize("case", ["seed", "clean"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_recalculated_values_equal_carried_values(annexes, recalculated, layout, case):
    _, paths = annexes
    carried = formula_values(paths[(layout, case)])
    assert len(carried) >= 4
    again = openpyxl.load_workbook(recalculated[(layout, case)], data_only=True)[ANNEX_SHEET]
    for ref, value in carried.items():
        assert value is not None, f"{layout} {case} {ref} carries no value"
        assert again[ref].value == pytest.approx(value, abs=1e-9), f"{layout} {case} {ref}"


def test_recalculation_really_happens(recalculated):
    """A control file whose carried value is wrong must come back corrected."""
    assert openpyxl.load_workbook(recalculated["control"], data_only=True)[ANNEX_SHEET]["B1"].value == 42


@pytest.mark.parametrize("layout", LAYOUTS)
def test_pdf_is_a4_landscape_with_the_whole_table(pdfs, layout):
    pdf = pdfs[layout]
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "1", str(pdf)], capture_output=True, text=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page    1 size") or line.startswith("Page size"))
    width, height = (float(x) for x in size.split(":")[1].split("pts")[0].split("x"))
    assert (round(width), round(height)) == (842, 595)          # A4 landscape in points
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                                capture_output=True, text=True).stdout.replace(" ", "")
    # One page wide: the first and the last column, the total row and the signature line are all on page 1.
    for label in ("项目支出绩效自评表", "安全生产和应急管理督查检查经费", "总分", "自评等级：优", "单位负责人（签字）", *LABELS[layout]):
        assert label in first_page, f"{layout}: {label} is not on page 1"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_first_page_renders_to_a_landscape_image(pdfs, layout, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", str(pdfs[layout]), str(tmp_path / layout)], check=True)
    (png,) = tmp_path.glob(f"{layout}*.png")
    header = png.read_bytes()[:24]
    width, height = struct.unpack(">II", header[16:24])
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and width / height == pytest.approx(842 / 595, rel=0.01)
