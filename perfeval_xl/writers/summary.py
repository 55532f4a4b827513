"""The summary workbook of a batch (outputs.md): one row per project and the
bureau's views over them.

Sheets: 汇总 (one row per project), 按部门 (per 主管部门), 等级分布 (grades by
projects and by funds, with three native charts), 关注清单 (projects to open
first, with the reason), 问题清单 (every finding of every file), 处理失败
(files that could not be read).

The writer streams: `SummaryWriter.add` takes one `Entry` at a time, in input
order, and xlsxwriter's constant-memory mode flushes every row to disk as soon
as the next begins, so a province's 100,000 projects cost a few accumulators
per department, not 100,000 rows in memory. `entry_of` turns a Result into the
small, picklable Entry that a batch worker sends back. Department text is
always written with write_string: it never becomes a formula.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from .. import __version__
from ..display import cell_text
from ..problems import ERROR, WARNING
from ..profiles import Profile
from ..model import ZERO, Result
from .files import creation_time
from .styles import Styles

SUMMARY_SHEET = "汇总"
DEPARTMENT_SHEET = "按部门"
GRADE_SHEET = "等级分布"
WATCH_SHEET = "关注清单"
FINDING_SHEET = "问题清单"
FAILURE_SHEET = "处理失败"
DUPLICATE_SHEET = "重复提交"
SHEETS = (SUMMARY_SHEET, DEPARTMENT_SHEET, GRADE_SHEET, WATCH_SHEET, FINDING_SHEET, FAILURE_SHEET, DUPLICATE_SHEET)

SUMMARY_COLUMNS = (
    "序号", "评价年度", "主管部门", "实施单位", "项目编码", "项目名称", "全年预算数", "全年执行数", "预算执行率",
    "执行率得分", "产出得分", "效益得分", "满意度得分", "核算总分", "自评总分", "差异", "等级", "未核实分值",
    "错误数", "警告数", "源文件",
)
DEPARTMENT_COLUMNS = ("主管部门", "项目数", "全年预算数", "全年执行数", "执行率", "平均得分", "预算加权平均得分")
GRADE_COLUMNS = ("等级", "项目数", "项目数占比", "全年预算数", "资金占比")
WATCH_COLUMNS = ("序号", "主管部门", "项目名称", "核算总分", "自评总分", "预算执行率", "未核实分值", "错误数", "等级", "原因", "源文件")
FINDING_COLUMNS = ("序号", "源文件", "主管部门", "项目名称", "级别", "代码", "工作表", "单元格", "说明")
FAILURE_COLUMNS = ("序号", "源文件", "代码", "原因")
DUPLICATE_COLUMNS = ("组号", "项目编码", "评价年度", "主管部门", "项目名称", "源文件", "修改时间（UTC）", "处理", "以此文件为准")

# 关注清单 thresholds (outputs.md): a score below 80, an execution rate below 90 %.
WATCH_SCORE = Decimal(80)
WATCH_RATE = Decimal("0.9")
NO_DEPARTMENT = "（未填写主管部门）"
MAX_WIDTH = 60
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


@dataclass(frozen=True)
class ProjectLine:
    """The 汇总 figures of one scored project."""

    year: int | None
    department: str
    unit: str
    code: str | None
    name: str
    annual: Decimal
    executed: Decimal
    rate: Decimal | None
    budget_score: Decimal
    output: Decimal
    benefit: Decimal
    satisfaction: Decimal
    total: Decimal
    self_total: Decimal | None
    grade: str
    unverified: Decimal
    errors: int
    warnings: int

    @property
    def difference(self) -> Decimal | None:
        return None if self.self_total is None else self.self_total - self.total


@dataclass(frozen=True)
class Finding:
    severity: str      # 错误 / 警告 / 提示
    code: str
    sheet: str
    cell: str
    message: str

    @property
    def location(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.sheet and self.cell else self.sheet


@dataclass(frozen=True)
class Entry:
    """What the summary needs of one input file: small and picklable."""

    source: str
    project: ProjectLine | None
    findings: tuple[Finding, ...] = ()
    failure: str | None = None     # the failure's code when the file could not be read

    @property
    def reason(self) -> str:
        """Every reason a file could not be read, on one line."""
        return "；".join(f"[{f.location}] {f.message}" if f.location else f.message for f in self.findings)


def entry_of(result: Result) -> Entry:
    problems = result.problems or ((result.failure,) if result.failure else ())
    findings = tuple(Finding(p.severity.label, p.code, p.sheet or "", p.cell or "", p.message) for p in problems)
    if result.failure is not None:
        return Entry(result.source_path, None, findings, result.failure.code)
    project, budget = result.intake.project, result.budget
    dimensions = result.dimension_scores()
    line = ProjectLine(
        year=project.year,
        department=project.department,
        unit=project.unit,
        code=project.code,
        name=project.name,
        annual=budget.annual,
        executed=budget.executed,
        rate=budget.rate,
        budget_score=budget.score,
        # 成本指标 filed as a 一级 is already counted with 产出 (levels.dimension_of),
        # so that 执行率得分 + 产出 + 效益 + 满意度 = 核算总分.
        output=dimensions.get("产出指标", ZERO),
        benefit=dimensions.get("效益指标", ZERO),
        satisfaction=dimensions.get("满意度指标", ZERO),
        total=result.total_score,
        self_total=result.self_total,
        grade=result.grade,
        unverified=result.unverified_points,
        errors=sum(1 for p in result.problems if p.severity == ERROR),
        warnings=sum(1 for p in result.problems if p.severity == WARNING),
    )
    return Entry(result.source_path, line, findings)


def watch_reasons(line: ProjectLine, tolerance: Decimal) -> list[str]:
    """Why an auditor should open this project first; empty when nothing stands out."""
    reasons = []
    if line.total < WATCH_SCORE:
        reasons.append(f"核算总分低于{WATCH_SCORE}分")
    if line.rate is None:
        reasons.append("无法计算预算执行率")
    elif line.rate < WATCH_RATE:
        reasons.append(f"预算执行率低于{WATCH_RATE:.0%}")
    if line.difference is not None and line.difference > tolerance:
        reasons.append(f"自评总分高于核算总分 {line.difference:.2f} 分")
    if line.unverified > 0:
        reasons.append(f"未核实分值 {line.unverified:.2f} 分")
    if line.errors:
        reasons.append(f"错误 {line.errors} 项")
    return reasons


@dataclass
class _Tally:
    """Running sums of a department or a grade; Decimal, so exact in any order."""

    projects: int = 0
    annual: Decimal = ZERO
    executed: Decimal = ZERO
    scores: Decimal = ZERO
    weighted: Decimal = ZERO
    grades: dict[str, int] = field(default_factory=dict)

    def add(self, line: ProjectLine) -> None:
        self.projects += 1
        self.annual += line.annual
        self.executed += line.executed
        self.scores += line.total
        self.weighted += line.total * line.annual
        self.grades[line.grade] = self.grades.get(line.grade, 0) + 1


def _ratio(part: Decimal, whole: Decimal) -> float | None:
    return None if not whole else float(part / whole)


def display_width(value: str) -> int:
    # A CJK character takes 3 bytes of UTF-8 and two columns on screen, ASCII 1
    # and 1: (characters + bytes) / 2 gives the width without a per-char lookup.
    return (len(value) + len(value.encode("utf-8"))) // 2


class _Sheet:
    """A worksheet written row by row, that remembers how wide its columns must be."""

    NUMBER_WIDTH = 11

    def __init__(self, workbook, name: str, columns: tuple[str, ...], styles: Styles):
        self.ws = workbook.add_worksheet(name)
        self.columns = columns
        self.styles = styles
        self.widths = [display_width(label) + 4 for label in columns]   # room for the filter button
        self.row = 0
        for col, label in enumerate(columns):
            self.ws.write_string(0, col, label, styles.header)

    def write(self, values: list) -> int:
        """Write the next row: (value, style) pairs; str is always written as text."""
        self.row += 1
        for col, (value, style) in enumerate(values):
            if value is None:
                self.ws.write_blank(self.row, col, None, style)
            elif isinstance(value, str):
                shown = cell_text(value)
                self.ws.write_string(self.row, col, shown, style)
                if self.widths[col] < MAX_WIDTH:
                    self.widths[col] = max(self.widths[col], min(MAX_WIDTH, display_width(shown) + 2))
            else:
                self.ws.write_number(self.row, col, float(value), style)
                self.widths[col] = max(self.widths[col], self.NUMBER_WIDTH)
        return self.row

    def finish(self) -> None:
        for col, width in enumerate(self.widths):
            self.ws.set_column(col, col, width)
        self.ws.freeze_panes(1, 0)
        self.ws.autofilter(0, 0, self.row, len(self.columns) - 1)
        _print_setup(self.ws)


def _print_setup(ws) -> None:
    """A4 landscape, one page wide, the header row on every page: ready to send upward."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


