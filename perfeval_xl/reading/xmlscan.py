"""The one way reading/ looks into XML: expat, with entities refused.

Every XML part the reader measures or marks (a sheet, styles.xml,
workbook.xml and its relationships, sharedStrings.xml, an .ods content.xml or
styles.xml) goes through `parse` below: comments, CDATA, character references
and attribute order are the parser's business, so a comment that holds
`</sheetData>` or a decoy `<sheet>` is only a comment. A DOCTYPE or an entity
declaration stops the parse (the pre-flight refuses such parts already; this
is the second lock), so no entity is ever expanded or fetched.

Names are compared by their local part (`x:row` is a row), as
python-calamine compares them, so what we measure is what it will read.
"""

from __future__ import annotations

from xml.parsers import expat

from ..problems import ERROR, IntakeError, problem


class XmlRefused(Exception):
    """A part declared a DOCTYPE or an entity."""


def _refuse(*_args) -> None:
    raise XmlRefused()


def parser(encoding: str | None = None, **handlers) -> expat.XMLParserType:
    """An expat parser that refuses DTDs, with the given handlers set."""
    made = expat.ParserCreate(encoding)
    made.buffer_text = True
    made.ordered_attributes = False
    made.StartDoctypeDeclHandler = _refuse
    made.EntityDeclHandler = _refuse
    made.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    for name, handler in handlers.items():
        setattr(made, name, handler)
    return made


def parse(made: expat.XMLParserType, data: bytes, part: str) -> None:
    """Feed one part to `made`; a malformed part or a DTD is one finding."""
    try:
        made.Parse(data, True)
    except XmlRefused:
        raise IntakeError(problem("xml-entities", ERROR, part=part[:80])) from None
    except expat.ExpatError as exc:
        raise IntakeError(problem(
            "file-unreadable", ERROR,
            reason=f"文件已损坏（部件“{part[:80]}”不是完整的 XML：{expat.ErrorString(exc.code)}，第 {exc.lineno} 行）",
        )) from None


def local(name: str) -> str:
    """`x:row` -> `row`."""
    return name.rpartition(":")[2]


def attribute(attrs: dict[str, str], name: str) -> str | None:
    """An attribute by its local name, whatever its prefix."""
    value = attrs.get(name)
    if value is not None:
        return value
    for key, value in attrs.items():
        if key.rpartition(":")[2] == name:
            return value
    return None


def tag_end(data: bytes, start: int) -> int:
    """Where the tag opening at `start` ends (just past its `>`).

    The part has been parsed whole by expat before, so it is well formed: in
    a tag only quoted attribute values can hold a `>`, and they are stepped
    over. UTF-8 (and any ASCII-compatible encoding) only; callers check.
    """
    position = start
    while True:
        close = data.find(b">", position)
        double = data.find(b'"', position, close)
        single = data.find(b"'", position, close)
        quotes = [q for q in (double, single) if q >= 0]
        if not quotes:
            return close + 1
        first = min(quotes)
        position = data.index(data[first : first + 1], first + 1) + 1


def element_end(data: bytes, start: int, at_end: int) -> int:
    """Where the element that opened at `start` ends, given expat's position at its end event.

    For `<x/>` expat reports the end just past the tag; for `<x>…</x>`, at `</x>`.
    """
    opened = tag_end(data, start)
    if opened == at_end and data[opened - 2 : opened] == b"/>":
        return opened
    return data.index(b">", at_end) + 1


def text_of(raw: bytes, encoding: str | None) -> str:
    """The character data of raw element content (entities, character references
    and CDATA decoded, comments dropped), by the parser itself."""
    if raw.isascii() and b"&" not in raw and b"<" not in raw:
        return raw.decode("ascii")
    pieces: list[str] = []
    made = parser(CharacterDataHandler=pieces.append)
    made.Parse(b"<x>" + raw + b"</x>" if encoding is None else
               f'<?xml version="1.0" encoding="{encoding}"?><x>'.encode() + raw + b"</x>", True)
    return "".join(pieces)


def ascii_compatible(data: bytes) -> bool:
    """Whether byte offsets of markup can be patched in place (not UTF-16/32)."""
    head = data[:4]
    return not (head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 1 and b"\x00" in head[:2]))
