"""Reading 年度指标值 (targets) and 实际完成值 (actuals): scoring.md §2.

A target is an operator, a number or a range, and a unit, or else it is
qualitative. People type these by hand in Excel or WPS, so the same target
arrives as `≥95%`, `不低于95%`, `95%以上` or `≥９５％`; everything goes
through `text.normalise` first.

Two principles shape the parser:

- Never guess. A string that can be read two ways (`3次5人`, `≥95%或100%`,
  `较上年提高5%`) is UNREADABLE, so the caller can say so,
  rather than being scored against a number we made up.
- Only a number makes a target quantitative. `达到预期` and `控制在预算以内`
  carry operator words but no number: they are QUALITATIVE.

Pure: no I/O, stdlib only. Every number is a Decimal.

Longer than our usual 400 lines on purpose: the word tables, units and the
reading of targets and actuals share one set of helpers (_clean, _strip_tail,
_plain_unit) and are read together when a rule changes; deadline dates live
apart in deadlines.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

import datetime as dt
import unicodedata

from .model import (
    DEADLINE, MISSING, NOT_NUMBER, PERCENT_AS_FRACTION, POSITIVE, QUALITATIVE, RANGE, REVERSE, UNIT_MISMATCH,
    UNREADABLE, Actual, Deadline, Target,
)
from . import deadlines
from .display import as_percent
from .levels import is_cost
from .text import normalise

# --- numbers -------------------------------------------------------------

# Thousands separators only in groups of three, so `1,2次` stays two numbers
# (unreadable) instead of becoming 12. ASCII digits only: Decimal would also
# accept other scripts' digits, which nobody types into these forms.
_NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9])|[0-9]+(?:\.[0-9]+)?")
_SIGNED_NUMBER = re.compile(rf"[+-]?(?:{_NUMBER.pattern})")


# Excel keeps 15 significant digits; a figure this large in a form is a slip,
# and past float range it could not even be written back out.
MAX_MAGNITUDE = Decimal("1e15")


def parse_number(text: object) -> Decimal | None:
    """The number a cell holds, or None: `1,000` -> 1000; `98.65万元` -> None."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float, Decimal)):
        return _from_number(text)
    cleaned = normalise(text)
    if not _SIGNED_NUMBER.fullmatch(cleaned):
        return None
    number = _tidy(Decimal(cleaned.replace(",", "")))
    return number if abs(number) < MAX_MAGNITUDE else None


def _from_number(value: int | float | Decimal) -> Decimal | None:
    # str(float) keeps what the person saw: 0.1 stays 0.1, not 0.1000000000000000055...
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    return _tidy(number) if number.is_finite() and abs(number) < MAX_MAGNITUDE else None


def _tidy(number: Decimal) -> Decimal:
    """Drop trailing fractional zeros (98.00 -> 98) without exponent form.

    Decimal.normalize() would also do it, but turns 100 into 1E+2 and rounds
    to the context precision; this only shortens the digits.
    """
    sign, digits, exponent = number.as_tuple()
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    if exponent < 0 and digits == (0,):
        exponent = 0
    return Decimal((sign, digits, exponent))



def _is_nan(value: object) -> bool:
    # pandas reads an empty cell as float NaN: that is a blank, not a number.
    # Decimal.is_nan, not `value != value`: comparing a signalling NaN raises.
    return isinstance(value, (float, Decimal)) and Decimal(value).is_nan()


# --- units ---------------------------------------------------------------

# Spellings of one unit (scoring.md §2). Matched per part of a compound unit
# (`万元/千米` -> `万元/公里`), whole parts only, so 工作日 and 人日 stay apart
# from 日. 工作日 is not 天: five working days are not five calendar days.
_UNIT_SPELLINGS = {
    "百分比": "%",
    "日": "天",
    "千米": "公里",
    "个工作日": "工作日",
    "个小时": "小时",
}

# Scale prefixes: 万元 is 10000 元, 万人次 10000 人次, 亿元 10000 万元.
# Longest first, so 千万元 is not read as 千 × 万元. (千米 is already 公里.)
_PREFIXES = (
    ("千万", Decimal(10) ** 7),
    ("百万", Decimal(10) ** 6),
    ("亿", Decimal(10) ** 8),
    ("万", Decimal(10) ** 4),
    ("千", Decimal(10) ** 3),
)


