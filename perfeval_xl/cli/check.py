"""`perfeval check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from . import app
from .common import JsonOption, ProfileOption, console, failure_line, load_profile_option

@app.command()
def check(
    intakes: Annotated[list[Path], typer.Argument(help="一个或多个填报表（xlsx、xlsm、xls、ods）。", show_default=False)],
    profile: ProfileOption = "national",
    as_json: JsonOption = False,
) -> None:
    """读取并校验填报表，列出所有问题及其位置；不写任何文件。"""
    from ..evaluate import evaluate_file
    from ..writers.record import to_record

    rules = load_profile_option(profile)
    # Each file is read in a child process within the memory and time limits (contained.py).
    results = [evaluate_file(path, rules, contained=True) for path in intakes]
    if as_json:
        records = [to_record(result) for result in results]
        typer.echo(json.dumps(records if len(records) > 1 else records[0], ensure_ascii=False, indent=2))
    else:
        out = console()
        for result in results:
            _render_findings(out, result)
    raise typer.Exit(int(any(result.has_errors for result in results)))


def _render_findings(out, result) -> None:
    # Paths and messages carry department text: escaped, so `[/]` in a cell is text, not markup.
    from rich.markup import escape
    from rich.table import Table

    if result.failure is not None:
        out.print(f"[bold red]✗[/] {escape(failure_line(result))}", markup=True, soft_wrap=True)
        return
    counts = {level: sum(1 for p in result.problems if p.severity.value == level) for level in ("error", "warning", "info")}
    if result.problems:
        table = Table(title=escape(result.source_path), title_justify="left", show_lines=False)
        for column in ("级别", "位置", "代码", "说明"):
            table.add_column(column, overflow="fold")
        colours = {"error": "red", "warning": "yellow", "info": "cyan"}
        for found in result.problems:
            colour = colours[found.severity.value]
            table.add_row(f"[{colour}]{found.severity.label}[/]", escape(found.location), found.code, escape(found.message))
        out.print(table)
    mark = "[bold red]✗[/]" if counts["error"] else "[bold green]✓[/]"
    out.print(
        f"{mark} {escape(result.source_path)}：错误 {counts['error']}，警告 {counts['warning']}，提示 {counts['info']}；"
        f"核算总分 {result.total_score}（{result.grade}）",
        markup=True,
        soft_wrap=True,
    )
