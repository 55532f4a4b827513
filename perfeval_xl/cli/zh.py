"""click's own words in Chinese: "Usage:", "Options", "Show this message and exit.", "Missing argument"...

Two layers, because typer ships either on click (which wraps each phrase in
gettext's `_()`) or, from 0.2x on, on a copy of click with the phrases
written in plainly:

- `install()` replaces `_` and `ngettext` in the click and typer modules
  that have them with lookups in PHRASES / PLURALS;
- `help_text()` and `error_text()` translate what is left in the finished
  help page and error message (the phrases below, typer's `<list[Path]>`
  type labels and `{NAME}...` usage pieces), so the result does not depend
  on which of the two typer is installed.

tests/test_console.py fails when a help page shows one of the usual English
phrases.
"""

from __future__ import annotations

import importlib
import re

PHRASES = {
    "Usage:": "用法：",
    "Options": "选项",
    "Arguments": "参数",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s %(version)s",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "Aborted!": "已中止。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "查看帮助：{command} {option}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "argument": "参数",
    "option": "选项",
    "parameter": "参数",
    "Missing command.": "缺少命令。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such option: {name}": "没有选项：{name}",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Invalid start character for option ({option})": "选项的起始字符无效（{option}）",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Value must be an iterable.": "值必须是一组。",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "integer": "整数",
    "float": "数字",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是有效的是/否值，可用：{states}",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
}

PLURALS = {
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Did you mean {possibility}?": "是否想用 {possibility}？",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
}
PLURALS_OTHER = {
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "(Did you mean one of: {possibilities}?)": "（是否想用其中之一：{possibilities}？）",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
}

# The click that typer runs on: its own copy (typer._click, typer 0.29 and later) or the click
# package (earlier typers). Only the modules that exist are touched: a fresh install of typer
# 0.29 has no click package at all.
_CLICK_PARTS = ("core", "exceptions", "formatting", "parser", "types", "decorators")
MODULES = (*(f"{base}.{part}" for base in ("typer._click", "click") for part in _CLICK_PARTS), "typer.core")


def gettext(message: str) -> str:
    return PHRASES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    if n == 1:
        return PLURALS.get(singular, singular)
    return PLURALS_OTHER.get(plural, plural)


def _columns(term_len):
    import unicodedata

    if getattr(term_len, "counts_wide", False):
        return term_len

    def columns(text: str) -> int:
        wide = sum(1 for char in text if unicodedata.east_asian_width(char) in "WF")
        return term_len(text) + wide

    columns.counts_wide = True
    return columns


def install() -> None:
    # typer writes an argument's type after its name (`文件… <list[Path]>`); the metavar says it.
    # Left out here rather than cut from the page, so that the help columns stay aligned.
    argument = getattr(importlib.import_module("typer.core"), "TyperArgument", None)
    if argument is not None and hasattr(argument, "display_type_rich"):
        argument.display_type_rich = lambda self, ctx: None
    # click measures the name column in characters; a Chinese character takes two columns.
    for name in ("typer._click.formatting", "click.formatting"):
        try:
            formatting = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(formatting, "term_len"):
            formatting.term_len = _columns(formatting.term_len)
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext


# --- the finished help page and error message -------------------------------

HELP_LINES = (
    ("Usage: ", "用法："),
    ("Show this message and exit.", "显示本帮助并退出。"),
    ("Show the version and exit.", "显示版本号并退出。"),
    ("[default: ", "[默认："),
    ("; default: ", "；默认："),
    ("[required]", "[必填]"),
    ("; required]", "；必填]"),
    ("Options:", "选项："),
    ("Arguments:", "参数："),
    ("Commands:", "命令："),
    ("选项:", "选项："),
    ("参数:", "参数："),
    ("命令:", "命令："),
)
# typer's type label after a name (`文件… <list[Path]>`, `<path>`, `<str>`, `<int>`) and its
# `{NAME}...` usage piece: the metavar alone says it.
TYPE_LABEL = re.compile(r" <(?:list\[)?[A-Za-z_|., ]+\]?>")
USAGE_PIECE = re.compile(r"\{([^{}\s]+)\}(?:\.\.\.)?")


def help_text(text: str) -> str:
    for english, chinese in HELP_LINES:
        text = text.replace(english, chinese)
    text = TYPE_LABEL.sub("", text)
    return USAGE_PIECE.sub(r"\1", text)


ERRORS = (
    (re.compile(r"^Missing argument '?([^'.]*)'?\.?$"), "缺少参数：{0}"),
    (re.compile(r"^Missing option '?([^'.]*)'?\.?$"), "缺少选项：{0}"),
    (re.compile(r"^Missing (?:parameter|argument|option)\.?$"), "缺少参数"),
    (re.compile(r"^No such option:? '?([^'\s]+)'?\.?(?:\s*(.*))?$", re.S), "没有选项 {0}"),
    (re.compile(r"^No such command '?([^'\s]+?)'?\.?$"), "没有命令 {0}"),
    (re.compile(r"^Got unexpected extra arguments? ?(?:\(s\))? \((.*)\)$"), "多余的参数：{0}"),
    (re.compile(r"^Option '?([^'\s]+)'? requires (?:an argument|\d+ arguments)\.?$"), "选项 {0} 后面需要一个值"),
    (re.compile(r"^Option '?([^'\s]+)'? does not take a value\.?$"), "选项 {0} 不带值"),
    (re.compile(r"^Invalid value for (.+?): .*\bvalid integer\b.*$", re.S), "{0} 应为整数"),
    (re.compile(r"^Invalid value for (.+?): .*\bvalid (?:float|number)\b.*$", re.S), "{0} 应为数字"),
    (re.compile(r"^Invalid value for '?([^':]+)'?: (.*)$", re.S), "{0} 的值无效：{1}"),
    (re.compile(r"^Invalid value: (.*)$", re.S), "值无效：{0}"),
    (re.compile(r"^Missing command\.?$"), "缺少命令"),
)
SUGGESTION = re.compile(r"\(?Did you mean (?:one of: )?(.*?)\?\)?")


def error_text(message: str) -> str:
    """click's message of a usage error, in Chinese (as it came when no pattern fits)."""
    message = message.strip()
    hint = ""
    found = SUGGESTION.search(message)
    if found:
        hint = f"（是否想用：{found.group(1)}）"
        message = message[: found.start()].strip().rstrip(".")
    for pattern, chinese in ERRORS:
        matched = pattern.match(message)
        if matched:
            return chinese.format(*(group or "" for group in matched.groups())) + hint
    return message + hint
