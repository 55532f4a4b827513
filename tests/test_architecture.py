"""The tree explains the program: who may import whom, no cycles, pure rules.

Imports are read from the source (ast), relative ones resolved, those inside
functions included, so a lazy `from ..reading import x` inside a writer is
caught as surely as one at the top of the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "perfeval_xl"
NAME = "perfeval_xl"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> list[str]:
    """The package modules an ImportFrom names (`from . import a, b` names a and b)."""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = package[: len(package) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    # `from . import zh` imports the submodule; the package itself only as every submodule import does.
    submodules = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in MODULES]
    names = submodules if len(submodules) == len(node.names) else [target, *submodules]
    return [name for name in names if name.split(".")[0] == NAME]


def imports(module: str, *, top_level_only: bool = False) -> set[str]:
    """Modules of the package that `module` imports (the nearest existing module for a name)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.split(".")[0] == NAME]
        elif isinstance(node, ast.ImportFrom):
            names = _resolve(module, path, node)
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def external(module: str) -> set[str]:
    """Top-level names of the libraries `module` imports anywhere (stdlib included)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found - {NAME}


def _within(name: str, area: str) -> bool:
    return name == f"{NAME}.{area}" or name.startswith(f"{NAME}.{area}.")


# area -> areas it must never import (anywhere in the file).
FORBIDDEN = {
    "writers": ("reading", "rules", "evaluate", "batch", "cli", "web", "targets"),
    "rules": ("reading", "writers", "evaluate", "batch", "cli", "web"),
    "model": ("reading", "rules", "writers", "evaluate", "batch", "cli", "web", "targets"),
    "display": ("reading", "rules", "writers", "evaluate", "batch", "cli", "web", "model"),
    "reading": ("rules", "writers", "evaluate", "batch", "cli", "web"),
    "problems": ("reading", "rules", "writers", "evaluate", "batch", "cli", "web", "model"),
}


@pytest.mark.parametrize("area", sorted(FORBIDDEN))
def test_layers_import_only_what_they_may(area):
    offences = []
    for module in MODULES:
        if not _within(module, area):
            continue
        for name in imports(module):
            if any(_within(name, other) for other in FORBIDDEN[area]):
                offences.append(f"{module} imports {name}")
    assert not offences, offences


def test_no_import_cycle_at_module_level():
    graph = {module: imports(module, top_level_only=True) for module in MODULES}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for name in sorted(graph[module]):
            if state.get(name) == 1:
                cycle = stack[stack.index(name):] + [name]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if name not in state:
                visit(name)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


# Pure: no workbook library, no file or process access, no printing — in the
# module or in anything of the package it imports, however it imports it.
PURE = ("rules.scoring", "rules.checks", "targets", "model", "levels", "text", "display", "problems", "catalogue")
IMPURE_LIBRARIES = {"openpyxl", "pandas", "python_calamine", "xlsxwriter", "xlrd", "zipfile", "os", "shutil", "io",
                    "rich", "typer", "subprocess", "docx", "multiprocessing", "socket", "tempfile"}
IMPURE_CALLS = {"open", "print", "input"}


def _closure(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(imports(name))
    return seen


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_stay_pure_through_everything_they_import(name):
    for module in sorted(_closure(f"{NAME}.{name}")):
        if module == f"{NAME}.profiles":
            continue   # reads its TOML through pathlib: the one I/O allowed, and only when a profile is loaded
        assert not external(module) & IMPURE_LIBRARIES, (name, module, external(module) & IMPURE_LIBRARIES)
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        assert not calls & IMPURE_CALLS, (name, module, calls & IMPURE_CALLS)


def test_the_resolver_sees_relative_and_lazy_imports():
    """The checks above would pass vacuously if imports were not found: they are."""
    assert f"{NAME}.model" in imports(f"{NAME}.rules.scoring")                 # from ..model import ...
    assert f"{NAME}.batch.cluster" in imports(f"{NAME}.batch.run")             # lazy, inside run_batch
    assert f"{NAME}.batch.cluster" not in imports(f"{NAME}.batch.run", top_level_only=True)
    assert f"{NAME}.cli.check" in imports(f"{NAME}.cli")                       # from . import check


def test_only_the_cli_prints():
    for module, path in MODULES.items():
        if _within(module, "cli"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        printing = [node.lineno for node in ast.walk(tree)
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"]
        assert not printing, (module, printing)


def test_no_module_is_long_without_a_reason():
    """Over ~400 lines a module says at its top why it is one piece ("Over 400 lines…" or "Long because…")."""
    long = []
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 420 and not ("400 lines" in text[:3000] or "Long because" in text[:3000]):
            long.append(f"{module}: {text.count(chr(10))} lines")
    assert not long, long
