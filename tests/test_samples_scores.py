"""The samples scored by the program match the hand computation in samples/expected.json."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from helpers import SAMPLES
from perfeval_xl.evaluate import evaluate_file, evaluate_path
from perfeval_xl.profiles import load_profile

EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
NATIONAL = load_profile("national")


def result_of(key: str):
    """The project a key names: `file`, or `file#sheet` for one of several in a workbook."""
    relative, _, sheet = key.partition("#")
    results = evaluate_path(SAMPLES / relative, NATIONAL)
    if not sheet:
        assert len(results) == 1
        return results[0]
    return next(result for result in results if result.source_sheet == sheet)


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_sample_scores_as_computed_by_hand(relative):
    expected = EXPECTED[relative]
    result = result_of(relative)
    assert result.failure is None
    assert result.total_score == D(str(expected["total_score"])).quantize(D("0.01"))
    assert result.grade == expected["grade"]
    assert float(result.budget.rate) == pytest.approx(expected["budget_rate"], abs=5e-5)
    assert [i.indicator.row for i in result.indicators if not i.verified] == expected["unverified_rows"]
    assert sorted({p.code for p in result.problems if p.severity.value == "error"}) == expected["error_codes"]


def test_seed_reports_exactly_its_problems():
    result = evaluate_file(SAMPLES / "忻州市应急管理局" / "2021_安全生产和应急管理督查检查经费.xlsx", NATIONAL)
    assert [(p.code, p.severity.value, p.cell) for p in result.problems] == [
        ("weights-sum", "error", None),
        ("unit-mismatch", "error", "F3"),
        ("unit-mismatch", "error", "F6"),
        ("level1-weights", "warning", None),
    ]
