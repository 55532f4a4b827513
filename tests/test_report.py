"""The draft 绩效自评报告 (.docx): written for every sample and read back with python-docx.

Sections in order, the tables and their cells, the sentences' figures, every
figure against the JSON record, 公文 formatting (fonts for East Asian text,
A4, a PAGE field), guidance visibly apart, department text as typed, and
byte-identical reruns.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from helpers import SAMPLES, SEED, clean_data
from perfeval_xl.evaluate import evaluate_file, evaluate_path
from perfeval_xl.profiles import load_profile
from perfeval_xl.writers.record import to_record
from perfeval_xl.writers.report import render_report, report_filename

SECTIONS = ["一、项目的基本情况", "二、项目绩效情况", "三、项目绩效分析", "四、主要经验做法", "五、存在问题及原因分析",
            "六、改进措施及建议", "附件1"]
ANNEX_HEADER = ["一级指标", "二级指标", "目标指标", "权重", "目标值", "业绩值", "完成率", "指标得分", "偏差原因分析及改进措施"]
FUNDS_TOP = ["项目", "行次", "年度总金额(万元)", *["财政资金"] * 5, "上年结转资金(万元)", "其他资金(万元)"]
FUNDS_SUB = ["项目", "行次", "年度总金额(万元)", "小计", "中央级", "省级", "市级", "县区级", "上年结转资金(万元)", "其他资金(万元)"]
DIMENSION_HEADER = ["二级指标", "三级指标", "权重", "目标值", "业绩值", "得分"]
GUIDANCE = "Guidance"

SAMPLE_FILES = sorted(
    str(path.relative_to(SAMPLES)) for path in SAMPLES.rglob("*")
    if path.suffix in (".xlsx", ".xls", ".ods") and not path.name.startswith("~$") and path.name != "损坏的文件.xlsx"
)


@functools.lru_cache(maxsize=None)
def _reports(name: str) -> tuple:
    """(result, report) for every project of a sample file, made once per test process; None for one not ok."""
    return tuple((result, render_report(result) if result.ok else None)
                 for result in evaluate_path(SAMPLES / name, load_profile("national")))


def _scored(name: str):
    """The first project of a sample file and its report."""
    result, data = _reports(name)[0]
    assert result.ok, name
    return result, data


def _open(data: bytes):
    return docx.Document(io.BytesIO(data))


def shown(number) -> str:
    """A record figure (float) or a sum of them (Decimal) as people write it: 12.5, 10, 0.4."""
    value = number if isinstance(number, Decimal) else Decimal(repr(number))
    return format(value.normalize(), "f")


def pct(fraction: float) -> str:
    return f"{Decimal(repr(fraction)) * 100:.2f}%"


def style_name(paragraph) -> str:
    """paragraph.style.name, without python-docx's search of the styles part for every paragraph."""
    part = paragraph.part
    names = getattr(part, "_names_by_style_id", None)
    if names is None:
        from docx.enum.style import WD_STYLE_TYPE

        names = {s.style_id: s.name for s in part.styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
        names[None] = part.styles.default(WD_STYLE_TYPE.PARAGRAPH).name
        part._names_by_style_id = names
    return names.get(paragraph._p.style, names[None])


def headings(document, level: int = 1) -> list[str]:
    return [p.text for p in document.paragraphs if style_name(p) == f"Heading {level}"]


def cells(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def section_paragraphs(document, heading: str) -> list:
    """The paragraphs under one Heading 1, up to the next."""
    inside, found = False, []
    for paragraph in document.paragraphs:
        if style_name(paragraph) == "Heading 1":
            inside = paragraph.text == heading
            continue
        if inside:
            found.append(paragraph)
    return found


def body_text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def test_every_readable_sample_is_covered():
    """Every workbook sample with a hand-computed entry (a two-project file once) is reported on."""
    import json

    expected = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
    files = {key.split("#")[0] for key in expected if not key.startswith("_") and not key.endswith(".docx")}
    assert sorted(SAMPLE_FILES) == sorted(files)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sections_and_tables_in_the_seed_shape(name):
    result, data = _scored(name)
    document = _open(data)
    assert headings(document) == SECTIONS
    tables = [cells(t) for t in document.tables]
    funds, budget, *dimensions, annex_funds, annex = tables
    assert funds[:2] == [FUNDS_TOP, FUNDS_SUB] and annex_funds == funds
    assert [row[:2] for row in funds[2:]] == [
        ["年初预算资金", "(1)"], ["全年预算资金", "(2)"], ["实际到位资金", "(3)"], ["全年执行资金", "(4)"],
        ["预算执行率", "(5)=(4)/(2)"]]
    assert budget[0] == DIMENSION_HEADER and [row[:2] for row in budget[1:]] == [["预算执行指标", "预算执行率"]]
    assert all(table[0] == DIMENSION_HEADER for table in dimensions)
    assert annex[0] == ANNEX_HEADER
    assert annex[1][:3] == ["预算执行指标", "预算执行指标", "预算执行率"]
    assert annex[-1][0] == "合计" and len(annex) == len(result.indicators) + 3


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_every_figure_agrees_with_the_record(name):
    result, data = _scored(name)
    record = to_record(result)
    document = _open(data)
    tables = [cells(t) for t in document.tables]
    funds, budget_table, *dimension_tables, _, annex = tables
    b = record["budget"]
    # The funds table: 年度总金额 of 全年预算资金 and 全年执行资金, and the rate.
    assert (funds[3][2], funds[5][2], funds[6][2]) == (shown(b["annual"]), shown(b["executed"]), pct(b["rate"]))
    assert budget_table[1][2:] == [shown(b["weight"]), "100%", pct(b["rate"]), shown(b["score"])]
    assert annex[1][3:8] == [shown(b["weight"]), "100%", pct(b["rate"]), pct(b["rate"]), shown(b["score"])]
    # Every indicator, in record order, in 附件1 and in its dimension's table.
    rows = annex[2:-1]
    assert len(rows) == len(record["indicators"])
    # The target as typed, with the 指标性质 and 计量单位 the intake kept apart joined to it (`≤120天`):
    # what the record's target cell says, read the same way (and read back the same, see below).
    joined = [i.indicator.joined_target for i in result.indicators]
    assert [i.indicator.target for i in result.indicators] == [item["target"] for item in record["indicators"]]
    for row, item, target in zip(rows, record["indicators"], joined):
        assert row[:6] == [item["level1"], item["level2"], item["name"], shown(item["weight"]), target, item["actual"]]
        assert row[7] == shown(item["score"])
        completion = "未核实" if not item["verified"] else (pct(item["completion"]) if item["completion"] is not None else row[6])
        assert row[6] == completion
    listed = [row[1:] for table in dimension_tables for row in table[1:]]
    expected = [[i["name"], shown(i["weight"]), target, i["actual"], shown(i["score"])]
                for i, target in zip(record["indicators"], joined)]
    assert sorted(listed) == sorted(expected)
    # The total and the grade, in 附件1's 合计 row and in the sentence of section 二.
    assert (annex[-1][7], annex[-1][8]) == (shown(record["total_score"]), f"等级：{record['grade']}")
    text = body_text(document)
    assert f"总得分{shown(record['total_score'])}分，等级为“{record['grade']}”" in text
    rate = pct(b["rate"])
    assert f"全年预算{shown(b['annual'])}万元，执行{shown(b['executed'])}万元，执行率{rate}，得{shown(b['score'])}分。" in text


NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_no_sentence_states_a_figure_that_is_not_in_the_record(name):
    """Every number in the written sentences is a record figure, a sum of them, a count, or quoted department text."""
    result, data = _scored(name)
    record = to_record(result)
    b = record["budget"]
    allowed = {shown(v) for v in (b["initial"], b["annual"], b["received"], b["executed"], b["weight"], b["score"],
                                  record["total_score"], record["self_total"]) if v is not None}
    allowed |= {pct(b["rate"])[:-1], "100", "0", str(record["project"]["year"])}
    by_dimension: dict[str, list] = {}
    quoted = [result.profile.title, *(p["message"] for p in record["problems"]),
              *(f"{p['sheet']}!{p['cell']}" for p in record["problems"] if p["sheet"] and p["cell"])]
    for item in record["indicators"]:
        allowed |= {shown(item["weight"]), shown(item["score"])}
        if item["completion"] is not None:
            allowed.add(pct(item["completion"])[:-1])
        quoted += [item["name"], item["target"], item["actual"]]
        key = {"成本指标": "产出指标"}.get(item["level1"], item["level1"])
        by_dimension.setdefault(key, []).append(item)
    for items in by_dimension.values():
        allowed |= {shown(sum(Decimal(repr(i[k])) for i in items)) for k in ("weight", "score")}
    unverified = [i for i in record["indicators"] if not i["verified"]]
    allowed.add(shown(sum((Decimal(repr(i["score"])) for i in unverified), Decimal(0))))
    allowed |= {str(n) for n in range(len(record["indicators"]) + len(record["problems"]) + 2)}
    document = _open(data)
    quoted += [i.indicator.weight_text for i in result.indicators]
    goal_labels = ("预期目标：", "实际完成情况：", "偏差原因：", "项目名称：", "项目编码：", "主管部门：", "实施单位：",
                   "项目负责人：", "联系电话：")
    for paragraph in document.paragraphs:
        if style_name(paragraph) in (GUIDANCE, "Report Title") or paragraph.text.startswith(goal_labels):
            continue
        text = paragraph.text
        covered: set[int] = set()     # characters inside quoted department text or a finding's message
        for piece in quoted:
            start = text.find(piece) if piece else -1
            while start >= 0:
                covered.update(range(start, start + len(piece)))
                start = text.find(piece, start + 1)
        for match in NUMBER.finditer(text):
            if not set(range(*match.span())) <= covered:
                assert match.group() in allowed, (match.group(), paragraph.text)


def test_the_seed_report_says_what_the_seed_scored():
    result, data = _scored("忻州市应急管理局/2021_安全生产和应急管理督查检查经费.xlsx")
    document = _open(data)
    funds, budget, output, benefit, satisfaction, _, annex = [cells(t) for t in document.tables]
    assert funds[2:] == [
        ["年初预算资金", "(1)", "98.65", "98.65", "", "", "98.65", "", "", ""],
        ["全年预算资金", "(2)", "98.65", "98.65", "", "", "98.65", "", "", ""],
        ["实际到位资金", "(3)", "98.65", "98.65", "", "", "98.65", "", "", ""],
        ["全年执行资金", "(4)", "98.65", "98.65", "", "", "98.65", "", "", ""],
        ["预算执行率", "(5)=(4)/(2)", "100.00%", "", "", "", "", "", "", ""],
    ]
    assert output[1:] == [
        ["数量指标", "监督检查次数（次）", "12.5", "＜＝730次", "100%", "12.5"],
        ["质量指标", "完成省市安全生产工作年度考核", "12.5", "100%", "100%", "12.5"],
        ["时效指标", "完成督查检查工作及时率", "12.5", "100%", "100%", "12.5"],
        ["成本指标", "督查检查工作中产生的费用", "12.5", "＜＝130万元", "100%", "12.5"],
    ]
    assert satisfaction[1:] == [["服务对象满意度指标", "行政执法案件小于1起", "8", "98%", "98%", "8"]]
    assert annex[1:3] == [
        ["预算执行指标", "预算执行指标", "预算执行率", "10", "100%", "100.00%", "100.00%", "10", ""],
        ["产出指标", "数量指标", "监督检查次数（次）", "12.5", "＜＝730次", "100%", "未核实", "12.5", ""],
    ]
    assert annex[-1] == ["合计", "合计", "合计", "98", "", "", "", "98", "等级：优"]
    text = body_text(document)
    assert "全年预算98.65万元，执行98.65万元，执行率100.00%，得10分。" in text
    assert "总得分98分，等级为“优”。" in text
    assert "其中预算执行10分，产出50分，效益30分，满意度8分。" in text
    # Unverified indicators and error findings are stated, not hidden.
    assert "有2项指标的实际完成值无法核算，按单位自评得分计入，共25分" in text
    assert ("实际完成值无法核算、未予核实的有：监督检查次数（次）（目标值＜＝730次，业绩值100%，按单位自评得分12.5分计入）；"
            "督查检查工作中产生的费用（目标值＜＝130万元，业绩值100%，按单位自评得分12.5分计入）。") in text
    problems = [p.text for p in section_paragraphs(document, "五、存在问题及原因分析")]
    assert "1. 【错误】绩效指标：分值合计为 98（含预算执行 10），应为 100（weights-sum）" in problems
    assert any(line.startswith("2. 【错误】绩效指标!F3：实际完成值“100%”") and line.endswith("（unit-mismatch）")
               for line in problems)
    assert "经核算，已核实的绩效指标均达到年度指标值。" in problems


def _merged_down(table, column: int) -> list[str | None]:
    """The vMerge value of each body row's cell in `column`, from the XML (python-docx hides continuations)."""
    values = []
    for row in table.rows[1:]:
        tc = row._tr.tc_lst[column]
        values.append(tc.vMerge)
    return values


def test_annex_merges_level1_down_its_rows():
    _, data = _scored("忻州市应急管理局/2021_安全生产和应急管理督查检查经费.xlsx")
    annex = _open(data).tables[-1]
    # budget row, 产出 ×4, 效益 ×2, 满意度, 合计
    assert _merged_down(annex, 0) == [None, "restart", "continue", "continue", "continue", "restart", "continue", None, None]
    total = annex.rows[-1]._tr.tc_lst[0]
    assert total.grid_span == 3


def test_missed_targets_and_their_reasons_under_section_five():
    result, data = _scored("某县农业农村局/2023_农业社会化服务项目.xlsx")
    paragraphs = [p for p in section_paragraphs(_open(data), "五、存在问题及原因分析")]
    texts = [p.text for p in paragraphs]
    assert texts[1] == "1. 托管服务面积：目标值≥10万亩，业绩值3.2万亩，完成率32.00%，分值20分，得6.4分。"
    assert texts[2] == "偏差原因：实施方案批复晚，服务组织遴选延误。"
    missed = [i for i in result.indicators if i.verified and i.score < i.weight]
    assert sum(1 for t in texts if t.startswith("偏差原因：")) == len(missed) == 7
    # Its seven self scores above the computed ones are stated as 需说明的问题.
    start = texts.index("评分时发现以下问题，请逐条核实并说明：")
    assert texts[start + 1] == "1. 【警告】绩效指标!H2：自评得分 5 高于核算得分 2.59（self-score-high）"
    assert [t.split("（")[-1] for t in texts[start + 1:start + 8]] == ["self-score-high）"] * 7


def test_guidance_is_a_style_of_its_own_and_sections_four_and_six_hold_only_guidance():
    _, data = _scored("某县教育局/2022_学生资助补助经费.xlsx")
    document = _open(data)
    for heading in ("四、主要经验做法", "六、改进措施及建议"):
        under = section_paragraphs(document, heading)
        assert under and all(style_name(p) == GUIDANCE for p in under), heading
        assert all(p.text.startswith("【填写说明】") for p in under)
    style = document.styles[GUIDANCE]
    assert style.font.italic is True and str(style.font.color.rgb) == "808080"
    normal = document.styles["Normal"]
    assert normal.font.italic is not True and str(normal.font.color.rgb) == "000000"


def _fonts(style) -> dict[str, str]:
    fonts = style.element.rPr.find(qn("w:rFonts"))
    return {key.split("}")[1]: value for key, value in fonts.attrib.items()}


def test_gongwen_fonts_page_and_page_numbers():
    _, data = _scored("某县教育局/2022_学生资助补助经费.xlsx")
    document = _open(data)
    assert _fonts(document.styles["Normal"]) == {"ascii": "Times New Roman", "hAnsi": "Times New Roman",
                                                "cs": "Times New Roman", "eastAsia": "仿宋", "hint": "eastAsia"}
    assert _fonts(document.styles["Heading 1"])["eastAsia"] == "黑体"
    assert _fonts(document.styles["Heading 2"])["eastAsia"] == "楷体"
    assert document.styles["Normal"].font.size.pt == 16                # 三号
    assert document.styles["Report Title"].font.size.pt == 22          # 二号
    styles_xml = document.styles.element.xml
    assert "asciiTheme" not in styles_xml.split("<w:latentStyles")[0].split("<w:style ")[0]   # docDefaults
    for name in ("Normal", "Heading 1", "Heading 2", "Guidance", "Report Title"):
        assert not any("Theme" in key for key in document.styles[name].element.rPr.find(qn("w:rFonts")).attrib)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)] == [37, 35, 28, 26]
    footer = section.footer.paragraphs[0]
    codes = [el.text for el in footer._p.iter(qn("w:instrText"))]
    kinds = [el.get(qn("w:fldCharType")) for el in footer._p.iter(qn("w:fldChar"))]
    assert codes == [" PAGE "] and kinds == ["begin", "separate", "end"]
    title = document.paragraphs[0]
    assert title.style.name == "Report Title" and title.style.paragraph_format.alignment == 1     # centred


