"""Every cell format of our workbooks, defined once per workbook."""

from __future__ import annotations

FONT = "宋体"
UNVERIFIED_FILL = "#FCE4D6"   # light orange: scored on the department's word
ERROR_FILL = "#FFC7CE"        # light red: a cell with a finding
HEADER_FILL = "#F2F2F2"

_BASE = {"font_name": FONT, "font_size": 10, "valign": "vcenter", "text_wrap": True}
_BOX = {**_BASE, "border": 1}


class Styles:
    """The formats of one workbook; xlsxwriter formats belong to their workbook."""

    def __init__(self, workbook) -> None:
        add = workbook.add_format
        self.title = add({**_BASE, "font_size": 16, "bold": True, "align": "center", "text_wrap": False})
        self.subtitle = add({**_BASE, "font_size": 11, "align": "center"})
        self.label = add({**_BOX, "bold": True, "align": "center", "bg_color": HEADER_FILL})
        self.text = add({**_BOX, "align": "left"})
        self.center = add({**_BOX, "align": "center"})
        self.money = add({**_BOX, "align": "right", "num_format": "#,##0.00"})
        self.points = add({**_BOX, "align": "center", "num_format": "0.00"})
        self.rate = add({**_BOX, "align": "center", "num_format": "0.00%"})
        self.total = add({**_BOX, "bold": True, "align": "center", "num_format": "0.00"})
        self.total_label = add({**_BOX, "bold": True, "align": "center"})
        self.unverified_text = add({**_BOX, "align": "left", "bg_color": UNVERIFIED_FILL})
        self.unverified_points = add({**_BOX, "align": "center", "num_format": "0.00", "bg_color": UNVERIFIED_FILL})
        self.unverified_center = add({**_BOX, "align": "center", "bg_color": UNVERIFIED_FILL, "bold": True})
        self.error_text = add({**_BOX, "align": "left", "bg_color": ERROR_FILL})
        self.error_points = add({**_BOX, "align": "center", "num_format": "0.00", "bg_color": ERROR_FILL})
        self.error_money = add({**_BOX, "align": "right", "num_format": "#,##0.00", "bg_color": ERROR_FILL})
        self.note = add({**_BASE, "align": "left", "font_size": 9})
        self.plain = add({**_BASE})
        self.plain_bold = add({**_BASE, "bold": True})
        self.header = add({**_BOX, "bold": True, "align": "center", "bg_color": HEADER_FILL})
        self.cell = add({**_BOX, "align": "left"})
        self.cell_points = add({**_BOX, "num_format": "0.00"})
        self.cell_money = add({**_BOX, "num_format": "#,##0.00"})
        self.cell_rate = add({**_BOX, "num_format": "0.00%"})
        self.cell_ratio = add({**_BOX, "num_format": "0.0000"})
        self.cell_int = add({**_BOX, "num_format": "0"})
