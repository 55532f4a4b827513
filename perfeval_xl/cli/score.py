"""`perfeval score`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import app
from .common import JsonOption, LayoutOption, ProfileOption, failure_line, load_layout_option, load_profile_option

@app.command()
def score(
    intake: Annotated[Path, typer.Argument(help="填报表（xlsx、xlsm、xls、ods）。", show_default=False)],
    out_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="附件1 工作簿写入的文件夹。")] = Path("."),
    profile: ProfileOption = "national",
    layout: LayoutOption = "national",
    as_json: JsonOption = False,
) -> None:
    """为一个项目评分，写出附件1 项目支出绩效自评表工作簿。"""
    from ..evaluate import evaluate_file
    from ..writers.record import to_json
    from ..writers.annex import annex_filename, write_annex

    rules = load_profile_option(profile)
    annex_layout = load_layout_option(layout)
    result = evaluate_file(intake, rules, contained=True)   # in a child process within the limits
    if result.failure is not None:
        if as_json:
            typer.echo(to_json(result, indent=2))
        typer.echo(f"perfeval: {failure_line(result)}", err=True)
        raise typer.Exit(1)
    name = annex_filename(result)
    if (out_dir / name).resolve() == intake.resolve():
        name = name[: -len(".xlsx")] + "_评分.xlsx"
    try:
        written = write_annex(result, out_dir, filename=name, layout=annex_layout)
    except OSError as exc:
        typer.echo(f"perfeval: 无法写出 {out_dir / name}：{exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(to_json(result, indent=2))
    else:
        errors = sum(1 for p in result.problems if p.severity.value == "error")
        warnings = sum(1 for p in result.problems if p.severity.value == "warning")
        unverified = sum(1 for item in result.indicators if not item.verified)
        typer.echo(
            f"{result.intake.project.name}：核算总分 {result.total_score}（{result.grade}），"
            f"预算执行率 {_rate(result.budget.rate)}，未核实指标 {unverified} 项，错误 {errors}，警告 {warnings}"
        )
        typer.echo(f"已写出：{written}")
    raise typer.Exit(int(result.has_errors))


def _rate(rate) -> str:
    return "—" if rate is None else f"{rate:.2%}"
