"""`perfeval report` and `perfeval batch --reports`: where reports go, and whose files they never overwrite."""

from __future__ import annotations

import docx
import pytest
from typer.testing import CliRunner

from helpers import SEED, clean_data, local_cluster
from perfeval_xl.batch import run_batch
from perfeval_xl.batch.outputs import REPORT_DIR, REPORT_MANIFEST_NAME
from perfeval_xl.cli import app
from perfeval_xl.evaluate import evaluate_file
from perfeval_xl.writers.report import render_report, source_of

runner = CliRunner()
SEED_REPORT = "2021_忻州市应急管理局_安全生产和应急管理督查检查经费_绩效自评报告.docx"
CLEAN_REPORT = "2023_某县水利局_农村饮水安全巩固提升工程_绩效自评报告.docx"


def test_report_writes_one_docx_per_project(tmp_path, build, national):
    clean = build()
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(SEED), str(clean), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([SEED_REPORT, CLEAN_REPORT])
    assert (out / SEED_REPORT).read_bytes() == render_report(evaluate_file(SEED, national))
    assert f"已写出：{out / SEED_REPORT}（核算总分 98.00，优）" in result.stdout
    assert "2 个文件：写出报告 2 份，失败 0" in result.stdout
    assert docx.Document(out / CLEAN_REPORT).paragraphs[0].text == "农村饮水安全巩固提升工程绩效自评报告"


def test_a_rerun_replaces_its_own_report_and_never_another_sources(tmp_path, build):
    out = tmp_path / "out"
    first = build()
    assert runner.invoke(app, ["report", str(first), "-o", str(out)]).exit_code == 0
    assert runner.invoke(app, ["report", str(first), "-o", str(out)]).exit_code == 0
    assert [p.name for p in out.iterdir()] == [CLEAN_REPORT]
    # Another intake of the same project (other figures): same name, another source.
    data = clean_data()
    data["indicators"][1]["实际完成值"] = "100公里"
    other = build(data)
    assert runner.invoke(app, ["report", str(other), "-o", str(out)]).exit_code == 0
    second = CLEAN_REPORT.replace(".docx", " (2).docx")
    assert sorted(p.name for p in out.iterdir()) == sorted([CLEAN_REPORT, second])
    assert source_of(out / CLEAN_REPORT) != source_of(out / second)
    # A file of someone else's under that name is kept as it is.
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / CLEAN_REPORT).write_bytes(b"my own notes")
    assert runner.invoke(app, ["report", str(first), "-o", str(foreign)]).exit_code == 0
    assert (foreign / CLEAN_REPORT).read_bytes() == b"my own notes"
    assert (foreign / second).is_file()


