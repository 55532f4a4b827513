"""Workbook writers: the Annex 1 workbook per project and the summary."""
