"""The labels of an Annex 1 form, as data: every synonym seen on published forms.

A label is matched after normalising (text.normalise_label) and after a
bracketed note at its end is dropped (`年初预算数(A)`, `执行率(B/A)`,
`年度总金额(万元)`), so the tables hold only the bare words. To teach the
reader a new provincial spelling, add it here; no code changes.
"""

from __future__ import annotations

from ..model import ANNUAL, APPROPRIATION, CARRYOVER, EXECUTED, INITIAL, OTHER, RECEIVED, TOTAL

# Header labels of the project (label cell, value to its right).
PROJECT_LABELS: dict[str, tuple[str, ...]] = {
    "year": ("评价年度", "年度", "自评年度"),
    "name": ("项目名称",),
    "code": ("项目编码", "项目代码"),
    "department": ("主管部门", "主管部门及代码", "主管单位", "主管部门名称"),
    "unit": ("实施单位", "项目实施单位", "实施单位及代码", "项目单位"),
    "leader": ("项目负责人",),
    "phone": ("联系电话",),
    "category": ("项目类别", "项目类型", "项目属性"),
}

# Every cell text that is a label of the form: never taken as a header value.
OTHER_LABELS = (
    "项目资金", "资金情况", "预算执行情况", "年度总体目标", "预期目标", "实际完成情况",
    "绩效指标", "一级指标", "二级指标", "三级指标", "填表人", "填报日期", "单位负责人",
)

# The funds block: its stage columns ...
STAGE_LABELS: dict[str, tuple[str, ...]] = {
    INITIAL: ("年初预算数", "年初预算", "年初预算资金"),
    ANNUAL: ("全年预算数", "全年预算", "全年预算资金", "调整后预算数", "调整预算数"),
    EXECUTED: ("全年执行数", "全年执行", "全年执行资金", "执行数", "实际执行数"),
    RECEIVED: ("实际到位数", "实际到位资金", "到位数", "实际到位"),
    "weight": ("分值",),
    "rate": ("执行率", "预算执行率"),
    "score": ("得分",),
}
# `预算数` is the annual budget only when no other budget column stands beside it.
BARE_BUDGET = ("预算数",)
# ... and its source rows (a transposed table has them as columns; 小计 there is
# the 财政资金 subtotal, i.e. 当年财政拨款).
SOURCE_LABELS: dict[str, tuple[str, ...]] = {
    TOTAL: ("年度资金总额", "资金总额", "年度财政资金总额", "合计", "年度总金额", "总金额"),
    APPROPRIATION: ("当年财政拨款", "本年财政拨款", "财政拨款", "财政资金", "小计"),
    "中央级": ("中央级", "中央", "中央财政资金"),
    "省级": ("省级",),
    "市级": ("市级",),
    "县区级": ("县区级", "县级", "区级", "县(区)级", "地方资金"),
    CARRYOVER: ("上年结转资金", "上年结转"),
    OTHER: ("其他资金",),
}
# Titles of the funds block; a title or a note saying 元 (not 万元) means yuan.
FUNDS_TITLES = ("项目资金", "资金情况", "预算执行情况", "项目资金情况", "资金投入情况")

# Overall goal: the block and its two sides.
GOAL_BLOCK = ("年度总体目标", "总体目标")
GOAL_LABELS: dict[str, tuple[str, ...]] = {
    "goal": ("预期目标", "年初设定目标", "年度目标", "总体目标"),
    "achieved": ("实际完成情况", "全年实际完成情况", "年度总体目标完成情况", "实际完成"),
}

# The indicator table's columns.
INDICATOR_LABELS: dict[str, tuple[str, ...]] = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "name": ("三级指标", "目标指标", "指标名称", "指标内容"),
    "weight": ("分值", "权重", "指标分值"),
    "target": ("年度指标值", "目标值", "指标值", "年初目标值", "预期指标值", "年度目标值", "年初目标"),
    "nature": ("指标性质", "计算符号"),
    "unit": ("度量单位", "计量单位", "单位"),
    "actual": ("实际完成值", "业绩值", "全年实际值", "全年实际完成值", "实际完成指标值", "年终完成值", "实际值"),
    "achievement": ("达成情况",),
    "completion": ("完成率", "指标完成率"),
    "self_score": ("得分", "指标得分", "自评得分", "自评分"),
    "review": ("复核分", "复核得分"),
    "reason": ("偏差原因分析及改进措施", "未完成原因及拟采取的改进措施", "未完成原因分析", "偏差原因",
               "偏差原因分析", "未完成原因和改进措施"),
    "method": ("得分计算方法", "评分标准"),
}
# 二级指标 with a bare 指标 column beside it names the indicator too.
BARE_NAME = ("指标",)

# Rows that end the indicator table (the first non-empty cell starts so).
TABLE_END_WORDS = ("评价结论", "存在问题", "改进措施", "其他需要说明", "填表人", "联系电话", "备注", "注:", "注：",
                   "注1", "注.", "说明:", "自评结论", "单位负责人")
TOTAL_WORDS = ("合计", "总分", "总计")

# Template residue in a name cell.
RESIDUE_NAMES = ("……", "…", "...", "。。。", "指标N", "指标n")
NAME_MARKS = "★☆※"

# Stage rows of a transposed funds table, and the derived rows it ignores.
DERIVED_ROWS = ("资金结余", "预算到位率", "预算执行率", "结余资金", "到位率")


# A Word report's headings whose next paragraph is the goal / what was achieved.
REPORT_GOAL_HEADINGS = ("项目年度目标", "年度绩效目标", "年度总体目标")
REPORT_ACHIEVED_HEADINGS = ("年度总体目标完成情况", "绩效目标完成情况", "项目实施和预算执行情况及分析")

# The audit sheets perfeval adds to its own Annex workbook, and the intake
# template's instructions (their example rows): never a project.
AUDIT_SHEETS = ("评分明细", "校验问题", "说明", "填报说明")


def lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {label: key for key, labels in table.items() for label in labels}
