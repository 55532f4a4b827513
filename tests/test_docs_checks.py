"""docs/checks.md lists every finding code, once, and no other.

Like sqlite-utils' test_docs.py: a code added to the catalogue without a line
in the reference, or a line left behind for a code that is gone, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from perfeval_xl.problems import CATALOGUE, Severity
from test_checks import CASES, FILE_CASES

DOC = Path(__file__).resolve().parent.parent / "docs" / "checks.md"
# A table line whose first cell is one backticked code.
LINE = re.compile(r"^\|\s*`([^`]+)`\s*\|(.*)$")
CODE_LIKE = re.compile(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`")


def rows() -> list[tuple[str, list[str]]]:
    """(code, the other cells of its line) for each table line, in order."""
    found = []
    for text in DOC.read_text(encoding="utf-8").splitlines():
        match = LINE.match(text)
        if match:
            found.append((match.group(1), [cell.strip() for cell in match.group(2).rstrip("|").split("|")]))
    return found


def table() -> dict[str, list[str]]:
    return dict(rows())


def test_the_reference_is_generated_from_the_catalogue():
    """docs/checks.md is what scripts/make_checks_doc.py writes: run it after changing the catalogue."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_checks_doc", DOC.parent.parent / "scripts" / "make_checks_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert DOC.read_text(encoding="utf-8") == module.render()


def test_every_catalogue_entry_says_why_and_how_to_fix():
    for code, entry in CATALOGUE.items():
        assert entry.meaning and entry.why and entry.fix and entry.cell, code


def test_every_catalogue_code_has_a_line():
    missing = sorted(set(CATALOGUE) - set(table()))
    assert not missing, f"docs/checks.md has no line for: {missing}"


def test_no_line_names_an_unknown_code():
    unknown = sorted(set(table()) - set(CATALOGUE))
    assert not unknown, f"docs/checks.md has lines for codes not in the catalogue: {unknown}"


def test_each_code_has_one_line():
    codes = [code for code, _ in rows()]
    doubled = sorted({code for code in codes if codes.count(code) > 1})
    assert not doubled, f"docs/checks.md lists these codes more than once: {doubled}"


def test_no_code_mentioned_anywhere_is_unknown():
    named = set(CODE_LIKE.findall(DOC.read_text(encoding="utf-8")))
    unknown = sorted(named - set(CATALOGUE))
    assert not unknown, f"docs/checks.md names codes not in the catalogue: {unknown}"


def test_every_line_fills_every_column():
    for code, cells in table().items():
        assert len(cells) == 5 and all(cells), f"line for {code} must fill severity, cell, meaning, why, fix"


@pytest.mark.parametrize("case", [*CASES, *FILE_CASES], ids=lambda case: case.id)
def test_documented_severity_matches_the_finding(case):
    """The severity column names the severity the finding is raised with."""
    code, severity = case.finding[0], case.finding[1]
    column = table()[code][0]
    assert Severity(severity).label in column and severity in column, (code, column)
