"""display.py: the one rounding rule and the one width rule."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from hypothesis import given, strategies as st

from perfeval_xl.display import half_up, percent_text, width


def _per_character(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


@given(st.text(max_size=60))
def test_width_counts_wide_and_full_width_characters_twice(text):
    assert width(text) == _per_character(text)


def test_width_of_typical_texts():
    assert width("") == 0
    assert width("ABC 12") == 6
    assert width("绩效指标!F3") == 11
    assert width("（见附件 2）") == 12       # five wide characters count two, the space and the 2 one
    assert width("𠀀") == 2                 # past the BMP (CJK extension B)


def test_one_rounding_rule_half_up():
    assert half_up(Decimal("0.985")) == Decimal("0.99")
    assert half_up(Decimal("12.345")) == Decimal("12.35")
    assert percent_text(Decimal("0.98765")) == "98.77%"


def test_a_float_rate_read_back_from_a_record_rounds_as_written():
    assert percent_text(0.98765) == "98.77%"       # the binary float is 0.987649999…
    assert percent_text(1.3, Decimal(1)) == "130%"
    assert percent_text(None) == "—"
