"""`perfeval explain CODE`: a finding's whole catalogue entry."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import app

FIELDS = (("级别", "severity"), ("指向的单元格", "cell"), ("含义", "meaning"), ("依据", "why"),
          ("如何修改", "fix"), ("提示文字", "message"), ("英文提示", "message_en"))


@app.command()
def explain(
    code: Annotated[str, typer.Argument(
        metavar="代码", help="问题代码，即 check 表格“代码”列或 JSON 中 code 的值，如 unit-mismatch。", show_default=False)],
) -> None:
    """说明一个问题代码：含义、依据、如何修改，以及提示文字的写法。

    全部问题代码一览：perfeval docs checks。
    """
    from ..catalogue import CATALOGUE
    from ..errors import UsageError

    key = code.strip().lower()
    entry = CATALOGUE.get(key)
    if entry is None:
        raise UsageError(f"没有问题代码“{code}”；{_suggest(key, list(CATALOGUE))}")
    typer.echo(key)
    for label, name in FIELDS:
        typer.echo(f"  {label}：{getattr(entry, name)}")
    typer.echo("  （提示文字中 {…} 处填入具体的值，如单元格内容和分值。）")
    typer.echo("“评分规则 §N”见 perfeval docs rules（docs/rules.md）第 N 节；“填报规范”见 perfeval docs intake（docs/intake.md）。")


def _suggest(key: str, codes: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, codes, n=5, cutoff=0.5)
    close += [code for code in codes if key and key in code and code not in close][: 5 - len(close)]
    if close:
        return "相近的代码：" + "、".join(close)
    return "全部代码见 perfeval docs checks"
