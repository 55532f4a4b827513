"""The `perfeval` command: thin over the library.

Each command lives in its own module here: it parses its arguments, calls
the library, renders the result and sets the exit status (outputs.md). Only
this package prints. A PerfevalError raised anywhere below is turned into
one line on stderr and its exit status by `_Commands` (app.py). Heavy
libraries are imported inside the commands, so that `perfeval --help`
starts fast.
"""

from __future__ import annotations

from .app import app


def main() -> None:
    app(prog_name="perfeval")


# Each module registers its command on `app`; the order is the order of --help.
from . import template, check, score, batch  # noqa: E402,F401
