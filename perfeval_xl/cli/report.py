"""`perfeval report`: the draft 绩效自评报告 (.docx) of each project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import NOTHING_FOUND, ProfileOption, failure_line, load_profile_option, say_skipped


@app.command()
def report(
    inputs: Annotated[list[Path], typer.Argument(
        help="一个或多个填报表，或包含填报表的文件夹（递归查找 xlsx、xlsm、xls、ods 和 Word 报告 docx、docm、doc）。", exists=True,
        show_default=False, metavar="INPUT")],
    out_dir: Annotated[Path, typer.Option(
        "--output-dir", "-o", file_okay=False, metavar="DIR", help="报告写入的文件夹（默认：当前文件夹）。")] = Path("."),
    profile: ProfileOption = "national",
) -> None:
    """为每个项目写出绩效自评报告初稿（Word .docx）：一至三部分和附件1由评分结果生成，四至六部分留待单位填写。

    一个文件含多个项目（几张附件1 表）时，每个项目一份。文件名为“年度_主管部门_项目名称_绩效自评报告.docx”；同名文件若来自另一个填报表，不会被覆盖，而是加上“ (2)”。
    """
    from ..batch import discover
    from ..errors import UsageError
    from ..evaluate import evaluate_path
    from ..writers.files import atomic_write
    from ..writers.report import ReportNames, render_report, report_filename

    rules = load_profile_option(profile)
    found = discover(inputs)
    say_skipped(found)
    if not found.paths:
        raise UsageError(NOTHING_FOUND)
    names = ReportNames(out_dir, [Path(path) for path in found.paths])
    written = failed = 0
    for path in found.paths:
        # Read in a child process within the memory and time limits (contained.py), as check and
        # score read; a workbook of several Annex forms holds several projects: a report each.
        for result in evaluate_path(path, rules, contained=True):
            if result.failure is not None:
                failed += 1
                typer.echo(f"✗ {failure_line(result)}", err=True)
                continue
            target = names.claim(report_filename(result), result.source_sha256)
            try:
                atomic_write(target, render_report(result))
            except OSError as exc:
                failed += 1
                typer.echo(f"perfeval: 无法写出 {target}：{exc.strerror or exc}（文件是否正在 Word/WPS 中打开？）", err=True)
                continue
            written += 1
            typer.echo(f"已写出：{target}（核算总分 {result.total_score}，{result.grade}）")
    typer.echo(f"{len(found.paths)} 个文件：写出报告 {written} 份，失败 {failed}")
    raise typer.Exit(int(failed > 0))
