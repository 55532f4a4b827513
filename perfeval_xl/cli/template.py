"""`perfeval template`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app

@app.command()
def template(
    output: Annotated[Path, typer.Option(
        "--output", "-o", metavar="文件", help="写出的文件路径。默认：项目支出绩效自评填报表.xlsx（当前文件夹）。",
        show_default=False)] = Path("项目支出绩效自评填报表.xlsx"),
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖。")] = False,
) -> None:
    """写出空白的标准填报表（含填报说明、下拉列表和数值校验）。

    填写方法见表中的“填报说明”工作表，以及 perfeval docs intake。
    """
    from ..errors import UsageError
    from ..writers.intake_form import write_intake

    if output.is_dir():
        raise UsageError(f"-o {output} 是文件夹；-o 应为要写出的文件，例如 -o {output / '填报表.xlsx'}")
    if output.exists() and not force:
        raise UsageError(f"{output} 已存在，未覆盖（如需覆盖请加 --force）")
    try:
        write_intake(output)
    except OSError as exc:
        typer.echo(f"perfeval: 无法写出 {output}：{exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"已写出空白填报表：{output}")
