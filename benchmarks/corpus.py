"""A province's inbox, made up: N realistic intake workbooks for the benchmark.

    python benchmarks/corpus.py DIR --files 1000 [--seed 2024] [--jobs 2]

Each workbook is one project of one of 160 departments, with 6 to 40
indicators (most 8 to 20) spread over 产出/效益/满意度 (and sometimes 成本 as a level of its
own), written by `perfeval_xl.writers.intake_form.write_intake` like a department's own
file. The targets and actuals use every notation the parser knows (signs,
words before and after the number, full-width digits, ranges, 控制在, unit
columns, percent-formatted numbers, unit conversions, qualitative levels)
and the mistakes departments make (a unit that does not convert, an operator
copied into the actual, a change instead of a level, a missing actual), so
that reading, checking and scoring do their real work. About one file in a
hundred is damaged (cut short), as in a real inbox.

File i depends only on (seed, i): the same command gives the same files,
whatever the number of jobs.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from perfeval_xl.writers.intake_form import Percent, write_intake  # noqa: E402

PLACES = ("某县", "某市", "某区", "忻州市", "太原市", "晋中市", "大同市", "运城市")
OFFICES = (
    "教育局", "卫生健康委员会", "水利局", "农业农村局", "人力资源和社会保障局", "应急管理局", "交通运输局",
    "住房和城乡建设局", "民政局", "文化和旅游局", "生态环境局", "市场监督管理局", "林业局", "科学技术局",
    "自然资源局", "医疗保障局", "退役军人事务局", "残疾人联合会", "财政局", "公安局",
)
SUBJECTS = (
    "农村饮水安全巩固提升", "义务教育学校教学设备购置", "基本公共卫生服务", "高标准农田建设", "耕地地力保护补贴",
    "职业技能提升培训", "安全生产督查检查", "农村公路养护", "老旧小区改造", "城乡居民养老保险",
    "公共文化服务体系建设", "大气污染防治", "食品安全抽检", "森林防火", "科技创新平台建设",
    "地质灾害防治", "医疗救助", "优抚对象补助", "残疾人康复服务", "智慧警务平台运维",
)
KINDS = ("项目", "工程", "补助资金", "专项经费", "运维项目", "服务项目")
UNITS_OF_WORK = ("中心", "服务站", "管理所", "事务中心", "保障中心", "执法大队")

# 二级指标 under each 一级; weights of the three dimensions as the national rules advise.
LEVELS = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标",),
}
SHARES = {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
NAMES = {
    "数量指标": ("培训人次", "改造管网长度", "覆盖乡镇数", "购置设备台数", "巡检次数", "受益户数", "建设处数"),
    "质量指标": ("验收合格率", "培训合格率", "设备完好率", "档案建档率", "抽检合格率", "系统正常运行率"),
    "时效指标": ("工程完工时间", "资金拨付时限", "故障响应时间", "采购周期", "办结时限"),
    "成本指标": ("工程总成本", "人均培训成本", "单处平均造价", "运维费用", "设备采购总成本"),
    "经济效益指标": ("带动农户增收", "节约运行成本", "参训人员月均收入增长"),
    "社会效益指标": ("群众饮水安全保障水平", "基层诊疗能力", "就业率", "安全事故起数", "服务覆盖率"),
    "生态效益指标": ("水源地周边生态环境", "森林覆盖率", "空气质量优良天数比例"),
    "可持续影响指标": ("长效管护机制", "设备使用年限", "数据安全事件次数", "制度体系"),
    "服务对象满意度指标": ("受益群众满意度", "服务对象满意度", "患者满意度", "参训人员满意度"),
}
QUALITATIVE = ("有效提升", "明显改善", "建立健全", "持续完善", "逐步提高", "达到预期")
LEVEL_WORDS = ("达成年度指标", "部分达成年度指标并具有一定效果", "未达成年度指标且效果较差")
REASONS = (
    "受天气影响部分工程延期，已调整施工计划，下年度一季度完成。",
    "部分资金年底到位，支付滞后；将加快资金拨付进度。",
    "新开设课程考核通过率偏低，将增加实训课时。",
    "乡村医生流失，随访不及时；将落实家庭医生签约随访考核。",
)


def _digits(number: float) -> str:
    return f"{number:.2f}".rstrip("0").rstrip(".")


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def _notation(rng: random.Random, level2: str) -> dict:
    """One indicator's target and actual in one of the notations people use; returns the cells."""
    reverse = level2 in ("时效指标", "成本指标")
    unit = rng.choice(("万元", "元", "天", "个工作日", "小时", "%")) if reverse else rng.choice(("%", "人次", "公里", "个", "台", "次", "户"))
    goal = rng.choice((5, 12, 30, 45, 90, 95, 120, 130, 300, 730, 1500, 5000)) if unit != "%" else rng.choice((60, 85, 90, 95, 98, 100))
    met = rng.random() < 0.85
    if reverse:
        reached = goal * (rng.uniform(0.85, 1.0) if met else rng.uniform(1.01, 1.2))
    else:
        reached = goal * (rng.uniform(1.0, 1.1) if met else rng.uniform(0.8, 0.99))
    if unit == "%":
        reached = min(reached, 100.0)
    shown = _digits(reached)
    # Forms 12 to 15 are mistakes: about one indicator in twenty-five carries one.
    form = rng.choice(_FORMS)
    cells: dict = {}
    sign = "≤" if reverse else "≥"
    if form == 0:
        target, actual = f"{sign}{goal}{unit}", f"{shown}{unit}"
    elif form == 1:
        target, actual = (f"不超过{goal}{unit}" if reverse else f"不低于{goal}{unit}"), f"{shown}{unit}"
    elif form == 2:
        target, actual = (f"{goal}{unit}以内" if reverse else f"{goal}{unit}以上"), f"{shown}{unit}"
    elif form == 3:
        target, actual = _fullwidth(f"{'<=' if reverse else '>='}{goal}") + unit.replace("%", "％"), f"{shown}{unit}"
    elif form == 4:
        target, actual = f"={goal}{unit}", f"{shown}{unit}"
    elif form == 5:    # a range; met means inside it
        low = goal * 0.9 if unit != "%" else goal - 5
        if met:
            shown = _digits(rng.uniform(low, goal))
        target, actual = f"{_digits(low)}{unit}-{goal}{unit}", f"{shown}{unit}"
    elif form == 6:
        target, actual = (f"控制在{goal}{unit}以内" if reverse else f"控制在{goal}{unit}以上"), f"{shown}{unit}"
    elif form == 7:    # the number alone, its sign and unit in their own columns
        target, actual = goal, round(reached, 2)
        cells.update({"指标性质": sign, "计量单位": unit})
    elif form == 8:    # 正向/反向 in 指标性质
        target, actual = f"{goal}{unit}", f"{shown}{unit}"
        cells["指标性质"] = "反向" if reverse else "正向"
    elif form == 9 and unit == "%":    # a percent-formatted number
        target, actual = f"{sign}{goal}%", Percent(round(reached / 100, 4))
    elif form == 10 and unit in ("万元", "元"):    # a unit that converts
        other = "元" if unit == "万元" else "万元"
        factor = 10000 if unit == "万元" else 0.0001
        target, actual = f"{sign}{goal}{unit}", f"{_digits(reached * factor)}{other}"
    elif form == 11:    # thousands separators and a trailing remark
        target, actual = f"{goal * 10:,}{unit}(含)以上" if not reverse else f"≤{goal * 10:,}{unit}", f"{_digits(reached * 10)}{unit}"
    elif form == 12:    # a unit that does not convert: not verified, scored on the department's word
        target, actual = f"{sign}{goal}次", "100%"
    elif form == 13:    # an operator copied into the actual
        target, actual = f"{sign}{goal}{unit}", f"{sign}{shown}{unit}"
    elif form == 14:    # a change, not a level: unreadable
        target, actual = f"较上年提高{rng.choice((3, 5, 10))}%", f"提高{rng.choice((4, 6))}%"
    elif form == 15:    # a missing actual
        target, actual = f"{sign}{goal}{unit}", None
    elif form == 16:    # words after the actual
        target, actual = f"{sign}{goal}{unit}", f"{shown}{unit}完成"
    elif form == 17 and level2 == "成本指标":    # a bare number under 成本指标 caps the cost
        target, actual = f"{goal}万元", f"{shown}万元"
    elif form == 18:    # ASCII signs
        target, actual = f"{'<=' if reverse else '>='}{goal}{unit}", f"{shown}{unit}"
    elif form == 19:
        target, actual = f"{'小于' if reverse else '大于'}{goal}{unit}", f"{shown}{unit}"
    else:
        target, actual = f"{sign}{goal}{unit}", f"{shown}{unit}"
    cells.update({"年度指标值": target, "实际完成值": actual})
    if not met or rng.random() < 0.1:
        cells["偏差原因分析及改进措施"] = rng.choice(REASONS)
    # The department's own score: full marks when met, else in proportion, as the rules say.
    ratio = 1.0 if met else (goal / reached if reverse else reached / goal)
    cells["自评得分"] = ratio
    return cells


