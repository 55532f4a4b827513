"""复核结果.xlsx as the writers' plain tables: per project, per department, grade changes, largest cuts, findings."""

from __future__ import annotations

from ..problems import Problem
from ..writers.review_books import Table, tables_bytes

CUTS_LISTED = 50
PROJECT_COLUMNS = ("序号", "项目名称", "主管部门", "核算总分", "自评总分", "复核总分", "复核−核算", "复核−自评",
                   "核算等级", "复核等级", "等级变化", "复核指标数", "源文件")
PROJECT_KINDS = ("int", "text", "text", "points", "points", "points", "points", "points", "center", "center", "center",
                 "int", "text")
DEPARTMENT_COLUMNS = ("主管部门", "复核项目数", "平均核算总分", "平均自评总分", "平均复核总分", "平均复核−核算", "等级变化数")
DEPARTMENT_KINDS = ("text", "int", "points", "points", "points", "points", "int")
CUT_COLUMNS = ("序号", "项目名称", "主管部门", "三级指标", "分值", "核算得分", "复核得分", "扣减", "复核意见", "源文件")
CUT_KINDS = ("int", "text", "text", "text", "points", "points", "points", "points", "text", "text")
FINDING_COLUMNS = ("序号", "级别", "代码", "单元格", "说明")
FINDING_KINDS = ("int", "center", "text", "center", "text")


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def result_book(records: list[dict], reviews: dict[int, dict], problems: list[Problem],
                notes: list[tuple[str, str]]) -> bytes:
    projects, departments, changes, cuts = [], {}, [], []
    for number, index in enumerate(sorted(reviews, key=lambda i: (records[i]["source"]["path"],
                                                                    records[i]["source"].get("sheet") or "")), start=1):
        record, review = records[index], reviews[index]
        project = record["project"]
        changed = review["grade"] != review["computed_grade"]
        row = (number, project.get("name") or "", project.get("department") or "", review["computed_total"],
               record.get("self_total"), review["total"], review["difference_to_computed"], review["difference_to_self"],
               review["computed_grade"], review["grade"],
               f"{review['computed_grade']}→{review['grade']}" if changed else "不变", review["lines_reviewed"],
               record["source"]["path"])
        projects.append(row)
        if changed:
            changes.append(row)
        tally = departments.setdefault(project.get("department") or "", [[], [], [], [], 0])
        tally[0].append(review["computed_total"])
        if record.get("self_total") is not None:
            tally[1].append(record["self_total"])
        tally[2].append(review["total"])
        tally[3].append(review["difference_to_computed"])
        tally[4] += changed
        for line in review["lines"]:
            if line["difference"] < 0:
                cuts.append((project.get("name") or "", project.get("department") or "", line["name"], line["weight"],
                             line["computed"], line["score"], -line["difference"], line["comment"],
                             record["source"]["path"]))
    cuts.sort(key=lambda c: (-c[6], c[8], c[2]))
    by_department = [(name, len(t[0]), _mean(t[0]), _mean(t[1]), _mean(t[2]), _mean(t[3]), t[4])
                     for name, t in sorted(departments.items())]
    findings = [(i, p.severity.label, p.code, f"{p.sheet}!{p.cell}" if p.cell else (p.sheet or ""), p.message)
                for i, p in enumerate(problems, start=1)]
    return tables_bytes("绩效自评复核结果", [
        Table("按项目", "复核结果（按项目）", PROJECT_COLUMNS, projects, PROJECT_KINDS,
              (6, 24, 18, 9, 9, 9, 9, 9, 8, 8, 9, 9, 40)),
        Table("按部门", "复核结果（按部门）", DEPARTMENT_COLUMNS, by_department, DEPARTMENT_KINDS,
              (22, 10, 12, 12, 12, 12, 10)),
        Table("等级变化", "复核后等级变化的项目", PROJECT_COLUMNS, changes, PROJECT_KINDS,
              (6, 24, 18, 9, 9, 9, 9, 9, 8, 8, 9, 9, 40)),
        Table("最大扣减", f"复核扣减最多的指标（前 {CUTS_LISTED} 项）", CUT_COLUMNS,
              [(i, *c) for i, c in enumerate(cuts[:CUTS_LISTED], start=1)], CUT_KINDS,
              (6, 24, 18, 28, 8, 9, 9, 8, 30, 40)),
        Table("复核问题", "复核表中的问题", FINDING_COLUMNS, findings, FINDING_KINDS, (6, 8, 24, 14, 80)),
    ], notes)
