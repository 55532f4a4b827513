"""The check page (perfeval serve) through Starlette's test client: pages, API, limits, hostile files.

One server (two workers) serves the module; the tests that make workers die
or hang start their own, because the hook must be in the environment before
the workers start.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")
pytest.importorskip("httpx", reason="starlette's test client needs httpx")

from helpers import SAMPLES, SEED, clean_data, hang_workers_on, kill_workers_on  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from perfeval_xl.batch.discover import is_candidate  # noqa: E402
from perfeval_xl.catalogue import CATALOGUE  # noqa: E402
from perfeval_xl.web.app import MB, Settings, create_app  # noqa: E402
from perfeval_xl.writers.intake_form import write_intake  # noqa: E402

EXPECTED = json.loads((SAMPLES / "expected.json").read_text("utf-8"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def leftovers(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    app = create_app(Settings(workers=2, queue_limit=8, tmp_root=str(root)))
    with TestClient(app) as client:
        yield client, app.state.perfeval, root
        # While it runs: no upload outlives its scoring; only outputs wait for download.
        assert [path for path in leftovers(root) if path.name.startswith("upload")] == []
        assert {path.name for path in leftovers(root)} <= {"annex.xlsx", "record.json"}
    assert leftovers(root) == [], "the server left uploads or outputs behind"
    assert list(root.iterdir()) == []


def check(client, path: Path, name: str | None = None):
    """POST the file to the page; return the result page's response (after the redirect)."""
    response = client.post("/check", files={"file": (name or path.name, path.read_bytes())}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert re.fullmatch(r"/result/[A-Za-z0-9_-]{32}", response.headers["location"])
    return client.get(response.headers["location"])


def api(client, path: Path, name: str | None = None) -> dict:
    response = client.post("/api/check", files={"file": (name or path.name, path.read_bytes())})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def links(page: str) -> dict[str, str]:
    return dict(re.findall(r'id="(annex(?:-\d+)?|record)-link" href="([^"]+)"', page))


def cells(page: str, table: str) -> list[list[str]]:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    found = [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]
    return [row for row in found if row]     # the header row has no <td>


# --- pages -------------------------------------------------------------------------


def test_start_page_explains_offers_the_form_and_the_template(server):
    client, _, _ = server
    page = client.get("/")
    assert page.status_code == 200
    assert '<form class="upload" action="/check" method="post" enctype="multipart/form-data">' in page.text
    assert "可上传的文件类型：.xlsx、.xlsm、.xls、.ods" in page.text
    assert "不超过 50 MB" in page.text
    assert "<script" not in page.text
    headers = page.headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    template = client.get("/template")
    assert template.status_code == 200 and template.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    assert book.sheetnames == ["填报说明", "项目信息", "预算执行", "绩效指标", "校验"]
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "http" not in css.text     # nothing from outside


def sample_files() -> list[Path]:
    return sorted(path for path in SAMPLES.rglob("*") if path.is_file() and is_candidate(path.name))


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_gets_the_score_the_cli_gives(server, path):
    client, _, _ = server
    key = path.relative_to(SAMPLES).as_posix()
    # A file of several projects (one Annex form a sheet): every one, in the sheets' order.
    keys = [name for name in EXPECTED if name.startswith(key + "#")] or [key]
    answer = api(client, path)
    page = check(client, path)
    assert page.status_code == 200
    if key not in EXPECTED and len(keys) == 1:            # the damaged workbook: a failure with its reason
        assert answer["error"]["code"] == "file-unreadable"
        assert '<h1 id="verdict">需要修改</h1>' in page.text
        assert CATALOGUE["file-unreadable"].fix in page.text
        return
    records = answer if len(keys) > 1 else [answer]        # the API answers an array for several projects
    assert isinstance(answer, list) == (len(keys) > 1) and len(records) == len(keys)
    any_errors = False
    found = links(page.text)
    assert sorted(found) == sorted(["record", "annex", *[f"annex-{n}" for n in range(2, len(keys) + 1)]])
    for number, (key, record) in enumerate(zip(keys, records), 1):
        expected = EXPECTED[key]
        suffix = "" if number == 1 else f"-{number}"
        assert record["total_score"] == expected["total_score"]
        assert record["grade"] == expected["grade"]
        errors = sorted({p["code"] for p in record["problems"] if p["severity"] == "error"})
        assert errors == sorted(expected["error_codes"])
        any_errors |= bool(errors)
        assert f'<b id="total{suffix}">{expected["total_score"]:.2f}</b>' in page.text
        unverified = [row["row"] for row in record["indicators"] if not row["verified"]]
        assert unverified == expected["unverified_rows"]
        shown = [row[0] for row in cells(page.text, f"findings{suffix}")] if record["problems"] else []
        assert shown == [{"error": "错误", "warning": "警告", "info": "提示"}[p["severity"]] for p in record["problems"]]
        # The outputs wait for download; fetch them so that nothing is left behind.
        annex = client.get(found["annex" if number == 1 else f"annex-{number}"])
        assert annex.status_code == 200 and annex.headers["content-type"] == XLSX
        book = openpyxl.load_workbook(io.BytesIO(annex.content))
        assert "项目支出绩效自评表" in book.sheetnames
    verdict = "需要修改" if any_errors else "可以提交"
    assert f'<h1 id="verdict">{verdict}</h1>' in page.text
    assert page.text.count('<span class="tag warning">未核实</span>') == sum(
        len(EXPECTED[key]["unverified_rows"]) for key in keys)
    assert ('id="projects-note"' in page.text) == (len(keys) > 1)
    downloaded = client.get(found["record"]).json()
    assert downloaded == answer


def test_a_workbook_of_two_annex_forms_shows_both_projects_each_with_its_annex(server, national):
    """The second project's warning is on the page, under its own name, and each Annex is its project's."""
    from perfeval_xl.evaluate import evaluate_path
    from perfeval_xl.writers.annex import render_annex

    client, _, _ = server
    two = SAMPLES / "附件表单" / "某县住房和城乡建设局" / "2023_住建局项目自评表（两个项目）.xlsx"
    response = check(client, two)
    page = response.text
    assert '<h1 id="verdict">可以提交</h1>' in page
    assert "错误 <b>0</b> 项 · 警告 <b>1</b> 项 · 提示 <b>0</b> 项" in page
    assert "这个文件含 2 个项目" in page
    assert "项目 1 / 2：城镇老旧小区改造项目" in page and "项目 2 / 2：城市道路照明设施维护" in page
    assert cells(page, "findings-2")[0][:2] == ["警告", "城市道路照明维护!D7"]
    assert '<p class="none" id="findings">未发现问题。</p>' in page
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), ids
    found = links(page)
    results = evaluate_path(two, national, display_path=two.name)
    assert client.get(found["annex"]).content == render_annex(results[0])
    # Reloaded after the first download: the other project's link is still there, under its own name.
    reloaded = client.get(response.url).text
    rest = links(reloaded)
    assert sorted(rest) == ["annex-2", "record"]
    assert "下载附件1 自评表（.xlsx）：城市道路照明设施维护</a>" in reloaded
    assert client.get(rest["annex-2"]).content == render_annex(results[1])
    assert client.get(rest["record"]).status_code == 200


