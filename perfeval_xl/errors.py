"""The ways a command cannot go on, each with its exit status.

Findings about a department's file are data (problems.py), never raised.
These exceptions are for the run itself: a usage error, outputs that cannot
be put in place, Ctrl-C. The CLI is their one handler: it prints the
message on one line and exits with the class's status (outputs.md).
"""

from __future__ import annotations


class PerfevalError(Exception):
    """The command cannot go on; its message is one line for the user."""

    exit_code = 1


class UsageError(PerfevalError):
    """The command was asked for something it cannot do: a bad option, profile, layout or path."""

    exit_code = 2


class OutputError(PerfevalError):
    """The outputs could not be put in place (a file open in Excel, a full disk)."""

    exit_code = 1


class Interrupted(PerfevalError):
    """Ctrl-C: the run stopped before its outputs were written; DIR is unchanged."""

    exit_code = 130

    def __init__(self, done: int, total: int):
        super().__init__(f"已中断：{done}/{total} 个文件已评分，未写出任何输出，输出文件夹保持原样")
        self.done = done
        self.total = total
