"""Patterns a reviewer looks for, and the transparent risk points of each project.

Everything here reads result records (the dicts of results.jsonl), so the batch's
关注清单 and `perfeval sample` judge a project the same way. Each point has a name
and a reason a reviewer can check in the record; a project's risk is their sum.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..display import WHOLE, percent_text

HIGH_COMPLETION = 1.3      # completion at or above 130 %: the target was probably set low
HIGH_COMPLETION_ROWS = 2   # on this many indicators or more
LOW_RATE = 0.9
TOLERANCE = 0.5            # self total above computed by more than this (profile national's total tolerance)
COPIED = "copied-across-projects"

# name -> points; the order is the order reasons are listed in.
POINTS = {
    "复制他人": 3,
    "满分低执行": 3,
    "目标偏低": 2,
    "部门全满分": 2,
    "自评偏高": 2,
    "未核实": 2,
    "有错误": 2,
    "执行率低": 2,
    "重复提交": 1,
}


@dataclass(frozen=True)
class Point:
    name: str
    points: int
    why: str


def _scored(record: dict) -> bool:
    return bool(record.get("project")) and record.get("total_score") is not None


def full_marks_low_execution(record: dict) -> bool:
    """Every indicator at full marks while less than the whole budget was spent."""
    indicators = record.get("indicators") or []
    rate = (record.get("budget") or {}).get("rate")
    return bool(indicators) and rate is not None and rate < 1 and all(
        item.get("weight") is not None and item.get("score") == item.get("weight") for item in indicators)


def high_completions(record: dict) -> int:
    return sum(1 for item in record.get("indicators") or []
               if item.get("completion") is not None and item["completion"] >= HIGH_COMPLETION)


def self_above(record: dict, tolerance: float = TOLERANCE) -> float | None:
    total, self_total = record.get("total_score"), record.get("self_total")
    if total is None or self_total is None or self_total - total <= tolerance:
        return None
    return round(self_total - total, 2)


def departments_all_full(totals) -> set[str]:
    """Departments with two or more scored projects, every one of them at 100; `totals`: (department, 核算总分) pairs."""
    seen: dict[str, list[float]] = {}
    for department, total in totals:
        seen.setdefault(department, []).append(total)
    return {name for name, totals in seen.items() if len(totals) >= 2 and all(t >= 100 for t in totals)}


def batch_patterns(record: dict, full_departments: set[str]) -> list[str]:
    """The 关注清单 reasons that need the whole batch or the whole table (self above computed is listed already)."""
    reasons = []
    if full_marks_low_execution(record):
        reasons.append(f"全部指标满分而预算执行率仅 {percent_text(record['budget']['rate'])}")
    high = high_completions(record)
    if high >= HIGH_COMPLETION_ROWS:
        reasons.append(f"{high} 项指标完成率≥{percent_text(HIGH_COMPLETION, WHOLE)}（目标可能设定偏低）")
    if _scored(record) and (record["project"].get("department") or "") in full_departments:
        reasons.append("本部门全部项目均为100分")
    return reasons


def record_totals(records) -> list[tuple[str, float]]:
    """(department, 核算总分) of the scored records that count (not superseded)."""
    return [(r["project"].get("department") or "", r["total_score"]) for r in records
            if _scored(r) and not r.get("superseded_by")]


def risk_points(record: dict, full_departments: set[str], resubmitted: bool = False) -> list[Point]:
    """The risk points of one scored record, each with its reason."""
    found: list[Point] = []

    def add(name: str, why: str) -> None:
        found.append(Point(name, POINTS[name], why))

    problems = record.get("problems") or []
    copies = [p for p in problems if p.get("code") == COPIED]
    if copies:
        add("复制他人", f"指标表或目标文本与其他项目雷同（{len(copies)} 处）")
    budget = record.get("budget") or {}
    rate = budget.get("rate")
    if full_marks_low_execution(record):
        add("满分低执行", f"全部指标满分而预算执行率仅 {percent_text(rate)}")
    high = high_completions(record)
    if high >= HIGH_COMPLETION_ROWS:
        add("目标偏低", f"{high} 项指标完成率≥{percent_text(HIGH_COMPLETION, WHOLE)}")
    if (record["project"].get("department") or "") in full_departments:
        add("部门全满分", "本部门全部项目均为100分")
    above = self_above(record)
    if above is not None:
        add("自评偏高", f"自评总分高于核算总分 {above:.2f} 分")
    unverified = sum(item.get("score") or 0 for item in record.get("indicators") or [] if not item.get("verified"))
    if unverified > 0:
        add("未核实", f"未核实分值 {unverified:.2f} 分")
    errors = sum(1 for p in problems if p.get("severity") == "error")
    if errors:
        add("有错误", f"错误级问题 {errors} 项")
    if rate is None:
        add("执行率低", "无法计算预算执行率")
    elif rate < LOW_RATE:
        add("执行率低", f"预算执行率 {percent_text(rate)}，低于{percent_text(LOW_RATE, WHOLE)}")
    if resubmitted:
        add("重复提交", "同一项目提交了多份文件")
    return found
