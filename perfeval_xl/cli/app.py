"""The `perfeval` Typer app and the one place a PerfevalError becomes its exit status."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from ..errors import PerfevalError


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