_FORMS = tuple(form for form in range(22) for _ in range(1 if 12 <= form <= 15 else 6))


def _split(total: float, parts: int, rng: random.Random) -> list[float]:
    """`parts` weights that add up to `total`, with two decimals."""
    raw = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    scale = total / sum(raw)
    weights = [round(value * scale, 2) for value in raw]
    weights[-1] = round(total - sum(weights[:-1]), 2)
    return weights


def _indicators(rng: random.Random) -> list[dict]:
    # Most projects have 8 to 20 indicators, a few up to 40 (mean about 16).
    count = min(40, 6 + int(rng.betavariate(2, 5) * 35))
    per_level = {"产出指标": max(3, round(count * 0.55)), "效益指标": max(2, round(count * 0.3))}
    per_level["满意度指标"] = max(1, count - sum(per_level.values()))
    rows: list[dict] = [{"一级指标": "预算执行指标", "二级指标": "预算执行指标", "三级指标": "预算执行率",
                         "分值": 10, "年度指标值": "100%", "自评得分": rng.choice((10, 9.5, 9, 8.5))}]
    cost_level = rng.random() < 0.15     # the 2021 framework: 成本指标 as a level of its own
    for level1, n in per_level.items():
        for weight in _split(SHARES[level1], n, rng):
            level2 = rng.choice(LEVELS[level1])
            row = {"一级指标": level1, "二级指标": level2, "三级指标": rng.choice(NAMES[level2]), "分值": weight}
            if cost_level and level2 == "成本指标":
                row["一级指标"], row["二级指标"] = "成本指标", "经济成本指标"
            if level1 != "产出指标" and rng.random() < 0.35:
                row["年度指标值"] = rng.choice(QUALITATIVE)
                row["实际完成值"] = rng.choice(QUALITATIVE)
                level = rng.choice(LEVEL_WORDS)
                row["达成情况"] = level
                band = {LEVEL_WORDS[0]: (0.8, 1.0), LEVEL_WORDS[1]: (0.6, 0.8), LEVEL_WORDS[2]: (0.0, 0.6)}[level]
                row["自评得分"] = weight if level == LEVEL_WORDS[0] and rng.random() < 0.8 else round(weight * rng.uniform(*band), 2)
                if rng.random() < 0.2:
                    row["指标性质"] = "定性"
                if row["自评得分"] < weight:
                    row["偏差原因分析及改进措施"] = rng.choice(REASONS)
            else:
                cells = _notation(rng, level2)
                ratio = cells.pop("自评得分")
                row.update(cells)
                row["自评得分"] = round(weight * ratio, 2) if rng.random() < 0.9 else weight
            rows.append(row)
    if rng.random() < 0.1:
        rows[-1]["分值"] = round(rows[-1]["分值"] + 1, 2)    # weights that do not add up to 100
    return rows


