"""`perfeval review`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import OutDirOption, require_out_dir
from .sample import load_records, results_of


@app.command()
def review(
    form: Annotated[Path, typer.Argument(help="填好的复核表（perfeval sample 写出的 复核表.xlsx）。", show_default=False,
                                         metavar="复核表")],
    results: Annotated[Path, typer.Option(
        "--results", metavar="结果文件夹", help="生成该复核表的 perfeval batch 输出文件夹（含 results.jsonl）。",
        show_default=False)],
    out_dir: OutDirOption = Path("."),
) -> None:
    """读回复核表：计算复核总分和等级，写出 复核结果.xlsx 和带复核结果的 results.jsonl。

    复核得分留空即认可核算得分；无效的复核得分（文字、负数、超过分值）逐条列出单元格，该行按核算得分计；源文件自批量评分后改变的项目不计入。
    """
    from .. import __version__
    from ..errors import UsageError
    from ..evaluate import sha256_of
    from ..profiles import load_profile
    from ..review.results_book import result_book
    from ..review.review_read import FormError, apply, read_form
    from ..batch.outputs import write_outputs
    from .common import marks
    import sys
    from decimal import Decimal

    if not form.is_file():
        raise UsageError(f"找不到 {form}：请检查文件名和所在文件夹")
    require_out_dir(out_dir)
    path = results_of(results)
    if out_dir.resolve() == path.parent.resolve():
        raise UsageError(f"-o 不能是批量评分的输出文件夹 {path.parent}：复核后的 results.jsonl 不覆盖原记录，请换一个文件夹")
    records = load_records(path)
    try:
        filled = read_form(form)
    except FormError as exc:
        raise UsageError(str(exc)) from None

    def digest_now(source: str) -> str | None:
        # A record names its file as batch was given it: relative to the folder batch ran in,
        # which is here, or else (most often) the folder that holds the results folder.
        for where in (Path(source), path.parent.parent / source, path.parent / source):
            try:
                return sha256_of(where)
            except OSError:
                continue
        return None

    profiles: dict[str, object] = {}

    def grade_for(record: dict):
        name = record.get("profile") or "national"
        if name not in profiles:
            try:
                profiles[name] = load_profile(name)
            except UsageError:
                profiles[name] = load_profile("national")
        rules = profiles[name]
        return lambda total: rules.grade(Decimal(str(total)))

    reviews, problems = apply(filled, records, digest_now, grade_for)
    notes = [("复核表", str(form)), ("结果文件", str(path)), ("复核项目数", str(len(reviews))),
             ("问题数", str(len(problems))), ("程序版本", f"perfeval-xl {__version__}")]
    lines = []
    for index, record in enumerate(records):
        if index in reviews:
            record = {**record, "review": reviews[index]}
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    # Both files as one commit, under DIR's lock, as a batch writes (batch/outputs.py).
    write_outputs(out_dir, {"复核结果.xlsx": result_book(records, reviews, problems, notes),
                            "results.jsonl": "".join(lines).encode("utf-8")})
    _, bad = marks(sys.stderr)
    for found in problems:
        where = f"[{found.sheet}!{found.cell}] " if found.cell else ""
        typer.echo(f"{bad} {where}{found.message}", err=True)
    changed = sum(1 for r in reviews.values() if r["grade"] != r["computed_grade"])
    typer.echo(f"复核 {len(reviews)} 个项目，等级变化 {changed} 个，问题 {len(problems)} 条；"
               f"输出在 {out_dir}（复核结果.xlsx、results.jsonl）")
