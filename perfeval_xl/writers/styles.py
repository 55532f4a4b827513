"""Every cell format of our workbooks, defined once per workbook."""

from __future__ import annotations

FONT = "宋体"
UNVERIFIED_FILL = "#FCE4D6"   # light orange: scored on the department's word
ERROR_FILL = "#FFC7CE"        # light red: a cell with a finding
HEADER_FILL = "#F2F2F2"
REQUIRED_FILL = "#FFF2CC"     # light yellow: a required cell left blank (the intake template)
INTAKE_HEADER_FILL = "#DDEBF7"

_BASE = {"font_name": FONT, "font_size": 10, "valign": "vcenter", "text_wrap": True}
_BOX = {**_BASE, "border": 1}
_INTAKE_CELL = {"border": 1, "valign": "vcenter", "font_size": 11}


# Every format of our workbooks, by name.
_FORMATS = {
    "title": {**_BASE, "font_size": 16, "bold": True, "align": "center", "text_wrap": False},
    "subtitle": {**_BASE, "font_size": 11, "align": "center"},
    "label": {**_BOX, "bold": True, "align": "center", "bg_color": HEADER_FILL},
    "text": {**_BOX, "align": "left"},
    "center": {**_BOX, "align": "center"},
    "money": {**_BOX, "align": "right", "num_format": "#,##0.00"},
    "points": {**_BOX, "align": "center", "num_format": "0.00"},
    "rate": {**_BOX, "align": "center", "num_format": "0.00%"},
    "total": {**_BOX, "bold": True, "align": "center", "num_format": "0.00"},
    "total_label": {**_BOX, "bold": True, "align": "center"},
    "total_text": {**_BOX, "bold": True, "align": "left"},
    "total_money": {**_BOX, "bold": True, "num_format": "#,##0.00"},
    "total_rate": {**_BOX, "bold": True, "num_format": "0.00%"},
    "total_int": {**_BOX, "bold": True, "num_format": "0"},
    "unverified_text": {**_BOX, "align": "left", "bg_color": UNVERIFIED_FILL},
    "unverified_points": {**_BOX, "align": "center", "num_format": "0.00", "bg_color": UNVERIFIED_FILL},
    "unverified_center": {**_BOX, "align": "center", "bg_color": UNVERIFIED_FILL, "bold": True},
    "error_text": {**_BOX, "align": "left", "bg_color": ERROR_FILL},
    "error_points": {**_BOX, "align": "center", "num_format": "0.00", "bg_color": ERROR_FILL},
    "error_money": {**_BOX, "align": "right", "num_format": "#,##0.00", "bg_color": ERROR_FILL},
    "note": {**_BASE, "align": "left", "font_size": 9},
    "plain": {**_BASE},
    "plain_bold": {**_BASE, "bold": True},
    "header": {**_BOX, "bold": True, "align": "center", "bg_color": HEADER_FILL},
    "cell": {**_BOX, "align": "left"},
    "cell_points": {**_BOX, "num_format": "0.00"},
    "cell_money": {**_BOX, "num_format": "#,##0.00"},
    "cell_rate": {**_BOX, "num_format": "0.00%"},
    "cell_ratio": {**_BOX, "num_format": "0.0000"},
    "cell_int": {**_BOX, "num_format": "0"},
    # The intake template (intake_form.py, intake_checks.py): 11 pt in the font a clerk's Excel uses.
    **{f"intake_{name}": properties for name, properties in {
        "title": {"bold": True, "font_size": 14},
        "heading": {"bold": True, "font_size": 11},
        "note": {"font_size": 11},
        "paragraph": {"font_size": 11, "text_wrap": True, "valign": "top"},
        "header": {**_INTAKE_CELL, "bold": True, "align": "center", "text_wrap": True, "bg_color": INTAKE_HEADER_FILL},
        "label": {**_INTAKE_CELL, "bold": True, "text_wrap": True},
        "text": {**_INTAKE_CELL, "text_wrap": True},
        "number": {**_INTAKE_CELL, "align": "center"},
        "plain_number": {**_INTAKE_CELL, "align": "left"},
        "amount": {**_INTAKE_CELL, "num_format": "#,##0.00"},
        "percent": {**_INTAKE_CELL, "align": "center", "num_format": "0%"},
        "percent2": {**_INTAKE_CELL, "align": "center", "num_format": "0.00%"},
        "example_header": {**_INTAKE_CELL, "bold": True, "align": "center", "text_wrap": True, "italic": True,
                           "bg_color": HEADER_FILL},
        "example": {**_INTAKE_CELL, "italic": True, "font_color": "#7F7F7F", "text_wrap": True},
        "check_number": {**_INTAKE_CELL, "align": "center", "num_format": "0.00"},
        "check_int": {**_INTAKE_CELL, "align": "center", "num_format": "0"},
        "check_amount": {**_INTAKE_CELL, "align": "center", "num_format": "#,##0.00"},
        "check_rate": {**_INTAKE_CELL, "align": "center", "num_format": "0.00%"},
        # Conditional formats: only what changes.
        "check_bad": {"bg_color": ERROR_FILL, "font_color": "#9C0006"},
        "check_warn": {"bg_color": UNVERIFIED_FILL, "font_color": "#9C5700"},
        "check_ok": {"font_color": "#006100"},
        "check_required": {"bg_color": REQUIRED_FILL},
    }.items()},
}


class Styles:
    """The formats of one workbook; xlsxwriter formats belong to their workbook.

    `styles.header` is the workbook's format "header", made on first use.
    SPEED: a workbook uses a few of these formats, and making one costs
    about 20 µs; xlsxwriter writes only the formats that cells use, numbered
    in order of first use, so making them late changes nothing in the file.
    """

    def __init__(self, workbook) -> None:
        self._workbook = workbook

    def __getattr__(self, name: str):
        try:
            properties = _FORMATS[name]
        except KeyError:
            raise AttributeError(name) from None
        made = self._workbook.add_format(properties)
        setattr(self, name, made)
        return made