def test_two_inputs_of_one_project_in_one_run_get_two_names(tmp_path, build):
    data = clean_data()
    data["indicators"][1]["实际完成值"] = "100公里"
    result = runner.invoke(app, ["report", str(build()), str(build(data)), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [CLEAN_REPORT, CLEAN_REPORT.replace(".docx", " (2).docx")])


def test_a_file_that_cannot_be_read_is_named_and_the_others_are_written(tmp_path, build):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04garbage")
    result = runner.invoke(app, ["report", str(build()), str(broken), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "broken.xlsx" in result.stderr and "file-unreadable" in result.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == [CLEAN_REPORT]


def test_batch_reports_are_staged_committed_and_their_stale_ones_removed(tmp_path, build, national):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    a = build(name="a.xlsx")
    data = clean_data()
    data["project"]["项目名称"] = "道路养护"
    b = build(data, name="b.xlsx")
    for path in (a, b):
        path.rename(inbox / path.name)
    out = tmp_path / "out"
    paths = sorted(str(p) for p in inbox.iterdir())
    report = run_batch(paths, national, out, workers=1, reports=True)
    assert report.reports == 2
    reports = out / REPORT_DIR
    names = ["2023_某县水利局_农村饮水安全巩固提升工程_绩效自评报告.docx", "2023_某县水利局_道路养护_绩效自评报告.docx"]
    assert sorted(p.name for p in reports.iterdir() if not p.name.startswith(".")) == names
    assert (reports / REPORT_MANIFEST_NAME).read_text(encoding="utf-8").splitlines() == names
    assert (reports / names[0]).read_bytes() == render_report(evaluate_file(paths[0], national, display_path=paths[0]))
    assert not [p for p in out.iterdir() if p.name.startswith(".perfeval-run-")]
    # A second run without b: b's report was ours and is removed; a file of someone else's stays.
    (reports / "备注.docx").write_bytes(b"notes")
    run_batch(paths[:1], national, out, workers=1, reports=True)
    assert sorted(p.name for p in reports.iterdir() if not p.name.startswith(".")) == [names[0], "备注.docx"]


def test_batch_without_reports_writes_no_report_folder(tmp_path, build, national):
    out = tmp_path / "out"
    report = run_batch([str(build())], national, out, workers=1)
    assert report.reports == 0 and not (out / REPORT_DIR).exists()


def test_batch_cli_reports_option(tmp_path, build):
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(build()), "-o", str(out), "--reports", "-w", "1"])
    assert result.exit_code == 0, result.output
    assert "reports/" in result.stdout
    assert [p.name for p in (out / REPORT_DIR).glob("*.docx")] == [CLEAN_REPORT]


@pytest.mark.slow
def test_batch_reports_from_a_dask_cluster_are_those_of_a_local_run(tmp_path, build, national):
    pytest.importorskip("distributed", reason='the Dask path needs "distributed" (pip install -e ".[dask]")')
    data = clean_data()
    data["project"]["项目名称"] = "道路养护"
    paths = [str(build()), str(build(data)), str(build())]
    run_batch(paths, national, tmp_path / "local", workers=1, reports=True)
    with local_cluster(n_workers=1, threads_per_worker=1) as cluster:
        run_batch(paths, national, tmp_path / "dask", scheduler=cluster.scheduler_address, reports=True)
    local = {p.name: p.read_bytes() for p in (tmp_path / "local" / REPORT_DIR).iterdir()}
    remote = {p.name: p.read_bytes() for p in (tmp_path / "dask" / REPORT_DIR).iterdir()}
    assert len(local) == 4 and CLEAN_REPORT.replace(".docx", " (2).docx") in local    # three reports and the list
    assert remote == local


def test_a_report_run_again_over_its_own_folder_does_not_read_its_drafts(tmp_path, build):
    """`perfeval report DIR -o DIR` twice: the drafts beside their spreadsheets are skipped and said so,
    not read as projects of their own (which wrote `… (2).docx` next to each on every rerun)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    clean = build(name="clean.xlsx")
    (inbox / "clean.xlsx").write_bytes(clean.read_bytes())
    first = runner.invoke(app, ["report", str(inbox), "-o", str(inbox)])
    assert first.exit_code == 0 and "1 个文件：写出报告 1 份，失败 0" in first.stdout
    written = (inbox / CLEAN_REPORT).read_bytes()
    again = runner.invoke(app, ["report", str(inbox), "-o", str(inbox)])
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in inbox.iterdir()) == sorted(["clean.xlsx", CLEAN_REPORT])
    assert (inbox / CLEAN_REPORT).read_bytes() == written
    assert "1 个文件：写出报告 1 份，失败 0" in again.stdout
    assert (f"perfeval: 已跳过 {inbox / CLEAN_REPORT}：是本程序根据 {inbox / 'clean.xlsx'} 写出的报告初稿"
            in again.stderr)


def test_a_batch_scores_a_project_once_when_its_draft_lies_beside_it(tmp_path, build):
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "clean.xlsx").write_bytes(build().read_bytes())
    assert runner.invoke(app, ["report", str(inbox / "clean.xlsx"), "-o", str(inbox / "sub")]).exit_code == 0
    result = runner.invoke(app, ["batch", str(inbox), "-o", str(tmp_path / "out"), "-w", "1"])
    assert result.exit_code == 0, result.output
    assert "1 个文件：评分 1 个项目" in result.stdout
    assert f"已跳过 {inbox / 'sub' / CLEAN_REPORT}：" in result.stderr
    # Named on its own, a draft is read: the user asked for it.
    named = runner.invoke(app, ["batch", str(inbox), str(inbox / "sub" / CLEAN_REPORT), "-o", str(tmp_path / "out2"),
                                "-w", "1"])
    assert named.exit_code == 0 and "2 个文件：评分 2 个项目" in named.stdout and "已跳过" not in named.stderr


def test_a_draft_whose_spreadsheet_is_not_among_the_inputs_is_read(tmp_path, build):
    drafts = tmp_path / "drafts"
    assert runner.invoke(app, ["report", str(build()), "-o", str(drafts)]).exit_code == 0
    result = runner.invoke(app, ["batch", str(drafts), "-o", str(tmp_path / "out"), "-w", "1"])
    assert result.exit_code == 0, result.output
    assert "1 个文件：评分 1 个项目" in result.stdout and "已跳过" not in result.stderr


def test_a_workbook_of_two_annex_forms_gets_a_report_for_each_project(tmp_path):
    from helpers import SAMPLES

    two = SAMPLES / "附件表单" / "某县住房和城乡建设局" / "2023_住建局项目自评表（两个项目）.xlsx"
    result = runner.invoke(app, ["report", str(two), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "2023_某县住房和城乡建设局_城市道路照明设施维护_绩效自评报告.docx",
        "2023_某县住房和城乡建设局_城镇老旧小区改造项目_绩效自评报告.docx",
    ]
    assert "1 个文件：写出报告 2 份，失败 0" in result.stdout
    titles = {docx.Document(path).paragraphs[0].text for path in tmp_path.iterdir()}
    assert titles == {"城市道路照明设施维护绩效自评报告", "城镇老旧小区改造项目绩效自评报告"}


def test_report_reads_each_file_in_a_contained_child(tmp_path, monkeypatch, build):
    """A reader that aborts (as a crashing library would) costs its file a line, not the command."""
    import os

    import perfeval_xl.evaluate as evaluate_module

    clean = build()
    monkeypatch.setattr(evaluate_module, "read_forms_data", lambda *args, **kwargs: os.abort())
    result = runner.invoke(app, ["report", str(clean), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"✗ {clean}: 处理该文件时程序异常终止（读取进程异常退出（SIGABRT），文件可能过于复杂或已损坏），"
                             "未能评分；其他文件不受影响 (worker-crashed)\n")
    assert "1 个文件：写出报告 0 份，失败 1" in result.stdout
    assert not (tmp_path / "out").exists()


def _draft_with_core(tmp_path, build, change) -> tuple:
    """A folder holding an intake and our draft of it whose docProps/core.xml entry `change(data, local, central)`
    has patched in place (offsets of the entry's local header and of its directory record)."""
    import struct
    import zipfile

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = inbox / "a.xlsx"
    source.write_bytes(build().read_bytes())
    assert runner.invoke(app, ["report", str(source), "-o", str(tmp_path / "made")]).exit_code == 0
    made = tmp_path / "made" / CLEAN_REPORT
    data = bytearray(made.read_bytes())
    with zipfile.ZipFile(made) as package:
        info = package.getinfo("docProps/core.xml")
    central = data.find(b"PK\x01\x02")
    while data[central + 46:central + 46 + struct.unpack_from("<H", data, central + 28)[0]] != b"docProps/core.xml":
        central = data.find(b"PK\x01\x02", central + 4)
    change(data, info.header_offset, central, info)
    (inbox / "draft.docx").write_bytes(bytes(data))
    return inbox, source, inbox / "draft.docx"


def _encrypted(data, local, central, info):
    import struct

    for at in (local + 6, central + 8):
        struct.pack_into("<H", data, at, struct.unpack_from("<H", data, at)[0] | 1)


def _unknown_method(data, local, central, info):
    import struct

    struct.pack_into("<H", data, local + 8, 99)
    struct.pack_into("<H", data, central + 10, 99)


def _garbled(data, local, central, info):
    import struct

    name, extra = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + name + extra
    data[start:start + min(40, info.compress_size)] = b"\xff" * min(40, info.compress_size)


@pytest.mark.parametrize("change", [_encrypted, _unknown_method, _garbled], ids=["encrypted", "unknown-method", "garbled"])
def test_a_damaged_word_file_in_a_folder_is_read_and_reported_not_a_crash(tmp_path, build, change):
    """The probe for our drafts takes any damage as "not ours": the file is read like any other and gets its own
    failure, and the run goes on (a zlib error, an encrypted or unknown-method entry used to end it with a traceback)."""
    inbox, _, draft = _draft_with_core(tmp_path, build, change)
    assert source_of(draft) is None
    result = runner.invoke(app, ["batch", str(inbox), "-o", str(tmp_path / "out"), "-w", "1"])
    assert result.exit_code == 0, result.output
    assert "2 个文件：评分 1 个项目，失败 1 个文件" in result.stdout and "已跳过" not in result.stderr
    report = runner.invoke(app, ["report", str(inbox), "-o", str(tmp_path / "reports")])
    assert report.exit_code == 1 and "2 个文件：写出报告 1 份，失败 1" in report.stdout
    assert report.stderr.startswith(f"✗ {draft}: "), report.stderr


def test_the_probe_inflates_no_more_than_its_bound_whatever_the_directory_says(tmp_path, build):
    """A core.xml that the directory says is 1 KB and inflates to 60 MB: the probe stops at its 1 MB bound."""
    import time
    import tracemalloc

    from helpers.hostile import deflated_zeros, zip_with_raw_part

    assert runner.invoke(app, ["report", str(build()), "-o", str(tmp_path)]).exit_code == 0
    zeros, crc = deflated_zeros(60 << 20)
    bomb = zip_with_raw_part(tmp_path / CLEAN_REPORT, tmp_path / "liar.docx", "docProps/core.xml", zeros, crc, 1024)
    tracemalloc.start()
    try:
        started = time.monotonic()
        assert source_of(bomb) is None
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 5
    assert peak < 4 << 20, peak         # the 1 MB bound and zipfile's buffers, nothing like 60 MB


def test_a_named_draft_is_read_whatever_spelling_reaches_it(tmp_path, build, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "clean.xlsx").write_bytes(build().read_bytes())
    assert runner.invoke(app, ["report", str(inbox / "clean.xlsx"), "-o", str(inbox)]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    # The folder by its absolute path, the draft by a relative one: the same file, named on its own.
    result = runner.invoke(app, ["batch", str(inbox), f"inbox/{CLEAN_REPORT}", "-o", "out", "-w", "1"])
    assert result.exit_code == 0, result.output
    assert "2 个文件：评分 2 个项目" in result.stdout and "已跳过" not in result.stderr


def test_a_report_of_a_word_report_is_not_read_again_on_a_rerun(tmp_path):
    """A department's own Word report in DIR: `perfeval report DIR -o DIR` run three times leaves one draft of it."""
    from helpers import SAMPLES

    folder = tmp_path / "w"
    folder.mkdir()
    word = SAMPLES / "附件表单" / "忻州市应急管理局" / "2021_安全生产和应急管理督查检查经费_自评报告.docx"
    (folder / "dept.docx").write_bytes(word.read_bytes())
    for _ in range(3):
        result = runner.invoke(app, ["report", str(folder), "-o", str(folder)])
        assert result.exit_code == 0 and "1 个文件：写出报告 1 份，失败 0" in result.stdout, result.output
    assert sorted(p.name for p in folder.iterdir()) == sorted(["dept.docx", SEED_REPORT])


def test_the_probe_reads_no_zip_directory_larger_than_a_report_has(tmp_path, build):
    """Our draft with 5,000 more entries of long names (a directory of over 1 MB, as a crafted file has) is not
    taken for ours: zipfile would read such a directory whole; with 100 more it still is."""
    import zipfile

    assert runner.invoke(app, ["report", str(build()), "-o", str(tmp_path)]).exit_code == 0
    made = tmp_path / CLEAN_REPORT
    identifier = source_of(made)
    assert identifier and identifier.startswith("sha256:")
    for extra, expected in ((100, identifier), (5_000, None)):
        copy = tmp_path / f"extra-{extra}.docx"
        copy.write_bytes(made.read_bytes())
        with zipfile.ZipFile(copy, "a") as package:
            for index in range(extra):
                package.writestr(f"customXml/{'x' * 200}{index:05d}.xml", b"")     # 250 bytes of directory each
        assert source_of(copy) == expected, extra


def test_the_probe_does_not_follow_a_zip64_record(tmp_path, build):
    """zipfile takes the directory's size from a zip64 record when one precedes the end record, so a crafted file
    could give the ordinary record a small size and the zip64 one a huge directory: a zip with zip64 records
    (which python-docx never writes) is not taken for ours, even our own draft with them added."""
    import struct
    import zipfile

    assert runner.invoke(app, ["report", str(build()), "-o", str(tmp_path)]).exit_code == 0
    data = (tmp_path / CLEAN_REPORT).read_bytes()
    assert data[-22:-18] == b"PK\x05\x06"          # no comment: the end record is the last 22 bytes
    entries, size, offset = struct.unpack_from("<HII", data, len(data) - 22 + 10)
    record64 = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, size, offset)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, len(data) - 22, 1)
    crafted = tmp_path / "zip64.docx"
    crafted.write_bytes(data[:-22] + record64 + locator + data[-22:])
    with zipfile.ZipFile(crafted) as package:       # a valid zip, our identifier intact
        assert package.testzip() is None and len(package.infolist()) == entries
    assert source_of(tmp_path / CLEAN_REPORT) is not None
    assert source_of(crafted) is None
