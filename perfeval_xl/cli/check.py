"""`perfeval check`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import ProfileOption, console, failure_line, load_profile_option, marks, require_inputs

@app.command()
def check(
    intakes: Annotated[list[Path], typer.Argument(
        metavar="文件…", help="一个或多个填报表（.xlsx .xlsm .xls .ods）；整个文件夹请用 perfeval batch。", show_default=False)],
    profile: ProfileOption = "national",
    as_json: Annotated[bool, typer.Option(
        "--json", help="每个文件输出一行 JSON 结果记录（JSON Lines，与 results.jsonl 相同），供程序读取。")] = False,
) -> None:
    """读取并校验填报表，列出所有问题、位置及修改方法；不写任何文件。

    退出状态：每个文件都已读取且没有错误级问题时为 0，否则为 1；用法错误为 2。

    某个问题代码的完整说明：perfeval explain 代码。
    """
    from ..evaluate import evaluate_path
    from ..writers.record import to_json

    require_inputs(intakes, folders=False)
    rules = load_profile_option(profile)
    # Each file is read in a child process within the memory and time limits (contained.py);
    # a workbook of several Annex forms gives one result per project.
    results = [result for path in intakes for result in evaluate_path(path, rules, contained=True)]
    if as_json:
        for result in results:
            typer.echo(to_json(result))
    else:
        out = console()
        for result in results:
            _render_findings(out, result)
    raise typer.Exit(int(any(result.has_errors for result in results)))


def _render_findings(out, result) -> None:
    # Paths and messages carry department text: escaped, so `[/]` in a cell is text, not markup.
    from rich.markup import escape
    from rich.table import Table

    good, bad = marks()
    if result.failure is not None:
        out.print(f"[bold red]{bad}[/] {escape(failure_line(result))}", markup=True, soft_wrap=True)
        return
    counts = {level: sum(1 for p in result.problems if p.severity.value == level) for level in ("error", "warning", "info")}
    if result.problems:
        table = Table(title=escape(_shown(result)), title_justify="left", show_lines=False)
        for column in ("级别", "位置", "代码"):
            table.add_column(column, no_wrap=True)
        for column in ("说明", "如何修改"):
            table.add_column(column, overflow="fold", ratio=1)
        colours = {"error": "red", "warning": "yellow", "info": "cyan"}
        for found in result.problems:
            colour = colours[found.severity.value]
            table.add_row(f"[{colour}]{found.severity.label}[/]", escape(found.location), found.code, escape(found.message), escape(found.fix))
        out.print(table)
    mark = f"[bold red]{bad}[/]" if counts["error"] else f"[bold green]{good}[/]"
    out.print(
        f"{mark} {escape(_shown(result))}：错误 {counts['error']}，警告 {counts['warning']}，提示 {counts['info']}；"
        f"核算总分 {result.total_score}（{result.grade}）",
        markup=True,
        soft_wrap=True,
    )


def _shown(result) -> str:
    """The file, and the sheet of an Annex form (one file may hold several projects)."""
    if result.source_form == "annex" and result.source_sheet:
        return f"{result.source_path}（{result.source_sheet}）"
    return result.source_path
