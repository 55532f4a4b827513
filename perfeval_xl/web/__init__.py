"""`perfeval serve`: a check page a finance bureau hosts for its departments.

A clerk opens the page, uploads a workbook and sees every finding with its
cell and how to fix it, the score the bureau will compute, and downloads the
scored Annex workbook, without installing anything. Needs the optional
extra: `pip install "perfeval-xl[web]"` (Starlette, Jinja2, uvicorn,
python-multipart). app.py holds the routes; receive.py the bounded upload;
pool.py the child processes that score; scoring.py what a child runs;
view.py what the result page shows.
"""

from __future__ import annotations

WEB_MODULES = ("starlette", "jinja2", "uvicorn", "python_multipart")


def missing_modules() -> list[str]:
    """The web extra's modules that cannot be imported here."""
    import importlib.util

    return [name for name in WEB_MODULES if importlib.util.find_spec(name) is None]
