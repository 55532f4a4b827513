"""Which reader takes a file, and the projects it holds.

A workbook with the sheets 项目信息, 预算执行 and 绩效指标 is an intake
workbook (intake.py). Otherwise every sheet is searched for an Annex 1 form
(annex.py): each sheet that holds one is one project. A Word report (.docx)
is read as its tables (docx.py) and gives one project. A file with neither
gets `form-not-recognised`, naming what was looked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..model import BUDGET_SHEET, INDICATOR_SHEET, PROJECT_SHEET, Intake
from ..problems import ERROR, IntakeError, Problem, problem
from .annex import is_form, prepare, read_annex
from .annex_labels import AUDIT_SHEETS
from .grid import EVERY_SHEET, WORD_SUFFIXES, load_sheets_data
from .intake import intake_from_sheets
from .preflight import DEFAULT_LIMITS, Limits

INTAKE = "intake"
ANNEX = "annex"
INTAKE_SHEETS = (PROJECT_SHEET, BUDGET_SHEET, INDICATOR_SHEET)
LOOKED_FOR = ("工作表“项目信息”“预算执行”“绩效指标”，或含“三级指标（目标指标、指标名称）”“年度指标值（目标值）”"
              "“实际完成值（业绩值、全年实际值）”表头的附件1自评表")
LOOKED_FOR_WORD = "含“三级指标（目标指标、指标名称）”“年度指标值（目标值）”“实际完成值（业绩值）”表头的附件1自评表格"


@dataclass
class Reading:
    """One project of a file, as read: its Intake (None when it could not be read) and findings."""

    intake: Intake | None
    problems: list[Problem] = field(default_factory=list)
    form: str | None = None       # INTAKE or ANNEX; None when the file could not be read
    sheet: str | None = None      # the form's sheet, or `表N` of a .docx


def read_forms_data(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS) -> list[Reading]:
    """Every project of a file, in sheet order, from its bytes (read once by the caller); one
    Reading with intake None when there is none. `name` gives the suffix and the stem."""
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".doc":
            return [Reading(None, [problem("file-unreadable", ERROR, reason=(
                "这是旧版 Word 文档（.doc），无法读取其中的表格；请在 Word 或 WPS 中“另存为” Word 文档（.docx）后再提交"))])]
        if suffix in WORD_SUFFIXES:
            from .docx import read_docx

            return read_docx(data, name, limits=limits)
        names, sheets, notes = load_sheets_data(data, name, INTAKE_SHEETS, limits)
        if sheets:
            # Any of the intake sheets makes it an intake workbook; with some missing, the intake
            # reader says which (sheet-missing).
            intake, found = intake_from_sheets(sheets, notes, limits=limits)
            return [Reading(intake, found, INTAKE if intake is not None else None)]
        _names, every, notes = load_sheets_data(data, name, EVERY_SHEET, limits)
    except IntakeError as exc:
        return [Reading(None, [exc.problem])]
    except OSError as exc:
        return [Reading(None, [problem("file-unreadable", ERROR, reason=f"无法打开文件（{exc.strerror or exc}）")])]
    readings = annex_readings([every[sheet] for sheet in names if sheet in every], notes, Path(name).stem, limits)
    if readings:
        return readings
    return [Reading(None, [*notes, problem("form-not-recognised", ERROR, looked_for=LOOKED_FOR)])]


def annex_readings(sheets, notes, stem: str, limits: Limits) -> list[Reading]:
    readings = []
    for sheet in sheets:
        if sheet.name in AUDIT_SHEETS:
            continue
        found = list(notes)
        prepare(sheet, limits.max_cell_chars, found)
        header = is_form(sheet)
        if header is None:
            continue
        intake, more = read_annex(sheet, header, stem=stem)
        readings.append(Reading(intake, found + more, ANNEX, sheet.name))
    return readings