def _budget(rng: random.Random) -> dict:
    appropriation = round(rng.uniform(5, 3000), 2)
    carryover = round(appropriation * rng.choice((0, 0, 0.1, 0.3)), 2)
    other = round(appropriation * rng.choice((0, 0, 0, 0.05)), 2)
    annual = appropriation + carryover + other
    executed = round(annual * min(1.0, rng.uniform(0.6, 1.05)), 2)
    budget = {"当年财政拨款": [appropriation, appropriation, appropriation, round(executed - carryover - other, 2)]}
    split = rng.choice((("中央级", "省级"), ("市级",), ("县区级",), ("省级", "市级", "县区级")))
    for name, share in zip(split, _split(appropriation, len(split), rng)):
        budget[name] = [share, share, share, None]
    if carryover:
        budget["上年结转资金"] = [carryover, carryover, carryover, carryover]
    if other:
        budget["其他资金"] = [other, other, other, other]
    if rng.random() < 0.8:    # else the total row is left blank: the sum of its sources
        total = round(annual, 2)
        budget["年度资金总额"] = [total, total, total, executed]
    return budget


def project(seed: int, index: int) -> dict:
    """The intake data of project `index`: depends on (seed, index) only."""
    rng = random.Random(f"{seed}:{index}")
    department = rng.choice(PLACES) + rng.choice(OFFICES)
    subject = rng.choice(SUBJECTS)
    name = f"{subject}{rng.choice(KINDS)}（{index:06d}）"
    goal = f"完成{subject}年度任务，{rng.choice(('覆盖', '惠及', '服务'))}{rng.randint(2, 900)}个乡镇（社区），" \
           f"群众满意度达到{rng.choice((85, 90, 95))}%以上。"
    data = {
        "project": {
            "评价年度": rng.choice((2021, 2022, 2023, 2024)),
            "项目名称": name,
            "项目编码": f"XM-{rng.randint(2021, 2024)}-{index:06d}" if rng.random() < 0.8 else None,
            "主管部门": department,
            "实施单位": department[:-1] + rng.choice(UNITS_OF_WORK),
            "项目负责人": rng.choice(("张三", "李四", "王五", "赵六", "刘洋", "陈静")),
            "联系电话": f"0350-{rng.randint(1000000, 9999999)}",
            "预期目标": goal * rng.choice((1, 1, 2)),
            "实际完成情况": goal.replace("完成", "已完成") + rng.choice(("", "部分指标未达成，原因见偏差分析。")),
        },
        "budget": _budget(rng),
        "indicators": _indicators(rng),
        "merge_level1": rng.random() < 0.5,
    }
    if rng.random() < 0.3:
        data["total_row"] = {}
    return data


