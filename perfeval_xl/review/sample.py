"""The 抽评 sample: every project's risk points, the riskiest share, the rest drawn with a seed.

Pure over the records of one batch (results.jsonl). The same records, n, seed
and share give the same list: projects are ranked by (risk descending, source
path, sheet), the first ⌊n·share + ½⌋ with any risk are taken, and the rest
are drawn by random.Random(seed) from the others in (path, sheet) order.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from .risk import Point, departments_all_full, record_totals, risk_points

RISK_SHARE = 0.7


@dataclass(frozen=True)
class Candidate:
    record: dict
    points: tuple[Point, ...]

    @property
    def risk(self) -> int:
        return sum(p.points for p in self.points)

    @property
    def ident(self) -> tuple[str, str]:
        source = self.record["source"]
        return (source["path"], source.get("sheet") or "")

    @property
    def reasons(self) -> str:
        return "；".join(f"{p.name} +{p.points}：{p.why}" for p in self.points)


@dataclass(frozen=True)
class Pick:
    number: int
    candidate: Candidate
    why: str


def read_records(path: Path) -> list[dict]:
    """The records of results.jsonl; raises ValueError naming the line that is not a record."""
    records = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"第 {number} 行不是 JSON：{exc.msg}") from None
            if not isinstance(record, dict) or "source" not in record:
                raise ValueError(f"第 {number} 行不是评分记录")
            records.append(record)
    return records


def candidates(records: list[dict]) -> list[Candidate]:
    """Every scored project that counts (not superseded), with its risk points, in (path, sheet) order."""
    full = departments_all_full(record_totals(records))
    resubmitted = {r["superseded_by"] for r in records if r.get("superseded_by")}
    found = [
        Candidate(r, tuple(risk_points(r, full, r["source"]["path"] in resubmitted)))
        for r in records if r.get("project") and r.get("total_score") is not None and not r.get("superseded_by")
    ]
    return sorted(found, key=lambda c: c.ident)


def draw(pool: list[Candidate], n: int, seed: int, risk_share: float = RISK_SHARE) -> list[Pick]:
    """n projects (all when there are fewer): the riskiest share, then a seeded random draw."""
    n = min(n, len(pool))
    ranked = sorted((c for c in pool if c.risk > 0), key=lambda c: (-c.risk, c.ident))
    by_risk = ranked[: min(len(ranked), int(n * risk_share + 0.5))]
    taken = {c.ident for c in by_risk}
    rest = sorted((c for c in pool if c.ident not in taken), key=lambda c: c.ident)
    drawn = random.Random(seed).sample(rest, n - len(by_risk))
    picks = [Pick(i, c, f"风险排序第 {i} 名（风险分 {c.risk}）") for i, c in enumerate(by_risk, start=1)]
    start = len(picks) + 1
    picks += [Pick(start + i, c, f"随机抽取（种子 {seed}，第 {i + 1} 个）") for i, c in enumerate(drawn)]
    return picks