def canonical_unit(unit: str) -> str:
    """One spelling per unit: `％` and 百分比 -> `%`, 日 -> 天, 千米 -> 公里, `人*月` -> `人·月`."""
    parts = _UNIT_TIMES.sub("·", normalise(unit)).split("/")
    return "/".join(_UNIT_SPELLINGS.get(part, part) for part in parts)


def _scale(unit: str) -> tuple[Decimal, str]:
    for prefix, factor in _PREFIXES:
        if unit.startswith(prefix):
            return factor, unit[len(prefix):]
    return Decimal(1), unit


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal | None:
    """`value` in `from_unit` expressed in `to_unit`, or None when they do not convert."""
    source, goal = canonical_unit(from_unit), canonical_unit(to_unit)
    if source == goal:
        return value
    source_factor, source_base = _scale(source)
    goal_factor, goal_base = _scale(goal)
    if source_base != goal_base:
        return None
    return _tidy(value * source_factor / goal_factor)


# --- operators -----------------------------------------------------------


def _longest_first(words: dict[str, str]) -> dict[str, str]:
    # Matched in this order, so 不低于 wins over 低于 and 以内 over 内.
    return dict(sorted(words.items(), key=lambda item: len(item[0]), reverse=True))


# 控制在 says "keep it at", not which side: `控制在95%以上` is ≥, while
# `控制在130万元` alone caps a cost, so without a suffix it reads as ≤.
_CONTROL = "控制在"
# `之间` closes a range (`90%-100%之间`); on a single number it means nothing.
_BETWEEN = "之间"

# Operator words and signs standing before the number (scoring.md §2 table,
# plus the everyday synonyms found in published 自评表).
_PREFIX_OPS = _longest_first({
    "≥": "≥", ">": ">", "≤": "≤", "<": "<", "=": "=",
    "不低于": "≥", "不少于": "≥", "不小于": "≥", "大于等于": "≥", "大于或等于": "≥",
    "至少": "≥", "最少": "≥", "达到": "≥", "达": "≥",
    "高于": ">", "大于": ">", "超过": ">", "多于": ">",
    "不超过": "≤", "不高于": "≤", "不多于": "≤", "不大于": "≤", "小于等于": "≤",
    "小于或等于": "≤", "最多": "≤", "至多": "≤",
    "低于": "<", "小于": "<", "少于": "<",
    "等于": "=",
    _CONTROL: _CONTROL,
})
# In an actual, `达到98%` states a fact ("reached 98 %"); it is not an
# operator copied from the target, so it must not raise operator-in-actual.
_ACTUAL_PREFIX_OPS = {word: op for word, op in _PREFIX_OPS.items() if word not in ("达到", "达")}

# Operator words after the number and unit. A bare `内` counts too: `5个工作日内`
# ("within five working days") is ≤ 5 工作日, like 以内.
_SUFFIX_OPS = _longest_first({
    "及以上": "≥", "或以上": "≥", "以上": "≥", "之上": "≥",
    "及以下": "≤", "或以下": "≤", "以下": "≤", "以内": "≤", "之内": "≤", "内": "≤",
    _BETWEEN: _BETWEEN,
})

# Words an actual may carry around its number without changing it (`100%完成`).
# Longest first, like the operator tables: 已完成 before 完成.
_FILLERS = ("全部完成", "已完成", "已达成", "已达标", "已实现", "完成", "达成", "达标", "实现")
# The word tables as tuples, in their order, for _ending.
_ORDERED = {id(table): tuple(table) for table in (_PREFIX_OPS, _ACTUAL_PREFIX_OPS, _SUFFIX_OPS, _FILLERS)}

