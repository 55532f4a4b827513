"""The `perfeval` command: thin over the library.

Each command parses its arguments, calls the library, renders the result and
sets the exit status (outputs.md): 0 when every file was read and has no
error-level finding, 1 when some file has errors or could not be read, 2 for
a usage error. Only this module prints. Heavy libraries are imported inside
the commands, so that `perfeval --help` starts fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from .errors import PerfevalError


class _Commands(TyperGroup):
    """The one place a PerfevalError becomes a line on stderr and its exit status."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PerfevalError as exc:
            typer.echo(f"perfeval: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Commands,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="项目支出绩效自评：读取填报表、校验、按规则评分，生成附件1 项目支出绩效自评表。",
)

ProfileOption = Annotated[
    str, typer.Option("--profile", "-p", help="评分规则：内置名称（national、local）或 TOML 文件路径。")
]
JsonOption = Annotated[bool, typer.Option("--json", help="以 JSON 输出结果（供程序读取）。")]
LayoutOption = Annotated[
    str, typer.Option("--layout", help="附件1 版式：内置名称（national、xinzhou）或版式工作簿（.xlsx）路径，见 docs/layouts.md。")
]


def _load_profile(name: str):
    """The scoring profile; a bad one is a ProfileError, a usage error."""
    from .profiles import load_profile

    return load_profile(name)


def _load_layout(name: str):
    """The Annex layout, read once for the whole run; a bad template is a LayoutError, a usage error."""
    from .writers.annex import load_layout

    return load_layout(name)


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _failure_line(result) -> str:
    """One line for a file that could not be read, naming every reason."""
    parts = []
    for found in result.problems or (result.failure,):
        where = f"[{found.location}] " if found.location else ""
        parts.append(f"{where}{found.message} ({found.code})")
    return f"{result.source_path}: " + "；".join(parts)


@app.command()
def template(
    output: Annotated[Path, typer.Option("--output", "-o", help="写出的文件路径。")] = Path("项目支出绩效自评填报表.xlsx"),
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖。")] = False,
) -> None:
    """写出空白的标准填报表（含填报说明、下拉列表和数值校验）。"""
    from .writers.intake_form import write_intake

    if output.exists() and not force:
        typer.echo(f"perfeval: {output} 已存在，未覆盖（如需覆盖请加 --force）", err=True)
        raise typer.Exit(1)
    try:
        write_intake(output)
    except OSError as exc:
        typer.echo(f"perfeval: 无法写出 {output}：{exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"已写出空白填报表：{output}")


@app.command()
def check(
    intakes: Annotated[list[Path], typer.Argument(help="一个或多个填报表（xlsx、xlsm、xls、ods）。", show_default=False)],
    profile: ProfileOption = "national",
    as_json: JsonOption = False,
) -> None:
    """读取并校验填报表，列出所有问题及其位置；不写任何文件。"""
    from .evaluate import evaluate_file
    from .writers.record import to_record

    rules = _load_profile(profile)
    results = [evaluate_file(path, rules) for path in intakes]
    if as_json:
        records = [to_record(result) for result in results]
        typer.echo(json.dumps(records if len(records) > 1 else records[0], ensure_ascii=False, indent=2))
    else:
        console = _console()
        for result in results:
            _render_findings(console, result)
    raise typer.Exit(int(any(result.has_errors for result in results)))


def _render_findings(console, result) -> None:
    # Paths and messages carry department text: escaped, so `[/]` in a cell is text, not markup.
    from rich.markup import escape
    from rich.table import Table

    if result.failure is not None:
        console.print(f"[bold red]✗[/] {escape(_failure_line(result))}", markup=True, soft_wrap=True)
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
        console.print(table)
    mark = "[bold red]✗[/]" if counts["error"] else "[bold green]✓[/]"
    console.print(
        f"{mark} {escape(result.source_path)}：错误 {counts['error']}，警告 {counts['warning']}，提示 {counts['info']}；"
        f"核算总分 {result.total_score}（{result.grade}）",
        markup=True,
        soft_wrap=True,
    )


@app.command()
def score(
    intake: Annotated[Path, typer.Argument(help="填报表（xlsx、xlsm、xls、ods）。", show_default=False)],
    out_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="附件1 工作簿写入的文件夹。")] = Path("."),
    profile: ProfileOption = "national",
    layout: LayoutOption = "national",
    as_json: JsonOption = False,
) -> None:
    """为一个项目评分，写出附件1 项目支出绩效自评表工作簿。"""
    from .evaluate import evaluate_file
    from .writers.record import to_json
    from .writers.annex import annex_filename, write_annex

    rules = _load_profile(profile)
    annex_layout = _load_layout(layout)
    result = evaluate_file(intake, rules)
    if result.failure is not None:
        if as_json:
            typer.echo(to_json(result, indent=2))
        typer.echo(f"perfeval: {_failure_line(result)}", err=True)
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


