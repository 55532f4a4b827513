"""`perfeval serve`: the check page (perfeval_xl/web), served by uvicorn."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from .app import app


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址。默认只接受本机访问；放在单位的网页服务器之后时保持默认。")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="监听端口。", min=1, max=65535)] = 8000,
    workers: Annotated[Optional[int], typer.Option("--workers", help="同时检查的文件数（默认：CPU 核数，最多 8）；其余排队等候。", min=1, max=64)] = None,
    queue: Annotated[int, typer.Option("--queue", help="排队等候的上传数上限；超过时返回 503“请稍后再试”。", min=0, max=10_000)] = 32,
    timeout: Annotated[float, typer.Option("--timeout", help="一个文件最多检查多少秒，超时即停止。", min=1, max=3600)] = 60.0,
    max_upload_mb: Annotated[int, typer.Option("--max-upload-mb", help="上传文件的大小上限（MB）。", min=1, max=50)] = 50,
    keep_minutes: Annotated[int, typer.Option("--keep-minutes", help="检查结果保留多少分钟等待下载。", min=1, max=1440)] = 10,
    profile: Annotated[str, typer.Option("--profile", "-p", help="评分规则：内置名称（national、local）或 TOML 文件路径。")] = "national",
) -> None:
    """启动在线检查页面：部门上传填报表即可看到问题、核算得分并下载附件1。"""
    from ..web import missing_modules

    missing = missing_modules()
    if missing:
        raise UsageError(
            "perfeval serve 需要网页组件，当前未安装（缺少 " + "、".join(missing) + "）。"
            "请先运行：pip install \"perfeval-xl[web]\""
        )
    import uvicorn

    from ..profiles import load_profile
    from ..web.app import MB, Settings, create_app
    from ..web.pool import default_workers

    load_profile(profile)      # a bad profile is a usage error now, not on the first upload
    settings = Settings(
        workers=workers or default_workers(), queue_limit=queue, timeout=timeout, max_upload=max_upload_mb * MB,
        ttl=keep_minutes * 60.0, profile=profile,
    )
    if not _loopback(host):
        typer.echo(f"注意：正在监听 {host}，本机以外的电脑也能访问此页面。建议保持默认 127.0.0.1，由单位的网页服务器转发。", err=True)
    typer.echo(f"在线检查页面：http://{_shown(host)}:{port}/ （同时检查 {settings.workers} 个文件；按 Ctrl-C 停止）", err=True)
    uvicorn.run(
        create_app(settings), host=host, port=port, log_level="info", server_header=False, date_header=True,
        limit_concurrency=settings.workers + queue + 64, timeout_keep_alive=5,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host
