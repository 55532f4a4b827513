"""Scoring and checks are pure: no workbook library, no file access, no printing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "perfeval_xl"
PURE = ["rules/scoring.py", "rules/checks.py", "display.py", "targets.py", "model.py", "levels.py", "text.py", "problems.py", "profiles/__init__.py"]
FORBIDDEN_MODULES = {"openpyxl", "pandas", "python_calamine", "xlsxwriter", "xlrd", "zipfile", "os", "shutil", "io",
                     "rich", "typer", "subprocess"}
FORBIDDEN_CALLS = {"open", "print", "input"}


@pytest.mark.parametrize("name", PURE)
def test_module_is_pure(name):
    tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {alias.name.split(".")[0] for alias in node.names} & FORBIDDEN_MODULES, (name, node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            assert node.module.split(".")[0] not in FORBIDDEN_MODULES, (name, node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            # profiles/__init__.py reads its TOML through pathlib, the one I/O allowed there.
            assert node.func.id not in FORBIDDEN_CALLS, (name, node.lineno)
