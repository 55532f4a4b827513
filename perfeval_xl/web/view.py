"""A Result as the result page shows it: plain JSON-able data, no objects.

Built in the child (scoring.py) and read by the server, so that the server
never holds a workbook's objects. Every text is as the department wrote it;
the templates escape it.
"""

from __future__ import annotations

from decimal import Decimal

from ..display import fmt, half_up
from ..model import Result
from ..problems import ERROR

PASS, FIX = "可以提交", "需要修改"


def _points(value: Decimal | None) -> str:
    return "—" if value is None else format(half_up(value, Decimal("0.01")), "f")


def _rate(value: Decimal | None) -> str:
    return "—" if value is None else f"{half_up(value * 100, Decimal('0.01'))}%"


def _findings(result: Result) -> list[dict]:
    # result.problems is sorted errors first, then by sheet and cell (problems.sort_key).
    return [
        {"severity": p.severity.value, "label": p.severity.label, "location": p.location or "整个文件",
         "code": p.code, "message": p.message, "fix": p.fix}
        for p in result.problems
    ]


def page_view(result: Result, annex_name: str | None) -> dict:
    errors = sum(1 for p in result.problems if p.severity == ERROR)
    warnings = sum(1 for p in result.problems if p.severity.value == "warning")
    view: dict = {
        "file": result.source_path,
        "verdict": FIX if result.has_errors else PASS,
        "ok": not result.has_errors,
        "errors": errors,
        "warnings": warnings,
        "infos": len(result.problems) - errors - warnings,
        "findings": _findings(result),
        "annex_name": annex_name,
        "readable": result.ok,
    }
    if not result.ok:
        view["failure"] = {"code": result.failure.code, "message": result.failure.message, "fix": result.failure.fix}
        return view
    project, budget = result.intake.project, result.budget
    view["project"] = {
        "year": "" if project.year is None else str(project.year), "name": project.name,
        "department": project.department, "unit": project.unit, "code": project.code or "",
    }
    view["total"] = _points(result.total_score)
    view["self_total"] = _points(result.self_total)
    view["difference"] = (
        "—" if result.self_total is None else _points(result.self_total - result.total_score)
    )
    view["grade"] = result.grade or "—"
    view["budget"] = {
        "annual": fmt(budget.annual), "executed": fmt(budget.executed), "rate": _rate(budget.rate),
        "weight": _points(budget.weight), "score": _points(budget.score), "self_score": _points(budget.self_score),
    }
    rows = []
    for item in result.indicators:
        row = item.indicator
        rows.append({
            "row": row.row, "level1": row.level1, "level2": row.level2, "name": row.name,
            "target": row.target, "actual": row.actual_text, "weight": _points(item.weight),
            "completion": _rate(item.completion), "score": _points(item.score),
            "self_score": _points(row.self_score), "reason": row.reason, "verified": item.verified,
        })
    _spans(rows, "level1", "span1", ())
    _spans(rows, "level2", "span2", ("level1",))
    view["indicators"] = rows
    view["unverified"] = sum(1 for row in rows if not row["verified"])
    return view


def file_view(projects: list[dict]) -> dict:
    """The page of one uploaded file: its projects' views (page_view), one for most files, one per
    sheet for a workbook of several Annex forms, and the verdict over all of them."""
    view = {key: sum(project[key] for project in projects) for key in ("errors", "warnings", "infos")}
    ok = all(project["ok"] for project in projects)
    for number, project in enumerate(projects, 1):
        project["number"] = number
    view.update(file=projects[0]["file"], verdict=PASS if ok else FIX, ok=ok,
                readable=any(project["readable"] for project in projects), projects=projects)
    return view


def _spans(rows: list[dict], key: str, span: str, within: tuple[str, ...]) -> None:
    """Row spans for a column the Annex merges over equal neighbours: n on the first row, 0 below it."""
    start = 0
    for index in range(1, len(rows) + 1):
        same = index < len(rows) and all(rows[index][k] == rows[start][k] for k in (*within, key))
        if not same:
            rows[start][span] = index - start
            for below in range(start + 1, index):
                rows[below][span] = 0
            start = index