# Sign spellings that text.normalise leaves alone or as two characters, and
# operator glyphs seen on real forms (scoring.md §2): `═` (U+2550, a
# box-drawing line some systems print for `=`) and the angle quotes `‹= ›=`.
_SIGN_FIXES = (
    ("‹=", "≤"), ("›=", "≥"), ("‹", "<"), ("›", ">"), ("═", "="),
    ("=>", "≥"), ("=<", "≤"), ("≥=", "≥"), ("≤=", "≤"), ("==", "="),
)
# `*`, `×`, `·` (and the katakana dot) between two letters of a unit are one
# sign: `元/人*月` = `元/人·月` = `元/人×月` (scoring.md §2).
_UNIT_TIMES = re.compile(r"(?<=[^\d\s.,])[*×・•](?=[^\d\s.,])")
_SIGNS = "≥>≤<="
_DIRECTION = {"≥": 1, ">": 1, "≤": -1, "<": -1, "=": 0, _CONTROL: 0}
_MIRROR = {"≥": "≤", ">": "<", "≤": "≥", "<": ">"}

# Words that make the number something other than the target level: a change
# (较上年提高5%), an approximation (约100人, 100人左右), a deadline (12月底前,
# 提前3天), a rate per period (每月1次), alternatives (或, 且), a task (3天完成),
# a rank (第1名, 前3名: lower is better, so neither positive nor a plain count).
# Their presence makes a text unreadable. Labels and units get separate lists
# because 前/后 are harmless in a label (后勤保障率≥95%) but not after a number.
_CHANGE = r"较|相比|同比|环比|上年|去年|提高|提升|增长|增加|增幅|下降|降低|减少|降幅|每|或|且"
_PROSE_LABEL = re.compile(rf"{_CHANGE}|提前|约$|大约|大概|第|前$")
_PROSE_UNIT = re.compile(rf"{_CHANGE}|左右|前|后|底|初|完成")
# Signs and brackets inside a label or unit mean we have misread the layout.
_STRAY = re.compile(r"[≥>≤<=≈≠±~+*()\[\]【】\-]")
# Longer than any unit seen in the forms (万元/平方米 is 6): a phrase, not a unit.
_MAX_UNIT = 8

_TRAILING_REMARK = re.compile(r"(\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】)$")
_TRAILING_PUNCT = "。.;,、!?:"
_RANGE_SEPARATOR = re.compile(r"(?P<unit>.*?)(?:-|~|至|到)(?P<sign>-?)")


def _clean(value: object) -> str:
    text = "" if _is_nan(value) else normalise(value)
    for old, new in _SIGN_FIXES:
        text = text.replace(old, new)
    return _UNIT_TIMES.sub("·", text)


def _strip_tail(
    text: str, words: dict[str, str], fillers: tuple[str, ...] = ()
) -> tuple[str, list[str]]:
    """Peel remarks, punctuation, operator words (and fillers) off the end.

    Repeated, because they stack in any order: `95%(含)以上`, `≤5天以内。`.
    A bracket that is the whole text is kept: it is not a trailing remark.
    """
    ops: list[str] = []
    while True:
        remark = _TRAILING_REMARK.search(text)
        if remark and remark.start() > 0:
            text = text[: remark.start()]
            continue
        if text and text[-1] in _TRAILING_PUNCT:
            text = text[:-1]
            continue
        word = _ending(text, words) or _ending(text, fillers)
        if not word:
            return text, ops
        text = text[: -len(word)]
        if word in words:
            ops.append(words[word])


def _strip_head(text: str, words: dict[str, str]) -> tuple[str, list[str]]:
    """Peel operator signs and words off the end of the text before a number."""
    ops: list[str] = []
    while word := _ending(text, words):
        ops.append(words[word])
        text = text[: -len(word)]
    return text, ops


def _split_head(head: str, words: dict[str, str]) -> tuple[str, list[str], bool]:
    """The text before a number as (label, operators, negative).

    A `-` right before the number is its sign (`-5`, `≥-5`); a `-` between
    two numbers never reaches here, it is the range separator.
    """
    negative = head.endswith("-")
    label, ops = _strip_head(head.removesuffix("-"), words)
    return label, ops, negative


def _ending(text: str, words: Iterable[str]) -> str | None:
    """The first of `words` (kept longest first) that ends `text`."""
    ordered = _ORDERED.get(id(words))
    if ordered is None:
        ordered = tuple(words)
    # SPEED: one C-level endswith over all the words answers "none" for most
    # texts; only a text that ends in one of them is searched word by word.
    if not text.endswith(ordered):
        return None
    return next((word for word in ordered if text.endswith(word)), None)


