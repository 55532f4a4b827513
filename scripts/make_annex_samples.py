"""Write samples/附件表单/: Annex 1 自评表 forms in the layouts departments really send.

    python scripts/make_annex_samples.py            # writes samples/附件表单/
    python scripts/make_annex_samples.py OUT_DIR

Each form is typed in the layout its province prints (the national 附件1,
a split-target form with amounts in 元, a form with 分值 before the target,
one without 全年预算数, one with the budget worth 20 points, a workbook with
two project sheets, and a Word report in the shape of the 忻州市应急管理局
report). The .xls and .ods copies are made with LibreOffice. The scores in
samples/expected.json were computed by hand from the figures below.

The builders (national_form, split_target_form, ...) are also used by the
tests, which vary them one block at a time.

Over 400 lines on purpose: most of it is the seven forms' own figures and
department text, kept beside the layout that prints them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "附件表单"
DASH = "—"


# --- a sheet from rows -------------------------------------------------------------


def put_rows(ws, rows: list[list[object]], merges: tuple[str, ...] = ()) -> None:
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value not in ("", None):
                cell = ws.cell(r, c, value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"     # typed as text, as a department types `=100%`
    for area in merges:
        ws.merge_cells(area)


def save(wb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def convert(path: Path, suffix: str) -> Path:
    """A LibreOffice copy of `path` as .xls or .ods, next to it (the .xlsx is removed)."""
    target = {"xls": "xls:MS Excel 97", "ods": "ods"}[suffix]
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target,
             "--outdir", str(path.parent), str(path)],
            check=True, capture_output=True, timeout=180,
        )
    path.unlink()
    return path.with_suffix("." + suffix)


# --- the national 附件1 ------------------------------------------------------------

NATIONAL_HEADER = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]


def national_rows(p: dict) -> tuple[list[list[object]], tuple[str, ...]]:
    """The national 附件1: 项目资金（万元） block, 年度总体目标, the indicator table, 总分."""
    f = p["funds"]
    rows = [
        ["附件1"],
        ["项目支出绩效自评表"],
        [f"（{p['year']}年度）"],
        ["项目名称", p["name"]],
        ["主管部门", p["department"], "", "", "", "实施单位", p["unit"]],
        [p.get("funds_title", "项目资金（万元）"), "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        ["", "年度资金总额", *f["total"]],
        ["", "其中：当年财政拨款", *f["appropriation"], DASH, DASH, DASH],
        ["", "上年结转资金", *f.get("carryover", ["", "", ""]), DASH, DASH, DASH],
        ["", "其他资金", *f.get("other", ["", "", ""]), DASH, DASH, DASH],
        ["年度总体目标", "预期目标", "", "", "", "实际完成情况"],
        ["", p["goal"], "", "", "", p["achieved"]],
        list(NATIONAL_HEADER),
        *p["indicators"],
        ["总分", "", "", "", "", 100, p["self_total"], p.get("grade_note", "")],
        ["注：1. 本表金额单位为万元；2. 定性指标按“达成年度指标”“部分达成年度指标并具有一定效果”“未达成年度指标且效果较差”分档评分。"],
        ["填表人：" + p.get("filler", "") + "        联系电话：" + p.get("phone", "") + "        填报日期："],
    ]
    end = 13 + len(p["indicators"])
    merges = ("A2:H2", "A3:H3", "B4:H4", "B5:E5", "G5:H5", "A6:A10", "A11:A12", "B11:E11", "F11:H11", "B12:E12",
              "F12:H12", f"A{end + 1}:E{end + 1}", f"A{end + 2}:H{end + 2}", f"A{end + 3}:H{end + 3}")
    return rows, merges


def national_form(path: Path, projects: list[dict]) -> Path:
    """One national 附件1 per project, each on its own sheet (named by `sheet`)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for p in projects:
        ws = wb.create_sheet(p.get("sheet", "项目支出绩效自评表"))
        put_rows(ws, *national_rows(p))
    return save(wb, path)


