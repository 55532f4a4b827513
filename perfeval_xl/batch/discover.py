"""Finding the spreadsheets and Word reports under the files and folders a user names."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ..reading.grid import SUPPORTED_SUFFIXES, WORD_SUFFIXES

LOCK_PREFIX = "~$"


@dataclass(frozen=True)
class Discovery:
    # Each path is the input as given joined with the path below it: where to
    # open the file, and how its record and the summary name it.
    paths: list[str]
    unreadable: list[str] = field(default_factory=list)   # what could not be listed
    # (draft, source): a report perfeval wrote from `source`, found in a
    # folder beside that same source, and so not read (see own_drafts).
    drafts: list[tuple[str, str]] = field(default_factory=list)


def is_candidate(name: str) -> bool:
    """A spreadsheet or Word report by its name, and neither an Excel/WPS lock file nor hidden."""
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
    """Every spreadsheet and Word report under `inputs`, sorted by path, each once.

    Folders are searched recursively for .xlsx .xlsm .xls .ods .docx .docm
    .doc, skipping `~$` lock files, hidden files and folders, the `exclude`
    files and folders (our own outputs), and the draft reports this program
    wrote from a spreadsheet that is itself among the inputs (own_drafts). A
    file named on its own is taken as it is: the user asked for it, and if it
    is no spreadsheet its record says so.
    """
    excluded = {os.path.realpath(path) for path in exclude}
    excluded_names = {os.path.basename(path) for path in excluded}
    found: list[str] = []
    unreadable: list[str] = []
    named: set[str] = set()      # the files named on their own, by real path
    for given in inputs:
        given = str(Path(given))
        if not os.path.isdir(given):
            found.append(given)
            named.add(os.path.realpath(given))
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
    listed = []         # reached through a folder, not named on their own
    for path in found:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
            if real not in named:
                listed.append(path)
    drafts = own_drafts(listed, unique)
    skipped = {draft for draft, _ in drafts}
    return Discovery([path for path in unique if path not in skipped], unreadable, drafts)


def own_drafts(listed: list[str], inputs: list[str]) -> list[tuple[str, str]]:
    """(draft, source) for each Word file in `listed` that is a report this program
    wrote (`perfeval report`, `batch --reports`) from another file in `inputs`.

    Such a draft is the same project as its source: read beside it, it would
    be scored twice, and `perfeval report DIR -o DIR` run again would write
    its report of its own report, as `… (2).docx`. The draft names its source
    by the SHA-256 in its core properties, as we write it (`sha256:` and 64
    lower-case hex digits); the other inputs are hashed only when a listed
    Word file carries one.
    """
    from ..writers.report.names import IDENTIFIER_PREFIX, identifier_of, source_of

    claims: dict[str, list[str]] = {}
    for path in listed:
        if path.lower().endswith(WORD_SUFFIXES):
            identifier = source_of(Path(path))
            if identifier and identifier.startswith(IDENTIFIER_PREFIX):
                claims.setdefault(identifier, []).append(path)
    if not claims:
        return []
    from ..evaluate import digest_or_blank

    drafts = []
    for path in inputs:
        if not claims:
            break
        sha256 = digest_or_blank(Path(path))
        drafts += [(draft, path) for draft in (claims.pop(identifier_of(sha256), []) if sha256 else [])]
    return sorted(drafts, key=lambda pair: _path_key(pair[0]))
