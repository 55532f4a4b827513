"""What the commands share: options, checking paths, loading a profile or layout, the console."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError

ProfileOption = Annotated[
    str, typer.Option("--profile", "-p", metavar="规则", help="评分规则：内置名称（national、local）或 TOML 文件路径。")
]
JsonOption = Annotated[bool, typer.Option("--json", help="以 JSON 输出结果（供程序读取）。")]
LayoutOption = Annotated[
    str, typer.Option(
        "--layout", metavar="版式",
        help="附件版式：内置名称（national、xinzhou）或版式工作簿（.xlsx）路径；说明见 perfeval docs layouts。")
]
StrictOption = Annotated[bool, typer.Option(
    "--strict", help="作为关卡运行：有文件未能读取或有错误级问题时，退出状态为 1（默认只要写出了输出即为 0）。")]
OutDirOption = Annotated[Path, typer.Option("--output-dir", "-o", metavar="文件夹", help="输出写入的文件夹（不存在时新建）。")]

# What batch and report say when the inputs hold nothing they read.
NOTHING_FOUND = "给定的文件和文件夹中没有表格文件（.xlsx .xlsm .xls .ods）或 Word 报告（.docx .docm .doc）"


def say_skipped(found) -> None:
    """On stderr, what discovery left out and why: folders it could not list, and our own drafts."""
    from ..text import printable_path

    for folder in found.unreadable:
        typer.echo(f"perfeval: 无法读取 {printable_path(str(folder))}，已跳过", err=True)
    for draft, source in found.drafts:
        typer.echo(f"perfeval: 已跳过 {printable_path(draft)}：是本程序根据 {printable_path(source)} 写出的报告初稿，"
                   f"与它是同一项目（要读取这份报告，请单独给出这个文件）", err=True)


def load_profile_option(name: str):
    """The scoring profile; a bad one is a ProfileError, a usage error."""
    from ..profiles import load_profile

    return load_profile(name)


def load_layout_option(name: str):
    """The Annex layout, read once for the whole run; a bad template is a LayoutError, a usage error."""
    from ..writers.annex import load_layout

    return load_layout(name)


def require_inputs(paths: list[Path], *, folders: bool) -> None:
    """Every input must exist; a folder is refused where only files are read (`check`, `score`)."""
    for path in paths:
        if not path.exists():
            raise UsageError(f"找不到 {path}：请检查文件名和所在文件夹")
        if path.is_dir() and not folders:
            raise UsageError(f"{path} 是文件夹；要处理整个文件夹请用 perfeval batch {path} -o 输出文件夹")


def require_out_dir(path: Path) -> None:
    """`-o` names a folder: an existing file there is a usage error, not "File exists"."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"-o {path} 是一个已存在的文件；-o 应为输出文件夹（不存在时会新建）")


def name_list(names: list[str], total: int, shown: int = 5) -> str:
    """The first few names, then …及其他 N 个 for the rest of `total`."""
    head = "、".join(names[:shown])
    rest = total - min(len(names), shown)
    return f"{head}…及其他 {rest} 个" if rest > 0 else head


# --- the console ------------------------------------------------------------

def safe_streams() -> None:
    """Whatever the terminal's encoding (a Chinese Windows console is GBK), printing never fails.

    A character the encoding cannot carry is replaced, never raised as
    UnicodeEncodeError; the marks below are chosen so that the usual ones are
    not replaced at all.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):     # a stream already written to in a way that forbids it
                pass


def _encodable(text: str, stream) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def marks(stream=None) -> tuple[str, str]:
    """The (good, bad) marks the stream's encoding can carry: ✓✗, else √× (GBK), else OK/X."""
    stream = stream or sys.stdout
    for good, bad in (("✓", "✗"), ("√", "×")):
        if _encodable(good + bad, stream):
            return good, bad
    return "OK", "X"


def console(stderr: bool = False):
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not out.is_terminal and out.width < 160:
        out.width = 160        # a file or a pipe has no screen to fit: fold long messages less
    return out


def failure_line(result) -> str:
    """One line for a file that could not be read, naming every reason."""
    parts = []
    for found in result.problems or (result.failure,):
        where = f"[{found.location}] " if found.location else ""
        parts.append(f"{where}{found.message} ({found.code})")
    return f"{result.source_path}: " + "；".join(parts)



# --- where `score` writes ---------------------------------------------------

def annex_source(path: Path) -> tuple[str, str] | None:
    """(源文件, 源文件 SHA-256) from the 说明 sheet of an Annex we wrote; None for any other file."""
    import zipfile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    try:
        if "说明" not in workbook.sheetnames:
            return None
        rows = [row for row in workbook["说明"].iter_rows(max_col=2, values_only=True) if len(row) == 2]
    finally:
        workbook.close()
    # Labels as the 说明 sheet writes them (源文件, 源文件 SHA-256), read loosely so a relabelling keeps working.
    name = sha = None
    for label, value in rows:
        if isinstance(label, str) and label.replace(" ", "").startswith("源文件") and isinstance(value, str):
            if "SHA" in label.upper():
                sha = value
            elif name is None:
                name = value
    return None if sha is None else (name or "", sha)


def annex_target(out_dir: Path, name: str, source: Path, sha256: str) -> str:
    """The name `score` writes under: `name`, unless that file is not an Annex of this source.

    An existing Annex is replaced only when it was made from this source (the
    same file name, e.g. an edited and rescored intake, or the same SHA-256);
    an Annex made from another file of the same project, or any other file, is
    never written over: the next free `name (2).xlsx`, `(3)`… is used.
    """
    stem, suffix = name.rsplit(".", 1)
    number = 1
    while True:
        candidate = name if number == 1 else f"{stem} ({number}).{suffix}"
        path = out_dir / candidate
        if not path.exists():
            return candidate
        if path.is_file() and path.resolve() != source.resolve():
            made_from = annex_source(path)
            if made_from is not None and (made_from[0] == source.name or made_from[1] == sha256):
                return candidate
        number += 1
