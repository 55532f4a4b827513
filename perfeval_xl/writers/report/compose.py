"""The 自评报告 of one project, section by section, from its Result.

The six sections of a department's 绩效自评报告 and 附件1. Sections 一–三
and 附件1 are written from the figures (content.py); 四–六 are headings
with guidance for the department to replace, except what the figures can
say: under 五, the targets that were missed with their 偏差原因, and every
finding as 需说明的问题. The tables have the shapes departments print:
the funds table transposed (stages as rows, sources as columns), one
二级/三级/权重/目标值/业绩值/得分 table per dimension, and 附件1's indicator
table with 一级 merged down and 预算执行率 as its first row, so that a reader
of such reports can read this one back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ... import __version__
from ...model import Result
from ..files import atomic_write, creation_time, safe_name
from . import content as say
from .names import identifier_of
from .word import XIAO_ER, Draft

SECTIONS = (
    "一、项目的基本情况", "二、项目绩效情况", "三、项目绩效分析", "四、主要经验做法", "五、存在问题及原因分析", "六、改进措施及建议",
)
ANNEX_HEADING = "附件1"
ANNEX_TITLE = "项目支出绩效自评表"
TITLE_CHARS = 20          # characters of 二号 on one line of the A4 text width
FUNDS_CAPTION = "项目资金（万元）"
DIMENSION_HEADINGS = {"产出指标": "项目产出情况", "效益指标": "项目效益情况", "满意度指标": "项目满意度情况", say.OTHER_DIMENSION: "其他指标情况"}
ANALYSIS_HEADINGS = {"产出指标": "产出情况及分析", "效益指标": "效益情况及分析", "满意度指标": "满意度情况及分析", say.OTHER_DIMENSION: "其他指标情况及分析"}
NUMERALS = "一二三四五六七八九十"

FUNDS_WIDTHS = (18, 16, 19, 14, 14, 12, 13, 14, 18, 18)
DIMENSION_WIDTHS = (26, 50, 14, 24, 24, 18)
ANNEX_WIDTHS = (13, 15, 26, 11, 18, 18, 18, 14, 23)
UNVERIFIED_NOTE = "注：底纹标出的是未核实指标：实际完成值无法按目标值核算，按单位自评得分计入。"

GUIDE_TOP = ("本报告初稿由 perfeval 根据填报表的数据生成：一、二、三部分和附件1中的数字均来自评分结果，请勿改动；"
             "灰色的【填写说明】段落请替换为本单位的内容后删除。")
GUIDE_OVERVIEW = "请简述项目概况、立项依据、设立的必要性、保证项目实施的措施与制度、项目实施计划。"
GUIDE_BUDGET = "请说明预算批复、资金下达和支付情况，以及执行中的调整及原因。"
GUIDE_DIMENSION = "请结合上述指标完成情况，具体分析{word}情况，说明取得的成效。"
GUIDE_EXPERIENCE = "请总结项目实施和管理中的主要经验做法，如制度建设、过程监控、资金管理、部门协作等。"
GUIDE_PROBLEMS = "请结合上述未达成的指标和需说明的问题，分析项目管理中存在的问题及其原因。"
GUIDE_REASON = "未填写偏差原因：请说明未完成的原因及拟采取的改进措施。"
GUIDE_MEASURES = "请针对存在的问题，提出下一步改进措施及建议。"


def report_filename(result: Result) -> str:
    """`年度_主管部门_项目名称_绩效自评报告.docx`, safe on every system."""
    project = result.intake.project
    stem = "_".join(part for part in (str(project.year or ""), project.department, project.name) if part)
    return safe_name(f"{stem}_绩效自评报告") + ".docx"


def report_title(result: Result) -> str:
    return f"{result.intake.project.name}绩效自评报告"


def _title_lines(result: Result) -> str:
    # A long title breaks before 绩效自评报告 rather than leaving a character alone on the last line.
    name = result.intake.project.name
    return f"{name}\n绩效自评报告" if len(name) + 6 > TITLE_CHARS else f"{name}绩效自评报告"


def render_report(result: Result, *, created: dt.datetime | None = None) -> bytes:
    """The report as .docx bytes; `created` as for render_annex (default files.creation_time())."""
    if result.intake is None:
        raise ValueError("a file that could not be read has no report")
    draft = Draft()
    _front(draft, result)
    _basics(draft, result)
    _performance(draft, result)
    _analysis(draft, result)
    _experience(draft)
    _problems(draft, result)
    _measures(draft)
    _annex(draft, result)
    project = result.intake.project
    return draft.to_bytes(created=created or creation_time(), title=report_title(result),
                          subject=project.department, comments=f"perfeval-xl {__version__}",
                          identifier=identifier_of(result.source_sha256))


def write_report(result: Result, out_dir: str | Path, *, filename: str | None = None) -> Path:
    """Write the report of a scored project into `out_dir`; return its path."""
    path = Path(out_dir) / (filename or report_filename(result))
    atomic_write(path, render_report(result))
    return path


# --- the sections -------------------------------------------------------------------


def _front(draft: Draft, result: Result) -> None:
    draft.title(_title_lines(result))
    year = result.intake.project.year
    if year:
        draft.subtitle(f"（{year}年度）")
    draft.guidance(GUIDE_TOP)


def _project_lines(draft: Draft, result: Result) -> None:
    project = result.intake.project
    fields = (
        ("项目名称", project.name), ("项目编码", project.code or ""), ("主管部门", project.department),
        ("实施单位", project.unit), ("项目负责人", project.leader), ("联系电话", project.phone),
        ("评价年度", f"{project.year}年" if project.year else ""),
    )
    for label, value in fields:
        if value or label in ("项目名称", "主管部门", "实施单位"):
            draft.paragraph(value, label=f"{label}：")


def _basics(draft: Draft, result: Result) -> None:
    project = result.intake.project
    draft.heading(SECTIONS[0], 1)
    draft.heading("（一）项目概况", 2)
    _project_lines(draft, result)
    draft.guidance(GUIDE_OVERVIEW)
    draft.heading("（二）预算执行情况", 2)
    for sentence in say.budget_sentences(result):
        draft.paragraph(sentence)
    _funds_table(draft, result)
    draft.heading("（三）项目绩效目标", 2)
    draft.paragraph(project.goal, label="预期目标：")
    draft.paragraph(project.achieved, label="实际完成情况：")


def _funds_table(draft: Draft, result: Result) -> None:
    header = [say.FUNDS_HEADER_TOP, ("", "", "", *say.FUNDS_HEADER_SUB, "", "")]
    spans = ((0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 1, 2), (0, 3, 0, 7), (0, 8, 1, 8), (0, 9, 1, 9))
    draft.table(header, say.funds_rows(result), FUNDS_WIDTHS, spans=spans)


def _performance(draft: Draft, result: Result) -> None:
    draft.heading(SECTIONS[1], 1)
    for sentence in say.overall_sentences(result):
        draft.paragraph(sentence)
    draft.heading("（一）预算执行情况", 2)
    draft.table([say.DIMENSION_HEADER], [say.budget_dimension_row(result)], DIMENSION_WIDTHS, left={1})
    draft.paragraph(say.budget_sentences(result)[0])
    groups = say.dimensions(result)
    for number, (name, word, items) in enumerate(groups, start=2):
        draft.heading(f"（{NUMERALS[number - 1]}）{DIMENSION_HEADINGS[name]}", 2)
        if items:
            marked = {(r, c) for r, item in enumerate(items) if not item.verified for c in (4, 5)}
            draft.table([say.DIMENSION_HEADER], say.dimension_rows(items), DIMENSION_WIDTHS, marked=marked, left={0, 1})
            if marked:
                draft.note(UNVERIFIED_NOTE)
        draft.paragraph(say.dimension_sentence(word, items))


def _analysis(draft: Draft, result: Result) -> None:
    draft.heading(SECTIONS[2], 1)
    draft.heading("1. 项目实施和预算执行情况及分析", 3)
    for sentence in say.budget_sentences(result):
        draft.paragraph(sentence)
    draft.guidance(GUIDE_BUDGET)
    for number, (name, word, items) in enumerate(say.dimensions(result), start=2):
        draft.heading(f"{number}. {ANALYSIS_HEADINGS[name]}", 3)
        for sentence in say.analysis_sentences(word, items):
            draft.paragraph(sentence)
        draft.guidance(GUIDE_DIMENSION.format(word=word))


def _experience(draft: Draft) -> None:
    draft.heading(SECTIONS[3], 1)
    draft.guidance(GUIDE_EXPERIENCE)


def _problems(draft: Draft, result: Result) -> None:
    draft.heading(SECTIONS[4], 1)
    draft.heading("（一）未达成的绩效目标及偏差原因", 2)
    missed = say.missed_targets(result)
    if not missed:
        draft.paragraph("经核算，已核实的绩效指标均达到年度指标值。")
    for number, (what, reason) in enumerate(missed, start=1):
        draft.paragraph(f"{number}. {what}")
        if reason:
            draft.paragraph(reason, label="偏差原因：")
        else:
            draft.guidance(GUIDE_REASON)
    draft.heading("（二）需说明的问题", 2)
    lines = say.finding_lines(result)
    if lines:
        draft.paragraph("评分时发现以下问题，请逐条核实并说明：")
        for line in lines:
            draft.paragraph(line)
    else:
        draft.paragraph("评分时未发现需说明的问题。")
    draft.guidance(GUIDE_PROBLEMS)


def _measures(draft: Draft) -> None:
    draft.heading(SECTIONS[5], 1)
    draft.guidance(GUIDE_MEASURES)


def _annex(draft: Draft, result: Result) -> None:
    project = result.intake.project
    draft.heading(ANNEX_HEADING, 1, indent=False, new_page=True)
    draft.title(ANNEX_TITLE, size=XIAO_ER)
    if project.year:
        draft.subtitle(f"（{project.year}年度）")
    draft.note(f"项目名称：{project.name}　　主管部门：{project.department}　　实施单位：{project.unit}")
    draft.note(FUNDS_CAPTION)
    _funds_table(draft, result)
    draft.note("")
    rows = say.annex_rows(result)
    # Row 0 is 预算执行率; indicators follow, then 合计 (its first three columns one cell).
    marked = {(r + 1, c) for r, item in enumerate(result.indicators) if not item.verified for c in (5, 6, 7)}
    last = len(rows)     # the 合计 row, counted in the whole grid (one header row)
    draft.table([say.ANNEX_HEADER], rows, ANNEX_WIDTHS, marked=marked, left={2, 8}, merge_down=(0,), together=False,
                spans=((last, 0, last, 2),))
    if marked:
        draft.note(UNVERIFIED_NOTE)
