"""Fixtures shared by the tests; plain helpers live in tests/helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import clean_data

from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.profiles import load_profile
from perfeval_xl.writers.intake_form import write_intake


@pytest.fixture
def national():
    return load_profile("national")


@pytest.fixture
def build(tmp_path):
    """build(data, name) -> path of a written intake workbook."""
    counter = iter(range(10_000))

    def _build(data: dict | None = None, name: str | None = None) -> Path:
        path = tmp_path / (name or f"intake_{next(counter)}.xlsx")
        write_intake(path, data if data is not None else clean_data())
        return path

    return _build


@pytest.fixture
def evaluate(build, national):
    """evaluate(data) -> Result of scoring the workbook built from `data`."""

    def _evaluate(data: dict | None = None, profile=None):
        return evaluate_file(build(data), profile or national)

    return _evaluate
