"""One project from intake to Result: read, score, check.

`score_project` is pure (an Intake and a Profile in, a Result out);
`evaluate_file` adds the file: it reads, hashes and scores one workbook and
never raises for a bad file — a file that cannot be read becomes a Result
with `failure` set, so a batch can go on.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

from .model import ZERO, BudgetScore, IndicatorScore, Intake, Result
from .problems import ERROR, IntakeError, Problem, problem, sort_key
from .profiles import Profile
from .reading.intake import read_intake_data
from .reading.preflight import read_file
from .rules.checks import run_checks
from .rules.scoring import score_budget, score_indicator


# Findings that mean the file itself could not or must not be read.
FILE_LEVEL_CODES = ("file-unreadable", "file-encrypted", "file-too-large", "zip-bomb", "xml-entities")


def score_project(intake: Intake, profile: Profile, reader_problems: tuple[Problem, ...] = (), *, source_path: str = "", source_sha256: str = "") -> Result:
    budget, found = score_budget(intake.budget, intake.budget_row, profile)
    scores = []
    for row in intake.indicators:
        scored, row_found = score_indicator(row, profile)
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
    path = Path(path)
    shown = display_path or str(path)
    try:
        # Read once: the same bytes are hashed, checked and read (an over-size file is not read at all).
        data = read_file(path)
    except IntakeError as exc:
        return failed(shown, "", profile, exc.problem)
    except OSError as exc:
        failure = problem("file-unreadable", ERROR, reason=f"无法打开文件（{exc.strerror or exc}）")
        return failed(shown, "", profile, failure)
    digest = hashlib.sha256(data).hexdigest()
    try:
        intake, reader_problems = read_intake_data(data, path.name)
        if intake is None:
            file_level = [p for p in reader_problems if p.cell is None and p.code in FILE_LEVEL_CODES]
            failure = file_level[0] if file_level else sorted(reader_problems, key=sort_key)[0]
            return failed(shown, digest, profile, failure, tuple(sorted(reader_problems, key=sort_key)))
        return score_project(intake, profile, tuple(reader_problems), source_path=shown, source_sha256=digest)
    except Exception as exc:  # a bug met on one file is that file's failure, never a traceback
        reason = f"{type(exc).__name__}: {exc}"[:300]
        return failed(shown, digest, profile, problem("worker-crashed", ERROR, reason=reason, reason_en=reason))


def failed(path: str, digest: str, profile: Profile, failure: Problem, found: tuple[Problem, ...] = ()) -> Result:
    return Result(path, digest, profile, None, None, (), None, None, None, found or (failure,), failure)