@app.command()
def batch(
    inputs: Annotated[list[Path], typer.Argument(
        help="填报表文件或文件夹（文件夹中递归查找 xlsx、xlsm、xls、ods）。", exists=True, show_default=False,
        metavar="INPUT")],
    out_dir: Annotated[Path, typer.Option(
        "--output-dir", "-o", file_okay=False, metavar="DIR", help="输出文件夹：annex/、summary.xlsx、results.jsonl。")] = Path("."),
    workers: Annotated[Optional[int], typer.Option(
        "--workers", "-w", min=1, metavar="N", help="并行评分的工作进程数（默认：CPU 数）。", show_default=False)] = None,
    profile: ProfileOption = "national",
    layout: LayoutOption = "national",
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", metavar="tcp://HOST:PORT",
        help="在已运行的 Dask 集群上评分：调度器地址（需安装 perfeval-xl[dask]；见 docs/performance.md）。",
        show_default=False)] = None,
) -> None:
    """批量评分：为每个填报表写出附件1，并写出汇总工作簿 summary.xlsx 和 results.jsonl。"""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .batch import discover, output_paths, run_batch
    from .errors import Interrupted, UsageError

    if scheduler is not None and workers is not None:
        raise UsageError("--workers 与 --scheduler 不能同时使用（使用集群时由集群的工作进程评分）")
    rules = _load_profile(profile)
    annex_layout = _load_layout(layout)
    found = discover(inputs, exclude=output_paths(out_dir))
    for folder in found.unreadable:
        typer.echo(f"perfeval: 无法读取 {folder}，已跳过", err=True)
    if not found.paths:
        raise UsageError("给定的文件和文件夹中没有表格文件（.xlsx .xlsm .xls .ods）")
    console = _console(stderr=True)
    columns = (
        TextColumn("评分"), BarColumn(), MofNCompleteColumn(), TextColumn("失败 {task.fields[failed]}"),
        TextColumn("{task.fields[rate]:.1f} 个/秒"), TimeElapsedColumn(),
    )
    started = time.monotonic()
    try:
        # The bar only on a terminal: a log or a test runner gets the result line alone.
        with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
            task = bar.add_task("评分", total=len(found.paths), failed=0, rate=0.0)

            def advance(done: int, failed: int) -> None:
                rate = done / max(time.monotonic() - started, 1e-6)
                bar.update(task, completed=done, failed=failed, rate=rate)

            report = run_batch(found.paths, rules, out_dir, workers=workers, layout=annex_layout, progress=advance,
                               scheduler=scheduler)
    except Interrupted as stop:
        typer.echo(f"perfeval: 已中断：{stop.done}/{stop.total} 个文件已评分，未写出任何输出，{out_dir} 保持原样", err=True)
        raise typer.Exit(stop.exit_code) from None
    for line in report.failures:
        typer.echo(f"✗ {line}", err=True)
    if report.failed > len(report.failures):
        typer.echo(f"……另有 {report.failed - len(report.failures)} 个文件未能读取，见 summary.xlsx 的“处理失败”", err=True)
    typer.echo(
        f"{report.files} 个文件：评分 {report.scored}，失败 {report.failed}；"
        f"问题 {report.findings} 条（错误 {report.errors} 条）；用时 {report.seconds:.1f} 秒；"
        f"输出在 {out_dir}（summary.xlsx、results.jsonl、annex/）"
    )
    raise typer.Exit(report.exit_code)


def main() -> None:
    app(prog_name="perfeval")


if __name__ == "__main__":
    main()
