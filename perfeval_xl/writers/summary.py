"""The summary workbook of a batch (outputs.md): one row per project and the
bureau's views over them.

Sheets: 汇总 (one row per project), 按部门 (per 主管部门), 等级分布 (grades by
projects and by funds, with three native charts), 关注清单 (projects to open
first, with the reason), 问题清单 (every finding of every file), 处理失败
(files that could not be read).

The writer streams: `SummaryWriter.add` takes one `Entry` at a time, in input
order, and xlsxwriter's constant-memory mode flushes every row to disk as soon
as the next begins, so a province's 100,000 projects cost a few accumulators
per department, not 100,000 rows in memory. The Entry a batch worker sends
back, and the running sums, are in summary_entries.py. Department text is
always written with write_string: it never becomes a formula.

Just over 400 lines: the six sheets are written by one streaming writer that
holds their state together; the entries and tallies already live apart.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import xlsxwriter

from .. import __version__
from ..cells import a1, column_letter
from ..display import cell_text
from ..profiles import Profile
from .files import creation_time
from .printing import A3, A4, fit_row, page_setup
from .styles import Styles

# Re-exported: the batch and the tests take the entries from here.
from .summary_entries import (  # noqa: F401
    WATCH_RATE,
    WATCH_SCORE,
    ColumnTotals,
    Entry,
    Finding,
    ProjectLine,
    Tally,
    entry_of,
    finite,
    ratio,
    watch_reasons,
)

SUMMARY_SHEET = "汇总"
DEPARTMENT_SHEET = "按部门"
GRADE_SHEET = "等级分布"
WATCH_SHEET = "关注清单"
FINDING_SHEET = "问题清单"
FAILURE_SHEET = "处理失败"
DUPLICATE_SHEET = "重复提交"
SHEETS = (SUMMARY_SHEET, DEPARTMENT_SHEET, GRADE_SHEET, WATCH_SHEET, FINDING_SHEET, FAILURE_SHEET, DUPLICATE_SHEET)

# (header, width): widths fixed up front, so that a streamed row gets its height as it is written.
# Amounts are in 万元 like the intake; 差异 says which way it subtracts; 源文件 comes last and wraps.
SUMMARY_SPEC = (
    ("序号", 5), ("评价年度", 6), ("主管部门", 16), ("实施单位", 16), ("项目编码", 12), ("项目名称", 24),
    ("全年预算数（万元）", 12), ("全年执行数（万元）", 12), ("预算执行率", 10), ("执行率得分", 7), ("产出得分", 7),
    ("效益得分", 7), ("满意度得分", 7), ("核算总分", 7), ("自评总分", 7), ("差异（自评−核算）", 9), ("等级", 5),
    ("未核实分值", 7), ("错误数", 5), ("警告数", 5), ("源文件", 24),
)
DEPARTMENT_SPEC = (
    ("主管部门", 20), ("项目数", 7), ("全年预算数（万元）", 12), ("全年执行数（万元）", 12), ("执行率", 9),
    ("平均得分", 9), ("预算加权平均得分", 10),
)
# 等级 and four columns 14 wide: the first chart (576 px) ends before column H, where the second begins.
GRADE_SPEC = (("等级", 10), ("项目数", 14), ("项目数占比", 14), ("全年预算数（万元）", 14), ("资金占比", 14))
WATCH_SPEC = (
    ("序号", 5), ("主管部门", 16), ("项目名称", 24), ("核算总分", 7), ("自评总分", 7), ("预算执行率", 9),
    ("未核实分值", 7), ("错误数", 5), ("等级", 5), ("原因", 36), ("源文件", 24),
)
FINDING_SPEC = (
    ("序号", 5), ("源文件", 24), ("主管部门", 14), ("项目名称", 20), ("级别", 6), ("代码", 20), ("工作表", 10),
    ("单元格", 7), ("说明", 50),
)
FAILURE_SPEC = (("序号", 5), ("源文件", 40), ("代码", 18), ("原因", 70))
DUPLICATE_SPEC = (
    ("组号", 5), ("项目编码", 14), ("评价年度", 7), ("主管部门", 16), ("项目名称", 22), ("源文件", 30),
    ("修改时间（UTC）", 17), ("处理", 9), ("以此文件为准", 30),
)
GRADE_COUNT_WIDTH = 6
SUMMARY_COLUMNS = tuple(label for label, _ in SUMMARY_SPEC)
DEPARTMENT_COLUMNS = tuple(label for label, _ in DEPARTMENT_SPEC)
GRADE_COLUMNS = tuple(label for label, _ in GRADE_SPEC)
WATCH_COLUMNS = tuple(label for label, _ in WATCH_SPEC)
FINDING_COLUMNS = tuple(label for label, _ in FINDING_SPEC)
FAILURE_COLUMNS = tuple(label for label, _ in FAILURE_SPEC)
TOTAL_LABEL = "合计"

NO_DEPARTMENT = "（未填写主管部门）"
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


class _Sheet:
    """A worksheet written row by row, in columns of fixed width; each row gets the height its wrapped text needs."""

    def __init__(self, workbook, name: str, spec: tuple[tuple[str, int], ...], styles: Styles, *, paper: int = A4):
        self.ws = workbook.add_worksheet(name)
        self.columns = tuple(label for label, _ in spec)
        self.widths = tuple(float(width) for _, width in spec)
        self.styles = styles
        self.paper = paper
        self.row = 0
        self.last_data_row = 0
        for col, label in enumerate(self.columns):
            self.ws.write_string(0, col, label, styles.header)
        fit_row(self.ws, 0, dict(enumerate(self.columns)), self.widths)

    def write(self, values: list) -> int:
        """Write the next row: (value, style) pairs; str is always written as text."""
        self.row += 1
        self.last_data_row = self.row
        texts = {}
        for col, (value, style) in enumerate(values):
            if value is None:
                self.ws.write_blank(self.row, col, None, style)
            elif isinstance(value, str):
                shown = texts[col] = cell_text(value)
                self.ws.write_string(self.row, col, shown, style)
            elif finite(value) is None:
                self.ws.write_blank(self.row, col, None, style)
            else:
                self.ws.write_number(self.row, col, finite(value), style)
        fit_row(self.ws, self.row, texts, self.widths)
        return self.row

    def write_total(self, cells: dict[int, tuple], style) -> None:
        """The 合计 row under the data: col -> (formula, value, style) or (text, style); other cells blank, boxed."""
        self.row += 1
        for col in range(len(self.columns)):
            cell = cells.get(col)
            if cell is None:
                self.ws.write_blank(self.row, col, None, style)
            elif len(cell) == 2:
                self.ws.write_string(self.row, col, cell[0], cell[1])
            else:
                formula, value, cell_style = cell
                self.ws.write_formula(self.row, col, formula, cell_style, "" if value is None else value)

    def finish(self) -> None:
        for col, width in enumerate(self.widths):
            self.ws.set_column(col, col, width)
        self.ws.freeze_panes(1, 0)
        # The filter covers the data rows: sorting never moves the 合计 row.
        self.ws.autofilter(0, 0, self.last_data_row, len(self.columns) - 1)
        page_setup(self.ws, landscape=True, paper=self.paper)


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
        # 汇总 has 21 columns: A3 landscape keeps them near full size on one page width.
        self.summary = _Sheet(self.workbook, SUMMARY_SHEET, SUMMARY_SPEC, s, paper=A3)
        grade_spec = tuple((grade, GRADE_COUNT_WIDTH) for grade in self.grades)
        self.by_department = _Sheet(self.workbook, DEPARTMENT_SHEET, DEPARTMENT_SPEC + grade_spec, s)
        self.grade_sheet = self.workbook.add_worksheet(GRADE_SHEET)
        self.watch = _Sheet(self.workbook, WATCH_SHEET, WATCH_SPEC, s)
        self.findings = _Sheet(self.workbook, FINDING_SHEET, FINDING_SPEC, s)
        self.failures = _Sheet(self.workbook, FAILURE_SHEET, FAILURE_SPEC, s)
        self.duplicates = _Sheet(self.workbook, DUPLICATE_SHEET, DUPLICATE_SPEC, s)
        self.columns = ColumnTotals()
        self.departments: dict[str, Tally] = {}
        self.by_grade: dict[str, Tally] = {}
        self.all = Tally()

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
        self.departments.setdefault(line.department or NO_DEPARTMENT, Tally()).add(line)
        self.by_grade.setdefault(line.grade, Tally()).add(line)
        self.all.add(line)
        self.columns.add(line)

    def add_duplicate(self, group: int, line: ProjectLine, source: str, modified: str, kept: str | None) -> None:
        """One file of a project sent more than once; `kept` is None for the file that counts."""
        s = self.styles
        self.duplicates.write([(group, s.cell_int), (line.code, s.cell), (line.year, s.cell_int), (line.department, s.cell),
                               (line.name, s.cell), (source, s.cell), (modified, s.cell),
                               ("计入汇总" if kept is None else "已被取代", s.center), (kept, s.cell)])

    def close(self) -> None:
        self._summary_total()
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
                (tally.executed, s.cell_money), (ratio(tally.executed, tally.annual), s.cell_rate),
                (tally.scores / tally.projects, s.cell_points), (ratio(tally.weighted, tally.annual), s.cell_points),
                *((tally.grades.get(grade, 0), s.cell_int) for grade in self.grades),
            ])
        self._department_total()

    def _summary_total(self) -> None:
        """汇总's 合计: amounts and counts summed, 执行率 as Σ执行/Σ预算, scores averaged (said in 项目名称)."""
        s, n, sums = self.styles, self.all.projects, self.columns
        if not n:
            return
        row = self.summary.row + 1
        first, last = 2, n + 1

        def over(col: int, function: str) -> str:
            letter = column_letter(col)
            return f"{function}({letter}{first}:{letter}{last})"

        index = SUMMARY_COLUMNS.index
        annual, executed = a1(row, index("全年预算数（万元）")), a1(row, index("全年执行数（万元）"))
        cells: dict[int, tuple] = {
            0: (TOTAL_LABEL, s.total_label),
            index("项目名称"): (f"共 {n} 个项目；得分各列为平均值", s.total_text),
            index("全年预算数（万元）"): (f"={over(index('全年预算数（万元）'), 'SUM')}", finite(self.all.annual), s.total_money),
            index("全年执行数（万元）"): (f"={over(index('全年执行数（万元）'), 'SUM')}", finite(self.all.executed), s.total_money),
            index("预算执行率"): (f'=IF({annual}=0,"",{executed}/{annual})', ratio(self.all.executed, self.all.annual), s.total_rate),
            index("未核实分值"): (f"={over(index('未核实分值'), 'SUM')}", finite(sums.unverified), s.total),
            index("错误数"): (f"={over(index('错误数'), 'SUM')}", sums.errors, s.total_int),
            index("警告数"): (f"={over(index('警告数'), 'SUM')}", sums.warnings, s.total_int),
        }
        for label, total in (("执行率得分", sums.budget_score), ("产出得分", sums.output), ("效益得分", sums.benefit),
                             ("满意度得分", sums.satisfaction), ("核算总分", self.all.scores)):
            cells[index(label)] = (f"={over(index(label), 'AVERAGE')}", finite(total / n), s.total)
        # Blank where a project gave no 自评总分: AVERAGE skips blanks, and has nothing to average when all are.
        for label, (total, count) in (("自评总分", sums.self_total), ("差异（自评−核算）", sums.difference)):
            mean = finite(total / count) if count else None
            cells[index(label)] = (f'=IFERROR({over(index(label), "AVERAGE")},"")', mean, s.total)
        self.summary.write_total(cells, s.total)

    def _department_total(self) -> None:
        """按部门's 合计: the departments' sums; the means over every project, weighted as their columns are."""
        s, total, sheet = self.styles, self.all, self.by_department
        if not self.departments:
            return
        row = sheet.row + 1
        first, last = 2, len(self.departments) + 1

        def span(col: int) -> str:
            letter = column_letter(col)
            return f"{letter}{first}:{letter}{last}"

        projects, annual, executed = a1(row, 1), a1(row, 2), a1(row, 3)
        cells: dict[int, tuple] = {
            0: (TOTAL_LABEL, s.total_label),
            1: (f"=SUM({span(1)})", total.projects, s.total_int),
            2: (f"=SUM({span(2)})", finite(total.annual), s.total_money),
            3: (f"=SUM({span(3)})", finite(total.executed), s.total_money),
            4: (f'=IF({annual}=0,"",{executed}/{annual})', ratio(total.executed, total.annual), s.total_rate),
            # The mean of every project: each department's mean weighted by its projects, and by its funds.
            5: (f'=IF({projects}=0,"",SUMPRODUCT({span(1)},{span(5)})/{projects})',
                ratio(total.scores, Decimal(total.projects)), s.total),
            6: (f'=IF({annual}=0,"",SUMPRODUCT({span(2)},{span(6)})/{annual})', ratio(total.weighted, total.annual), s.total),
        }
        for offset, grade in enumerate(self.grades, start=len(DEPARTMENT_COLUMNS)):
            cells[offset] = (f"=SUM({span(offset)})", total.grades.get(grade, 0), s.total_int)
        sheet.write_total(cells, s.total)

    def _grade_sheet(self) -> None:
        ws, s = self.grade_sheet, self.styles
        for col, (label, width) in enumerate(GRADE_SPEC):
            ws.write_string(0, col, label, s.header)
            ws.set_column(col, col, width)
        fit_row(ws, 0, dict(enumerate(GRADE_COLUMNS)), tuple(width for _, width in GRADE_SPEC))
        ws.freeze_panes(1, 0)
        page_setup(ws, landscape=True)
        total = self.all
        for row, grade in enumerate(self.grades, start=1):
            tally = self.by_grade.get(grade, Tally())
            ws.write_string(row, 0, grade, s.center)
            ws.write_number(row, 1, tally.projects, s.cell_int)
            self._share(row, 2, ratio(Decimal(tally.projects), Decimal(total.projects)))
            self._share(row, 3, finite(tally.annual), s.cell_money)
            self._share(row, 4, ratio(tally.annual, total.annual))
        last = len(self.grades) + 1
        ws.write_string(last, 0, "合计", s.total_label)
        ws.write_number(last, 1, total.projects, s.cell_int)
        self._share(last, 2, 1.0 if total.projects else None)
        self._share(last, 3, finite(total.annual), s.cell_money)
        self._share(last, 4, 1.0 if total.annual else None)
        if not total.projects:
            ws.write_string(last + 2, 0, "没有评分成功的项目，未生成图表。", s.plain)
            return
        self._charts(last + 2)

    def _share(self, row: int, col: int, value: float | None, style=None) -> None:
        style = style or self.styles.cell_rate
        if value is None:
            self.grade_sheet.write_blank(row, col, None, style)
        else:
            self.grade_sheet.write_number(row, col, value, style)

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