def test_result_page_lists_errors_first_with_cell_and_fix_and_the_annex_table(server):
    client, state, _ = server
    page = check(client, SEED).text
    assert '<h1 id="verdict">需要修改</h1>' in page
    assert '<b id="total">98.00</b>' in page and '<b id="self-total">' in page
    findings = cells(page, "findings")
    levels = [row[0] for row in findings]
    assert levels == sorted(levels, key=["错误", "警告", "提示"].index)
    assert levels[0] == "错误"
    record = api(client, SEED)
    expected = [(p["severity"], p["message"]) for p in record["problems"]]
    shown = [({"错误": "error", "警告": "warning", "提示": "info"}[row[0]], row[2]) for row in findings]
    assert shown == [(severity, message.replace("&", "&amp;")) for severity, message in expected]
    for row, found in zip(findings, record["problems"]):
        where = f"{found['sheet']}!{found['cell']}" if found["cell"] else (found["sheet"] or "整个文件")
        assert (row[1], row[3]) == (where, CATALOGUE[found["code"]].fix.replace("&", "&amp;"))
    assert any(row[1].startswith("绩效指标!F") for row in findings if row[0] == "错误")   # unit-mismatch names its cell
    indicators = cells(page, "indicators")
    # The first row carries both merged cells (一级, 二级), as the Annex's first line does.
    assert indicators[0][0] == record["indicators"][0]["level1"]
    assert sum(1 for row in indicators if "未核实" in " ".join(row)) == 2
    for href in links(page).values():
        assert client.get(href).status_code == 200