def test_reruns_are_byte_identical_and_dated_by_source_date_epoch(monkeypatch):
    result, data = _scored("某县教育局/2022_学生资助补助经费.xlsx")
    assert render_report(result) == data
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert {info.date_time for info in package.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert "docProps/thumbnail.jpeg" not in package.namelist()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dated = render_report(result)
    assert dated == render_report(result) and dated != data
    props = _open(dated).core_properties
    assert props.created.isoformat().startswith("2023-11-14T22:13:20") and props.modified == props.created
    assert props.identifier == f"sha256:{result.source_sha256}"


def test_department_text_appears_exactly_as_typed(evaluate):
    data = clean_data()
    data["project"]["项目名称"] = "=SUM(A1) 项目<一>"
    data["project"]["预期目标"] = "第一行：管网 120 公里；\n第二行：普及率 95%。"
    data["indicators"][1]["实际完成值"] = "100公里"
    data["indicators"][1]["偏差原因分析及改进措施"] = None
    result = evaluate(data)
    document = _open(render_report(result))
    text = body_text(document)
    assert document.paragraphs[0].text.startswith("=SUM(A1) 项目<一>")
    assert "预期目标：第一行：管网 120 公里；\n第二行：普及率 95%。" in text
    assert report_filename(result) == "2023_某县水利局_=SUM(A1) 项目_一__绩效自评报告.docx"
    under = section_paragraphs(document, "五、存在问题及原因分析")
    missed = [p for p in under if p.text.startswith("1. ")]
    assert missed[0].text == "1. 新建改造供水管网长度：目标值≥120公里，业绩值100公里，完成率83.33%，分值15分，得12.5分。"
    following = under[under.index(missed[0]) + 1]
    assert style_name(following) == GUIDANCE and "未填写偏差原因" in following.text


def test_a_file_that_could_not_be_read_has_no_report(tmp_path, national):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04garbage")
    result = evaluate_file(broken, national)
    with pytest.raises(ValueError):
        render_report(result)


def test_report_filename_of_the_seed():
    result, _ = _scored("忻州市应急管理局/2021_安全生产和应急管理督查检查经费.xlsx")
    assert report_filename(result) == "2021_忻州市应急管理局_安全生产和应急管理督查检查经费_绩效自评报告.docx"
    assert Path(SEED).name.startswith("2021_")


def test_a_zero_budget_an_invalid_weight_and_blank_cells_are_said_as_they_are(evaluate):
    data = clean_data()
    for key in ("年度资金总额", "当年财政拨款", "中央级", "县区级", "上年结转资金"):
        data["budget"][key] = [0, 0, 0, 0]
    data["indicators"][1]["分值"] = "abc"
    data["indicators"][2]["年度指标值"] = None
    data["indicators"][3]["实际完成值"] = None
    data["indicators"][4]["一级指标"] = "其他"
    result = evaluate(data)
    document = _open(render_report(result))
    assert headings(document) == SECTIONS
    assert [p.text for p in document.paragraphs if style_name(p) == "Heading 2"][3:8] == [
        "（一）预算执行情况", "（二）项目产出情况", "（三）项目效益情况", "（四）项目满意度情况", "（五）其他指标情况"]
    text = body_text(document)
    assert "全年预算0万元，执行0万元，全年预算数为0，无法计算执行率，得0分。" in text
    assert "分值无效、按0分计的有：新建改造供水管网长度（分值abc）。" in text
    assert "未达到年度指标值的有：工程完工时间（目标值≤300天，业绩值未填写，分值10分，得0分）。" in text
    assert "实际完成值无法核算、未予核实的有：工程验收合格率（目标值未填写，业绩值98%，按单位自评得分15分计入）。" in text
    assert "单位自评总分为99.5分，与核算总分不一致，以核算总分为准。" in text
    annex = cells(document.tables[-1])
    assert annex[1] == ["预算执行指标", "预算执行指标", "预算执行率", "10", "100%", "—", "—", "0", ""]
    assert annex[-1] == ["合计", "合计", "合计", "85", "", "", "", "65", "等级：中"]
    assert cells(document.tables[0])[-1][2] == "—"


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_the_report_read_back_scores_what_its_intake_scored(name, tmp_path, national):
    """The Annex-form reader reads the report's 附件1 and funds tables: the same scores, every project."""
    for number, (result, data) in enumerate((r, d) for r, d in _reports(name) if r.ok):
        path = tmp_path / f"report{number}.docx"
        path.write_bytes(data)
        (back,) = evaluate_path(path, national)
        assert back.ok, back.failure
        assert (back.source_form, back.source_sheet) == ("annex", back.source_sheet) and back.source_sheet.startswith("表")
        assert back.total_score == result.total_score
        assert back.budget.score == result.budget.score
        assert [(i.indicator.name, i.score) for i in back.indicators] == [(i.indicator.name, i.score) for i in result.indicators]


# CT_TblPr's and CT_TcPr's sequences (ECMA-376 Part 1, 17.4.59 and 17.4.70): Word reads the properties
# of a table and of a cell in this order only, each at most once.
TBL_PR = ["tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize", "tblW",
          "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook"]
TC_PR = ["cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap", "tcMar", "textDirection",
         "tcFitText", "vAlign", "hideMark"]


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_table_and_cell_properties_in_schema_order(name):
    _, data = _scored(name)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    for tag, order in (("tblPr", TBL_PR), ("tcPr", TC_PR)):
        blocks = re.findall(rf"<w:{tag}>(.*?)</w:{tag}>", body)
        assert blocks, tag
        for block in blocks:
            children = re.findall(r"<w:(\w+)[ />]", block)
            assert children == sorted(children, key=order.index) and len(children) == len(set(children)), (tag, children)


@pytest.mark.parametrize("text", ["", "一行", "  前后有空格  ", "甲\t乙", "\t", "第一行\n\n第三行 ", "a\r\nb\rc", "行尾\n",
                                  "=SUM(A1) <一> & \"引号\"", "\u3000全角空格\u3000"])
def test_a_paragraph_s_text_is_the_xml_python_docx_writes_for_it(text):
    """word._text takes a short way for lines without a tab: the XML is what add_run and add_break make."""
    from docx.oxml.xmlchemy import serialize_for_reading

    from perfeval_xl.writers.report.word import _text

    document = docx.Document()
    ours, theirs = document.add_paragraph(), document.add_paragraph()
    _text(ours, text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for index, line in enumerate(lines):
        run = theirs.add_run(line)
        if index < len(lines) - 1:
            run.add_break()
    assert serialize_for_reading(ours._p) == serialize_for_reading(theirs._p)
    assert ours.text == text.replace("\r\n", "\n").replace("\r", "\n")
