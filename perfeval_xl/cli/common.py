"""What the commands share: options, loading a profile or layout, the console."""

from __future__ import annotations

from typing import Annotated

import typer

ProfileOption = Annotated[
    str, typer.Option("--profile", "-p", help="评分规则：内置名称（national、local）或 TOML 文件路径。")
]
JsonOption = Annotated[bool, typer.Option("--json", help="以 JSON 输出结果（供程序读取）。")]
LayoutOption = Annotated[
    str, typer.Option("--layout", help="附件1 版式：内置名称（national、xinzhou）或版式工作簿（.xlsx）路径，见 docs/layouts.md。")
]


def load_profile_option(name: str):
    """The scoring profile; a bad one is a ProfileError, a usage error."""
    from ..profiles import load_profile

    return load_profile(name)


def load_layout_option(name: str):
    """The Annex layout, read once for the whole run; a bad template is a LayoutError, a usage error."""
    from ..writers.annex import load_layout

    return load_layout(name)


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def failure_line(result) -> str:
    """One line for a file that could not be read, naming every reason."""
    parts = []
    for found in result.problems or (result.failure,):
        where = f"[{found.location}] " if found.location else ""
        parts.append(f"{where}{found.message} ({found.code})")
    return f"{result.source_path}: " + "；".join(parts)
