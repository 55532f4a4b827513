"""The `copied-across-projects` warning of one record, and an Entry that carries it."""

from __future__ import annotations

from dataclasses import replace

from ..display import WHOLE, percent_text
from ..problems import WARNING, Problem, problem
from ..writers.summary import Entry, Finding
from .duplicates import Copy, Print


def copy_problem(copy: Copy, other: Print, record: dict) -> Problem:
    del record
    if copy.similarity is None:
        what, what_en, how, how_en = ("预期目标和实际完成情况", "the goal and achievement texts",
                                      "完全相同", "are the same")
    else:
        share = percent_text(copy.similarity, WHOLE)
        what, what_en = "指标表（三级指标 + 年度指标值）", "the indicator table"
        how, how_en = f"相同或几乎相同（相似度 {share}）", f"is the same or nearly so ({share} alike)"
    return problem("copied-across-projects", WARNING, what=what, what_en=what_en, how=how, how_en=how_en,
                   other=other.path, department=other.display_department, name=other.display_name)


def with_findings(entry: Entry, found: list[Problem]) -> Entry:
    findings = entry.findings + tuple(Finding(p.severity.label, p.code, p.sheet or "", p.cell or "", p.message)
                                      for p in found)
    line = entry.project
    if line is not None:
        line = replace(line, warnings=line.warnings + sum(1 for p in found if p.severity == WARNING))
    return replace(entry, project=line, findings=findings)
