"""`perfeval batch`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .common import (
    NOTHING_FOUND, LayoutOption, ProfileOption, StrictOption, console, load_layout_option, load_profile_option, marks,
    name_list, require_inputs, require_out_dir, say_skipped,
)

@app.command()
def batch(
    inputs: Annotated[list[Path], typer.Argument(
        help="填报表文件或文件夹（文件夹中递归查找 .xlsx .xlsm .xls .ods 和 Word 报告 .docx .docm .doc）。", show_default=False,
        metavar="文件或文件夹…")],
    out_dir: Annotated[Path, typer.Option(
        "--output-dir", "-o", metavar="文件夹",
        help="输出文件夹（不存在时新建；默认：当前文件夹），写出 annex/、summary.xlsx、results.jsonl。",
        show_default=False)] = Path("."),
    workers: Annotated[Optional[int], typer.Option(
        "--workers", "-w", metavar="个数", help="并行评分的工作进程数（默认：CPU 数）。", show_default=False)] = None,
    profile: ProfileOption = "national",
    layout: LayoutOption = "national",
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", metavar="tcp://主机:端口",
        help="在已运行的 Dask 集群上评分：调度器地址（需安装 Dask 扩展；说明见 perfeval docs performance）。",
        show_default=False)] = None,
    reports: Annotated[bool, typer.Option(
        "--reports", help="同时为每个项目写出绩效自评报告初稿（.docx），放在 输出文件夹/reports/。")] = False,
    strict: StrictOption = False,
) -> None:
    """批量评分：为每个填报表写出附件1，并写出汇总工作簿 summary.xlsx 和 results.jsonl。

    写出了输出即以状态 0 结束，无论文件中有什么问题（问题见 summary.xlsx 的“关注清单”“问题清单”“处理失败”）；加 --strict 时，有文件未能读取或有错误级问题则为 1。
    """
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..batch import discover, output_paths, run_batch
    from ..batch.outputs import report_dir
    from ..errors import Interrupted, UsageError

    if workers is not None and workers < 1:
        raise UsageError(f"--workers 应为不小于 1 的整数，而不是 {workers}")
    if scheduler is not None and workers is not None:
        raise UsageError("--workers 与 --scheduler 不能同时使用（使用集群时由集群的工作进程评分）")
    require_inputs(inputs, folders=True)
    require_out_dir(out_dir)
    rules = load_profile_option(profile)
    annex_layout = load_layout_option(layout)
    found = discover(inputs, exclude=(*output_paths(out_dir), report_dir(out_dir)))
    say_skipped(found)
    if not found.paths:
        raise UsageError(NOTHING_FOUND)
    err = console(stderr=True)
    columns = (
        TextColumn("评分"), BarColumn(), MofNCompleteColumn(), TextColumn("失败 {task.fields[failed]}"),
        TextColumn("{task.fields[rate]:.1f} 个/秒"), TimeElapsedColumn(),
    )
    started = time.monotonic()
    try:
        # The bar only on a terminal: a log or a test runner gets the result line alone.
        with Progress(*columns, console=err, disable=not err.is_terminal) as bar:
            task = bar.add_task("评分", total=len(found.paths), failed=0, rate=0.0)

            def advance(done: int, failed: int) -> None:
                rate = done / max(time.monotonic() - started, 1e-6)
                bar.update(task, completed=done, failed=failed, rate=rate)

            report = run_batch(found.paths, rules, out_dir, workers=workers, layout=annex_layout, progress=advance,
                               scheduler=scheduler, reports=reports)
    except Interrupted as stop:
        typer.echo(f"perfeval: 已中断：{stop.done}/{stop.total} 个文件已评分，未写出任何输出，{out_dir} 保持原样", err=True)
        raise typer.Exit(stop.exit_code) from None
    _closing_lines(report, out_dir)
    raise typer.Exit(report.exit_code if strict else 0)


def _closing_lines(report, out_dir: Path) -> None:
    """What went wrong, on stderr; the totals, the files with errors and where to look, on stdout."""
    _, bad = marks(sys.stderr)
    for line in report.failures:
        typer.echo(f"{bad} {line}", err=True)
    if report.failed > len(report.failures):
        typer.echo(f"……另有 {report.failed - len(report.failures)} 个文件未能读取，见 summary.xlsx 的“处理失败”", err=True)
    typer.echo(
        f"{report.files} 个文件：评分 {report.scored} 个项目，失败 {report.failed} 个文件；"
        f"问题 {report.findings} 条（错误 {report.errors} 条）；用时 {report.seconds:.1f} 秒；"
        f"输出在 {out_dir}（summary.xlsx、results.jsonl、annex/{'、reports/' if report.reports else ''}）"
    )
    flagged = report.failed + report.with_errors
    if flagged:
        typer.echo(f"有错误的文件 {flagged} 个：{name_list(report.error_files, flagged)}")
        typer.echo(f"请先看 {out_dir / 'summary.xlsx'} 的“关注清单”（逐条问题见“问题清单”，未能读取的文件见“处理失败”）")