def file_name(seed: int, index: int) -> str:
    rng = random.Random(f"{seed}:{index}:name")
    return f"{rng.choice(PLACES)}{rng.choice(OFFICES)}/{index:06d}_{rng.choice(SUBJECTS)}.xlsx"


def write_one(folder: str, seed: int, index: int) -> None:
    path = Path(folder) / file_name(seed, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_intake(path, project(seed, index))
    if random.Random(f"{seed}:{index}:broken").random() < 0.01:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])   # cut short, as a failed e-mail download is


def _write_range(folder: str, seed: int, start: int, stop: int) -> None:
    for index in range(start, stop):
        write_one(folder, seed, index)


def generate(folder: str | Path, files: int, *, seed: int = 2024, jobs: int = 1) -> Path:
    """Write files 0..files-1 into `folder` (kept when already complete); return the folder."""
    folder = Path(folder)
    marker = folder / f".complete-{seed}-{files}"
    if marker.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    if jobs <= 1:
        _write_range(str(folder), seed, 0, files)
    else:
        step = max(1, -(-files // (jobs * 8)))
        with ProcessPoolExecutor(jobs) as pool:
            futures = [pool.submit(_write_range, str(folder), seed, start, min(files, start + step))
                       for start in range(0, files, step)]
            for future in futures:
                future.result()
    marker.touch()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    started = time.monotonic()
    generate(args.folder, args.files, seed=args.seed, jobs=args.jobs)
    print(f"{args.files} intake workbooks in {args.folder} ({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
