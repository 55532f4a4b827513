"""samples/ and samples/expected.json agree: every listed workbook opens, every workbook is listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".docx"}
# Annex 1 forms as departments send them (scripts/make_annex_samples.py); a key
# `file#sheet` names one project of a workbook that holds several.
ANNEX_FOLDER = "附件表单"
# Files that are there to be refused or skipped, never scored.
NOT_INTAKES = {"某县水利局/损坏的文件.xlsx"}
GRADES = ((90, "优"), (80, "良"), (60, "中"), (0, "差"))


def expected() -> dict[str, dict]:
    return json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))


def workbooks_on_disk() -> set[str]:
    return {
        path.relative_to(SAMPLES).as_posix()
        for path in SAMPLES.rglob("*")
        if path.is_file() and path.suffix.lower() in WORKBOOK_SUFFIXES and not path.name.startswith("~$")
    }


def file_of(key: str) -> str:
    return key.split("#")[0]


def intakes() -> list[str]:
    return sorted(key for key in expected() if not key.startswith(ANNEX_FOLDER + "/"))


@pytest.mark.parametrize("relative", intakes())
def test_listed_workbook_opens(relative):
    path = SAMPLES / relative
    assert path.is_file()
    workbook = CalamineWorkbook.from_path(str(path))
    assert workbook.sheet_names == ["填报说明", "项目信息", "预算执行", "绩效指标"]
    rows = workbook.get_sheet_by_name("绩效指标").to_python()
    assert rows[0][:3] == ["一级指标", "二级指标", "三级指标"]


def test_every_workbook_is_listed():
    assert workbooks_on_disk() - NOT_INTAKES == {file_of(key) for key in expected()}


def test_annex_samples_cover_the_layouts():
    annex = {file_of(key) for key in expected() if key.startswith(ANNEX_FOLDER + "/")}
    assert {Path(relative).suffix for relative in annex} == {".xlsx", ".xls", ".ods", ".docx"}
    assert len(annex) >= 7
    assert sum(1 for key in expected() if "#" in key) == 2


def test_there_are_enough_projects_in_several_departments():
    listed = expected()
    assert len(listed) >= 10
    assert len({relative.split("/")[0] for relative in listed}) >= 4
    assert {Path(relative).suffix for relative in listed} >= {".xlsx", ".xls", ".ods"}


@pytest.mark.parametrize("relative, result", sorted(expected().items()))
def test_expected_record_is_consistent(relative, result):
    assert set(result) == {"total_score", "grade", "budget_rate", "unverified_rows", "error_codes"}
    assert result["grade"] == next(grade for bound, grade in GRADES if result["total_score"] >= bound)
    assert 0 <= result["budget_rate"]
    assert result["error_codes"] == sorted(set(result["error_codes"]))
    assert result["unverified_rows"] == sorted(result["unverified_rows"])


def test_files_that_batch_must_skip_or_refuse():
    folder = SAMPLES / "某县水利局"
    lock = folder / "~$2023_农村饮水安全巩固提升工程.xlsx"
    assert lock.stat().st_size == 165
    broken = folder / "损坏的文件.xlsx"
    assert broken.stat().st_size == 300 and broken.read_bytes()[:2] == b"PK"
    with pytest.raises(Exception):
        CalamineWorkbook.from_path(str(broken)).get_sheet_by_name("绩效指标").to_python()
    assert (folder / "自评报告.pdf").is_file()


@pytest.mark.parametrize("name", ["seed", "percent"])
def test_fixture_copies_carry_the_same_values(name):
    def values(path: Path) -> list[list]:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("绩效指标").to_python()
        trimmed = []
        for row in rows:
            row = list(row)
            while row and row[-1] == "":
                row.pop()
            trimmed.append(row)
        while trimmed and not trimmed[-1]:
            trimmed.pop()
        return trimmed

    original = values(FIXTURES / f"{name}.xlsx")
    for suffix in (".xls", ".ods"):
        assert values(FIXTURES / f"{name}{suffix}") == original


def test_percent_fixture_actual_is_a_number():
    for suffix in (".xlsx", ".xls", ".ods"):
        rows = CalamineWorkbook.from_path(str(FIXTURES / f"percent{suffix}")).get_sheet_by_name("绩效指标").to_python()
        assert rows[2][5] == pytest.approx(0.98)
        assert rows[2][4] == "≥95%"
