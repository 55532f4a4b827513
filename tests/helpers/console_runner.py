"""typer's CliRunner, with the click command built from the app once rather than on every invoke.

`typer.testing.CliRunner.invoke(app, ...)` first builds the click command
from the Typer app (`typer.main.get_command`: every command, parameter and
help text, some 20-30 ms for `perfeval`), then runs it in its isolation.
Building is the same work each time and running does not change the built
command (click makes a new Context per run), so this runner builds it once
per app and hands typer's own `invoke` that command: the isolation, the
exit-code handling and the Result are typer's, unchanged.
"""

from __future__ import annotations

import typer.testing
from typer.main import get_command

_BUILT: dict[int, tuple[object, object]] = {}


def built(app):
    """The click command typer builds from `app`, built the first time it is asked for."""
    held = _BUILT.get(id(app))
    if held is None or held[0] is not app:
        held = _BUILT[id(app)] = (app, get_command(app))
    return held[1]


class CliRunner(typer.testing.CliRunner):
    def invoke(self, app, *args, **kwargs):
        command = built(app)
        build = typer.testing._get_command
        typer.testing._get_command = lambda _app: command
        try:
            return super().invoke(app, *args, **kwargs)
        finally:
            typer.testing._get_command = build
