"""The `perfeval` Typer app: Chinese help pages, and the one place a PerfevalError,
or click's own usage error, becomes a line on stderr and its exit status."""

from __future__ import annotations

from typing import Annotated

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import PerfevalError
from . import zh

zh.install()    # click's "Usage:", "Options", "Missing argument"... in Chinese


def _chinese_help(cls):
    """`cls` with its help page and usage line in Chinese (zh.py); for the group and every command."""

    def get_help(self, ctx) -> str:
        return zh.help_text(super(chinese, self).get_help(ctx))

    def get_usage(self, ctx) -> str:
        return zh.help_text(super(chinese, self).get_usage(ctx))

    chinese = type(cls.__name__, (cls,), {"get_help": get_help, "get_usage": get_usage, "chinese_help": True})
    return chinese


def _chinese(command) -> None:
    # A command typer built is given the subclass (single inheritance, so its layout is the same).
    if not getattr(command, "chinese_help", False):
        command.__class__ = _chinese_help(type(command))


# click's exception classes, from the click typer runs on (its own copy, or click).
_CLICK = {c.__name__: c for c in typer.BadParameter.__mro__}
_ClickException, _UsageError = _CLICK["ClickException"], _CLICK["UsageError"]


class _Commands(_chinese_help(TyperGroup)):
    """The one place a PerfevalError, or click's usage error, becomes a line on stderr and its exit status."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            _chinese(command)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PerfevalError as exc:
            typer.echo(f"perfeval: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("perfeval: 已中断（Ctrl-C）", err=True)
            raise typer.Exit(130) from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """click's own messages ("Missing argument", "No such option") in Chinese, on one line."""
        import sys

        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _UsageError as exc:
            status = exc.exit_code
            if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:
                typer.echo(exc.ctx.get_help(), err=True)
            else:
                hint = f"（查看帮助：{exc.ctx.command_path} -h）" if exc.ctx is not None else ""
                typer.echo(f"perfeval: {zh.error_text(exc.format_message())}{hint}", err=True)
        except _ClickException as exc:
            status = exc.exit_code
            typer.echo(f"perfeval: {zh.error_text(exc.format_message())}", err=True)
        except typer.Abort:
            typer.echo("perfeval: 已中止", err=True)
            status = 1
        if not standalone_mode:
            return status
        sys.exit(status if isinstance(status, int) else 0)


HELP = """项目支出绩效自评：读取填报表、校验、按规则评分，生成附件1 项目支出绩效自评表。


常用：
  perfeval template -o 填报表.xlsx        写出空白填报表
  perfeval check 填报表.xlsx              列出问题及修改方法
  perfeval score 填报表.xlsx -o 输出      评分并写出附件1
  perfeval batch 收件箱 -o 汇总           批量评分，写出汇总工作簿
  perfeval sample 汇总 -n 10 --seed 1     抽评：抽评清单和复核表
  perfeval review 复核表.xlsx --results 汇总 -o 复核   读回复核表
  perfeval explain unit-mismatch          某个问题代码的完整说明
  perfeval docs                           使用说明（评分规则、填报表、输出）
"""

app = typer.Typer(
    cls=_Commands,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    options_metavar="[选项]",
    subcommand_metavar="命令 [参数]…",
    context_settings={"help_option_names": ["-h", "--help"]},
    help=HELP,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"perfeval {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", "-V", callback=_version, is_eager=True, help="显示版本号并退出。")] = False,
) -> None:
    pass
