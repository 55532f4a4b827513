"""The check page: Starlette routes, server-rendered Jinja2 pages, no JavaScript.

Routes: `/` the start page and upload form; `POST /check` receives one file,
scores it and redirects to `/result/{token}`; `/download/{token}/annex` and
`/download/{token}/record` give the outputs once each (the file is deleted
as it is sent); `/template` the blank intake workbook; `POST /api/check`
the JSON record, for the bureau's own systems; `/static/style.css`.

Every request that carries a file gets a private folder (mode 0700) under
the server's own temporary folder; a background task deletes what has not
been downloaded after `ttl` seconds, and the whole folder goes when the
server stops. Tokens are secrets.token_urlsafe and are only ever dictionary
keys, never parts of a path.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import __version__
from ..evaluate import failed, sha256_of
from ..problems import ERROR, problem
from ..profiles import load_profile
from ..reading.grid import SUPPORTED_SUFFIXES
from ..writers.record import to_json
from .headers import SecurityHeaders
from .pool import Busy, ScoringPool, default_workers
from .receive import Refused, check_declared_length, receive_upload
from .scoring import RECORD, VIEW, annex_file
from .view import FIX, file_view

MB = 1024 * 1024
STATIC = Path(__file__).with_name("static")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BUSY = "当前检查的文件较多，请稍等一两分钟后再上传。"


@dataclass(frozen=True)
class Settings:
    workers: int = field(default_factory=default_workers)
    queue_limit: int = 32           # uploads waiting beyond the N being scored
    timeout: float = 60.0           # seconds one upload may take to score
    max_upload: int = 50 * MB       # the reader's own file limit
    ttl: float = 600.0              # seconds outputs wait to be downloaded
    sweep: float = 30.0             # how often the cleanup task looks
    profile: str = "national"
    tmp_root: str | None = None     # where the server's private folder goes (default: the system's)


@dataclass
class Job:
    folder: Path
    created: float
    view: dict
    files: dict[str, tuple[str, str, str]]   # kind -> (file in folder, download name, media type)


class State:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.pool = ScoringPool(settings.workers, settings.queue_limit, settings.timeout)
        self.profile = load_profile(settings.profile)
        self.base: Path | None = None
        self.jobs: dict[str, Job] = {}
        self.template_bytes = b""

    def new_folder(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="req-", dir=self.base))   # mkdtemp: mode 0700

    def sweep(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for token, job in list(self.jobs.items()):
            if now - job.created > self.settings.ttl:
                shutil.rmtree(job.folder, ignore_errors=True)
                del self.jobs[token]


_env = Environment(loader=PackageLoader("perfeval_xl.web", "templates"), autoescape=select_autoescape(default=True))


def _page(name: str, status: int = 200, headers: dict[str, str] | None = None, **context) -> HTMLResponse:
    context.setdefault("version", __version__)
    context.setdefault("accepted", SUPPORTED_SUFFIXES)
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


def _state(request: Request) -> State:
    return request.app.state.perfeval


# --- pages ------------------------------------------------------------------------


async def index(request: Request) -> Response:
    state = _state(request)
    return _page("index.html", limit_mb=state.settings.max_upload // MB, profile=state.profile)


async def check_page(request: Request) -> Response:
    state = _state(request)
    try:
        job = await _check(request, state, with_annex=True)
    except Refused as refused:
        return _page("refused.html", refused.status, message=refused.message)
    except Busy:
        return _page("refused.html", 503, message=BUSY, headers={"Retry-After": "60"})
    token = secrets.token_urlsafe(24)
    state.jobs[token] = job
    return RedirectResponse(f"/result/{token}", status_code=303)


async def result_page(request: Request) -> Response:
    state = _state(request)
    token = request.path_params["token"]
    job = state.jobs.get(token)
    if job is None:
        return _page("refused.html", 404, message="这份检查结果已过期或不存在（结果只保留几分钟）。请重新上传文件。")
    links = {kind: f"/download/{token}/{kind}" for kind in job.files}
    minutes = max(1, int(state.settings.ttl // 60))
    return _page("result.html", v=job.view, links=links, minutes=minutes, profile=state.profile)


async def download(request: Request) -> Response:
    state = _state(request)
    token, kind = request.path_params["token"], request.path_params["kind"]
    job = state.jobs.get(token)
    entry = job.files.get(kind) if job else None
    if entry is None:
        return _page("refused.html", 404, message="文件已下载过或已过期（结果只保留几分钟）。请重新上传文件检查。")
    name, shown, media = entry
    path = job.folder / name
    try:
        data = path.read_bytes()
        path.unlink()
    except OSError:
        return _page("refused.html", 404, message="文件已下载过或已过期。请重新上传文件检查。")
    del job.files[kind]
    if not job.files:
        shutil.rmtree(job.folder, ignore_errors=True)
    return Response(data, media_type=media, headers=_attachment(shown))


async def template(request: Request) -> Response:
    return Response(_state(request).template_bytes, media_type=XLSX, headers=_attachment("项目支出绩效自评填报表.xlsx"))


async def style(request: Request) -> Response:
    return Response((STATIC / "style.css").read_bytes(), media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "max-age=3600"})


async def api_check(request: Request) -> Response:
    """The JSON record of one uploaded file; nothing is kept after the answer."""
    state = _state(request)
    try:
        job = await _check(request, state, with_annex=False)
    except Refused as refused:
        return JSONResponse({"error": {"code": refused.code, "message": refused.message}}, refused.status)
    except Busy:
        return JSONResponse({"error": {"code": "server-busy", "message": BUSY}}, 503, headers={"Retry-After": "60"})
    try:
        record = (job.folder / RECORD).read_bytes()
    finally:
        shutil.rmtree(job.folder, ignore_errors=True)
    return Response(record, media_type="application/json")


# --- one upload ---------------------------------------------------------------------


async def _check(request: Request, state: State, *, with_annex: bool) -> Job:
    """Receive, score and keep one upload's outputs; the upload itself is deleted once scored."""
    settings = state.settings
    headers = {key.lower(): value for key, value in request.headers.items()}
    check_declared_length(headers, settings.max_upload)
    with state.pool.admit():
        folder = state.new_folder()
        try:
            upload = await asyncio.wait_for(
                receive_upload(headers, request.stream(), folder, settings.max_upload), timeout=120
            )
        except asyncio.TimeoutError:
            shutil.rmtree(folder, ignore_errors=True)
            raise Refused(408, "upload-slow", "上传时间过长，已停止接收。请检查网络后重试。") from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        try:
            finished = await state.pool.score(str(upload.path), str(folder), settings.profile, upload.shown_name, with_annex)
            if not finished.ok:
                _write_failure(state, folder, upload, finished.reason, finished.reason_en)
            view = json.loads((folder / VIEW).read_text("utf-8"))
            (folder / VIEW).unlink()
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            upload.path.unlink(missing_ok=True)
    files = {"record": (RECORD, _stem(upload.shown_name) + "_检查结果.json", "application/json")}
    for index, project in enumerate(view["projects"]):
        if project.get("annex_name") and (folder / annex_file(index)).exists():
            kind = annex_file(index).removesuffix(".xlsx")       # annex, annex-2, …
            files[kind] = (annex_file(index), project["annex_name"], XLSX)
            project["annex_kind"] = kind
    return Job(folder, time.monotonic(), view, files)


