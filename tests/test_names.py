"""File names in any encoding: a GBK name from a Chinese Windows zip is opened by its bytes
and shown with its undecodable bytes escaped, in every output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from helpers import ROOT, SEED
from helpers.console_runs import perfeval_runs
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.text import printable_path

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="names as bytes are a POSIX matter")

GBK = "自评".encode("gbk")               # b"\xd7\xd4\xc6\xc0"
SHOWN = r"\xd7\xd4\xc6\xc0.xlsx"


def _put(folder: Path, name: bytes, data: bytes) -> Path:
    path = os.fsencode(folder) + b"/" + name
    with open(path, "wb") as handle:
        handle.write(data)
    return Path(os.fsdecode(path))


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}


def _perfeval(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfeval_xl", *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", env=_env(), timeout=120)


def test_printable_path_escapes_only_what_is_not_utf8():
    assert printable_path(os.fsdecode(GBK + b".xlsx")) == SHOWN
    assert printable_path("收件箱/教育局/a.xlsx") == "收件箱/教育局/a.xlsx"
    assert printable_path("a\ud800b") == r"a\ud800b"        # a lone surrogate that was never a byte


def test_a_gbk_name_is_read_by_its_bytes_not_called_damaged(tmp_path, national):
    path = _put(tmp_path, GBK + b".xlsx", SEED.read_bytes())
    result = evaluate_file(path, national)
    assert result.failure is None
    assert str(result.total_score) == "98.00"
    assert result.source_path.endswith(SHOWN)
    contained = evaluate_file(path, national, contained=True)
    assert contained == result


def test_check_and_score_show_the_name_escaped(tmp_path):
    _put(tmp_path, GBK + b".xlsx", SEED.read_bytes())
    name = os.fsdecode(GBK + b".xlsx")
    # The three commands in turn in one real interpreter, each with its own stdout and stderr
    # (helpers/console_runs.py), the name in sys.argv as `python -m perfeval_xl` would have it.
    checked, as_json, scored = perfeval_runs([["check", name], ["check", "--json", name], ["score", name, "-o", "out"]],
                                             env=_env(), cwd=tmp_path, encoding="utf-8", timeout=360)
    done = checked
    assert done.returncode == 1, done.stderr     # the seed has error-level findings
    assert f"✗ {SHOWN}：错误 3，警告 1，提示 0；核算总分 98.00（优）" in done.stdout
    assert "file-unreadable" not in done.stdout
    done = as_json
    assert json.loads(done.stdout)["source"]["path"] == SHOWN
    done = scored
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr   # the Annex was written
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == 1
    assert f"perfeval check {SHOWN}" in done.stdout


@pytest.mark.slow
def test_batch_goes_on_and_every_output_shows_the_escaped_name(tmp_path):
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    _put(inbox, GBK + b".xlsx", SEED.read_bytes())
    _put(inbox, b"\xb0\xfc" + b".xlsx", b"PK\x03\x04garbage")        # 包, in GBK: a damaged file
    (inbox / "ok.xlsx").write_bytes(SEED.read_bytes())
    # The same project twice: the file with the undecodable name is the newer one, so it is the one counted.
    later = os.stat(inbox / "ok.xlsx").st_mtime + 60
    os.utime(os.path.join(os.fsencode(inbox), GBK + b".xlsx"), (later, later))
    done = _perfeval("batch", "收件箱", "-o", "out", "-w", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr     # the outputs were written; the damaged file is among them
    assert "Traceback" not in done.stderr
    assert r"✗ 收件箱/\xb0\xfc.xlsx: " in done.stderr
    records = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    paths = {r["source"]["path"] for r in records}
    assert paths == {"收件箱/ok.xlsx", rf"收件箱/{SHOWN}", r"收件箱/\xb0\xfc.xlsx"} and len(records) == 3
    codes = {r["source"]["path"]: r.get("error", {}).get("code") for r in records}
    assert codes[rf"收件箱/{SHOWN}"] is None and codes[r"收件箱/\xb0\xfc.xlsx"] == "file-unreadable"
    assert len(list((tmp_path / "out" / "annex").glob("*.xlsx"))) == 2
    wb = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")
    sources = [row[-1] for row in wb["汇总"].iter_rows(min_row=2, values_only=True)]
    assert rf"收件箱/{SHOWN}" in sources
    resent = [row[5] for row in wb["重复提交"].iter_rows(min_row=2, values_only=True)]
    assert sorted(resent) == sorted(["收件箱/ok.xlsx", rf"收件箱/{SHOWN}"])
    failed = [row[1] for row in wb["处理失败"].iter_rows(min_row=2, values_only=True)]
    assert failed == [r"收件箱/\xb0\xfc.xlsx"]
