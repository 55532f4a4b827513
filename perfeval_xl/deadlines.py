"""Deadline targets (时效指标) and the dates that meet them: scoring.md §2.

`11月底前`, `12月底之前完成`, `2021年12月完成`, `2024年11月30日前`, `年底前`
set a deadline; an actual is a date or a month (`10月`, `2021年11月`,
`2021-11-28`, a date cell). Texts come in normalised, with trailing remarks
and punctuation already peeled off (targets.py does both). Pure, stdlib only.
"""

from __future__ import annotations

import datetime as dt
import re

from .model import Deadline

# A date, then 前 or 完成 (scoring.md §2, deadline targets).
_DEADLINE = re.compile(
    r"(?:于|在)?(?:(?P<year>\d{4})年|(?P<thisyear>年度|本年|当年|年))?"
    r"(?:(?P<month>\d{1,2})月(?:份)?(?:(?P<day>\d{1,2})[日号])?)?"
    r"(?P<end>底|末)?(?P<before>之前|以前|前)?"
    r"(?P<done>(?:全部|按期|按时)?完成(?:验收|建设|任务)?)?"
)
# An actual date or month: `10月`, `2021年11月`, `11月28日完成`, `2021-11-28`.
_ACTUAL_DATE = re.compile(
    r"(?:已于|于|在|已在|已)?(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?:份)?(?:(?P<day>\d{1,2})[日号])?"
    r"(?:底|末|初|上旬|中旬|下旬)?(?:之前|以前|前)?(?:已?(?:全部|按期|按时)?完成(?:验收|建设|任务)?)?"
)
_ISO_DATE = re.compile(
    r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})(?:[-/.](?P<day>\d{1,2}))?(?:T[0-9:.]+)?(?:已?完成)?"
)


def parse_deadline(text: str) -> Deadline | None:
    """The deadline a target sets, or None when it is not one (a date needs 前 or 完成 after it)."""
    match = _DEADLINE.fullmatch(text)
    if not match or not (match["before"] or match["done"]):
        return None
    if match["month"] is None and not (match["end"] and (match["year"] or match["thisyear"])):
        return None
    if match["thisyear"] and match["month"]:
        return None
    return _date_parts(match["year"], int(match["month"] or 12), match["day"])


def parse_date(value: object) -> Deadline | None:
    """A date cell, or a text that is a date or a month, as (year, month, day)."""
    if isinstance(value, (dt.datetime, dt.date)):
        return Deadline(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    match = _ACTUAL_DATE.fullmatch(value) or _ISO_DATE.fullmatch(value)
    if not match:
        return None
    return _date_parts(match["year"], int(match["month"]), match["day"])


def _date_parts(year: str | None, month: int, day: str | None) -> Deadline | None:
    year_number = int(year) if year else None
    day_number = int(day) if day else None
    if not 1 <= month <= 12:
        return None
    if day_number is not None:
        try:
            dt.date(year_number or 2000, month, day_number)   # 2000: a leap year, so 2月29日 stands
        except ValueError:
            return None
    return Deadline(year_number, month, day_number)


def deadline_met(deadline: Deadline, actual: Deadline, year: int | None) -> bool:
    """An actual date or month not later than the deadline (scoring.md §2).

    The deadline's year is the target's, else the evaluation year; an actual
    without a year takes the deadline's. When either side has no day, months
    are compared (`11月` meets `11月30日前`).
    """
    deadline_year = deadline.year or year or actual.year
    actual_year = actual.year or deadline_year
    if deadline_year is None:
        deadline_year = actual_year = 0
    if (actual_year, actual.month) != (deadline_year, deadline.month) or deadline.day is None or actual.day is None:
        return (actual_year, actual.month) <= (deadline_year, deadline.month)
    return actual.day <= deadline.day
