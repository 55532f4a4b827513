"""Finding the spreadsheets under the files and folders a user names."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ..reading.grid import SUPPORTED_SUFFIXES

LOCK_PREFIX = "~$"


@dataclass(frozen=True)
class Discovery:
    # Each path is the input as given joined with the path below it: where to
    # open the file, and how its record and the summary name it.
    paths: list[str]
    unreadable: list[str] = field(default_factory=list)   # what could not be listed


def is_candidate(name: str) -> bool:
    """A spreadsheet by its name, and neither an Excel/WPS lock file nor hidden."""
    return (
        not name.startswith((LOCK_PREFIX, "."))
        and name.lower().endswith(SUPPORTED_SUFFIXES)
    )


def _hidden(entry: os.DirEntry) -> bool:
    if entry.name.startswith("."):
        return True
    if os.name != "nt":
        return False
    # Windows marks hidden files by an attribute ($RECYCLE.BIN, Office's temporary files).
    return bool(entry.stat(follow_symlinks=False).st_file_attributes & stat.FILE_ATTRIBUTE_HIDDEN)


def _path_key(path: str) -> tuple[str, ...]:
    # By path components, so that a folder's files stay together whatever
    # characters sort between "/" and the next name.
    return PurePath(path).parts


def discover(inputs: Iterable[str | Path], *, exclude: Iterable[str | Path] = ()) -> Discovery:
    """Every spreadsheet under `inputs`, sorted by path, each once.

    Folders are searched recursively for .xlsx .xlsm .xls .ods, skipping
    `~$` lock files, hidden files and folders, and the `exclude` files and
    folders (our own outputs). A file named on its own is taken as it is:
    the user asked for it, and if it is no spreadsheet its record says so.
    """
    excluded = {os.path.realpath(path) for path in exclude}
    excluded_names = {os.path.basename(path) for path in excluded}
    found: list[str] = []
    unreadable: list[str] = []
    for given in inputs:
        given = str(Path(given))
        if not os.path.isdir(given):
            found.append(given)
            continue
        stack = [given]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError:
                unreadable.append(folder)
                continue
            for entry in entries:
                path = os.path.join(folder, entry.name)
                try:
                    if _hidden(entry) or (entry.name in excluded_names and os.path.realpath(path) in excluded):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(path)
                    elif is_candidate(entry.name) and entry.is_file():
                        found.append(path)
                except OSError:
                    unreadable.append(path)
    found.sort(key=_path_key)
    seen: set[str] = set()
    unique = []
    for path in found:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return Discovery(unique, unreadable)
