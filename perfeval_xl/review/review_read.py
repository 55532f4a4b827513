"""The filled 复核表 read back and matched to the batch's records: 复核总分, grade, differences.

`read_form` reads the workbook (openpyxl, values only) into raw lines; `apply`
is pure: it checks every filled 复核得分 against the line's 分值 in the record
(a text, a negative score or one above 分值 is a `review-score-invalid`
finding with its cell, and that line keeps the computed score), refuses a
project whose record is not there or whose source file changed since the
batch, and gives each reviewed project its `review` object. A line left blank
accepts the computed score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..cells import a1
from ..display import half_up
from ..problems import ERROR, Problem, problem
from ..text import normalise
from ..writers.review_books import FORM_COLUMNS, REVIEW_SHEET

CENT = Decimal("0.01")
Ident = tuple[str, str, str]      # source path, sheet, SHA-256


@dataclass(frozen=True)
class Filled:
    key: str              # "预算" or the indicator row
    value: object         # the 复核得分 cell as read (None: blank)
    comment: str
    cell: str             # the 复核得分 cell, e.g. J5


@dataclass
class Form:
    projects: dict[Ident, list[Filled]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class FormError(ValueError):
    """The workbook is not a 复核表 at all (no sheet, no header)."""


def read_form(path: Path) -> Form:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception as exc:     # any reason openpyxl cannot open it: the whole run stops with it
        raise FormError(f"无法打开 {path}：{type(exc).__name__}: {exc}") from None
    try:
        if REVIEW_SHEET not in workbook.sheetnames:
            raise FormError(f"{path} 中没有“{REVIEW_SHEET}”工作表：应为 perfeval sample 写出的复核表")
        rows = workbook[REVIEW_SHEET].iter_rows(values_only=True)
        form, columns = Form(), None
        for number, row in enumerate(rows, start=1):
            if columns is None:
                labels = [normalise(value) for value in row]
                if all(label in labels for label in FORM_COLUMNS):
                    columns = {label: labels.index(label) for label in FORM_COLUMNS}
                continue

            def at(label: str):
                index = columns[label]
                return row[index] if index < len(row) else None

            source, key = at("源文件"), at("行")
            if not source or key is None:
                continue
            ident = (str(source), str(at("工作表") or ""), str(at("SHA-256") or ""))
            comment = at("复核意见")
            form.projects.setdefault(ident, []).append(Filled(
                str(key), at("复核得分"), "" if comment is None else str(comment),
                a1(number - 1, columns["复核得分"])))
        if columns is None:
            raise FormError(f"{path} 的“{REVIEW_SHEET}”中找不到表头（{'、'.join(FORM_COLUMNS[:10])}……）")
        return form
    finally:
        workbook.close()


def _score(value: object) -> Decimal | None | str:
    """The filled score as a Decimal, None when blank, or the reason it is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return "不是数字"
    if isinstance(value, (int, float)):
        try:
            number = Decimal(repr(value))
        except InvalidOperation:
            return "不是数字"
        return number if number.is_finite() else "不是数字"
    try:
        number = Decimal(normalise(value))
    except InvalidOperation:
        return "不是数字"
    return number if number.is_finite() else "不是数字"


def _lines(record: dict) -> dict[str, tuple[str, Decimal, Decimal]]:
    """key -> (name, 分值, 核算得分) of a record's scored lines."""
    budget = record.get("budget") or {}
    lines = {"预算": ("预算执行率", Decimal(str(budget.get("weight") or 0)), Decimal(str(budget.get("score") or 0)))}
    for item in record.get("indicators") or []:
        lines[str(item["row"])] = (item.get("name") or "", Decimal(str(item.get("weight") or 0)),
                                   Decimal(str(item.get("score") or 0)))
    return lines


def review_of(record: dict, filled: list[Filled], grade, problems: list[Problem]) -> dict:
    """The `review` object of one record; bad scores are appended to `problems`."""
    lines = _lines(record)
    given: dict[str, tuple[Decimal, str]] = {}
    comments: dict[str, str] = {}
    for item in filled:
        if item.key not in lines:
            continue
        name, weight, _ = lines[item.key]
        if item.comment.strip():
            comments[item.key] = item.comment
        score = _score(item.value)
        if score is None:
            continue
        reason = score if isinstance(score, str) else (
            "小于 0" if score < 0 else f"大于分值 {weight.normalize():f}" if score > weight else "")
        if reason:
            problems.append(problem("review-score-invalid", ERROR, REVIEW_SHEET, item.cell, value=item.value,
                                    reason=reason, reason_en={"不是数字": "not a number", "小于 0": "below 0"}.get(
                                        reason, "above the weight")))
            continue
        given[item.key] = (score, name)
    total = Decimal(0)
    changed = []
    for key, (name, weight, computed) in lines.items():
        score = given[key][0] if key in given else computed
        total += half_up(score, CENT)
        if key in given or key in comments:
            changed.append({
                "row": "budget" if key == "预算" else int(key), "name": name, "weight": float(weight),
                "computed": float(computed), "score": float(half_up(score, CENT)),
                "difference": float(half_up(score - computed, CENT)), "comment": comments.get(key, ""),
            })
    total = half_up(total, CENT)
    self_total = record.get("self_total")
    computed_total = Decimal(str(record["total_score"]))
    return {
        "total": float(total),
        "grade": grade(total),
        "computed_total": float(computed_total),
        "computed_grade": record.get("grade"),
        "difference_to_computed": float(total - computed_total),
        "difference_to_self": None if self_total is None else float(total - Decimal(str(self_total))),
        "lines_reviewed": len(given),
        "lines": changed,
    }


def apply(form: Form, records: list[dict], digest_now, grade_for) -> tuple[dict[int, dict], list[Problem]]:
    """The `review` object of each reviewed record (by its index in `records`) and every finding.

    `digest_now(path)` is the source file's SHA-256 now (None when it cannot be
    read); `grade_for(record)` the grade function of the record's profile.
    """
    problems = list(form.problems)
    by_ident = {}
    for index, record in enumerate(records):
        if record.get("project") and record.get("total_score") is not None and not record.get("superseded_by"):
            source = record["source"]
            by_ident[(source["path"], source.get("sheet") or "", source.get("sha256") or "")] = index
    reviews: dict[int, dict] = {}
    for ident, filled in form.projects.items():
        index = by_ident.get(ident)
        if index is None:
            problems.append(problem("review-project-unknown", ERROR, REVIEW_SHEET, filled[0].cell, path=ident[0]))
            continue
        if digest_now(ident[0]) != ident[2]:
            problems.append(problem("review-source-changed", ERROR, REVIEW_SHEET, filled[0].cell, path=ident[0]))
            continue
        reviews[index] = review_of(records[index], filled, grade_for(records[index]), problems)
    return reviews, problems
