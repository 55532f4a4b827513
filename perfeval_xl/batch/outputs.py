"""Where a run's outputs go: staged in a hidden folder inside DIR, then renamed into place.

Everything is written first into a staging folder inside DIR and renamed
into place only when the whole run is complete, so an interrupted run
leaves DIR exactly as it was; Annex names are made unique in input order.

DIR is ours alone while we write: a lock file says which run holds it;
nothing inside DIR is followed through a symbolic link (a link planted as
DIR/annex is refused); the commit is all or nothing (each output that is
replaced is first moved aside into the staging folder, and moved back if a
later one cannot be placed); staging folders left by killed runs are removed
at the next start.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError, UsageError
from ..text import printable_path

ANNEX_DIR = "annex"
REPORT_DIR = "reports"        # with --reports: one 自评报告 (.docx) per project
RESULTS_NAME = "results.jsonl"
SUMMARY_NAME = "summary.xlsx"
# The Annex names the last run wrote, so that the next run removes exactly
# those it does not write again and never a file of anyone else's.
MANIFEST_NAME = ".perfeval-annex-list"
REPORT_MANIFEST_NAME = ".perfeval-report-list"
STAGING_PREFIX = ".perfeval-run-"
LOCK_NAME = ".perfeval-lock"
# A lock file that cannot be read (its run died while writing it) is stale after this.
UNREADABLE_LOCK_SECONDS = 60


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
            raise UsageError(f"输入文件 {printable_path(str(path))} 位于输出位置，会被本次运行覆盖或删除；请换一个输出文件夹（-o）")


@contextmanager
def uninterruptible() -> Iterator[None]:
    """Ctrl-C and SIGTERM are ignored while the outputs are renamed into place: DIR holds one run, never half of two."""
    held = [sig for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if sig is not None]
    previous = {}
    try:
        for sig in held:
            previous[sig] = signal.signal(sig, signal.SIG_IGN)
    except ValueError:          # not the main thread: signals are not ours to handle
        pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a service stopping, `kill`) ends the run as Ctrl-C does: DIR unchanged, exit 130."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except (ValueError, AttributeError):
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


# --- DIR is ours alone ---------------------------------------------------------------


def _shown(path: Path) -> str:
    return printable_path(str(path))


def refuse_links(out_dir: Path) -> None:
    """DIR/annex and DIR/reports must be real folders (or absent): a symbolic link there is never followed."""
    for folder in (ANNEX_DIR, REPORT_DIR):
        _refuse_link(out_dir / folder)


def _refuse_link(annex_dir: Path) -> None:
    try:
        info = os.lstat(annex_dir)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"无法读取 {_shown(annex_dir)}：{exc.strerror or exc}") from exc
    if stat.S_ISLNK(info.st_mode):
        raise OutputError(f"{_shown(annex_dir)} 是符号链接，perfeval 不会跟随它写入或删除文件；请删除该链接或换一个输出文件夹（-o）")
    if not stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{_shown(annex_dir)} 不是文件夹，输出无法放入；请移走它或换一个输出文件夹（-o）")


class OutputLock:
    """DIR/.perfeval-lock while a run writes into DIR: pid, host and start time of the holder."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / LOCK_NAME
        self.held = False

    def acquire(self) -> None:
        mine = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is None:      # stale: its run is gone
                    try:
                        os.unlink(self.path)
                    except FileNotFoundError:
                        pass
                    continue
                raise UsageError(
                    f"输出文件夹 {_shown(self.path.parent)} 正被另一次运行使用（进程 {holder.get('pid', '?')}，"
                    f"主机 {holder.get('host', '?')}，开始于 {holder.get('started', '?')}）；请等它结束或换一个输出文件夹（-o）。"
                    f"若确认没有其他运行，删除 {_shown(self.path)} 后重试"
                ) from None
            except OSError as exc:
                raise OutputError(f"无法写入输出文件夹 {_shown(self.path.parent)}：{exc.strerror or exc}") from exc
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(mine, handle, ensure_ascii=False)
            self.held = True
            return
        raise UsageError(f"无法取得输出文件夹的锁 {_shown(self.path)}；请换一个输出文件夹（-o）")

    def _holder(self) -> dict | None:
        """Who holds the lock, or None when it is stale (its process is gone, on this host)."""
        try:
            info = os.lstat(self.path)
            if not stat.S_ISREG(info.st_mode):
                return {}      # something else is in the way: never removed
            with open(self.path, encoding="utf-8") as handle:
                holder = json.load(handle)
            if not isinstance(holder, dict):
                raise ValueError
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None if time.time() - info.st_mtime > UNREADABLE_LOCK_SECONDS else {}
        if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int) and not _alive(holder["pid"]):
            return None
        return holder

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            with open(self.path, encoding="utf-8") as handle:
                if json.load(handle).get("pid") != os.getpid():
                    return
            os.unlink(self.path)
        except (OSError, ValueError, AttributeError):
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale_staging(out_dir: Path) -> None:
    """Staging folders of runs that were killed (SIGKILL, a power cut): ours to remove, under the lock."""
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(STAGING_PREFIX):
            continue
        try:
            if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)      # the link itself, never what it points to
            else:
                shutil.rmtree(entry.path)  # rmtree never follows links inside
        except OSError:
            continue


# --- the commit: all or nothing ----------------------------------------------------------


