"""What a person meets at the console: exit status, Chinese help and errors, any encoding, fix advice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import openpyxl
import pytest

from helpers import ROOT, SEED, clean_data
from helpers.console_runner import CliRunner
from helpers.console_runs import perfeval_runs
from perfeval_xl import __version__
from perfeval_xl.catalogue import CATALOGUE
from perfeval_xl.cli import app

runner = CliRunner()


def invoke(args):
    return runner.invoke(app, args, prog_name="perfeval")

ENGLISH = ("Usage:", "Show this message", "Options", "Arguments", "Commands", "[default", "[required]",
           "Missing argument", "No such option", "Error:", "Try '", "<list[", "<str>", "<path>", "<int>", "{")
PAGES = (["--help"], ["-h"], ["check", "--help"], ["score", "-h"], ["batch", "-h"], ["template", "-h"],
         ["explain", "-h"], ["docs", "-h"])


# --- help, version, click's own messages -------------------------------------------------------

@pytest.mark.parametrize("args", PAGES, ids=" ".join)
def test_help_pages_are_chinese_with_plain_placeholders(args):
    result = invoke(args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("用法：perfeval")
    assert "显示本帮助并退出。" in result.stdout
    for phrase in ENGLISH:
        assert phrase not in result.stdout, phrase


def test_help_names_its_placeholders_in_chinese():
    assert "用法：perfeval check [选项] 文件…" in invoke(["check", "-h"]).stdout
    assert "-p, --profile 规则" in invoke(["check", "-h"]).stdout
    batch = invoke(["batch", "-h"]).stdout
    assert "-o, --output-dir 文件夹" in batch and "--layout 版式" in batch and "--strict" in batch
    top = invoke(["-h"]).stdout
    assert "perfeval docs" in top and "explain" in top


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    result = runner.invoke(app, [flag])
    assert (result.exit_code, result.stdout) == (0, f"perfeval {__version__}\n")


@pytest.mark.parametrize("args, chinese", [
    (["check"], "perfeval: 缺少参数：文件…（查看帮助：perfeval check -h）"),
    (["check", "--nope", "x.xlsx"], "perfeval: 没有选项 --nope（查看帮助：perfeval check -h）"),
    (["batch", "in", "--workers", "两个"], "perfeval: '--workers' / '-w' 应为整数（查看帮助：perfeval batch -h）"),
    (["chek"], "perfeval: 没有命令 chek（是否想用：'check'）（查看帮助：perfeval -h）"),
])
def test_click_errors_are_one_chinese_line(args, chinese):
    result = invoke(args)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [chinese]


# --- usage errors of our own ---------------------------------------------------------------------

def test_paths_that_cannot_be_used_are_usage_errors(tmp_path, build):
    good = build()
    folder = tmp_path / "收件箱"
    folder.mkdir()
    a_file = tmp_path / "existing.txt"
    a_file.write_text("x")
    cases = [
        (["check", str(tmp_path / "没有.xlsx")], "找不到"),
        (["check", str(good), str(tmp_path / "没有.xlsx")], "找不到"),
        (["score", str(tmp_path / "没有.xlsx")], "找不到"),
        (["batch", str(tmp_path / "没有")], "找不到"),
        (["check", str(folder)], f"perfeval batch {folder}"),
        (["score", str(folder)], "perfeval batch"),
        (["score", str(good), "-o", str(a_file)], "-o 应为输出文件夹"),
        (["batch", str(good), "-o", str(a_file)], "-o 应为输出文件夹"),
        (["template", "-o", str(folder)], "是文件夹"),
        (["batch", str(good), "--workers", "0"], "--workers"),
    ]
    for args, said in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("perfeval: ") and said in lines[0], (args, lines)
        assert "Traceback" not in result.output
    assert a_file.read_text() == "x"


# --- exit status ------------------------------------------------------------------------------------

def test_score_exits_0_when_it_wrote_the_annex_and_1_with_strict(tmp_path):
    result = runner.invoke(app, ["score", str(SEED), "-o", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "有 3 个错误级问题" in result.stdout and len(list((tmp_path / "a").glob("*.xlsx"))) == 1
    strict = runner.invoke(app, ["score", str(SEED), "-o", str(tmp_path / "b"), "--strict"])
    assert strict.exit_code == 1
    assert len(list((tmp_path / "b").glob("*.xlsx"))) == 1          # written all the same


def test_score_of_a_clean_intake_with_strict_exits_0(tmp_path, build):
    assert runner.invoke(app, ["score", str(build()), "-o", str(tmp_path / "o"), "--strict"]).exit_code == 0


def test_batch_exits_0_names_the_files_with_errors_and_points_to_the_watch_list(tmp_path, build):
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    for number in range(1, 8):
        shutil.copy(SEED, inbox / f"有错{number}.xlsx")
    shutil.copy(build(), inbox / "好.xlsx")
    (inbox / "坏.xlsx").write_bytes(b"not a workbook")
    out = tmp_path / "汇总"
    result = runner.invoke(app, ["batch", str(inbox), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("9 个文件：评分 8 个项目，失败 1 个文件")
    # In input order: 坏, then 有错1…; the first five, then the rest counted.
    shown = "、".join(str(inbox / name) for name in ("坏.xlsx", "有错1.xlsx", "有错2.xlsx", "有错3.xlsx", "有错4.xlsx"))
    assert lines[1] == f"有错误的文件 8 个：{shown}…及其他 3 个"
    assert lines[2] == f"请先看 {out / 'summary.xlsx'} 的“关注清单”（逐条问题见“问题清单”，未能读取的文件见“处理失败”）"
    assert "坏.xlsx" in result.stderr and "file-unreadable" in result.stderr
    strict = runner.invoke(app, ["batch", str(inbox), "-o", str(out), "--workers", "1", "--strict"])
    assert strict.exit_code == 1


def test_a_clean_batch_prints_no_error_lines(tmp_path, build):
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(build(), inbox / "好.xlsx")
    result = runner.invoke(app, ["batch", str(inbox), "-o", str(tmp_path / "out"), "--workers", "1", "--strict"])
    assert result.exit_code == 0
    assert len(result.stdout.strip().splitlines()) == 1 and "关注清单" not in result.stdout


# --- check: fix advice and JSON Lines --------------------------------------------------------------

def test_check_table_tells_how_to_fix_each_finding():
    result = runner.invoke(app, ["check", str(SEED)])
    assert result.exit_code == 1
    assert "如何修改" in result.stdout
    for code in ("unit-mismatch", "weights-sum", "level1-weights"):
        assert CATALOGUE[code].fix in result.stdout, code


@pytest.mark.parametrize("count", [1, 3])
def test_check_json_is_one_record_per_line(build, tmp_path, count):
    from perfeval_xl.evaluate import evaluate_file
    from perfeval_xl.profiles import load_profile
    from perfeval_xl.writers.record import to_record

    paths = [build() for _ in range(count - 1)] + [SEED]
    result = runner.invoke(app, ["check", "--json", *map(str, paths)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == count
    profile = load_profile("national")
    assert [json.loads(line) for line in lines] == [to_record(evaluate_file(p, profile)) for p in paths]


# --- explain ---------------------------------------------------------------------------------------------

def test_explain_prints_the_whole_entry():
    entry = CATALOGUE["unit-mismatch"]
    result = runner.invoke(app, ["explain", "unit-mismatch"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "unit-mismatch"
    for label, value in (("级别", entry.severity), ("指向的单元格", entry.cell), ("含义", entry.meaning),
                         ("依据", entry.why), ("如何修改", entry.fix), ("提示文字", entry.message),
                         ("英文提示", entry.message_en)):
        assert f"  {label}：{value}" in lines


def test_explain_every_code():
    for code in CATALOGUE:
        result = runner.invoke(app, ["explain", code])
        assert result.exit_code == 0 and CATALOGUE[code].fix in result.stdout, code


def test_explain_an_unknown_code_lists_close_ones():
    result = runner.invoke(app, ["explain", "weight-sum"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "perfeval: 没有问题代码“weight-sum”；相近的代码：weights-sum、weight-invalid、level1-weights、weight-column-missing"]
    nothing = runner.invoke(app, ["explain", "zzz"])
    assert nothing.exit_code == 2 and "perfeval docs checks" in nothing.stderr


# --- score never writes over another source's Annex --------------------------------------------------

def _about(path):
    return {row[0]: row[1] for row in openpyxl.load_workbook(path)["说明"].iter_rows(values_only=True)}


def test_score_keeps_an_annex_made_from_another_source(tmp_path, build):
    first = build(name="第一次.xlsx")
    data = clean_data()
    data["indicators"][1]["实际完成值"] = "90%"
    second = build(data, name="第二次.xlsx")
    out = tmp_path / "out"
    assert runner.invoke(app, ["score", str(first), "-o", str(out)]).exit_code == 0
    (annex,) = out.glob("*.xlsx")
    before = annex.read_bytes()
    result = runner.invoke(app, ["score", str(second), "-o", str(out)])
    assert result.exit_code == 0
    numbered = annex.with_name(annex.stem + " (2).xlsx")
    assert annex.read_bytes() == before
    assert _about(numbered)["源文件"] == "第二次.xlsx"
    assert f"本次写为 {numbered.name}" in result.stderr and "未覆盖" in result.stderr
    # The same sources again: each Annex is updated in place, no (3).
    assert f"本次写为 {numbered.name}" in runner.invoke(app, ["score", str(second), "-o", str(out)]).stderr
    assert runner.invoke(app, ["score", str(first), "-o", str(out)]).stderr == ""
    assert sorted(p.name for p in out.glob("*.xlsx")) == sorted([annex.name, numbered.name])
    assert _about(annex)["源文件"] == "第一次.xlsx"


def test_score_never_writes_over_a_file_that_is_not_an_annex(tmp_path, build):
    source = build()
    out = tmp_path / "out"
    runner.invoke(app, ["score", str(source), "-o", str(out)])
    (annex,) = out.glob("*.xlsx")
    annex.write_bytes(b"someone's notes")
    assert runner.invoke(app, ["score", str(source), "-o", str(out)]).exit_code == 0
    assert annex.read_bytes() == b"someone's notes"
    assert _about(annex.with_name(annex.stem + " (2).xlsx"))["源文件"] == source.name


# --- any console encoding ---------------------------------------------------------------------------------

def test_marks_fit_the_encoding():
    from perfeval_xl.cli.common import marks

    class Stream:
        def __init__(self, encoding):
            self.encoding = encoding

    assert marks(Stream("utf-8")) == ("✓", "✗")
    assert marks(Stream("gbk")) == ("√", "×")
    assert marks(Stream("ascii")) == ("OK", "X")


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["gbk", "ascii"])
def test_every_command_runs_on_a_narrow_console_encoding(tmp_path, build, encoding):
    seed = tmp_path / "忻州填报表.xlsx"
    shutil.copy(SEED, seed)
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    shutil.copy(SEED, inbox / "有错.xlsx")
    (inbox / "坏.xlsx").write_bytes(b"not a workbook")
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")])}
    runs = [
        (["--help"], 0), (["-V"], 0), (["check", "-h"], 0), (["batch", "-h"], 0),
        (["template", "-o", str(tmp_path / "空白.xlsx")], 0),
        (["check", str(seed)], 1), (["check", str(seed), str(inbox / "坏.xlsx")], 1), (["check", "--json", str(seed)], 1),
        (["check", str(build())], 0), (["check", str(tmp_path / "没有.xlsx")], 2), (["check", str(inbox)], 2),
        (["score", str(seed), "-o", str(tmp_path / "附件")], 0), (["score", str(seed), "-o", str(tmp_path / "附件"), "--json"], 0),
        (["batch", str(inbox), "-o", str(tmp_path / "汇总"), "--workers", "1"], 0),
        (["explain", "unit-mismatch"], 0), (["explain", "unit"], 2), (["docs"], 0), (["docs", "rules"], 0),
        (["check", "--nope"], 2),
        (["report", str(seed), "-o", str(tmp_path / "报告")], 0),
        (["sample", str(tmp_path / "汇总"), "-n", "1", "--seed", "1", "-o", str(tmp_path / "抽评")], 0),
        (["review", str(tmp_path / "抽评" / "复核表.xlsx"), "--results", str(tmp_path / "汇总"), "-o", str(tmp_path / "复核")], 0),
        (["serve", "-h"], 0),
    ]
    # One real interpreter with this console encoding runs every command in turn, each with its own
    # fresh stdout/stderr on file descriptors 1 and 2 (helpers/console_runs.py); on GBK a last run
    # is `check` again from this process's working directory.
    again = [(["check", str(seed)], os.getcwd())] if encoding == "gbk" else []
    every = perfeval_runs([args for args, _ in runs] + again, env=env, cwd=tmp_path)
    for (args, status), done in zip(runs, every):
        stderr = done.stderr.decode(encoding, errors="replace")
        assert "Traceback" not in stderr and "UnicodeEncodeError" not in stderr, (args, stderr)
        assert done.returncode == status, (args, done.returncode, stderr)
        assert done.stdout or done.stderr, args
    if encoding == "gbk":     # what GBK can carry is printed as itself
        done = every[-1]
        assert "× " in done.stdout.decode("gbk") and "绩效指标!F3" in done.stdout.decode("gbk")


def test_ctrl_c_in_check_is_status_130_with_one_line(monkeypatch, build):
    import perfeval_xl.evaluate as evaluate

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    path = build()
    monkeypatch.setattr(evaluate, "evaluate_path", interrupted)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines() == ["perfeval: 已中断（Ctrl-C）"]


def test_the_cli_starts_without_the_click_package():
    """typer 0.29 runs on its own copy of click: a fresh install has no `click` package, and the
    program must not need one (on this machine Dask brings click, which once hid that it did)."""
    script = ("import sys; sys.modules['click'] = None\n"
              "from perfeval_xl.cli import app\n"
              "from typer.testing import CliRunner\n"
              "result = CliRunner().invoke(app, ['--help'])\n"
              "print(result.exit_code); print(result.output)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    status, _, page = done.stdout.partition("\n")
    assert status == "0" and "用法：" in page and "显示本帮助并退出。" in page, done.stdout