ROADS = {
    "year": 2023, "name": "农村公路安全生命防护工程", "department": "某县交通运输局", "unit": "某县农村公路养护中心",
    "funds": {"total": [380, 400, 372, 10, "", 9.3], "appropriation": [380, 380, 352], "carryover": ["", 20, 20]},
    "goal": "完成全县320公里农村公路日常养护，修复路面坑槽12000平方米，公路优良路率达到80%以上，保障群众安全便捷出行。",
    "achieved": "全年养护农村公路326公里，修复坑槽11400平方米，养护工程验收全部合格，公路优良路率78%，沿线群众满意度93%。",
    "indicators": [
        ["产出指标(50分)", "数量指标", "指标1：养护农村公路里程", "≥320公里", "326公里", 15, 15, ""],
        ["", "", "指标2：修复路面坑槽面积", "≥12000平方米", "11400平方米", 10, 9.5, "部分路段因雨季推迟施工，已列入次年一季度计划。"],
        ["", "", "指标3", "", "", "", "", ""],
        ["", "质量指标", "养护工程验收合格率", "100%", "100%", 10, 10, ""],
        ["", "时效指标", "日常养护及时率", "≥95%", "97%", 5, 5, ""],
        ["", "成本指标", "每公里年养护成本", "≤1.2万元", "1.14万元", 10, 10, ""],
        ["", "……", "……", "", "", "", "", ""],
        ["效益指标(30分)", "社会效益指标", "群众出行条件", "明显改善", "达成年度指标", 15, 15, ""],
        ["", "可持续影响指标", "公路优良路率", "≥80%", "78%", 15, 14.5, "个别路段重载车辆多、路况衰减快，将联合交警加强超限治理。"],
        ["满意度指标(10分)", "服务对象满意度指标", "沿线群众满意度", "≥90%", "93%", 10, 10, ""],
    ],
    "self_total": 98.3, "filler": "王丽", "phone": "0371-6218XXXX",
}

OLD_ESTATES = {
    "sheet": "老旧小区改造", "year": 2023, "name": "城镇老旧小区改造项目", "department": "某县住房和城乡建设局",
    "unit": "某县城市更新服务中心",
    "funds": {"total": [1200, 1200, 1080, 10, 0.9, 9], "appropriation": [1200, 1200, 1080]},
    "goal": "完成12个老旧小区改造，惠及居民3000户以上，改造工程验收合格率100%，建立小区长效管理机制。",
    "achieved": "完成12个小区改造，惠及居民3150户，工程全部验收合格；9个小区建立长效管理机制，覆盖率75%。",
    "indicators": [
        ["产出指标", "数量指标", "改造小区数量", "≥12个", "12个", 20, 20, ""],
        ["", "质量指标", "工程验收合格率", "100%", "100%", 10, 10, ""],
        ["", "时效指标", "当年开工率", "≥95%", "100%", 10, 10, ""],
        ["", "成本指标", "户均改造成本", "≤2.5万元", "2.38万元", 10, 10, ""],
        ["效益指标", "社会效益指标", "受益居民户数", "≥3000户", "3150户", 15, 15, ""],
        ["", "可持续影响指标", "小区长效管理机制覆盖率", "≥80%", "75%", 15, 14.06, "3个小区业主委员会尚未成立，正在指导组建。"],
        ["满意度指标", "服务对象满意度指标", "居民满意度", "≥90%", "91%", 10, 10, ""],
    ],
    "self_total": 98.06, "filler": "刘洋",
}

STREET_LIGHTS = {
    "sheet": "城市道路照明维护", "year": 2023, "name": "城市道路照明设施维护", "department": "某县住房和城乡建设局",
    "unit": "某县市政设施管理所",
    "funds": {"total": [260, 240, 240, 10, 1, 10], "appropriation": [260, 240, 240]},
    "goal": "维护城区道路路灯8000盏以上，主次干道亮灯率98%以上，故障路灯及时修复，保障市民夜间出行安全。",
    "achieved": "全年维护路灯8120盏，亮灯率97%，故障修复及时率96%，单灯年维护费296元，市民满意度90%。",
    "indicators": [
        ["产出指标", "数量指标", "维护路灯数量", "≥8000盏", "8120盏", 20, 20, ""],
        ["", "质量指标", "主次干道亮灯率", "≥98%", "97%", 10, 9.9, "部分老旧线路故障频发，已纳入次年线路改造计划。"],
        ["", "时效指标", "故障修复及时率", "≥95%", "96%", 10, 10, ""],
        ["", "成本指标", "单灯年维护费", "≤300元", "296元", 10, 10, ""],
        ["效益指标", "社会效益指标", "市民夜间出行条件", "明显改善", "达成年度指标", 15, 15, ""],
        ["", "可持续影响指标", "照明设施完好率", "≥95%", "93%", 15, 14.68, "部分灯杆锈蚀，将分批更换。"],
        ["满意度指标", "服务对象满意度指标", "市民满意度", "≥85%", "90%", 10, 10, ""],
    ],
    "self_total": 99.58, "filler": "陈刚",
}


