"""The indicator table of an Annex form: its header (one row or two), its rows, its total row.

Columns are found by label in any order (annex_labels.INDICATOR_LABELS); a
group label over sub-columns (年度指标值 over 指标性质 | 指标值 | 度量单位)
makes a two-row header. Template residue (`指标1：`, empty `指标2` and `……`
rows), ★/※ marks and subtotal rows are not data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .. import levels
from ..cells import a1
from ..model import IndicatorRow, SpecialRow
from ..problems import ERROR, Problem, problem
from ..text import normalise, normalise_label, text_of
from .annex_labels import (
    BARE_NAME, INDICATOR_LABELS, NAME_MARKS, RESIDUE_NAMES, TABLE_END_WORDS, TOTAL_WORDS, lookup,
)
from .base import Sheet
from .intake import header_key, number_of

_COLUMNS = lookup(INDICATOR_LABELS)
_BARE_NAME = {label: "name" for label in BARE_NAME}
_SPLIT_KEYS = {"nature", "target", "unit"}
_NAME_PREFIX = re.compile(r"^指标\d+[:：]")
_RESIDUE_ROW = re.compile(r"^指标(\d+|N|n)$")
_DASHES = {"-", "/", "--", "—", "——", "、"}
GRADE_RANKS = {"优": 0, "优秀": 0, "良": 1, "良好": 1, "中": 2, "合格": 2, "及格": 2, "差": 3, "不合格": 3, "不及格": 3}
_GRADE_TEXT = re.compile(r"^(?:(?:自评|评价|绩效)?等级|评价结果|自评结果)?[:：]?(优秀|良好|不合格|不及格|合格|及格|优|良|中|差)$")


@dataclass(frozen=True)
class Header:
    row: int                 # 0-based row of the (first) header row
    start: int               # 0-based first data row
    columns: dict[str, int]  # key -> 0-based column


@dataclass(frozen=True)
class Table:
    indicators: tuple[IndicatorRow, ...]
    budget_row: SpecialRow | None
    totals: tuple[SpecialRow, ...]
    has_reason: bool
    has_achievement: bool
    has_weight: bool
    printed_grade: tuple[str, str, str] | None
    end: int                 # 0-based row after the table


def _keys(row: list[object]) -> dict[int, str]:
    keys: dict[int, str] = {}
    for c, cell in enumerate(row):
        if isinstance(cell, str) and cell.strip():
            key = header_key(cell, _COLUMNS)
            if key is not None:
                keys[c] = key
    if "level2" in keys.values():
        for c, cell in enumerate(row):
            if c not in keys and isinstance(cell, str) and header_key(cell, _BARE_NAME):
                keys[c] = "name"
    return keys


def _columns(keys: dict[int, str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for c, key in sorted(keys.items()):
        columns.setdefault(key, c)
    return columns


def find_header(sheet: Sheet) -> Header | None:
    """The first row (or pair of rows) naming an indicator, a target and an actual column."""
    rows = sheet.rows
    for r, row in enumerate(rows):
        top = _keys(row)
        if len(top) < 2:
            continue
        below = _keys(rows[r + 1]) if r + 1 < len(rows) else {}
        two_rows = len(below) >= 2 and bool(set(below.values()) & _SPLIT_KEYS) and not _has_number(rows[r + 1])
        keys = dict(top)
        if two_rows:
            keys.update(below)
        columns = _columns(keys)
        if "name" in columns and "actual" in columns and ("target" in columns or "nature" in columns):
            return Header(r, r + 2 if two_rows else r + 1, columns)
    return None


def _has_number(row: list[object]) -> bool:
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def dash(value: object) -> bool:
    return isinstance(value, str) and normalise(value) in _DASHES


def _number(value: object, cell: str, sheet: str, field: str, found: list[Problem]) -> Decimal | None:
    if dash(value):
        return None
    number, ok = number_of(value, strip_unit="分")
    if not ok:
        found.append(problem("not-a-number", ERROR, sheet, cell, value=text_of(value), field=field))
    return number


def clean_name(text: str) -> str:
    text = text.strip()
    for mark in NAME_MARKS:
        text = text.replace(mark, "")
    return _NAME_PREFIX.sub("", text.strip()).strip()


def _is_residue(name: str) -> bool:
    bare = normalise(name)
    return bare in RESIDUE_NAMES or bool(_RESIDUE_ROW.match(bare)) or (bool(bare) and set(bare) <= set(".。…"))


def read_table(sheet: Sheet, header: Header, found: list[Problem]) -> Table:
    columns, rows, name = header.columns, sheet.rows, sheet.name
    has_weight = "weight" in columns
    if not has_weight:
        found.append(problem("weight-column-missing", ERROR, name, a1(header.row, min(columns.values()))))
    indicators: list[IndicatorRow] = []
    totals: list[SpecialRow] = []
    budget_row: SpecialRow | None = None
    grade: tuple[str, str, str] | None = None
    level1 = level2 = ""
    r = header.start
    for r in range(header.start, len(rows)):
        row = rows[r]
        filled = [value for value in row if not is_blank(value)]
        if not filled:
            continue
        first = normalise_label(filled[0])
        if any(first.startswith(word) for word in TABLE_END_WORDS):
            break
        raw = {key: (row[c] if c < len(row) else "") for key, c in columns.items()}
        cells = {key: a1(r, c) for key, c in columns.items()}
        texts = {key: text_of(value) for key, value in raw.items()}
        words = {levels.canonical_level1(texts.get(key, "")) for key in ("level1", "level2", "name")}
        if words & set(TOTAL_WORDS) or (first in TOTAL_WORDS):
            weight = _number(raw.get("weight"), cells.get("weight", ""), name, "合计分值", found) if has_weight else None
            score = _number(raw.get("self_score"), cells.get("self_score", ""), name, "合计得分", found)
            totals.append(SpecialRow(r + 1, weight, score, cells, texts.get("weight", "")))
            grade = _grade(sheet, r)
            r += 1
            break
        if words & {"小计"}:
            level1, level2 = levels.carry_down(texts, level1, level2)
            continue
        text_name = clean_name(texts.get("name", ""))
        content = [texts.get(key, "") for key in ("target", "actual", "weight", "self_score", "nature")]
        if _is_residue(text_name) and not any(content):
            continue
        if not text_name and not any(texts.get(key) for key in ("target", "actual", "nature")):
            level1, level2 = levels.carry_down(texts, level1, level2)   # a subtotal: a level name and its points
            continue
        row_level1 = levels.canonical_level1(texts.get("level1", ""))
        if normalise_label(text_name) == levels.BUDGET_NAME or row_level1 == levels.BUDGET_LEVEL1:
            if budget_row is None:
                weight = _number(raw.get("weight"), cells.get("weight", ""), name, "预算执行分值", found) if has_weight else None
                score = _number(raw.get("self_score"), cells.get("self_score", ""), name, "预算执行得分", found)
                budget_row = SpecialRow(r + 1, weight, score, cells, texts.get("weight", ""))
            continue
        level1, level2 = levels.carry_down(texts, level1, level2)
        indicators.append(_indicator(sheet, r, raw, texts, cells, columns, level1, level2, text_name, has_weight, found))
    else:
        r = len(rows)
    return Table(tuple(indicators), budget_row, tuple(totals), "reason" in columns, "achievement" in columns,
                 has_weight, grade, r)


def _indicator(sheet, r, raw, texts, cells, columns, level1, level2, name, has_weight, found) -> IndicatorRow:
    weight = None
    if has_weight:
        weight, ok = number_of(raw.get("weight"), strip_unit="分")
        weight = weight if ok else None
    self_score = _number(raw.get("self_score"), cells.get("self_score", ""), sheet.name, "自评得分", found)
    actual = raw.get("actual")
    percent = "actual" in columns and (r, columns["actual"]) in sheet.percent
    target_text = texts.get("target", "")
    target = raw.get("target")
    if "target" in columns and (r, columns["target"]) in sheet.percent and isinstance(target, (int, float)) \
            and not isinstance(target, bool):
        target_text = text_of(Decimal(repr(target)) * 100) + "%"
    if not level1 and level2:
        level1 = levels.parent_of(level2) or ""
    if not cells.get("target") and "nature" in cells:
        cells["target"] = cells["nature"]
    return IndicatorRow(
        row=r + 1,
        level1=level1,
        level2=level2,
        name=name,
        weight=weight,
        weight_text=texts.get("weight", "") if has_weight else "",
        target=normalise(target_text),
        nature=texts.get("nature", ""),
        unit=texts.get("unit", ""),
        actual=normalise(actual) if isinstance(actual, str) else actual,
        actual_is_percent=percent and isinstance(actual, (int, float)) and not isinstance(actual, bool),
        achievement=texts.get("achievement", ""),
        self_score=self_score,
        reason=texts.get("reason", ""),
        cells={key: cells[key] for key in cells if key not in ("completion", "review", "method")},
    )



def _grade(sheet: Sheet, r: int) -> tuple[str, str, str] | None:
    """A grade printed on the total row or the row below it (`优`, `自评等级：良`)."""
    for rr in (r, r + 1):
        if rr >= len(sheet.rows):
            break
        for c, value in enumerate(sheet.rows[rr]):
            if isinstance(value, str):
                match = _GRADE_TEXT.match(normalise(value))
                if match:
                    return match.group(1), sheet.name, a1(rr, c)
    return None
