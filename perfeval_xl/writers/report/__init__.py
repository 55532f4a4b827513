"""The draft 绩效自评报告 (.docx) of one project, written from the same figures as its Annex.

content.py says what the report says (sentences and table rows from a
Result); word.py is the Word side (公文-like styles, A4, page numbers,
tables, a reproducible file); compose.py puts the sections together; names.py finds each report a
name that overwrites no other source's file.
"""

from .compose import ANNEX_HEADING, SECTIONS, render_report, report_filename, report_title, write_report
from .names import ReportNames, source_of

__all__ = ["ANNEX_HEADING", "SECTIONS", "ReportNames", "render_report", "report_filename", "report_title", "source_of",
           "write_report"]
