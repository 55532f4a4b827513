"""Fixtures shared by the tests; plain helpers live in tests/helpers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# SPEED, tests only: keep the compiled test modules (pytest caches its rewritten asserts only when
# bytecode may be written) and the package's, which every Python started by a test (the CLI in a
# subprocess, the fork server, a Dask worker) then reads instead of compiling the package again.
# PYTHONDONTWRITEBYTECODE, set on some machines, would otherwise have every process compile all of it.
sys.dont_write_bytecode = False

import pytest
from helpers import clean_data

from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.profiles import load_profile
from perfeval_xl.writers.intake_form import write_intake


def _remember_prepared_formulas() -> None:
    """SPEED, tests only: xlsxwriter derives each formula it writes through some forty
    regular-expression substitutions (Worksheet._prepare_formula), a pure function of
    the formula, the flag passed and the sheet's use_future_functions. The intake
    template writes the same 335 formulas into each of the hundreds of workbooks the
    suite builds (about 50 of the 60 ms each takes), so the answers are remembered.
    No byte written changes; where xlsxwriter has no such method, nothing is done."""
    import functools

    from xlsxwriter.worksheet import Worksheet

    prepare = getattr(Worksheet, "_prepare_formula", None)
    if prepare is None or getattr(prepare, "remembered", False):
        return

    @functools.lru_cache(maxsize=20_000)
    def prepared(formula, expand, future):
        return prepare(_Flags(future), formula, expand)

    def remembered(self, formula, expand_future_functions=False):
        return prepared(formula, expand_future_functions, self.use_future_functions)

    remembered.remembered = True
    Worksheet._prepare_formula = remembered


class _Flags:
    def __init__(self, future: bool) -> None:
        self.use_future_functions = future


_remember_prepared_formulas()


@pytest.fixture(autouse=True)
def _workers_without_hooks():
    """After a test that hooked the workers (helpers.kill_workers_on, hang_workers_on), the next pool's fork
    server starts without the hooks."""
    yield
    import helpers

    if helpers.hooks_set:
        helpers.hooks_set = False
        helpers.stop_fork_server()


@pytest.fixture
def national():
    return load_profile("national")


# SPEED: the same data makes the same workbook; a third of the tests' builds repeat one.
_built: dict[tuple, bytes] = {}


@pytest.fixture
def build(tmp_path):
    """build(data, name) -> path of a written intake workbook."""
    counter = iter(range(10_000))

    def _build(data: dict | None = None, name: str | None = None) -> Path:
        path = tmp_path / (name or f"intake_{next(counter)}.xlsx")
        data = data if data is not None else clean_data()
        # Order and types included, and the date the workbook is stamped with: equal keys, equal workbooks.
        key = (repr(data), os.environ.get("SOURCE_DATE_EPOCH"))
        if key not in _built:
            write_intake(path, data)
            _built[key] = path.read_bytes()
        else:
            path.write_bytes(_built[key])
        return path

    return _build


@pytest.fixture
def evaluate(build, national):
    """evaluate(data) -> Result of scoring the workbook built from `data`."""

    def _evaluate(data: dict | None = None, profile=None):
        return evaluate_file(build(data), profile or national)

    return _evaluate
