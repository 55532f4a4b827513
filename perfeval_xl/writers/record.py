"""The result record, schema `perfeval-result/1` (outputs.md), as plain dicts."""

from __future__ import annotations

import json
import math
from decimal import Decimal

from ..display import half_up
from ..model import IndicatorScore, Result

SCHEMA = "perfeval-result/1"
RATE_PLACES = Decimal("0.0001")


def _num(value: Decimal | None, places: Decimal = Decimal("0.01")) -> float | None:
    if value is None or not value.is_finite():
        return None
    number = float(half_up(value, places))
    # No figure of the record may be Infinity or NaN (not JSON); scoring blanks such
    # ratios with a finding, and this keeps any other figure from printing one.
    return number if math.isfinite(number) else None


def _indicator(item: IndicatorScore) -> dict:
    row = item.indicator
    return {
        "row": row.row,
        "level1": row.level1,
        "level2": row.level2,
        "name": row.name,
        "weight": _num(item.weight),
        "target": row.target,
        "actual": row.actual_text,
        "kind": item.kind,
        "completion": _num(item.completion, RATE_PLACES),
        "score": _num(item.score),
        "self_score": _num(row.self_score),
        "verified": item.verified,
    }


def to_record(result: Result) -> dict:
    record: dict = {
        "schema": SCHEMA,
        "source": {"path": result.source_path, "sha256": result.source_sha256,
                   "form": result.source_form, "sheet": result.source_sheet},
        "profile": result.profile.name,
    }
    if result.failure is not None:
        record["error"] = {"code": result.failure.code, "message": result.failure.message}
        record["problems"] = [p.to_dict() for p in result.problems]
        return record
    project, budget = result.intake.project, result.budget
    record["project"] = {
        "year": project.year,
        "name": project.name,
        "code": project.code,
        "department": project.department,
        "unit": project.unit,
    }
    record["budget"] = {
        "initial": _num(budget.initial, Decimal("0.000001")),
        "annual": _num(budget.annual, Decimal("0.000001")),
        "received": _num(budget.received, Decimal("0.000001")),
        "executed": _num(budget.executed, Decimal("0.000001")),
        "rate": _num(budget.rate, RATE_PLACES),
        "weight": _num(budget.weight),
        "score": _num(budget.score),
    }
    record["indicators"] = [_indicator(item) for item in result.indicators]
    record["total_score"] = _num(result.total_score)
    record["self_total"] = _num(result.self_total)
    record["grade"] = result.grade
    record["problems"] = [p.to_dict() for p in result.problems]
    return record


def to_json(result: Result, *, indent: int | None = None) -> str:
    return _dumps(to_record(result), indent)


def to_json_list(results, *, indent: int | None = None) -> str:
    """The records of several results (the projects of one file) as one JSON array."""
    return _dumps([to_record(result) for result in results], indent)


def _dumps(value, indent: int | None) -> str:
    # allow_nan=False: a non-finite number that got this far is a bug, never invalid JSON.
    return json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=False, allow_nan=False)
