"""The same project sent more than once, and one project's tables copied by another.

Resubmissions: two records are the same project when they have the same 项目编码,
or, when either has none, the same 评价年度 + 主管部门 + 项目名称 (all normalised:
half-width, no spaces, case-folded). Of each group the file modified last counts
(ties: the greater path); the others are superseded by it.

Copies across projects: two projects of different departments or different names
are copies when their indicator tables are the same or nearly so, or when their
预期目标 + 实际完成情况 texts are the same. A table is the set of its rows, each
row the normalised 三级指标 + 年度指标值; two tables are nearly the same when
their Jaccard similarity |A ∩ B| / |A ∪ B| is at least 0.8 and both have at least
4 rows (docs/review.md says why). Pairs are found with a prefix filter (rows
ordered by how rare they are across the batch; two sets with similarity ≥ t
must share one of the first |A| − ⌈t·|A|⌉ + 1 rows), so 100,000 projects never
cost 100,000² comparisons, and every candidate pair is then measured exactly.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from dataclasses import dataclass, field

from ..text import normalise

SIMILARITY = 0.8
MIN_ROWS = 4
MIN_TEXT = 20         # characters of normalised goal + achievement text before equal texts count
MAX_NAMED = 5         # copies named per project


def _norm(value: object) -> str:
    return normalise(value).casefold()


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def texts_digest(goal: str, achieved: str) -> str:
    """A digest of the normalised 预期目标 + 实际完成情况, '' when too short to mean anything."""
    text = _norm(goal) + "\x1f" + _norm(achieved)
    if len(text) - 1 < MIN_TEXT:
        return ""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def project_key(project: dict) -> tuple:
    code = _norm(project.get("code"))
    if code:
        return ("code", code)
    return ("name", project.get("year"), _norm(project.get("department")), _norm(project.get("name")))


def row_set(indicators: list[dict]) -> bytes:
    """The table's distinct rows (normalised 三级指标 + 年度指标值) as sorted 8-byte digests, packed."""
    rows = sorted({_digest(_norm(item.get("name")) + "\x1f" + _norm(item.get("target"))) for item in indicators})
    return array("Q", rows).tobytes()


def rows_of(packed: bytes) -> array:
    rows = array("Q")
    rows.frombytes(packed)
    return rows


# MEMORY: one Print per project of a batch stays in memory until the summary is
# written (about 400 bytes with a ten-row table): digests, not the texts.
@dataclass(frozen=True, slots=True)
class Print:
    """What matching needs of one scored record: small, kept for every project of a batch."""

    index: int            # position in the batch's records
    path: str
    mtime: float
    key: int              # digest of project_key
    department: int       # digest of the normalised 主管部门
    name: int             # digest of the normalised 项目名称
    rows: bytes           # row_set
    texts: str = ""
    display_department: str = ""     # as written, for messages
    display_name: str = ""


def print_of(index: int, record: dict, mtime: float, texts: str = "") -> Print | None:
    project = record.get("project")
    if not project:
        return None
    return Print(index, record["source"]["path"], mtime, _digest(repr(project_key(project))),
                 _digest(_norm(project.get("department"))), _digest(_norm(project.get("name"))),
                 row_set(record.get("indicators") or ()), texts,
                 project.get("department") or "", project.get("name") or "")


@dataclass
class Copy:
    other: int             # index of the other record
    similarity: float | None    # None: the texts are the same


@dataclass
class Found:
    groups: list[list[int]] = field(default_factory=list)   # resubmission groups: the kept index first, then the others
    superseded: dict[int, int] = field(default_factory=dict)   # index -> the kept index
    copies: dict[int, list[Copy]] = field(default_factory=dict)


def find(prints: list[Print]) -> Found:
    found = Found()
    by_key: dict[int, list[Print]] = {}
    for item in prints:
        by_key.setdefault(item.key, []).append(item)
    for key in sorted(by_key, key=lambda k: min(p.index for p in by_key[k])):
        group = by_key[key]
        if len(group) < 2:
            continue
        ranked = sorted(group, key=lambda p: (p.mtime, p.path), reverse=True)
        kept = ranked[0]
        found.groups.append([kept.index] + sorted(p.index for p in ranked[1:]))
        for other in ranked[1:]:
            found.superseded[other.index] = kept.index
    kept = [p for p in prints if p.index not in found.superseded]
    pairs = _similar_tables(kept)
    pairs.update(_same_texts(kept, pairs))
    for (a, b), similarity in sorted(pairs.items()):
        found.copies.setdefault(a, []).append(Copy(b, similarity))
        found.copies.setdefault(b, []).append(Copy(a, similarity))
    return found


def _different(a: Print, b: Print) -> bool:
    return a.key != b.key and (a.department != b.department or a.name != b.name)


def jaccard(a: bytes, b: bytes) -> float:
    first, second = set(rows_of(a)), set(rows_of(b))
    return len(first & second) / len(first | second) if first or second else 0.0


def _similar_tables(prints: list[Print]) -> dict[tuple[int, int], float | None]:
    candidates = [p for p in prints if len(p.rows) >= 8 * MIN_ROWS]
    frequency: dict[int, int] = {}
    for item in candidates:
        for row in rows_of(item.rows):
            frequency[row] = frequency.get(row, 0) + 1
    index: dict[int, list[int]] = {}
    for position, item in enumerate(candidates):
        rows = sorted(rows_of(item.rows), key=lambda r: (frequency[r], r))
        for row in rows[: len(rows) - math.ceil(SIMILARITY * len(rows)) + 1]:
            index.setdefault(row, []).append(position)
    pairs: dict[tuple[int, int], float | None] = {}
    seen: set[tuple[int, int]] = set()
    for members in index.values():
        for i, first in enumerate(members):
            for second in members[i + 1:]:
                if (first, second) in seen:
                    continue
                seen.add((first, second))
                a, b = candidates[first], candidates[second]
                if not _different(a, b):
                    continue
                similarity = jaccard(a.rows, b.rows)
                if similarity >= SIMILARITY:
                    pairs[tuple(sorted((a.index, b.index)))] = similarity
    return pairs


def _same_texts(prints: list[Print], already: dict) -> dict[tuple[int, int], float | None]:
    by_text: dict[str, list[Print]] = {}
    for item in prints:
        if item.texts:
            by_text.setdefault(item.texts, []).append(item)
    pairs: dict[tuple[int, int], float | None] = {}
    for group in by_text.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                pair = tuple(sorted((a.index, b.index)))
                if _different(a, b) and pair not in already:
                    pairs[pair] = None
    return pairs
