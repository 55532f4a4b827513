"""`perfeval score`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import (
    JsonOption, LayoutOption, ProfileOption, StrictOption, annex_target, failure_line, load_layout_option,
    load_profile_option, require_inputs, require_out_dir,
)

@app.command()
def score(
    intake: Annotated[Path, typer.Argument(metavar="文件", help="填报表（.xlsx .xlsm .xls .ods）。", show_default=False)],
    out_dir: Annotated[Path, typer.Option(
        "--output-dir", "-o", metavar="文件夹", help="附件1 工作簿写入的文件夹（不存在时新建；默认：当前文件夹）。",
        show_default=False)] = Path("."),
    profile: ProfileOption = "national",
    layout: LayoutOption = "national",
    as_json: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """为一个项目评分，写出附件1 项目支出绩效自评表工作簿（一个文件含多个项目时，每个项目一份）。

    写出了附件1 即以状态 0 结束，即使填报表有错误级问题（问题列在附件1 的“校验问题”表中）；加 --strict 时，有错误级问题则为 1。

    同名的附件1 若由另一个源文件生成，不会被覆盖：改写为“… (2).xlsx”。
    """
    from ..evaluate import evaluate_path
    from ..writers.record import to_json

    require_inputs([intake], folders=False)
    require_out_dir(out_dir)
    rules = load_profile_option(profile)
    annex_layout = load_layout_option(layout)
    # A workbook of several Annex forms holds several projects: one Annex each.
    results = evaluate_path(intake, rules, contained=True)   # in a child process within the limits
    if all(result.failure is not None for result in results):
        for result in results:
            if as_json:
                typer.echo(to_json(result, indent=2))
            typer.echo(f"perfeval: {failure_line(result)}", err=True)
        raise typer.Exit(1)        # nothing could be written
    for result in results:
        if result.failure is not None:
            typer.echo(f"perfeval: {failure_line(result)}", err=True)
            continue
        _write_one(result, intake, out_dir, annex_layout, as_json)
    raise typer.Exit(int(any(result.has_errors for result in results)) if strict else 0)


def _write_one(result, intake: Path, out_dir: Path, annex_layout, as_json: bool) -> None:
    """One project's Annex into out_dir (never over another source's), and its line or record."""
    from ..writers.annex import annex_filename, write_annex
    from ..writers.record import to_json

    name = annex_filename(result)
    if (out_dir / name).resolve() == intake.resolve():
        name = name[: -len(".xlsx")] + "_评分.xlsx"
    wanted = name
    name = annex_target(out_dir, name, intake, result.source_sha256)
    try:
        written = write_annex(result, out_dir, filename=name, layout=annex_layout)
    except OSError as exc:
        typer.echo(f"perfeval: 无法写出 {out_dir / name}：{exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    if name != wanted:
        typer.echo(f"perfeval: {out_dir / wanted} 已存在，且不是由 {intake.name} 生成的，未覆盖；本次写为 {name}", err=True)
    if as_json:
        typer.echo(to_json(result, indent=2))
        return
    errors = sum(1 for p in result.problems if p.severity.value == "error")
    warnings = sum(1 for p in result.problems if p.severity.value == "warning")
    unverified = sum(1 for item in result.indicators if not item.verified)
    typer.echo(
        f"{result.intake.project.name}：核算总分 {result.total_score}（{result.grade}），"
        f"预算执行率 {_rate(result.budget.rate)}，未核实指标 {unverified} 项，错误 {errors}，警告 {warnings}"
    )
    typer.echo(f"已写出：{written}")
    if errors:
        typer.echo(f"有 {errors} 个错误级问题：运行 perfeval check {result.source_path} 查看每个问题及修改方法")


def _rate(rate) -> str:
    from ..display import percent_text

    return percent_text(rate)
