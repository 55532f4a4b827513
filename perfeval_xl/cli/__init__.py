"""The `perfeval` command: thin over the library.

Each command lives in its own module here: it parses its arguments, calls
the library, renders the result and sets the exit status (docs/outputs.md).
Only this package prints. A PerfevalError raised anywhere below, and
click's own usage errors, are turned into one Chinese line on stderr and
their exit status by `_Commands` (app.py); help pages are in Chinese
(zh.py). Heavy
libraries are imported inside the commands, so that `perfeval --help`
starts fast.
"""

from __future__ import annotations

from .app import app


def main() -> None:
    from .common import safe_streams

    safe_streams()
    app(prog_name="perfeval")


# Each module registers its command on `app`; the order is the order of --help.
from . import template, check, score, batch, report, sample, review, explain, docs, serve  # noqa: E402,F401
