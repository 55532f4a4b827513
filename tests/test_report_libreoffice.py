"""The 自评报告 opened in a real word processor: LibreOffice Writer, headless, prints it to PDF.

The PDF must be A4 portrait with the report's Chinese text in it (the fonts
are set for East Asian text, so a CJK font is used, not boxes), and the page
numbers of the footer field; its first page is rendered to PNG.
"""

from __future__ import annotations

import shutil
import struct
import subprocess

import pytest

from helpers import SEED
from helpers.lo_batch import SOFFICE, convert
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.writers.report import write_report

POPPLER = shutil.which("pdfinfo") and shutil.which("pdftotext") and shutil.which("pdftoppm")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: `.ci/run` installs "
                                               "libreoffice-writer-nogui and fonts-noto-cjk"),
    pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdfinfo, pdftotext, pdftoppm) is not installed"),
]


def test_the_seed_report_prints_on_a4_with_its_chinese_text(tmp_path, national):
    source = write_report(evaluate_file(SEED, national), tmp_path)
    (pdf,) = convert([source], "pdf", tmp_path, recalc=False)       # LibreOffice's own settings
    assert pdf == source.with_suffix(".pdf")
    assert pdf.is_file()
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size:"))
    width, height = (float(x) for x in size.split(":")[1].split("pts")[0].split(" x "))
    assert (round(width), round(height)) == (595, 842)
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    assert pages >= 3
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    for expected in ("一、项目的基本情况", "六、改进措施及建议", "附件1", "项目支出绩效自评表", "监督检查次数（次）",
                     "全年预算98.65万元，执行98.65万元，执行率100.00%，得10分。", "【填写说明】"):
        assert expected in "".join(text.split()), expected        # lines wrap anywhere in Chinese text
    # The footer's PAGE field, numbered by LibreOffice: `—1—` on the first page, `—N—` on the last.
    sheets = ["".join(sheet.split()) for sheet in text.split("\f")]
    assert sheets[0].endswith("—1—") and sheets[pages - 1].endswith(f"—{pages}—")
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, capture_output=True, timeout=120)
    png = next(tmp_path.glob("page*.png")).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    png_width, png_height = struct.unpack(">II", png[16:24])
    assert (png_width, png_height) == (579, 819)          # A4 at 70 dpi, portrait
