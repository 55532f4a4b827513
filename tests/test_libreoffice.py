"""Open our Annex in a real spreadsheet program: LibreOffice, headless.

LibreOffice recalculates every formula on load (set in a private user
profile), saves the workbook again, and we compare each recalculated value
with the value our file carried. It also prints the Annex to PDF, which
must be A4 landscape with the whole table on the page width.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from conftest import SEED, clean_data
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.writers.annex import ANNEX_SHEET, write_annex

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")

# Always recalculate xlsx and ods on load (0 = always, 1 = never, 2 = prompt).
RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice_convert(source: Path, fmt: str, out_dir: Path, profile: Path) -> Path:
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(RECALC_PROFILE, encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(out_dir), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    produced = out_dir / f"{source.stem}.{fmt.split(':')[0]}"
    assert produced.exists(), f"LibreOffice wrote nothing for {source.name}"
    return produced


def formula_values(path: Path) -> dict[str, object]:
    formulas = openpyxl.load_workbook(path)[ANNEX_SHEET]
    values = openpyxl.load_workbook(path, data_only=True)[ANNEX_SHEET]
    return {
        cell.coordinate: values[cell.coordinate].value
        for row in formulas.iter_rows() for cell in row
        if cell.data_type == "f"
    }


@pytest.fixture(scope="module")
def annexes(tmp_path_factory):
    from perfeval_xl.profiles import load_profile
    from perfeval_xl.template import write_intake

    base = tmp_path_factory.mktemp("lo")
    national = load_profile("national")
    data = clean_data()
    data["budget"].pop("年度资金总额")          # the total becomes a SUM formula
    intake = base / "clean.xlsx"
    write_intake(intake, data)
    paths = [write_annex(evaluate_file(SEED, national), base / "seed"),
             write_annex(evaluate_file(intake, national), base / "clean")]
    return base, paths


def test_recalculated_values_equal_carried_values(annexes):
    base, paths = annexes
    for index, path in enumerate(paths):
        carried = formula_values(path)
        assert len(carried) >= 4
        recalculated_path = soffice_convert(path, "xlsx", base / f"recalc{index}", base / "profile")
        recalculated = openpyxl.load_workbook(recalculated_path, data_only=True)[ANNEX_SHEET]
        for ref, value in carried.items():
            assert recalculated[ref].value == pytest.approx(value, abs=1e-9), f"{path.name} {ref}"


def test_recalculation_really_happens(tmp_path):
    """A control file whose carried value is wrong must come back corrected."""
    import xlsxwriter

    path = tmp_path / "control.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet(ANNEX_SHEET)
    ws.write_number("A1", 2)
    ws.write_formula("B1", "=A1*21", None, 0)
    wb.close()
    out = soffice_convert(path, "xlsx", tmp_path / "out", tmp_path / "profile")
    assert openpyxl.load_workbook(out, data_only=True)[ANNEX_SHEET]["B1"].value == 42


def test_pdf_is_a4_landscape_with_the_whole_table(annexes):
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("poppler-utils (pdftotext, pdfinfo) not installed")
    base, paths = annexes
    pdf = soffice_convert(paths[0], "pdf", base / "pdf", base / "profile")
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "1", str(pdf)], capture_output=True, text=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page    1 size") or line.startswith("Page size"))
    width, height = (float(x) for x in size.split(":")[1].split("pts")[0].split("x"))
    assert (round(width), round(height)) == (842, 595)          # A4 landscape in points
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                                capture_output=True, text=True).stdout
    for label in ("项目支出绩效自评表", "三级指标", "偏差原因分析及改进措施", "总分", "安全生产和应急管理督查检查经费"):
        assert label in first_page.replace(" ", "")
