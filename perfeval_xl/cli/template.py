"""`perfeval template`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app

@app.command()
def template(
    output: Annotated[Path, typer.Option("--output", "-o", help="写出的文件路径。")] = Path("项目支出绩效自评填报表.xlsx"),
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖。")] = False,
) -> None:
    """写出空白的标准填报表（含填报说明、下拉列表和数值校验）。"""
    from ..writers.intake_form import write_intake

    if output.exists() and not force:
        typer.echo(f"perfeval: {output} 已存在，未覆盖（如需覆盖请加 --force）", err=True)
        raise typer.Exit(1)
    try:
        write_intake(output)
    except OSError as exc:
        typer.echo(f"perfeval: 无法写出 {output}：{exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"已写出空白填报表：{output}")
