"""`perfeval sample`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import OutDirOption, require_out_dir


def results_of(summary_dir: Path) -> Path:
    """SUMMARY_DIR/results.jsonl (or the file itself); a missing one is a usage error."""
    from ..errors import UsageError

    path = summary_dir if summary_dir.is_file() else summary_dir / "results.jsonl"
    if not path.is_file():
        raise UsageError(f"找不到 {path}：结果文件夹应为 perfeval batch 的输出文件夹")
    return path


def load_records(path: Path) -> list[dict]:
    from ..errors import UsageError
    from ..review.sample import read_records

    try:
        return read_records(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"无法读取 {path}：{exc}") from None


@app.command()
def sample(
    summary_dir: Annotated[Path, typer.Argument(
        help="perfeval batch 的输出文件夹（含 results.jsonl）。", show_default=False, metavar="结果文件夹")],
    count: Annotated[int, typer.Option("-n", "--count", metavar="个数", help="抽取的项目数。", show_default=False)],
    seed: Annotated[int, typer.Option("--seed", metavar="种子", help="随机种子：同样的结果和种子抽出同样的清单。",
                                      show_default=False)],
    out_dir: OutDirOption = Path("."),
    risk_share: Annotated[float, typer.Option(
        "--risk-share", metavar="比例", help="按风险分从高到低抽取的比例（0～1，默认 0.7），其余随机抽取。")] = 0.7,
) -> None:
    """抽评：按风险分和随机种子抽取项目，写出 抽评清单.xlsx 和 复核表.xlsx。

    每个项目的风险分由公开的风险点相加（见 perfeval docs review）；先取风险最高的一部分，其余按种子随机抽取。
    """
    from .. import __version__
    from ..errors import UsageError
    from ..review.books import review_form, sample_list
    from ..review.sample import candidates, draw
    from ..batch.outputs import write_outputs

    if count < 1:
        raise UsageError(f"-n 应为不小于 1 的整数，而不是 {count}")
    if not 0 <= risk_share <= 1:
        raise UsageError(f"--risk-share 应在 0 到 1 之间，而不是 {risk_share}")
    require_out_dir(out_dir)
    path = results_of(summary_dir)
    pool = candidates(load_records(path))
    if not pool:
        raise UsageError(f"{path} 中没有评分成功的项目，无从抽取")
    picks = draw(pool, count, seed, risk_share)
    notes = [
        ("结果文件", str(path)), ("随机种子", str(seed)), ("抽取数", f"{len(picks)}（共 {len(pool)} 个项目）"),
        ("风险比例", f"{risk_share:g}"), ("程序版本", f"perfeval-xl {__version__}"),
        ("填写说明", "在“复核表”的复核得分栏填写 0 到分值之间的分数，复核意见栏写明理由；复核得分留空表示认可核算得分。"
                     "填好后运行 perfeval review 复核表.xlsx --results 结果文件夹。请勿改动隐藏列（源文件、SHA-256、行）。"),
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    # Both workbooks as one commit, under DIR's lock, as a batch writes (batch/outputs.py).
    write_outputs(out_dir, {"抽评清单.xlsx": sample_list(picks, pool, notes), "复核表.xlsx": review_form(picks, notes)})
    risky = sum(1 for pick in picks if pick.why.startswith("风险"))
    typer.echo(f"抽取 {len(picks)} 个项目（按风险 {risky}，随机 {len(picks) - risky}，种子 {seed}）；"
               f"输出在 {out_dir}（抽评清单.xlsx、复核表.xlsx）")
