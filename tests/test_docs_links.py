"""The docs travel: every link in README.md and docs/*.md resolves inside the repository,
nothing cites files users do not have, and `perfeval docs` shows them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import ROOT
from helpers.console_runner import CliRunner
from perfeval_xl.cli import app

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and [text]: target, not images of the web
LINK = re.compile(r"\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)", re.M)
OUTSIDE = ("../shared", "shared/spec", "/work/", "scoring.md")


def _links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [a or b for a, b in LINK.findall(text)]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_link_resolves_inside_the_repository(path):
    for target in _links(path):
        if re.match(r"[a-z]+:", target):          # http:, https:, mailto:
            continue
        file = target.split("#", 1)[0]
        if not file:
            continue
        resolved = (path.parent / file).resolve()
        assert resolved.is_relative_to(ROOT), f"{path.name}: {target} leaves the repository"
        assert resolved.exists(), f"{path.name}: {target} does not exist"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_nothing_cites_files_users_do_not_have(path):
    text = path.read_text(encoding="utf-8")
    for outside in OUTSIDE:
        assert outside not in text, f"{path.name} mentions {outside}"


def test_a_broken_link_is_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("见 [规则](rules.md#1)、[外部](https://example.com) 与 [丢失](../none.md)\n[ref]: other.md\n",
                    encoding="utf-8")
    assert _links(page) == ["rules.md#1", "https://example.com", "../none.md", "other.md"]


def test_the_readme_reaches_the_rules_the_intake_and_the_outputs():
    links = set(_links(ROOT / "README.md"))
    assert {"docs/rules.md", "docs/intake.md", "docs/outputs.md", "docs/checks.md"} <= links


def test_perfeval_docs_lists_and_prints_the_pages():
    runner = CliRunner()
    listing = runner.invoke(app, ["docs"])
    assert listing.exit_code == 0
    assert listing.stdout.splitlines()[0] == f"文档位于 {ROOT / 'docs'}："
    names = [line.split()[0] for line in listing.stdout.splitlines()[1:-1]]
    assert names[:4] == ["rules", "intake", "forms", "outputs"] and "checks" in names
    page = runner.invoke(app, ["docs", "rules"])
    assert page.exit_code == 0
    assert page.stdout == (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").rstrip("\n") + "\n"
    missing = runner.invoke(app, ["docs", "nothing"])
    assert missing.exit_code == 2 and "rules" in missing.stderr


def test_help_points_to_docs_a_pip_user_has():
    runner = CliRunner()
    for args in (["-h"], ["score", "-h"], ["batch", "-h"]):
        text = runner.invoke(app, args).stdout
        assert "docs/" not in text and ".md" not in text, args
    assert "perfeval docs" in runner.invoke(app, ["-h"]).stdout


def test_the_quick_start_first_command_exits_0(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    first = block.strip().splitlines()[0].split("&&")[-1].split()
    assert first[:2] == ["perfeval", "batch"] and first[-2] == "-o"
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, [*first[1:-1], str(tmp_path / first[-1])])
    assert result.exit_code == 0, result.output
    assert (tmp_path / first[-1] / "summary.xlsx").is_file()


def test_ci_runs_the_quick_start_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    second = block.strip().splitlines()[1].strip()
    assert "pytest" in second
    assert second in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