# --- split target, amounts in 元 (Yunnan, Sichuan) ---------------------------------

FOREST = {
    "year": 2023, "name": "森林草原防灭火专项经费", "department": "某县林业和草原局",
    "unit": "某县森林草原防灭火指挥部办公室",
    "funds": [["年度资金总额", 1200000, 1250000, 1187500, 10, "95%", 9.5],
              ["其中：当年财政拨款", 1200000, 1200000, 1137500, DASH, DASH, DASH],
              ["上年结转资金", "", 50000, 50000, DASH, DASH, DASH],
              ["其他资金", "", "", "", DASH, DASH, DASH]],
    "goal": "开展森林草原防火巡护3600人次以上，购置扑火机具150台（套），火情处置率100%，森林覆盖率保持在62%以上。",
    "achieved": "全年开展防火巡护3720人次，购置扑火机具150台（套），发现火情全部处置，平均响应时间35分钟，森林覆盖率62.4%。",
    "indicators": [
        ["产出指标", "数量指标", "开展防火巡护", "≥", 3600, "人次", 3720, 20, 20, ""],
        ["", "", "购置扑火机具", "≥", 150, "台（套）", 150, 10, 10, ""],
        ["", "质量指标", "火情处置率", "=", 100, "%", 100, 10, 10, ""],
        ["", "时效指标", "火情响应时间", "≤", 30, "分钟", 35, 10, 8.57, "个别偏远林区道路条件差，到场时间延长；将增设前置扑火点。"],
        ["效益指标", "生态效益指标", "森林覆盖率", "≥", 62, "%", 62.4, 15, 15, ""],
        ["", "社会效益指标", "群众防火意识", "定性", "明显提高", "", "达成年度指标", 15, 15, ""],
        ["满意度指标", "服务对象满意度指标", "林区群众满意度", "≥", 90, "%", 92, 10, 10, ""],
    ],
    "self_total": 98.07, "grade": "优",
}


