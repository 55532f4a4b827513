"""Write docs/checks.md from the finding catalogue (perfeval_xl/catalogue.py).

    python scripts/make_checks_doc.py            # rewrite docs/checks.md
    python scripts/make_checks_doc.py --check    # exit 1 when it is out of date

The reference is generated so it cannot drift from the program: a test
(tests/test_docs_checks.py) fails when the file differs from what this
script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from perfeval_xl.catalogue import CATALOGUE  # noqa: E402

DOC = ROOT / "docs" / "checks.md"

INTRO = '# 检查项一览 (Findings reference)\n\n本页列出 perfeval 对《项目支出绩效自评表》填报工作簿所做的全部检查。每一项检查\n都有一个固定的英文代码（code），出现在结果文件、命令行输出和 JSON 中；同一个问题\n每次都用同一个代码，便于部门填报人员和财政部门审核人员对照查找。\n\n读表方法：\n\n- **级别 severity**：**错误 (error)** 必须改正，否则得分不可靠或无法核算；\n  **警告 (warning)** 请核对，可能确有原因（在“偏差原因分析及改进措施”或报告中说明即可）；\n  **提示 (info)** 仅供参考，不影响结论。\n- **指向的单元格 cell**：需要修改的那个单元格，即改了它问题就会消失的位置。\n  括号中的列号按标准模板：绩效指标表 A 一级指标、B 二级指标、C 三级指标、D 分值、\n  E 年度指标值、F 实际完成值、G 达成情况、H 自评得分、I 偏差原因分析及改进措施；\n  预算执行表第2行为年度资金总额，B 年初预算数、C 全年预算数、D 实际到位数、\n  E 全年执行数；项目信息表 B 列为填写内容。工作表布局不同的，按表头文字找到对应列。\n  “无”表示问题涉及整个文件或整张表，没有单一的单元格。\n- 文件级的上限（文件大小、解压大小、行列数、单元格字数）及每种异常文件得到的结果，见\n  [security.md](security.md)。\n- **依据 why**：规则出处。“评分规则 §N”指 [评分规则](rules.md)（依据财政部《项目支出绩效评价管理办法》\n  财预〔2020〕10号 单位自评部分）的第 N 节，“填报规范”指 [填报表说明](intake.md)。\n  文中的分值、比例、容差均为“全国通用口径”(national profile) 的数值，地方财政部门\n  可在评分口径文件中调整。\n- 命令行中 `perfeval explain 代码` 显示某一项的完整说明；`perfeval check` 的表格在“如何修改”\n  一列给出修改方法。\n- 一次运行报告全部问题，不会只报第一个；一个问题可能连带产生其他问题（例如实际完成值\n  未填写，该指标计0分，同时提示未填写偏差原因）。\n\n'

TABLE_HEAD = '| 代码 code | 级别 severity | 指向的单元格 cell | 含义 what it means | 依据 why it matters | 如何修改 how to fix |\n|---|---|---|---|---|---|\n'

NOTES = '\n\\* budget-* 类问题一般指向有效合计行的全年执行数或全年预算数；`budget-split-mismatch` 则指向\n当年财政拨款行、`budget-total-mismatch` 指向总额行中不一致的那一栏，因为那才是需要修改的单元格\n（每个问题指向的都是“为改正问题需要修改的那一个”单元格）。\n\n“有效合计行”：年度资金总额行有数时即该行；该行整行空白或为0时，按当年财政拨款 + 上年结转资金 +\n其他资金合计，问题仍指向年度资金总额行（评分规则 §1）。\n\n“未核实 (unverified)”：无法核算的指标按部门自评得分（不超过分值）计入，在结果中标明“未核实”，\n汇总时单列其分数，供审核人员重点复核（评分规则 §2）。\n'


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    lines = [INTRO, TABLE_HEAD]
    for code, entry in CATALOGUE.items():
        cells = (f"`{code}`", entry.severity, entry.cell, entry.meaning, entry.why, entry.fix)
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |\n")
    lines.append(NOTES)
    return "".join(lines)


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        return int(DOC.read_text(encoding="utf-8") != text)
    DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