def _resolve(ops: list[str]) -> str | None:
    """One operator from all that were written, or raise ValueError on ≥ with ≤."""
    directions = {_DIRECTION[op] for op in ops}
    if 1 in directions and -1 in directions:
        raise ValueError("operators point both ways")
    for op in ops:
        if _DIRECTION[op]:
            return op
    if _CONTROL in ops:
        return "≤"
    return "=" if "=" in ops else None


def _plain_label(label: str) -> bool:
    """Words before the number (`满意度≥95%`) are a label we may ignore, unless
    they change what the number means."""
    return not (_PROSE_LABEL.search(label) or _STRAY.search(label))


def _plain_unit(unit: str) -> bool:
    return len(unit) <= _MAX_UNIT and not (_PROSE_UNIT.search(unit) or _STRAY.search(unit))


def _signed(match: re.Match, negative: bool) -> Decimal:
    number = Decimal(match.group().replace(",", ""))
    return _tidy(-number if negative else number)


# --- targets -------------------------------------------------------------


def parse_target(
    text: object, *, nature: object = "", unit: object = "", level2: object = "", level1: object = ""
) -> Target:
    """Read a 年度指标值 with its 指标性质, 计量单位 and 一级/二级指标 cells."""
    written = _clean(text)
    column_unit = canonical_unit(_clean(unit))
    written_nature = _clean(nature)
    if "定性" in written_nature:
        return _other(QUALITATIVE, written)
    deadline = parse_deadline(written)
    if deadline is not None:
        return Target(DEADLINE, None, None, None, None, "", written, deadline=deadline)
    if _unknown_nature(written_nature):
        return Target(UNREADABLE, None, None, None, None, "", written, sign=written_nature, sign_in="nature")
    core, suffix_ops = _strip_tail(written, _SUFFIX_OPS)
    numbers = list(_NUMBER.finditer(core))
    if not numbers:
        return _without_number(written, core)
    if len(numbers) == 2:
        return _range(written, core, numbers, suffix_ops, column_unit)
    if len(numbers) > 2:
        return _other(UNREADABLE, written)
    return _single(written, core, numbers[0], suffix_ops, column_unit, nature, is_cost(level1, level2))


# --- signs nobody listed -------------------------------------------------

# A sign in front of the number that is none of the known operators (`≈95%`,
# `≌100`, `※95%`) is never dropped silently (scoring.md §2): the target is
# unreadable with the sign named, and the caller warns `operator-unknown`.
_UNKNOWN_SIGN_CATEGORIES = ("Sm", "So", "Sk")
_UNKNOWN_SIGN_CHARS = "*※#@&^|\\"
_TOLERANCE = "±"


def _is_sign(char: str) -> bool:
    return char != "%" and (unicodedata.category(char) in _UNKNOWN_SIGN_CATEGORIES or char in _UNKNOWN_SIGN_CHARS)


def _unknown_nature(written_nature: str) -> bool:
    """指标性质 holding only signs, none of them an operator we know."""
    if not written_nature or _nature_op(written_nature) is not None:
        return False
    return len(written_nature) <= 3 and all(_is_sign(char) for char in written_nature)


# --- deadlines (时效指标, deadlines.py) ------------------------------------


def parse_deadline(written: str) -> Deadline | None:
    """The deadline a normalised target sets, or None when it is not one."""
    text, _ = _strip_tail(written, {})
    return deadlines.parse_deadline(text)


def _actual_date(value: object) -> Deadline | None:
    if isinstance(value, str):
        value, _ = _strip_tail(_clean(value), {})
    return deadlines.parse_date(value)


deadline_met = deadlines.deadline_met


# --- not applicable ------------------------------------------------------

_NOT_APPLICABLE = frozenset({"无", "不适用", "n/a", "N/A", "NA"})


def is_not_applicable(value: object) -> bool:
    """A not-applicable mark: `/`, `—`, `-` (repeated or not), 无, 不适用."""
    if not isinstance(value, str):
        return False
    text = _clean(value)
    return text in _NOT_APPLICABLE or (bool(text) and set(text) <= {"/", "-"})


def _other(kind: str, written: str) -> Target:
    return Target(kind, None, None, None, None, "", written)