def test_downloads_are_once_each_and_then_the_folder_is_gone(server):
    client, state, _ = server
    page = check(client, SEED).text
    token = re.search(r'/download/([^/]+)/annex', page).group(1)
    folder = state.jobs[token].folder
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert sorted(path.name for path in folder.iterdir()) == ["annex.xlsx", "record.json"]   # the upload is gone
    found = links(page)
    first = client.get(found["annex"])
    assert first.status_code == 200
    assert "filename*=UTF-8''" in first.headers["content-disposition"]
    assert client.get(found["annex"]).status_code == 404
    assert folder.exists()
    assert client.get(found["record"]).status_code == 200
    assert not folder.exists()
    assert client.get("/download/guessed-token/annex").status_code == 404
    assert client.get("/result/guessed-token").status_code == 404


def test_outputs_not_downloaded_are_swept_after_their_time(server):
    client, state, _ = server
    page = check(client, SEED).text
    token = re.search(r'/download/([^/]+)/annex', page).group(1)
    folder = state.jobs[token].folder
    created = state.jobs[token].created
    state.sweep(now=created + state.settings.ttl - 1)
    assert folder.exists()
    state.sweep(now=created + state.settings.ttl + 1)
    assert not folder.exists() and token not in state.jobs
    assert client.get(f"/result/{token}").status_code == 404


def test_department_text_is_shown_as_text(server, tmp_path):
    client, _, _ = server
    data = clean_data()
    data["project"]["项目名称"] = "<script>alert('x')</script>项目"
    data["project"]["主管部门"] = '"><img src=x onerror=alert(1)>'
    path = tmp_path / "hostile_text.xlsx"
    write_intake(path, data)
    page = check(client, path, name="<b onclick=x>名称.xlsx").text
    assert "<script>alert" not in page and "<img" not in page and "<b>名称" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;项目" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "文件：&lt;b onclick=x&gt;名称.xlsx" in page
    for href in links(page).values():
        download = client.get(href)
        assert "<" not in download.headers["content-disposition"]


def test_the_client_file_name_never_becomes_a_path(server, tmp_path):
    client, state, root = server
    page = check(client, SEED, name="../../../../etc/evil.xlsx").text
    assert "文件：evil.xlsx" in page
    assert not (root.parent / "etc").exists()
    for href in links(page).values():
        client.get(href)


# --- what is refused -----------------------------------------------------------------


def test_a_60_mb_upload_is_refused_with_413_before_anything_is_stored(server):
    client, state, root = server
    before = sorted(root.rglob("*"))
    body = b"\0" * (60 * MB)
    response = client.post("/check", files={"file": ("big.xlsx", body)})
    assert response.status_code == 413
    assert "文件太大" in response.text
    assert sorted(root.rglob("*")) == before
    response = client.post("/api/check", files={"file": ("big.xlsx", body)})
    assert response.status_code == 413 and response.json()["error"]["code"] == "upload-too-large"


