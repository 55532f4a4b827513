"""Where a run's outputs go: staged in a hidden folder inside DIR, then renamed into place.

Everything is written first into a staging folder inside DIR and renamed
into place only when the whole run is complete, so an interrupted run
leaves DIR exactly as it was; Annex names are made unique in input order.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError, UsageError

ANNEX_DIR = "annex"
REPORT_DIR = "reports"        # with --reports: one 自评报告 (.docx) per project
RESULTS_NAME = "results.jsonl"
SUMMARY_NAME = "summary.xlsx"
# The Annex names the last run wrote, so that the next run removes exactly
# those it does not write again and never a file of anyone else's.
MANIFEST_NAME = ".perfeval-annex-list"
REPORT_MANIFEST_NAME = ".perfeval-report-list"
STAGING_PREFIX = ".perfeval-run-"
STAGING_PREFIX = ".perfeval-run-"


def output_paths(out_dir: str | Path) -> tuple[Path, Path, Path]:
    """DIR/annex, DIR/summary.xlsx, DIR/results.jsonl: what a run writes, and what discovery skips."""
    out_dir = Path(out_dir)
    return out_dir / ANNEX_DIR, out_dir / SUMMARY_NAME, out_dir / RESULTS_NAME


class AnnexNames:
    """Unique Annex names in input order: the second `X.xlsx` becomes `X (2).xlsx`.

    Compared case-folded, as Windows and macOS compare file names.
    """

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.last: dict[str, int] = {}    # the last number given to a repeated name

    def claim(self, name: str) -> str:
        stem, suffix = os.path.splitext(name)
        key = name.casefold()
        number = self.last.get(key, 1)
        candidate = name if number == 1 else f"{stem} ({number}){suffix}"
        while candidate.casefold() in self.taken:
            number += 1
            candidate = f"{stem} ({number}){suffix}"
        if number > 1:
            self.last[key] = number
        self.taken.add(candidate.casefold())
        return candidate


def refuse_inputs_among_outputs(paths: list[str], out_dir: Path) -> None:
    annex_dir, *files = output_paths(out_dir)
    annex_real = os.path.realpath(annex_dir)
    written = {os.path.realpath(path) for path in files}
    for path in paths:
        real = os.path.realpath(path)
        if real in written or os.path.dirname(real) == annex_real:
            raise UsageError(f"输入文件 {path} 位于输出位置，会被本次运行覆盖或删除；请换一个输出文件夹（-o）")


@contextmanager
def uninterruptible() -> Iterator[None]:
    """Ctrl-C is ignored while the outputs are renamed into place: DIR holds one run, never half of two."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:          # not the main thread: signals are not ours to handle
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def commit(staging: Path, out_dir: Path, written: set[str]) -> None:
    annex_dir, summary, results = output_paths(out_dir)
    target = summary
    try:
        # summary.xlsx first: the file most likely to be open in Excel, which
        # on Windows refuses the rename; then nothing else has been replaced.
        os.replace(staging / SUMMARY_NAME, summary)
        target = results
        os.replace(staging / RESULTS_NAME, results)
        target = annex_dir
        annex_dir.mkdir(exist_ok=True)
        previous = read_manifest(annex_dir)
        with os.scandir(staging / ANNEX_DIR) as annexes:
            for entry in annexes:
                os.replace(entry.path, annex_dir / entry.name)
        os.replace(staging / MANIFEST_NAME, annex_dir / MANIFEST_NAME)
    except OSError as exc:
        raise OutputError(f"无法写入 {target}：{exc.strerror or exc}（文件是否正在 Excel/WPS 中打开？）") from exc
    for name in previous:
        stale = annex_dir / name
        if name.casefold() not in written and stale.is_file() and not stale.is_symlink():
            try:
                stale.unlink()
            except OSError:
                pass    # a stale Annex open elsewhere stays; the new ones are all in place


def read_manifest(annex_dir: Path, manifest: str = MANIFEST_NAME, suffix: str = ".xlsx") -> list[str]:
    try:
        lines = (annex_dir / manifest).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    # Only plain names of ours: a line that names another folder is ignored.
    return [line for line in lines if line and Path(line).name == line and line.endswith(suffix) and not line.startswith(".")]


def report_dir(out_dir: str | Path) -> Path:
    """DIR/reports: where `--reports` puts the reports, and what discovery skips."""
    return Path(out_dir) / REPORT_DIR


def commit_reports(staging: Path, out_dir: Path, written: set[str]) -> None:
    """Rename staging/reports/* into DIR/reports/, then remove the reports of the last run not written again.

    As for the Annexes: the manifest names what a run wrote, so only our
    own stale reports are ever removed, never a file of anyone else's.
    """
    reports = report_dir(out_dir)
    try:
        reports.mkdir(exist_ok=True)
        previous = read_manifest(reports, REPORT_MANIFEST_NAME, ".docx")
        with os.scandir(staging / REPORT_DIR) as staged:
            for entry in staged:
                os.replace(entry.path, reports / entry.name)
        os.replace(staging / REPORT_MANIFEST_NAME, reports / REPORT_MANIFEST_NAME)
    except OSError as exc:
        raise OutputError(f"无法写入 {reports}：{exc.strerror or exc}（文件是否正在 Word/WPS 中打开？）") from exc
    for name in previous:
        stale = reports / name
        if name.casefold() not in written and stale.is_file() and not stale.is_symlink():
            try:
                stale.unlink()
            except OSError:
                pass    # a stale report open elsewhere stays; the new ones are all in place
