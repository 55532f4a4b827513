"""The indicator framework: 一级 and the 二级 indicators that belong under them.

财预〔2020〕10号 sets 产出/效益/满意度; the 2021 framework that many
provinces adopted adds 成本指标 as a level of its own, and published forms
carry both, so both are known here.
"""

from __future__ import annotations

from .text import level_name

BUDGET_LEVEL1 = "预算执行指标"
BUDGET_NAME = "预算执行率"
TOTAL_WORDS = frozenset({"合计", "总分", "总计", "小计"})

FRAMEWORK: dict[str, tuple[str, ...]] = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标",),
    "成本指标": ("经济成本指标", "社会成本指标", "生态环境成本指标"),
}
DIMENSIONS = ("产出指标", "效益指标", "满意度指标")
COST_LEVEL2 = "成本指标"

_LEVEL2_PARENT = {l2: l1 for l1, names in FRAMEWORK.items() for l2 in names}


def canonical_level1(value: object) -> str:
    """`产出指标(50分)`, `产出` -> `产出指标`; unknown names come back as written."""
    name = level_name(value)
    if name in FRAMEWORK or name == BUDGET_LEVEL1:
        return name
    if name + "指标" in FRAMEWORK or name + "指标" == BUDGET_LEVEL1:
        return name + "指标"
    return name


def canonical_level2(value: object) -> str:
    """`社会效益`, `服务对象满意度` -> the framework's full name."""
    name = level_name(value)
    if name in _LEVEL2_PARENT:
        return name
    if name + "指标" in _LEVEL2_PARENT:
        return name + "指标"
    return name


def dimension_of(level1: str) -> str:
    """The 财预〔2020〕10号 dimension a 一级 counts under: the 2021 framework's
    成本指标 as a level of its own is counted with 产出, where 10号 puts it."""
    return "产出指标" if level1 == COST_LEVEL2 else level1


def parent_of(level2: str) -> str | None:
    return _LEVEL2_PARENT.get(level2)


def is_cost(level1: object, level2: object) -> bool:
    """Whether a row stands under 成本指标 (a bare number there is reverse): the one test of it.

    `成本指标`, `成本`, `成本指标(10分)`, `经济成本指标`, or 成本指标 as a 一级 of its own.
    """
    name1, name2 = canonical_level1(level1), canonical_level2(level2)
    return COST_LEVEL2 in (name1, name2) or name2.endswith("成本指标")


def carry_down(texts: dict[str, str], level1: str, level2: str) -> tuple[str, str]:
    """一级/二级 of a row: cells left blank (or merged) under a group carry down from the row above."""
    new1 = canonical_level1(texts.get("level1", ""))
    new2 = canonical_level2(texts.get("level2", ""))
    if new1 and new1 != level1:
        return new1, new2
    return level1 or new1, new2 or level2
