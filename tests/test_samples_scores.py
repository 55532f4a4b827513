"""The samples scored by the program match the hand computation in samples/expected.json."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from helpers import SAMPLES
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.profiles import load_profile

EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
NATIONAL = load_profile("national")


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_sample_scores_as_computed_by_hand(relative):
    expected = EXPECTED[relative]
    result = evaluate_file(SAMPLES / relative, NATIONAL)
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
