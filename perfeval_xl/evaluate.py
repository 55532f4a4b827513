"""One project from intake to Result: read, score, check.

`score_project` is pure (an Intake and a Profile in, a Result out);
`evaluate_file` adds the file: it reads, hashes and scores one workbook and
never raises for a bad file — a file that cannot be read becomes a Result
with `failure` set, so a batch can go on.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from .model import BUDGET_SHEET, INDICATOR_SHEET, PROJECT_SHEET, ZERO, BudgetScore, IndicatorScore, Intake, Result
from .problems import ERROR, INFO, Problem, problem, sort_key
from .profiles import Profile
from .reading.annex_table import GRADE_RANKS
from .reading.forms import ANNEX, Reading, read_forms
from .reading.preflight import DEFAULT_LIMITS
from .rules.checks import run_checks
from .rules.scoring import not_applicable, not_applicable_note, score_budget, score_indicator


# Findings that mean the file itself could not or must not be read.
FILE_LEVEL_CODES = ("file-unreadable", "file-encrypted", "file-too-large", "zip-bomb", "xml-entities", "intake-empty",
                    "form-not-recognised")
# Findings that depend on per-indicator weights: none when a form has no 分值 column at all
# (weight-column-missing says it once; 评分规则 §5 treats each weight as invalid).
WEIGHT_CODES = ("weight-invalid", "weights-sum", "level1-weights", "qualitative-band", "qualitative-score-missing",
                "self-score-high", "self-score-low", "score-over-weight", "total-mismatch")


def score_project(intake: Intake, profile: Profile, reader_problems: tuple[Problem, ...] = (), *, source_path: str = "", source_sha256: str = "") -> Result:
    budget, found = score_budget(intake.budget, intake.budget_row, profile)
    scores = []
    for row in intake.indicators:
        if not_applicable(row):
            # Not scored, not listed, its weight not counted, no other finding (§2).
            found.append(not_applicable_note(row))
            continue
        scored, row_found = score_indicator(row, profile, intake.project.year)
        scores.append(scored)
        found += row_found
    scores = tuple(scores)
    total = budget.score + sum((item.score for item in scores), ZERO)
    found += run_checks(intake, budget, scores, total, profile)
    problems = tuple(sorted((*reader_problems, *found), key=sort_key))
    return Result(
        source_path=source_path,
        source_sha256=source_sha256,
        profile=profile,
        intake=intake,
        budget=budget,
        indicators=scores,
        total_score=total,
        self_total=self_total(intake, budget, scores),
        grade=profile.grade(total),
        problems=problems,
    )


def self_total(intake: Intake, budget: BudgetScore, scores: tuple[IndicatorScore, ...]) -> Decimal | None:
    """The department's own total: its 合计 row's figure, else the sum of its scores."""
    for row in intake.total_rows:
        if row.self_score is not None:
            return row.self_score
    given = [budget.self_score] + [item.indicator.self_score for item in scores]
    given = [value for value in given if value is not None]
    return sum(given, ZERO) if given else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def evaluate_file(path: str | Path, profile: Profile, *, display_path: str | None = None) -> Result:
    """The first (for most files the only) project of a file; see evaluate_path."""
    return evaluate_path(path, profile, display_path=display_path)[0]


def evaluate_path(path: str | Path, profile: Profile, *, display_path: str | None = None) -> tuple[Result, ...]:
    """Every project of a file, one Result each, in sheet order (forms.md "Which reader").

    An intake workbook and a Word report give one; a workbook of Annex forms
    one per form sheet. A file that cannot be read, or holds no form, gives
    one Result with `failure` set. Never raises for a bad file.
    """
    path = Path(path)
    shown = display_path or str(path)
    try:
        # An over-size file is refused by the reader; it is not worth reading whole to hash it.
        digest = sha256_of(path) if path.stat().st_size <= DEFAULT_LIMITS.max_file_bytes else ""
    except OSError as exc:
        failure = problem("file-unreadable", ERROR, reason=f"无法打开文件（{exc.strerror or exc}）")
        return (failed(shown, "", profile, failure),)
    try:
        results = []
        for reading in read_forms(path):
            results.append(_scored(reading, profile, shown, digest))
        return tuple(results)
    except Exception as exc:  # a bug met on one file is that file's failure, never a traceback
        reason = f"{type(exc).__name__}: {exc}"[:300]
        return (failed(shown, digest, profile, problem("worker-crashed", ERROR, reason=reason, reason_en=reason)),)


def _scored(reading: Reading, profile: Profile, shown: str, digest: str) -> Result:
    if reading.intake is None:
        found = reading.problems
        file_level = [p for p in found if p.cell is None and p.code in FILE_LEVEL_CODES]
        failure = file_level[0] if file_level else sorted(found, key=sort_key)[0]
        result = failed(shown, digest, profile, failure, tuple(sorted(found, key=sort_key)))
        return replace(result, source_form=reading.form, source_sheet=reading.sheet)
    result = score_project(reading.intake, profile, tuple(reading.problems), source_path=shown, source_sha256=digest)
    if reading.form == ANNEX:
        result = annex_findings(result, profile)
    return replace(result, source_form=reading.form, source_sheet=reading.sheet)


def annex_findings(result: Result, profile: Profile) -> Result:
    """What only an Annex form needs: findings named by the form's own sheets, no weight
    findings when the form has no 分值 column (forms.md), and its printed grade compared."""
    intake = result.intake
    found = []
    for item in result.problems:
        if not intake.has_weight_column and item.code in WEIGHT_CODES:
            continue
        if item.sheet in (PROJECT_SHEET, BUDGET_SHEET, INDICATOR_SHEET):
            item = replace(item, sheet=intake.sheet_of(item.sheet))
        found.append(item)
    if intake.printed_grade is not None and result.grade is not None:
        written, sheet, cell = intake.printed_grade
        ranks = [label for label, _minimum in profile.grades]
        computed_rank = ranks.index(result.grade) if result.grade in ranks else None
        if GRADE_RANKS.get(written) != computed_rank and written != result.grade:
            found.append(problem("grade-mismatch", INFO, sheet, cell, written=written, computed=result.grade))
    return replace(result, problems=tuple(sorted(found, key=sort_key)))


def failed(path: str, digest: str, profile: Profile, failure: Problem, found: tuple[Problem, ...] = ()) -> Result:
    # No reader took the file: source.form is null in its record.
    return Result(path, digest, profile, None, None, (), None, None, None, found or (failure,), failure, source_form=None)