def _without_number(written: str, core: str) -> Target:
    """No number: qualitative, unless the text is a bare operator (`≥`)
    or carries a sign (`≥良好`, `≥三次`): someone meant a number there."""
    rest, _ = _strip_head(core, _PREFIX_OPS)
    if written and (not rest or any(sign in written for sign in _SIGNS)):
        return _other(UNREADABLE, written)
    return _other(QUALITATIVE, written)


def _single(written, core, number, suffix_ops, column_unit, nature, cost) -> Target:
    label, head_ops, negative = _split_head(core[: number.start()], _PREFIX_OPS)
    tail = core[number.end():]
    if label.endswith(_TOLERANCE) and not head_ops and not negative:
        return _tolerance(written, label[:-1], number, suffix_ops, tail, column_unit)
    if label and _is_sign(label[-1]) and _plain_unit(tail):
        return Target(UNREADABLE, None, None, None, None, "", written, sign=label[-1], sign_in="target")
    if _BETWEEN in suffix_ops or not (_plain_label(label) and _plain_unit(tail)):
        return _other(UNREADABLE, written)
    try:
        op = _resolve(head_ops + suffix_ops)
    except ValueError:
        return _other(UNREADABLE, written)
    kind, op = _direction(op, nature, cost)
    value = _signed(number, negative)
    if abs(value) >= MAX_MAGNITUDE:
        return _other(UNREADABLE, written)
    return Target(kind, op, value, None, None, canonical_unit(tail) or column_unit, written)


def _tolerance(written, label, number, suffix_ops, tail, column_unit) -> Target:
    """`±10%` (成本控制率 ±10%) is the range [−10, 10] (scoring.md §2)."""
    if any(op != "≤" for op in suffix_ops) or not (_plain_label(label) and _plain_unit(tail)):
        return _other(UNREADABLE, written)
    value = _signed(number, False)
    if value >= MAX_MAGNITUDE:
        return _other(UNREADABLE, written)
    return Target(RANGE, None, None, -value if value else value, value, canonical_unit(tail) or column_unit, written)


def _direction(op: str | None, nature: object, cost: bool) -> tuple[str, str | None]:
    """Kind and operator of a single-number target (scoring.md §2).

    正向/反向 in 指标性质 decide whatever the sign; an operator that stands
    only in 指标性质 is used when the text has none; only a bare number under
    成本指标 is reverse (`=20万元` there is positive).
    """
    written_nature = _clean(nature)
    forced = POSITIVE if "正向" in written_nature else REVERSE if "反向" in written_nature else None
    if op is None:
        op = _nature_op(written_nature)
    if forced:
        # Keep strictness but turn the sign to match: 反向 with `≥95%` is ≤ 95.
        if _DIRECTION.get(op, 0) and (forced == POSITIVE) != (_DIRECTION[op] > 0):
            op = _MIRROR[op]
        return forced, op
    if op is None:
        return (REVERSE if cost else POSITIVE), None
    return (REVERSE if _DIRECTION[op] < 0 else POSITIVE), op


def _nature_op(written_nature: str) -> str | None:
    rest, ops = _strip_head(written_nature, _PREFIX_OPS)
    if rest or not ops:
        return None
    try:
        return _resolve(ops)
    except ValueError:
        return None


def _range(written, core, numbers, suffix_ops, column_unit) -> Target:
    """`90%-100%`, `3至5天`, `1-2次`: a `-` between two numbers is a range.

    Operators other than 控制在 before it or 之间 after it make it
    unreadable (`≥90-100%` has no single reading); 正向/反向 in 指标性质 do
    not apply to a target with two ends.
    """
    first, second = numbers
    label, head_ops, negative = _split_head(core[: first.start()], _PREFIX_OPS)
    middle = _RANGE_SEPARATOR.fullmatch(core[first.end(): second.start()])
    tail = core[second.end():]
    if (
        middle is None
        or any(op != _CONTROL for op in head_ops)
        or any(op != _BETWEEN for op in suffix_ops)
        or not (_plain_label(label) and _plain_unit(middle["unit"]) and _plain_unit(tail))
        # `0.-0`: a dot after a number is a slip in the number, not a unit
        or middle["unit"].startswith(".") or tail.startswith(".")
    ):
        return _other(UNREADABLE, written)
    low, high = _signed(first, negative), _signed(second, bool(middle["sign"]))
    if max(abs(low), abs(high)) >= MAX_MAGNITUDE:
        return _other(UNREADABLE, written)
    low_unit, high_unit = canonical_unit(middle["unit"]), canonical_unit(tail)
    if low_unit and high_unit:
        low = convert(low, low_unit, high_unit)
    unit = high_unit or low_unit or column_unit
    if low is None or low > high:
        return _other(UNREADABLE, written)
    return Target(RANGE, None, None, low, high, unit, written)