def _write_failure(state: State, folder: Path, upload, reason: str, reason_en: str) -> None:
    """The outputs of an upload whose child did not finish: its failure, as any unreadable file has."""
    for name in (RECORD, VIEW):
        (folder / name).unlink(missing_ok=True)
    for annex in folder.glob("annex*.xlsx"):
        annex.unlink(missing_ok=True)
    try:
        digest = sha256_of(upload.path)
    except OSError:
        digest = ""
    found = problem("worker-crashed", ERROR, reason=reason, reason_en=reason_en)
    result = failed(upload.shown_name, digest, state.profile, found)
    (folder / RECORD).write_text(to_json(result, indent=2), "utf-8")
    view = {
        "file": upload.shown_name, "verdict": FIX, "ok": False, "readable": False, "errors": 1, "warnings": 0,
        "infos": 0, "annex_name": None,
        "failure": {"code": found.code, "message": found.message, "fix": found.fix},
        "findings": [{"severity": "error", "label": found.severity.label, "location": "整个文件", "code": found.code,
                      "message": found.message, "fix": found.fix}],
    }
    (folder / VIEW).write_text(json.dumps(file_view([view]), ensure_ascii=False), "utf-8")


def _stem(name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    return stem or "perfeval"


def _attachment(name: str) -> dict[str, str]:
    # The name may hold department text: only its percent-encoded form goes into the header.
    return {"Content-Disposition": f"attachment; filename=\"download\"; filename*=UTF-8''{quote(name, safe='')}",
            "Cache-Control": "no-store"}


# --- the application -------------------------------------------------------------------


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    state = State(settings)

    @asynccontextmanager
    async def lifespan(app):
        state.base = Path(tempfile.mkdtemp(prefix="perfeval-serve-", dir=settings.tmp_root))
        state.template_bytes = _blank_template(state.base)
        state.pool.start()
        sweeper = asyncio.create_task(_sweep_forever(state))
        try:
            yield
        finally:
            sweeper.cancel()
            state.pool.close()
            shutil.rmtree(state.base, ignore_errors=True)
            state.jobs.clear()

    routes = [
        Route("/", index),
        Route("/check", check_page, methods=["POST"]),
        Route("/result/{token}", result_page),
        Route("/download/{token}/{kind}", download),
        Route("/template", template),
        Route("/api/check", api_check, methods=["POST"]),
        Route("/static/style.css", style),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.perfeval = state
    app.add_middleware(SecurityHeaders)
    return app


def _blank_template(base: Path) -> bytes:
    from ..writers.intake_form import write_intake

    path = base / "template.xlsx"
    write_intake(path)
    data = path.read_bytes()
    path.unlink()
    return data


async def _sweep_forever(state: State) -> None:
    while True:
        await asyncio.sleep(state.settings.sweep)
        state.sweep()
