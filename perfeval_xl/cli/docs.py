"""`perfeval docs [NAME]`: the user documentation, wherever the program was installed from.

The Markdown files of docs/ travel with the program: in a source checkout
(or an editable install) they are the repository's docs/ folder; a wheel
installs them as data files under <prefix>/share/perfeval-xl/docs
(pyproject.toml, [tool.setuptools.data-files]). `perfeval docs` lists them
with where they are; `perfeval docs rules` prints one.
"""

from __future__ import annotations

import site
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app

# Shown first, in this order; any other .md file of the folder follows by name.
GUIDE = ("rules", "intake", "forms", "outputs", "checks", "batch", "report", "review", "serve", "layouts", "security",
         "performance", "architecture", "decisions")


def docs_folder() -> Path | None:
    """The folder holding the user documentation, or None when it was not installed."""
    here = Path(__file__).resolve().parents[2] / "docs"
    candidates = [here, Path(sys.prefix) / "share" / "perfeval-xl" / "docs"]
    if site.USER_BASE:
        candidates.append(Path(site.USER_BASE) / "share" / "perfeval-xl" / "docs")
    for folder in candidates:
        if (folder / "rules.md").is_file():
            return folder
    return None


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


@app.command()
def docs(
    name: Annotated[Optional[str], typer.Argument(
        metavar="文档", help="要显示的文档名，如 rules（评分规则）、intake（填报表）、outputs（输出）；不写则列出全部。",
        show_default=False)] = None,
) -> None:
    """使用说明：列出随程序安装的文档及其位置，或显示其中一篇。"""
    from ..errors import UsageError

    folder = docs_folder()
    if folder is None:
        raise UsageError("找不到随程序安装的文档（docs/）；请从项目源码的 docs 文件夹阅读")
    pages = {path.stem: path for path in sorted(folder.glob("*.md"))}
    if name is None:
        typer.echo(f"文档位于 {folder}：")
        order = [stem for stem in GUIDE if stem in pages] + [stem for stem in pages if stem not in GUIDE]
        for stem in order:
            typer.echo(f"  {stem:<12} {_title(pages[stem])}")
        typer.echo("显示一篇：perfeval docs 文档名（如 perfeval docs rules）")
        return
    stem = name.strip().removesuffix(".md").lower()
    if stem not in pages:
        raise UsageError(f"没有文档“{name}”；可用：{'、'.join(pages)}")
    typer.echo(pages[stem].read_text(encoding="utf-8").rstrip("\n"))
