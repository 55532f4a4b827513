"""What runs in the child process for one upload: score it, write its outputs.

`score_upload` is the ONE place an upload is read. It runs in a worker
process of the page's own pool (pool.py), which is a contained reader like
those of `check` and `batch`: its memory is capped (RLIMIT_AS), it dies with
the server, and an alarm ends it past the time limit; so a reader that
crashes, or loops, costs that worker and never the server. A workbook of
several Annex forms is shown project by project, each with its own Annex
(`annex.xlsx`, `annex-2.xlsx`, …).

The child talks back through files only, never pickle: it writes
`record.json` (the result record; for several projects a JSON array of their
records), `view.json` (what the result page shows) and, for each readable
project, its Annex workbook into the request's private folder, and the
server reads them.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from ..evaluate import evaluate_path
from ..profiles import load_profile
from ..writers.annex import annex_filename, render_annex
from ..writers.record import to_json, to_json_list
from .view import file_view, page_view

RECORD, VIEW, ANNEX = "record.json", "view.json", "annex.xlsx"


@lru_cache(maxsize=8)
def _profile(spec: str):
    return load_profile(spec)


def _score_upload(path: Path, profile_spec: str, shown_name: str):
    """The one call that reads an uploaded file (in a contained worker, pool.py): its projects' results."""
    return evaluate_path(path, _profile(profile_spec), display_path=shown_name)


def annex_file(index: int) -> str:
    """The file in the request's folder holding the Annex of the upload's project `index` (from 0)."""
    return ANNEX if index == 0 else f"annex-{index + 1}.xlsx"


def score_upload(upload: str, out_dir: str, profile_spec: str, shown_name: str, with_annex: bool) -> None:
    """Score the stored upload; write record.json, view.json and (when asked) each readable project's Annex."""
    out = Path(out_dir)
    results = _score_upload(Path(upload), profile_spec, shown_name)
    views = []
    for index, result in enumerate(results):
        annex_name = None
        if with_annex and result.ok:
            _write(out / annex_file(index), render_annex(result))
            annex_name = annex_filename(result)
        views.append(page_view(result, annex_name))
    record = to_json(results[0], indent=2) if len(results) == 1 else to_json_list(results, indent=2)
    _write(out / RECORD, record.encode("utf-8"))
    _write(out / VIEW, json.dumps(file_view(views), ensure_ascii=False).encode("utf-8"))


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def warm(profile_spec: str = "national") -> None:
    """Load what every child needs (profile, the Annex layout) once, in the process children are forked from."""
    from ..writers.annex import load_layout

    _profile(profile_spec)
    load_layout(None)
