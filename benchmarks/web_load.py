"""The check page under load: 200 uploads from 20 concurrent clients against a local `perfeval serve`.

    python benchmarks/web_load.py                      # 200 uploads, 20 clients, --workers 2
    python benchmarks/web_load.py --uploads 400 --clients 40 --workers 2 --json out.json

The server is the real command, on a free 127.0.0.1 port in a subprocess
(nothing leaves this machine). Each client is a thread with its own httpx
client and does what a clerk does, one upload after another:

- `page`: POST /check with a sample workbook, follow the redirect to the
  result page, download the Annex workbook and the JSON record;
- `api`: POST /api/check (the JSON record only), for the bureau's systems.

Latency is per upload, from the first byte sent to the last byte of the
last download. Errors are any status other than the expected ones or any
connection failure: there must be none. The peak memory is the largest sum
of the resident set sizes of the server and all its worker processes,
sampled every 20 ms with psutil. The samples are the readable workbooks of
samples/, in turn. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def sample_files() -> list[Path]:
    expected = json.loads((SAMPLES / "expected.json").read_text("utf-8"))
    return [SAMPLES / key for key in sorted(expected)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, workers: int, queue: int, tmp: str) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": tmp, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        [sys.executable, "-m", "perfeval_xl", "serve", "--port", str(port), "--workers", str(workers), "--queue", str(queue)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit("the server did not start")
            time.sleep(0.2)


class PeakRSS(threading.Thread):
    """The largest RSS of a process and all its descendants, sampled until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            total = 0
            try:
                for process in [self.root, *self.root.children(recursive=True)]:
                    try:
                        total += process.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak = max(self.peak, total)
            time.sleep(0.02)


def one_upload(client: httpx.Client, base: str, path: Path, mode: str) -> None:
    files = {"file": (path.name, path.read_bytes())}
    if mode == "api":
        answer = client.post(f"{base}/api/check", files=files)
        answer.raise_for_status()
        answer.json()["schema"]
        return
    answer = client.post(f"{base}/check", files=files, follow_redirects=False)
    if answer.status_code != 303:
        raise RuntimeError(f"POST /check: {answer.status_code}")
    page = client.get(base + answer.headers["location"])
    page.raise_for_status()
    for kind in ("annex", "record"):
        marker = f'id="{kind}-link" href="'
        start = page.text.index(marker) + len(marker)
        link = page.text[start:page.text.index('"', start)]
        client.get(base + link).raise_for_status()


def run(base: str, uploads: int, clients: int, mode: str) -> dict:
    files = sample_files()
    jobs = list(range(uploads))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def client_loop() -> None:
        with httpx.Client(timeout=120) as client:
            while True:
                with lock:
                    if not jobs:
                        return
                    index = jobs.pop()
                started = time.perf_counter()
                try:
                    one_upload(client, base, files[index % len(files)], mode)
                except Exception as exc:   # counted, reported: the run's point is that there are none
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                with lock:
                    latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "mode": mode, "uploads": uploads, "clients": clients, "ok": len(latencies), "errors": len(errors),
        "error_examples": errors[:5], "wall_s": round(wall, 2), "uploads_per_s": round(len(latencies) / wall, 1),
        "median_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000, 1) if latencies else None,
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int, default=32)
    parser.add_argument("--modes", nargs="+", default=["page", "api"], choices=["page", "api"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="web-load-") as tmp:
        port = free_port()
        server = start_server(port, args.workers, args.queue, tmp)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client() as warm:       # the workers' first upload, not measured
                for path in sample_files()[:4]:
                    one_upload(warm, base, path, "page")
            for mode in args.modes:
                monitor = PeakRSS(server.pid)
                monitor.start()
                result = run(base, args.uploads, args.clients, mode)
                monitor.running = False
                monitor.join()
                result["peak_rss_mb"] = round(monitor.peak / 2**20, 1)
                results.append(result)
        finally:
            server.terminate()
            server.wait(timeout=30)
        left = [str(path) for path in Path(tmp).rglob("*")]
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "workers": args.workers, "results": results, "left_on_disk": left,
    }
    for result in results:
        print(f"{result['mode']:>4}: {result['ok']}/{result['uploads']} uploads from {result['clients']} clients, "
              f"errors {result['errors']}, median {result['median_ms']} ms, p95 {result['p95_ms']} ms, "
              f"max {result['max_ms']} ms, {result['uploads_per_s']} uploads/s, peak RSS {result['peak_rss_mb']} MB")
    print(f"left on disk after the server stopped: {len(left)} files")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")


if __name__ == "__main__":
    main()