class SummaryWriter:
    """Streams Entries, in input order, into the summary workbook at `path`.

    `add` each Entry, then `close` to write the per-department and per-grade
    sheets and the charts and to finish the file. `path` should be a
    temporary name: the caller renames it into place when it is complete.
    """

    def __init__(self, path: str | Path, profile: Profile, *, tmpdir: str | Path | None = None):
        options = dict(WORKBOOK_OPTIONS)
        if tmpdir is not None:
            options["tmpdir"] = str(tmpdir)
        self.workbook = xlsxwriter.Workbook(str(path), options)
        self.workbook.set_properties({
            "title": "项目支出绩效自评汇总", "created": creation_time(), "comments": f"perfeval-xl {__version__}",
        })
        self.profile = profile
        self.grades = tuple(label for label, _ in profile.grades)
        s = self.styles = Styles(self.workbook)
        # Sheets are added in the order they show; each is then written on its own.
        self.summary = _Sheet(self.workbook, SUMMARY_SHEET, SUMMARY_COLUMNS, s)
        self.by_department = _Sheet(self.workbook, DEPARTMENT_SHEET, DEPARTMENT_COLUMNS + self.grades, s)
        self.grade_sheet = self.workbook.add_worksheet(GRADE_SHEET)
        self.watch = _Sheet(self.workbook, WATCH_SHEET, WATCH_COLUMNS, s)
        self.findings = _Sheet(self.workbook, FINDING_SHEET, FINDING_COLUMNS, s)
        self.failures = _Sheet(self.workbook, FAILURE_SHEET, FAILURE_COLUMNS, s)
        self.duplicates = _Sheet(self.workbook, DUPLICATE_SHEET, DUPLICATE_COLUMNS, s)
        self.departments: dict[str, _Tally] = {}
        self.by_grade: dict[str, _Tally] = {}
        self.all = _Tally()

    def add(self, entry: Entry, more_reasons: list[str] | tuple[str, ...] = (), *, counted: bool = True) -> None:
        """One file's rows; `more_reasons`: 关注清单 reasons of the whole batch; counted=False: findings only."""
        s = self.styles
        line = entry.project
        for found in entry.findings:
            self.findings.write([
                (self.findings.row + 1, s.cell_int), (entry.source, s.cell),
                (line.department if line else None, s.cell), (line.name if line else None, s.cell),
                (found.severity, s.center), (found.code, s.cell), (found.sheet or None, s.cell),
                (found.cell or None, s.center), (found.message, s.cell),
            ])
        if line is None:
            self.failures.write([
                (self.failures.row + 1, s.cell_int), (entry.source, s.cell), (entry.failure, s.cell), (entry.reason, s.cell),
            ])
            return
        if not counted:
            return
        number = self.summary.row + 1
        self.summary.write([
            (number, s.cell_int), (line.year, s.cell_int), (line.department, s.cell), (line.unit, s.cell),
            (line.code, s.cell), (line.name, s.cell), (line.annual, s.cell_money), (line.executed, s.cell_money),
            (line.rate, s.cell_rate), (line.budget_score, s.cell_points), (line.output, s.cell_points),
            (line.benefit, s.cell_points), (line.satisfaction, s.cell_points), (line.total, s.cell_points),
            (line.self_total, s.cell_points), (line.difference, s.cell_points), (line.grade, s.center),
            (line.unverified, s.cell_points), (line.errors, s.cell_int), (line.warnings, s.cell_int),
            (entry.source, s.cell),
        ])
        reasons = watch_reasons(line, self.profile.total_tolerance) + list(more_reasons)
        if reasons:
            self.watch.write([
                (number, s.cell_int), (line.department, s.cell), (line.name, s.cell), (line.total, s.cell_points),
                (line.self_total, s.cell_points), (line.rate, s.cell_rate), (line.unverified, s.cell_points),
                (line.errors, s.cell_int), (line.grade, s.center), ("；".join(reasons), s.cell), (entry.source, s.cell),
            ])
        self.departments.setdefault(line.department or NO_DEPARTMENT, _Tally()).add(line)
        self.by_grade.setdefault(line.grade, _Tally()).add(line)
        self.all.add(line)

    def add_duplicate(self, group: int, line: ProjectLine, source: str, modified: str, kept: str | None) -> None:
        """One file of a project sent more than once; `kept` is None for the file that counts."""
        s = self.styles
        self.duplicates.write([(group, s.cell_int), (line.code, s.cell), (line.year, s.cell_int), (line.department, s.cell),
                               (line.name, s.cell), (source, s.cell), (modified, s.cell),
                               ("计入汇总" if kept is None else "已被取代", s.center), (kept, s.cell)])

    def close(self) -> None:
        self._department_sheet()
        self._grade_sheet()
        for sheet in (self.summary, self.by_department, self.watch, self.findings, self.failures, self.duplicates):
            sheet.finish()
        self.workbook.close()

    def _department_sheet(self) -> None:
        s = self.styles
        for name in sorted(self.departments):
            tally = self.departments[name]
            self.by_department.write([
                (name, s.cell), (tally.projects, s.cell_int), (tally.annual, s.cell_money),
                (tally.executed, s.cell_money), (_ratio(tally.executed, tally.annual), s.cell_rate),
                (tally.scores / tally.projects, s.cell_points), (_ratio(tally.weighted, tally.annual), s.cell_points),
                *((tally.grades.get(grade, 0), s.cell_int) for grade in self.grades),
            ])

    def _grade_sheet(self) -> None:
        ws, s = self.grade_sheet, self.styles
        for col, label in enumerate(GRADE_COLUMNS):
            ws.write_string(0, col, label, s.header)
        ws.set_column(0, 0, 10)
        ws.set_column(1, len(GRADE_COLUMNS) - 1, 14)
        ws.freeze_panes(1, 0)
        _print_setup(ws)
        total = self.all
        for row, grade in enumerate(self.grades, start=1):
            tally = self.by_grade.get(grade, _Tally())
            ws.write_string(row, 0, grade, s.center)
            ws.write_number(row, 1, tally.projects, s.cell_int)
            self._share(row, 2, _ratio(Decimal(tally.projects), Decimal(total.projects)))
            ws.write_number(row, 3, float(tally.annual), s.cell_money)
            self._share(row, 4, _ratio(tally.annual, total.annual))
        last = len(self.grades) + 1
        ws.write_string(last, 0, "合计", s.total_label)
        ws.write_number(last, 1, total.projects, s.cell_int)
        self._share(last, 2, 1.0 if total.projects else None)
        ws.write_number(last, 3, float(total.annual), s.cell_money)
        self._share(last, 4, 1.0 if total.annual else None)
        if not total.projects:
            ws.write_string(last + 2, 0, "没有评分成功的项目，未生成图表。", s.plain)
            return
        self._charts(last + 2)

    def _share(self, row: int, col: int, value: float | None) -> None:
        if value is None:
            self.grade_sheet.write_blank(row, col, None, self.styles.cell_rate)
        else:
            self.grade_sheet.write_number(row, col, value, self.styles.cell_rate)

    def _charts(self, top: int) -> None:
        wb, ws = self.workbook, self.grade_sheet
        grades = len(self.grades)
        counts = wb.add_chart({"type": "column"})
        counts.add_series({
            "name": "项目数",
            "categories": [GRADE_SHEET, 1, 0, grades, 0],
            "values": [GRADE_SHEET, 1, 1, grades, 1],
            "data_labels": {"value": True},
        })
        counts.set_title({"name": "各等级项目数"})
        counts.set_legend({"none": True})
        counts.set_y_axis({"name": "项目数", "major_gridlines": {"visible": True}})
        ws.insert_chart(top, 0, counts, {"x_scale": 1.2, "y_scale": 1.0})

        departments = len(self.departments)
        means = wb.add_chart({"type": "bar"})
        means.add_series({
            "name": "平均得分",
            "categories": [DEPARTMENT_SHEET, 1, 0, departments, 0],
            "values": [DEPARTMENT_SHEET, 1, 5, departments, 5],
            "data_labels": {"value": True, "num_format": "0.00"},
        })
        means.set_title({"name": "各部门平均得分"})
        means.set_legend({"none": True})
        means.set_x_axis({"name": "平均得分", "min": 0, "max": 100})
        means.set_y_axis({"reverse": True})
        means.set_size({"width": 640, "height": min(4000, max(300, 60 + 24 * departments))})
        ws.insert_chart(top, 7, means)

        projects = self.all.projects
        scatter = wb.add_chart({"type": "scatter"})
        scatter.add_series({
            "name": "项目",
            "categories": [SUMMARY_SHEET, 1, SUMMARY_COLUMNS.index("预算执行率"), projects, SUMMARY_COLUMNS.index("预算执行率")],
            "values": [SUMMARY_SHEET, 1, SUMMARY_COLUMNS.index("核算总分"), projects, SUMMARY_COLUMNS.index("核算总分")],
            "marker": {"type": "circle", "size": 5},
        })
        scatter.set_title({"name": "预算执行率与核算总分"})
        scatter.set_legend({"none": True})
        scatter.set_x_axis({"name": "预算执行率", "num_format": "0%", "min": 0})
        scatter.set_y_axis({"name": "核算总分", "min": 0, "max": 100})
        ws.insert_chart(top + 16, 0, scatter, {"x_scale": 1.2, "y_scale": 1.0})
