"""The `perfeval` command: thin over the library.

Each command lives in its own module here: it parses its arguments, calls
the library, renders the result and sets the exit status (outputs.md). Only
this package prints. A PerfevalError raised anywhere below is turned into
one line on stderr and its exit status by `_Commands` (errors.py). Heavy
libraries are imported inside the commands, so that `perfeval --help`
starts fast.
"""

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


def main() -> None:
    app(prog_name="perfeval")


# Each module registers its command on `app`; the order is the order of --help.
from . import template, check, score, batch, report  # noqa: E402,F401