class _Placing:
    """Renames new outputs into place, keeping what each replaced, so that all can be undone."""

    def __init__(self, backup: Path):
        self.backup = backup
        self.done: list[tuple[Path, Path | None]] = []     # (target, where its old file went)

    def place(self, source: Path, target: Path, saved: Path) -> None:
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            info = None
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise OSError(errno.EISDIR, "同名文件夹挡住了它", str(target))
        if info is not None:
            os.replace(target, saved)        # moves a link itself, never what it points to
        try:
            os.replace(source, target)
        except OSError:
            if info is not None:
                os.replace(saved, target)
            raise
        self.done.append((target, saved if info is not None else None))

    def undo(self) -> list[Path]:
        """Put every replaced output back; the paths that could not be restored."""
        lost = []
        for target, saved in reversed(self.done):
            try:
                if saved is None:
                    os.unlink(target)
                else:
                    os.replace(saved, target)
            except OSError:
                lost.append(target)
        self.done.clear()
        return lost


# The per-project folders a run writes: (folder, its manifest, the suffix of its files).
ANNEX_FOLDER = (ANNEX_DIR, MANIFEST_NAME, ".xlsx")
REPORT_FOLDER = (REPORT_DIR, REPORT_MANIFEST_NAME, ".docx")


def commit(staging: Path, out_dir: Path, written: set[str], reports: set[str] | None = None) -> None:
    """Rename the staged outputs into DIR, all or nothing; stale files of the last run are removed.

    `written` are the Annex names this run wrote (case-folded); `reports`, with
    --reports, the report names. Raises OutputError naming the file in the way
    when one output cannot be placed; DIR then holds the previous outputs, whole.
    """
    _annex_dir, summary, results = output_paths(out_dir)
    refuse_links(out_dir)
    backup = staging / ".previous"
    placing = _Placing(backup)
    folders = [(ANNEX_FOLDER, written)] + ([(REPORT_FOLDER, reports)] if reports is not None else [])
    target = out_dir / ANNEX_DIR
    made: list[Path] = []
    previous: dict[str, list[str]] = {}
    try:
        for (folder, manifest, suffix), _names in folders:
            (backup / folder).mkdir(parents=True)
            if not os.path.lexists(out_dir / folder):
                (out_dir / folder).mkdir()
                made.append(out_dir / folder)
            previous[folder] = read_manifest(out_dir / folder, manifest, suffix)
        # summary.xlsx first: the file most likely to be open in Excel, which
        # on Windows refuses the rename.
        target = summary
        placing.place(staging / SUMMARY_NAME, summary, backup / SUMMARY_NAME)
        target = results
        placing.place(staging / RESULTS_NAME, results, backup / RESULTS_NAME)
        for (folder, manifest, _suffix), _names in folders:
            with os.scandir(staging / folder) as staged:
                names = sorted(entry.name for entry in staged)
            for name in names:
                target = out_dir / folder / name
                placing.place(staging / folder / name, target, backup / folder / name)
            target = out_dir / folder / manifest
            placing.place(staging / manifest, target, backup / manifest)
    except OSError as exc:
        lost = placing.undo()
        for folder in made:
            try:
                folder.rmdir()
            except OSError:
                pass
        kept = "此前的输出保持原样" if not lost else "未能恢复：" + "、".join(_shown(p) for p in lost)
        raise OutputError(
            f"无法放置 {_shown(Path(target))}：{exc.strerror or exc}（文件是否正在 Excel/WPS 中打开，或被同名文件夹挡住？）；{kept}"
        ) from exc
    for (folder, _manifest, _suffix), names in folders:
        for name in previous[folder]:
            if name.casefold() in names:
                continue
            stale = out_dir / folder / name
            try:
                if stat.S_ISREG(os.lstat(stale).st_mode):     # never through a link
                    os.replace(stale, backup / folder / (".stale-" + name))
            except OSError:
                pass    # a stale file open elsewhere stays; the new ones are all in place


def report_dir(out_dir: str | Path) -> Path:
    """DIR/reports: where `--reports` puts the reports, and what discovery skips."""
    return Path(out_dir) / REPORT_DIR


def read_manifest(annex_dir: Path, manifest: str = MANIFEST_NAME, suffix: str = ".xlsx") -> list[str]:
    try:
        fd = os.open(annex_dir / manifest, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with open(fd, encoding="utf-8") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return []
            lines = handle.read(1 << 24).splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    # Only plain names of ours: a line that names another folder is ignored.
    return [line for line in lines if line and Path(line).name == line and line.endswith(suffix) and not line.startswith(".")]


def write_outputs(out_dir: Path, files: dict[str, bytes]) -> None:
    """Put `files` (name -> bytes) into DIR as one commit, the way a batch does: under DIR's lock,
    staged in a hidden folder inside DIR and renamed into place all or nothing (`sample`, `review`).

    Raises OutputError naming the file in the way when one cannot be placed; DIR then holds the
    previous files, whole.
    """
    import shutil
    import tempfile

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"无法写入 {_shown(out_dir)}：{exc.strerror or exc}") from exc
    lock = OutputLock(out_dir)
    lock.acquire()
    staging = None
    try:
        remove_stale_staging(out_dir)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
        backup = staging / ".previous"
        backup.mkdir()
        placing = _Placing(backup)
        target = out_dir
        try:
            for name, data in files.items():
                (staging / name).write_bytes(data)
            with uninterruptible():
                for name in files:
                    target = out_dir / name
                    placing.place(staging / name, target, backup / name)
        except OSError as exc:
            lost = placing.undo()
            kept = "此前的输出保持原样" if not lost else "未能恢复：" + "、".join(_shown(p) for p in lost)
            raise OutputError(f"无法放置 {_shown(Path(target))}：{exc.strerror or exc}（文件是否正在 Excel/WPS 中打开？）；{kept}") from exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        lock.release()