# --- actuals -------------------------------------------------------------


def parse_actual(value: object, target: Target, *, percent_format: bool = False) -> Actual:
    """Read a 实际完成值 against its target, converted into the target's unit.

    `percent_format` says the cell is a number shown as a percentage (0.98
    shown as 98%): the person saw 98 %, so that is what counts. It applies to
    numeric cells only; text (`98%`, `0.98`) is read as written. Against a
    deadline the actual is read as a date or a month (`date`), or not at all
    (words are the caller's, as qualitative levels).
    """
    if isinstance(value, (dt.datetime, dt.date)) and target.kind == DEADLINE:
        return Actual(None, "", False, None, date=_actual_date(value))
    if _is_nan(value) or value is None or _clean(value) == "":
        return Actual(None, "", False, MISSING)
    if target.kind == DEADLINE:
        return Actual(None, "", False, None, date=_actual_date(value))
    if target.kind not in (POSITIVE, REVERSE, RANGE):
        return Actual(None, "", False, None)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        number = _from_number(value)
        if number is None:
            return Actual(None, "", False, NOT_NUMBER)
        if percent_format:
            return _in_target_unit(_tidy(as_percent(number)), "%", False, target)
        return _as_fraction(_in_target_unit(number, "", False, target), target)
    actual = _actual_text(_clean(value), target)
    return _as_fraction(actual, target) if actual.unit == target.unit and _bare(value) else actual


# A plain number this small against a percent target this large is likely a
# fraction typed into a General cell: 0.98 for 98 % (scoring.md §2).
FRACTION_AT_MOST = Decimal("1.5")
PERCENT_AT_LEAST = Decimal(50)


def _bare(value: object) -> bool:
    return parse_number(value) is not None


def _as_fraction(actual: Actual, target: Target) -> Actual:
    level = target.high if target.kind == RANGE else target.value
    if (
        actual.error is None and actual.value is not None and target.unit == "%"
        and level is not None and level >= PERCENT_AT_LEAST and 0 < actual.value <= FRACTION_AT_MOST
    ):
        return Actual(actual.value, actual.unit, actual.operator_copied, PERCENT_AS_FRACTION)
    return actual


def _actual_text(written: str, target: Target) -> Actual:
    core, suffix_ops = _strip_tail(written, _SUFFIX_OPS, _FILLERS)
    numbers = list(_NUMBER.finditer(core))
    if len(numbers) != 1 or _BETWEEN in suffix_ops:
        return Actual(None, "", False, NOT_NUMBER)
    number = numbers[0]
    label, head_ops, negative = _split_head(core[: number.start()], _ACTUAL_PREFIX_OPS)
    tail = core[number.end():]
    # A label (`满意度98%`, `已完成12次`) is fine; `较上年提高5%` or `约100人` is
    # not the level reached, and `100%左右` not a number.
    if not (_plain_label(label) and _plain_unit(tail)):
        return Actual(None, "", False, NOT_NUMBER)
    copied = bool(head_ops or suffix_ops)
    value = _signed(number, negative)
    if abs(value) >= MAX_MAGNITUDE:
        return Actual(None, "", False, NOT_NUMBER)
    return _in_target_unit(value, canonical_unit(tail), copied, target)


def _in_target_unit(number: Decimal, unit: str, copied: bool, target: Target) -> Actual:
    """A bare number takes the target's unit; a target without a unit takes
    the actual's as is; otherwise the units must convert (scoring.md §2)."""
    if not unit:
        return Actual(number, target.unit, copied, None)
    if not target.unit:
        return Actual(number, unit, copied, None)
    converted = convert(number, unit, target.unit)
    if converted is None:
        return Actual(None, unit, copied, UNIT_MISMATCH)
    return Actual(converted, unit, copied, None)