def test_an_upload_without_a_length_is_stopped_at_the_limit(server):
    client, state, root = server
    before = sorted(root.rglob("*"))
    boundary = "b0undary"
    written = {"bytes": 0}

    def body():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.xlsx\"\r\n"
               "Content-Type: application/octet-stream\r\n\r\n").encode()
        for _ in range(60):
            written["bytes"] += MB
            yield b"\0" * MB
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post("/api/check", content=body(),
                           headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413
    assert sorted(root.rglob("*")) == before


def test_a_body_that_arrives_in_small_pieces_is_read_whole(server):
    client, _, _ = server
    boundary = "piece-by-piece"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{SEED.name}\"\r\n"
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode()
    body += SEED.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    pieces = (body[i:i + 7] for i in range(0, len(body), 7))    # every header split across pieces
    response = client.post("/api/check", content=pieces,
                           headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 200
    assert response.json()["source"]["path"] == SEED.name
    assert response.json()["total_score"] == 98.0


@pytest.mark.parametrize("name, status, words", [
    ("报告.pdf", 415, "不支持这种文件"),
    ("~$2023_农村饮水安全巩固提升工程.xlsx", 415, "临时锁定文件"),
    ("没有扩展名", 415, "不支持这种文件"),
])
def test_files_we_do_not_read_are_refused_by_name(server, name, status, words):
    client, _, root = server
    response = client.post("/check", files={"file": (name, b"PK\x03\x04 whatever")})
    assert response.status_code == status and words in response.text
    response = client.post("/api/check", files={"file": (name, b"PK\x03\x04 whatever")})
    assert response.status_code == status and words in response.json()["error"]["message"]


def test_no_file_or_no_form_is_a_clear_400(server):
    client, _, _ = server
    assert client.post("/check", data={"x": "1"}).status_code == 400
    response = client.post("/api/check", content=b"just bytes", headers={"content-type": "application/octet-stream"})
    assert response.status_code == 400 and "multipart/form-data" in response.json()["error"]["message"]
    empty = client.post("/check", files={"file": ("empty.xlsx", b"")})
    assert empty.status_code == 400 and "空的" in empty.text


def test_past_the_queue_limit_the_page_says_to_come_back(server):
    client, state, _ = server
    state.pool.admitted = state.pool.capacity
    try:
        page = client.post("/check", files={"file": (SEED.name, SEED.read_bytes())})
        assert page.status_code == 503 and "请稍等" in page.text
        assert page.headers["retry-after"] == "60"
        response = client.post("/api/check", files={"file": (SEED.name, SEED.read_bytes())})
        assert response.status_code == 503 and response.json()["error"]["code"] == "server-busy"
    finally:
        state.pool.admitted = 0


# --- hostile files -----------------------------------------------------------------------


def zip_bomb(tmp_path: Path) -> Path:
    clean = tmp_path / "clean.xlsx"
    write_intake(clean, clean_data())
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(clean) as old, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info))
        new.writestr("xl/media/zeros.bin", bytes(8 * MB))     # 8 MB in ~8 KB: far past the ratio limit
    return bomb


def test_hostile_and_wrong_files_get_their_finding_and_the_server_goes_on(server, tmp_path):
    client, _, _ = server
    bomb = zip_bomb(tmp_path)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(SEED.read_bytes()[:3000])
    no_form = tmp_path / "no_form.xlsx"
    openpyxl.Workbook().save(no_form)
    text = tmp_path / "text.xlsx"
    text.write_text("这不是表格", "utf-8")
    for path, code in ((bomb, "zip-bomb"), (truncated, "file-unreadable"), (text, "file-unreadable")):
        record = api(client, path)
        assert record["error"]["code"] == code
        page = check(client, path).text
        assert '<h1 id="verdict">需要修改</h1>' in page
        assert CATALOGUE[code].fix in page
        assert "annex-link" not in page
        client.get(links(page)["record"])
    record = api(client, no_form)
    assert {p["code"] for p in record["problems"]} == {"form-not-recognised"}
    page = check(client, no_form).text
    assert '<h1 id="verdict">需要修改</h1>' in page and "未识别到可读取的表格" in page
    for href in links(page).values():
        client.get(href)
    assert api(client, SEED)["total_score"] == 98.0