def split_target_rows(p: dict) -> tuple[list[list[object]], tuple[str, ...]]:
    rows = [
        ["项目支出绩效自评表"],
        [f"（{p['year']}年度）"],
        ["项目名称", p["name"]],
        ["主管部门", p["department"], "", "", "", "实施单位", p["unit"]],
        [p.get("funds_title", "项目资金（元）"), "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        *[["", *line] for line in p["funds"]],
        ["年度总体目标", "预期目标", "", "", "", "实际完成情况"],
        ["", p["goal"], "", "", "", p["achieved"]],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "", "", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        ["", "", "", "指标性质", "指标值", "度量单位", "", "", "", ""],
        *p["indicators"],
        ["总分", "", "", "", "", "", "", 100, p["self_total"], p["grade"]],
    ]
    first = 6 + len(p["funds"]) + 2   # 1-based row of the first header row
    merges = ("A1:J1", "A2:J2", "B3:J3", "B4:E4", "G4:J4", f"A5:A{5 + len(p['funds'])}",
              f"D{first}:F{first}", *(f"{col}{first}:{col}{first + 1}" for col in "ABCGHIJ"))
    return rows, merges


def split_target_form(path: Path, p: dict = FOREST) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    put_rows(ws, *split_target_rows(p))
    return save(wb, path)


# --- 分值 before the target, 全年实际值, no 年初预算数, no 实施单位, ★ (Anhui) ------------

VILLAGES = {
    "year": 2023, "name": "农村人居环境整治提升项目", "department": "219-池州市贵池区棠溪镇人民政府",
    "goal": "完成农村改厕120户，配置垃圾收运设施30个，农村卫生厕所普及率达到85%，生活垃圾无害化处理率达到90%。",
    "achieved": "完成改厕126户，配置垃圾收运设施30个，卫生厕所普及率87.5%，生活垃圾无害化处理率84%，群众满意度95%。",
    "funds": [["年度资金总额", 86, 81.7, 10, "95%", 9.5],
              ["其中：当年财政拨款", 86, 81.7, DASH, DASH, DASH],
              ["上年结转资金", DASH, DASH, DASH, DASH, DASH],
              ["其他资金", "/", "/", DASH, DASH, DASH]],
    "indicators": [
        ["产出指标", "数量指标", "★农村改厕数量", 15, "≥120户", "126户", 15, ""],
        ["", "", "垃圾收运设施配置", 10, "≥30个", "30个", 10, ""],
        ["", "质量指标", "★改厕验收合格率", 10, "≥95%", "96%", 10, ""],
        ["", "时效指标", "项目完工时间", 5, "≤300天", "280天", 5, ""],
        ["", "成本指标", "户均改厕补助", 10, "≤1500元", "1450元", 10, ""],
        ["效益指标", "社会效益指标", "农村卫生厕所普及率", 15, "≥85%", "87.5%", 15, ""],
        ["", "生态效益指标", "生活垃圾无害化处理率", 15, "≥90%", "84%", 14, "部分偏远自然村收运频次不足，下年度增加收运车辆。"],
        ["满意度指标", "服务对象满意度指标", "★群众满意度", 10, "≥90%", "95%", 10, ""],
    ],
    "self_total": 98.5,
}


def weight_first_form(path: Path, p: dict = VILLAGES) -> Path:
    rows = [
        ["项目支出绩效自评表"],
        [f"自评年度：{p['year']}年"],
        ["项目名称", p["name"]],
        ["主管部门", p["department"]],
        ["项目资金（万元）", "", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        *[["", *line] for line in p["funds"]],
        ["年度总体目标", "预期目标", "", "", "实际完成情况"],
        ["", p["goal"], "", "", p["achieved"]],
        ["一级指标", "二级指标", "三级指标", "分值", "年度指标值", "全年实际值", "得分", "偏差原因分析及改进措施"],
        *p["indicators"],
        ["总分", "", "", 100, "", "", p["self_total"], ""],
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效自评表"
    put_rows(ws, rows, ("A1:H1", "A2:H2", "B3:H3", "B4:H4", "A5:A9", "B10:D10", "E10:H10", "B11:D11", "E11:H11"))
    return save(wb, path)


# --- no 全年预算数, 得分计算方法 (Shandong) ------------------------------------------------

CULTURE = {
    "year": 2023, "name": "公共文化服务体系建设", "department": "某市文化和旅游局", "unit": "某市群众艺术馆",
    "funds": [["年度资金总额", 150, 138, 10, "92%", 9.2],
              ["其中：财政拨款", 150, 138, "", "", ""],
              ["上年结转资金", "", "", "", "", ""],
              ["其他资金", "", "", "", "", ""]],
    "goal": "开展送戏下乡200场以上，公共图书馆新增藏书2万册，文化场馆全部免费开放，群众文化参与达到15万人次。",
    "achieved": "全年送戏下乡212场，新增藏书1.8万册，文化场馆全部免费开放，群众文化参与16.2万人次，群众满意度88%。",
    "indicators": [
        ["产出指标", "数量指标", "送戏下乡场次", "≥200场", "212场", 15, 15, "完成值/指标值×分值，最高不超过分值", ""],
        ["", "", "公共图书馆新增藏书", "≥2万册", "1.8万册", 10, 9, "完成值/指标值×分值", "图书采购招标延迟，剩余藏书于次年一季度入藏。"],
        ["", "质量指标", "文化场馆免费开放率", "=100%", "100%", 10, 10, "达到得满分", ""],
        ["", "时效指标", "惠民演出按期完成率", "≥95%", "96%", 5, 5, "完成值/指标值×分值", ""],
        ["", "成本指标", "场均演出补助", "≤3000元", "2950元", 10, 10, "不超过指标值得满分", ""],
        ["效益指标", "社会效益指标", "群众文化参与人次", "≥15万人次", "16.2万人次", 20, 20, "完成值/指标值×分值", ""],
        ["", "可持续影响指标", "基层文化阵地长效运行", "长效运行", "长效运行", 10, 10, "定性评价", ""],
        ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "88%", 10, 9.78, "完成值/指标值×分值",
         "部分乡镇演出场地条件较差，将改善基层演出设施。"],
    ],
    "self_total": 97.98,
}


def initial_only_form(path: Path, p: dict = CULTURE) -> Path:
    rows = [
        [f"{p['year']}年度项目支出绩效自评表"],
        ["项目名称", p["name"], "", "", "项目编码", "37020023T000012345"],
        ["主管部门", p["department"], "", "", "实施单位", p["unit"]],
        ["项目资金（万元）", "", "年初预算数(A)", "全年执行数(B)", "分值", "执行率(B/A)", "得分"],
        *[["", *line] for line in p["funds"]],
        ["年度总体目标", "年初设定目标", "", "", "全年实际完成情况"],
        ["", p["goal"], "", "", p["achieved"]],
        ["一级指标", "二级指标", "三级指标", "年度指标值(A)", "实际完成值(B)", "分值", "得分", "得分计算方法", "偏差原因分析及改进措施"],
        *p["indicators"],
        ["合计", "", "", "", "", 100, p["self_total"], "", ""],
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目支出绩效自评表"
    put_rows(ws, rows, ("A1:I1", "B2:D2", "B3:D3", "A4:A8", "B9:D9", "E9:I9", "B10:D10", "E10:I10"))
    return save(wb, path)


# --- the budget worth 20 points, written in the labels (Hubei) ------------------------

RELIEF = {
    "year": 2023, "name": "困难群众救助补助资金", "department": "某县民政局", "unit": "某县社会救助服务中心",
    "funds": [["年度财政资金总额", 860, 851.4, "99%", 19.8]],
    "goal": "保障城乡低保对象5200人、特困供养人员680人基本生活，救助资金按月足额社会化发放，救助对象满意度90%以上。",
    "achieved": "全年保障城乡低保对象5326人、特困供养人员672人，救助资金全部按月社会化发放，救助对象满意度96%。",
    "indicators": [
        ["产出指标", "数量指标", "城乡低保救助人数", "≥5200人", "5326人", 15, 15, ""],
        ["", "", "特困人员供养人数", "≥680人", "672人", 10, 9.88, "部分特困人员自然减员，均已按规定及时停发。"],
        ["", "质量指标", "救助资金社会化发放率", "=100%", "100%", 10, 10, ""],
        ["", "时效指标", "救助资金按月发放及时率", "=100%", "100%", 5, 5, ""],
        ["效益指标", "社会效益指标", "困难群众基本生活", "有效保障", "有效保障", 20, 20, ""],
        ["", "可持续影响指标", "救助政策知晓率", "≥90%", "93%", 10, 10, ""],
        ["满意度指标", "服务对象满意度指标", "救助对象满意度", "≥90%", "96%", 10, 10, ""],
    ],
    "self_total": 99.68,
}


def budget_points_form(path: Path, p: dict = RELIEF, *, weights: bool = True) -> Path:
    """The budget's 20 points only in the block's labels; with `weights=False`, no 分值 column at all."""
    header = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]
    indicators = [list(row) for row in p["indicators"]]
    total = ["总分", "", "", "", "", 100, p["self_total"], ""]
    if not weights:
        header.pop(5)
        for row in indicators:
            row.pop(5)
        total.pop(5)
    rows = [
        ["项目支出绩效自评表"],
        [f"（{p['year']}年度）"],
        ["项目名称", p["name"]],
        ["主管部门", p["department"], "", "", "实施单位", p["unit"]],
        ["预算执行情况（万元）（20分）", "", "预算数(A)", "执行数(B)", "执行率(B/A)", "得分(20分*执行率)"],
        *[["", *line] for line in p["funds"]],
        ["年度总体目标", "预期目标", "", "", "实际完成情况"],
        ["", p["goal"], "", "", p["achieved"]],
        header,
        *indicators,
        total,
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    put_rows(ws, rows, ("A1:H1", "A2:H2", "B3:H3", "B4:D4", "F4:H4", "B7:D7", "E7:H7", "B8:D8", "E8:H8"))
    return save(wb, path)


# --- the Word report in the seed's shape (忻州市应急管理局) ---------------------------

SEED_FUNDS = [
    ["项目", "行次", "年度总金额(万元)", "财政资金", "", "", "", "", "上年结转资金(万元)", "其他资金(万元)"],
    ["", "", "", "小计", "中央级", "省级", "市级", "县区级", "", ""],
    ["年初预算资金", "(1)", "98.65", "98.65", "", "", "98.65", "", "", ""],
    ["全年预算资金", "(2)", "98.65", "98.65", "", "", "98.65", "", "", ""],
    ["实际到位资金", "(3)", "98.65", "98.65", "", "", "98.65", "", "", ""],
    ["全年执行资金", "(4)", "98.65", "98.65", "", "", "98.65", "", "", ""],
    ["资金结余", "(5)=(3)-(4)", "0", "", "0", "0", "0", "0", "0", "0"],
    ["预算到位率", "(6)=(3)/(2)", "100", "0", "0", "0", "100", "0", "0", "0"],
    ["预算执行率(%)", "(7)=(4)/(2)", "100", "100", "0", "0", "100", "0", "0", "0"],
]
SEED_SECTIONS = [
    ("（一）预算执行情况", [["预算执行指标", "预算执行率", "10", "100%", "100%", "10"]]),
    ("（二）项目产出情况", [
        ["数量指标", "监督检查次数（次）", "12.5", "＜＝730次", "100%", "12.5"],
        ["质量指标", "完成省市安全生产工作年度考核", "12.5", "100%", "100%", "12.5"],
        ["时效指标", "完成督查检查工作及时率", "12.5", "100%", "100%", "12.5"],
        ["成本指标", "督查检查工作中产生的费用", "12.5", "＜＝130万元", "100%", "12.5"]]),
    ("（三）项目效益情况", [
        ["社会效益", "为社会和谐稳定发展营造良好的安全环境", "15", "100%", "100%", "15"],
        ["可持续影响指标", "推动安全生产形势持续向好", "15", "100%", "100%", "15"]]),
    ("（四）项目满意度情况", [["服务对象满意度指标", "行政执法案件小于1起", "8", "98%", "98%", "8"]]),
]
SEED_ANNEX = [
    ["一级指标", "二级指标", "目标指标", "权重", "目标值", "业绩值", "完成率", "指标得分", "偏差原因分析及改进措施"],
    ["预算执行指标", "预算执行指标", "预算执行率", "10", "100%", "100%", "100%", "10", ""],
    ["产出指标", "数量指标", "监督检查次数（次）", "12.5", "＜＝730次", "100%", "100%", "12.5", ""],
    ["", "质量指标", "完成省市安全生产工作年度考核", "12.5", "100%", "100%", "100.00%", "12.5", ""],
    ["", "时效指标", "完成督查检查工作及时率", "12.5", "100%", "100%", "100.00%", "12.5", ""],
    ["", "成本指标", "督查检查工作中产生的费用", "12.5", "＜＝130万元", "98.65%", "98.65%", "12.5", ""],
    ["效益指标", "社会效益", "为社会和谐稳定发展营造良好的安全环境", "15", "", "100%", "100.00%", "15", ""],
    ["", "可持续影响指标", "推动安全生产形势持续向好", "15", "100%", "100%", "100.00%", "15", ""],
    ["满意度指标", "服务对象满意度指标", "行政执法案件小于1起", "8", "98%", "98%", "100.00%", "8", "行政执法案件小于1起"],
]
SEED_TEXT = {
    "title": "忻州市应急管理局2021年度安全生产和应急管理督查检查经费项目绩效自评报告",
    "fields": ["项目名称：安全生产和应急管理督查检查经费", "主管部门：忻州市应急管理局", "实施单位：忻州市应急管理局"],
    "overview": "项目概况：《安全生产法》和忻州市应急管理局年度计划等安全执法检查和安全生产大检查督查费用，"
                "根据2020年忻财预【2020】15号文件，应急安全专项300万元拆分做2021年预算",
    "goal": "应急安全项目实施过程按照《安全生产法》《忻州市应急管理局内控制度》和年度安全生产执法计划执行。各科室按职能进行"
            "安全和应急管理工作，各尽其职，做到无缝衔接，确保项目实施顺利进行。为全市经济社会发展创造良好的安全生产和应急管理新局面。",
    "result": "综合考虑预算执行情况、产出、效益、服务对象满意度各方面因素，通过数据采集及分析，最终评分结果：安全生产和应急管理"
              "督查检查经费项目绩效自评价结果为:总得分98分，属于\"优秀\"。",
    "achieved": "2021年市财政局根据《预算法》等相关规定，对忻州市应急管理局2021年部门预算予以批复，下达应急安全专项预算资金"
                "98.65万元。2021年已支付98.65万元，按计划已经完成安全生产监督检查任务。",
}


def _docx_table(document, rows: list[list[str]], merges=()):
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for (r1, c1, r2, c2) in merges:
        table.cell(r1, c1).merge(table.cell(r2, c2))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value:      # a merged area's other positions hold ""
                table.cell(r, c).text = value
    return table


def seed_report(path: Path, annex: list[list[str]] | None = None) -> Path:
    """The seed report as a .docx: its text, the transposed 预算执行情况 table, the section tables, the 附件1."""
    import docx

    t = SEED_TEXT
    document = docx.Document()
    document.core_properties.author = "忻州市应急管理局"
    document.add_heading(t["title"], level=1)
    for line in t["fields"]:
        document.add_paragraph(line)
    document.add_heading("一、项目的基本情况", level=2)
    document.add_paragraph("（一）项目概况")
    document.add_paragraph(t["overview"])
    document.add_paragraph("（二）预算执行情况")
    _docx_table(document, SEED_FUNDS, merges=((0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 1, 2), (0, 3, 0, 7), (0, 8, 1, 8),
                                              (0, 9, 1, 9)))
    document.add_paragraph("（三）项目绩效目标")
    document.add_paragraph("（2）.项目年度目标")
    document.add_paragraph(t["goal"])
    document.add_heading("二、项目绩效情况", level=2)
    document.add_paragraph(t["result"])
    for heading, rows in SEED_SECTIONS:
        document.add_paragraph(heading)
        _docx_table(document, [["二级指标", "三级指标", "权重", "目标值", "业绩值", "得分"], *rows])
    document.add_heading("三、项目绩效分析", level=2)
    document.add_paragraph("1. 项目实施和预算执行情况及分析")
    document.add_paragraph(t["achieved"])
    document.add_paragraph("附件1.项目支出绩效自评表")
    annex = annex or SEED_ANNEX
    _docx_table(document, annex, merges=((2, 0, 5, 0), (6, 0, 7, 0)))
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


# --- the inbox ------------------------------------------------------------------------


def make_all(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [
        national_form(out / "某县交通运输局" / "2023_农村公路安全生命防护工程_附件1.xlsx", [ROADS]),
        split_target_form(out / "某县林业和草原局" / "2023_森林草原防灭火专项经费_自评表.xlsx"),
        convert(weight_first_form(out / "池州市贵池区棠溪镇" / "2023_农村人居环境整治提升项目.xlsx"), "xls"),
        convert(initial_only_form(out / "某市文化和旅游局" / "2023_公共文化服务体系建设.xlsx"), "ods"),
        budget_points_form(out / "某县民政局" / "2023_困难群众救助补助资金.xlsx"),
        national_form(out / "某县住房和城乡建设局" / "2023_住建局项目自评表（两个项目）.xlsx", [OLD_ESTATES, STREET_LIGHTS]),
        seed_report(out / "忻州市应急管理局" / "2021_安全生产和应急管理督查检查经费_自评报告.docx"),
    ]
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "samples" / FOLDER
    if out.exists() and out.name == FOLDER:
        shutil.rmtree(out)
    for path in make_all(out):
        print(path.relative_to(out.parent) if out.parent in path.parents else path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
