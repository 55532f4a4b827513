"""One project from intake to Result: read, score, check.

`score_project` is pure (an Intake and a Profile in, a Result out);
`evaluate_file` adds the file: it reads, hashes and scores one workbook and
never raises for a bad file — a file that cannot be read becomes a Result
with `failure` set, so a batch can go on.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from .contained import ChildDied, ReadTimeout, deadline, run_contained, signal_name
from .model import BUDGET_SHEET, INDICATOR_SHEET, PROJECT_SHEET, ZERO, BudgetScore, IndicatorScore, Intake, Result
from .problems import ERROR, INFO, WARNING, IntakeError, Problem, problem, sort_key
from .profiles import Profile
from .reading.annex_table import GRADE_RANKS
from .reading.forms import ANNEX, Reading, read_forms_data
from .reading.preflight import DEFAULT_LIMITS, Limits, human_size, read_file
from .rules.checks import run_checks
from .rules.scoring import not_applicable, not_applicable_note, score_budget, score_indicator
from .text import printable_path


# Findings that mean the file itself could not or must not be read.
FILE_LEVEL_CODES = (
    "file-unreadable", "file-encrypted", "file-too-large", "zip-bomb", "xml-entities", "intake-empty",
    "form-not-recognised", "read-timeout", "file-too-complex", "not-a-regular-file",
)
# Findings that depend on per-indicator weights: none when a form has no 分值 column at all
# (weight-column-missing says it once; 评分规则 §5 treats each weight as invalid).
WEIGHT_CODES = ("weight-invalid", "weights-sum", "level1-weights", "qualitative-band", "qualitative-score-missing",
                "self-score-high", "self-score-low", "score-over-weight", "total-mismatch")


def score_project(
    intake: Intake, profile: Profile, reader_problems: tuple[Problem, ...] = (), *,
    source_path: str = "", source_sha256: str = "", max_findings: int = DEFAULT_LIMITS.max_findings,
) -> Result:
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
    problems = cap_findings(sorted((*reader_problems, *found), key=sort_key), max_findings)
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


def cap_findings(found: list[Problem], limit: int) -> tuple[Problem, ...]:
    """At most `limit` findings (in sort order), then one that counts the rest."""
    if limit <= 0 or len(found) <= limit:
        return tuple(found)
    closing = problem("too-many-findings", WARNING, shown=limit, rest=len(found) - limit)
    return (*found[:limit], closing)


_NOT_REGULAR = (
    (stat.S_ISDIR, "文件夹", "a folder"),
    (stat.S_ISFIFO, "命名管道（FIFO）", "a FIFO"),
    (stat.S_ISCHR, "设备文件", "a device"),
    (stat.S_ISBLK, "设备文件", "a device"),
    (stat.S_ISSOCK, "套接字", "a socket"),
)


def not_regular(mode: int) -> Problem | None:
    """The finding for a path that is no regular file (never opened: a FIFO or /dev/zero would never end)."""
    if stat.S_ISREG(mode):
        return None
    for test, what, what_en in _NOT_REGULAR:
        if test(mode):
            return problem("not-a-regular-file", ERROR, what=what, what_en=what_en)
    return problem("not-a-regular-file", ERROR, what="特殊文件", what_en="a special file")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    # O_NONBLOCK: a FIFO swapped in after the check must not block the open.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "不是普通文件")
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def evaluate_file(
    path: str | Path, profile: Profile, *, display_path: str | None = None,
    limits: Limits | None = None, contained: bool = False,
) -> Result:
    """The first (for most files the only) project of a file; see evaluate_path."""
    return evaluate_path(path, profile, display_path=display_path, limits=limits, contained=contained)[0]


def evaluate_path(
    path: str | Path, profile: Profile, *, display_path: str | None = None,
    limits: Limits | None = None, contained: bool = False,
) -> tuple[Result, ...]:
    """Every project of a file, one Result each, in sheet order (forms.md "Which reader").

    An intake workbook and a Word report give one; a workbook of Annex forms
    one per form sheet. A file that cannot be read, or holds no form, gives
    one Result with `failure` set. Never raises for a bad file.

    `contained=True` reads it in a child process within `limits.max_memory_bytes`
    and `limits.max_seconds` (contained.py), as the CLI always does; the batch
    pool's workers are such processes already and call this with False.
    """
    path = Path(path)
    limits = limits or DEFAULT_LIMITS
    shown = printable_path(display_path or str(path))
    try:
        info = os.stat(path)
    except OSError as exc:
        failure = problem("file-unreadable", ERROR, reason=f"无法打开文件（{exc.strerror or exc}）")
        return (failed(shown, "", profile, failure),)
    refused = not_regular(info.st_mode)
    if refused is not None:
        return (failed(shown, "", profile, refused),)
    if contained:
        return evaluate_contained(path, profile, shown, limits)
    try:
        # Read once: the same bytes are hashed, checked and read (an over-size file is not read at all).
        data = read_file(path, limits)
    except IntakeError as exc:
        return (failed(shown, "", profile, exc.problem),)
    except OSError as exc:
        failure = problem("file-unreadable", ERROR, reason=f"无法打开文件（{exc.strerror or exc}）")
        return (failed(shown, "", profile, failure),)
    digest = hashlib.sha256(data).hexdigest()
    try:
        readings = read_forms_data(data, path.name, limits=limits)
        return tuple(_scored(reading, profile, shown, digest, limits) for reading in readings)
    except ReadTimeout as exc:
        return (failed(shown, digest, profile, timeout_problem(exc.seconds)),)
    except MemoryError:
        return (failed(shown, digest, profile, memory_problem(limits)),)
    except Exception as exc:  # a bug met on one file is that file's failure, never a traceback
        reason = f"{type(exc).__name__}: {exc}"[:300]
        return (failed(shown, digest, profile, problem("worker-crashed", ERROR, reason=reason, reason_en=reason)),)


def _scored(reading: Reading, profile: Profile, shown: str, digest: str, limits: Limits) -> Result:
    if reading.intake is None:
        found = sorted(reading.problems, key=sort_key)
        file_level = [p for p in found if p.cell is None and p.code in FILE_LEVEL_CODES]
        failure = file_level[0] if file_level else found[0]
        result = failed(shown, digest, profile, failure, cap_findings(found, limits.max_findings))
        return replace(result, source_form=reading.form, source_sheet=reading.sheet)
    result = score_project(reading.intake, profile, tuple(reading.problems), source_path=shown, source_sha256=digest,
                           max_findings=limits.max_findings)
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


def timeout_problem(seconds: float) -> Problem:
    return problem("read-timeout", ERROR, seconds=f"{seconds:g}")


def memory_problem(limits: Limits) -> Problem:
    size = human_size(limits.max_memory_bytes)
    return problem("file-too-complex", ERROR, what=f"读取所需内存超过 {size}", what_en=f"reading it needs more than {size} of memory")


def _evaluate_within(path: Path, profile: Profile, shown: str, limits: Limits) -> tuple[Result, ...]:
    with deadline(limits.max_seconds):
        return evaluate_path(path, profile, display_path=shown, limits=limits)


def evaluate_contained(path: Path, profile: Profile, shown: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Result, ...]:
    """evaluate_path in a child process: an abort, a segfault, memory or an endless loop is one finding."""
    try:
        return run_contained(_evaluate_within, path, profile, shown, limits,
                             max_memory_bytes=limits.max_memory_bytes, max_seconds=limits.max_seconds)
    except ReadTimeout:
        return (failed(shown, digest_or_blank(path, limits), profile, timeout_problem(limits.max_seconds)),)
    except MemoryError:
        return (failed(shown, digest_or_blank(path, limits), profile, memory_problem(limits)),)
    except ChildDied as died:
        reason = f"读取进程异常退出（{signal_name(died.exitcode)}），文件可能过于复杂或已损坏"
        reason_en = f"the reading process died ({signal_name(died.exitcode)})"
        return (failed(shown, digest_or_blank(path, limits), profile,
                      problem("worker-crashed", ERROR, reason=reason, reason_en=reason_en)),)
    except RuntimeError as exc:
        reason = str(exc)[:300]
        return (failed(shown, digest_or_blank(path, limits), profile,
                      problem("worker-crashed", ERROR, reason=reason, reason_en=reason)),)


def digest_or_blank(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """The file's SHA-256 as its record gives it; "" for one too large to be read, or not readable."""
    try:
        return sha256_of(path) if os.stat(path).st_size <= limits.max_file_bytes else ""
    except OSError:
        return ""


def failed(path: str, digest: str, profile: Profile, failure: Problem, found: tuple[Problem, ...] = ()) -> Result:
    # No reader took the file: source.form is null in its record.
    path = printable_path(path)     # a name that is not UTF-8 is shown escaped, in every output
    return Result(path, digest, profile, None, None, (), None, None, None, found or (failure,), failure, source_form=None)