def test_a_worker_that_dies_costs_only_its_upload(tmp_path, monkeypatch):
    kill_workers_on(monkeypatch, "crash.xlsx")
    root = tmp_path / "serve"
    root.mkdir()
    with TestClient(create_app(Settings(workers=1, tmp_root=str(root)))) as client:
        record = api(client, SEED, name="crash.xlsx")
        assert record["error"]["code"] == "worker-crashed"
        assert "意外退出" in record["error"]["message"]
        assert api(client, SEED)["total_score"] == 98.0      # a new worker took its place
    assert list(root.iterdir()) == []


def test_a_worker_that_died_while_idle_is_replaced_before_it_is_given_an_upload(tmp_path):
    """A worker killed while waiting (the system's OOM killer, its fork server gone) costs no clerk's upload."""
    import os
    import signal

    root = tmp_path / "serve"
    root.mkdir()
    with TestClient(create_app(Settings(workers=1, tmp_root=str(root)))) as client:
        assert api(client, SEED)["total_score"] == 98.0
        (worker,) = client.app.state.perfeval.pool._all
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.join(5)
        assert api(client, SEED)["total_score"] == 98.0
    assert list(root.iterdir()) == []


def test_a_worker_that_hangs_is_stopped_at_the_timeout(tmp_path, monkeypatch):
    hang_workers_on(monkeypatch, "loop.xlsx")
    root = tmp_path / "serve"
    root.mkdir()
    with TestClient(create_app(Settings(workers=1, timeout=1.5, tmp_root=str(root)))) as client:
        page = check(client, SEED, name="loop.xlsx").text
        assert "处理超过 1.5 秒仍未完成" in page and '<h1 id="verdict">需要修改</h1>' in page
        assert api(client, SEED)["total_score"] == 98.0
    assert list(root.iterdir()) == []


# --- the command ------------------------------------------------------------------------------


def test_serve_without_the_extra_says_how_to_install_it(monkeypatch):
    from typer.testing import CliRunner

    import perfeval_xl.web
    from perfeval_xl.cli import app

    monkeypatch.setattr(perfeval_xl.web, "missing_modules", lambda: ["starlette", "uvicorn"])
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert 'pip install "perfeval-xl[web]"' in result.output
    assert "starlette" in result.output


def test_projects_without_a_name_are_numbered_by_their_place_after_a_download(server, tmp_path):
    client, _, _ = server
    book = openpyxl.load_workbook(SAMPLES / "附件表单" / "某县住房和城乡建设局" / "2023_住建局项目自评表（两个项目）.xlsx")
    for sheet in book.worksheets:
        sheet["B4"].value = None            # 项目名称 left blank on both forms
    unnamed = tmp_path / "unnamed.xlsx"
    book.save(unnamed)
    response = check(client, unnamed)
    assert "项目 1 / 2：（未填写项目名称）" in response.text and "项目 2 / 2：（未填写项目名称）" in response.text
    found = links(response.text)
    assert client.get(found["annex"]).status_code == 200
    reloaded = client.get(response.url).text
    labels = re.findall(r'id="(annex(?:-\d+)?)-link" href="[^"]+">\s*([^<]+?)\s*</a>', reloaded)
    assert labels == [("annex-2", "下载附件1 自评表（.xlsx）：项目 2")]
    for kind in ("annex-2", "record"):
        assert client.get(found[kind]).status_code == 200
