"""perfeval-xl: 项目支出绩效自评 intake workbooks in, scored 附件1 workbooks out."""

__version__ = "0.1.0"
