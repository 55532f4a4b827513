"""What `perfeval sample` writes, as the writers' plain tables: 抽评清单.xlsx and 复核表.xlsx."""

from __future__ import annotations

from ..writers.review_books import FormLine, FormProject, Table, review_form_bytes, tables_bytes
from .sample import Candidate, Pick

LIST_COLUMNS = ("序号", "抽取原因", "风险分", "风险点及原因", "项目名称", "主管部门", "核算总分", "自评总分", "等级",
                "源文件", "工作表", "SHA-256")
LIST_KINDS = ("int", "text", "int", "text", "text", "text", "points", "points", "center", "text", "text", "text")
LIST_WIDTHS = (6, 22, 8, 50, 24, 18, 9, 9, 6, 40, 10, 20)
RISK_COLUMNS = ("序号", "风险分", "风险点及原因", "项目名称", "主管部门", "核算总分", "自评总分", "源文件", "工作表", "是否抽中")
RISK_KINDS = ("int", "int", "text", "text", "text", "points", "points", "text", "text", "center")
RISK_WIDTHS = (6, 8, 60, 24, 18, 9, 9, 40, 10, 8)


def _project(candidate: Candidate) -> dict:
    return candidate.record["project"]


def sample_list(picks: list[Pick], pool: list[Candidate], notes: list[tuple[str, str]]) -> bytes:
    rows = []
    for pick in picks:
        c, record = pick.candidate, pick.candidate.record
        rows.append((pick.number, pick.why, c.risk, c.reasons or "无", _project(c).get("name") or "",
                     _project(c).get("department") or "", record.get("total_score"), record.get("self_total"),
                     record.get("grade") or "", record["source"]["path"], record["source"].get("sheet") or "",
                     record["source"].get("sha256") or ""))
    taken = {pick.candidate.ident for pick in picks}
    ranked = sorted(pool, key=lambda c: (-c.risk, c.ident))
    every = [(i, c.risk, c.reasons or "无", _project(c).get("name") or "", _project(c).get("department") or "",
              c.record.get("total_score"), c.record.get("self_total"), c.ident[0], c.ident[1],
              "是" if c.ident in taken else "否") for i, c in enumerate(ranked, start=1)]
    return tables_bytes("绩效自评抽评清单", [
        Table("抽评清单", "绩效自评抽评清单", LIST_COLUMNS, rows, LIST_KINDS, LIST_WIDTHS),
        Table("风险评分", "全部项目的风险评分", RISK_COLUMNS, every, RISK_KINDS, RISK_WIDTHS),
    ], notes)


def form_project(pick: Pick) -> FormProject:
    record = pick.candidate.record
    budget = record.get("budget") or {}
    lines = [FormLine("预算", "预算执行", "预算执行率", "预算执行率", budget.get("weight"), budget.get("score"), None)]
    for item in record.get("indicators") or []:
        lines.append(FormLine(str(item["row"]), item.get("level1") or "", item.get("level2") or "",
                              item.get("name") or "", item.get("weight"), item.get("score"), item.get("self_score")))
    project = record["project"]
    return FormProject(pick.number, project.get("name") or "", project.get("department") or "",
                       record["source"]["path"], record["source"].get("sheet") or "",
                       record["source"].get("sha256") or "", tuple(lines))


def review_form(picks: list[Pick], notes: list[tuple[str, str]]) -> bytes:
    return review_form_bytes([form_project(pick) for pick in picks], notes)
