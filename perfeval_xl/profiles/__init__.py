"""Scoring profiles: the rules' numbers as TOML data, loaded at run time.

`load_profile("national")` reads a built-in profile; any other argument is a
path to a bureau's own file. A profile file is checked as it is loaded, and a
bad one is refused with a message that names the key.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..errors import UsageError

BUILTIN_DIR = Path(__file__).parent
QUALITATIVE_LEVELS = ("achieved", "partial", "failed")


class ProfileError(UsageError):
    """A profile that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    sha256: str
    budget_weight: Decimal
    weights_total: Decimal
    weights_tolerance: Decimal
    level1_weights: dict[str, Decimal]
    reverse: str
    overshoot: Decimal
    bands: dict[str, tuple[Decimal, Decimal]]
    self_score_tolerance: Decimal
    total_tolerance: Decimal
    grades: tuple[tuple[str, Decimal], ...]

    def grade(self, total: Decimal) -> str:
        for label, minimum in self.grades:
            if total >= minimum:
                return label
        return self.grades[-1][0]


def builtin_names() -> list[str]:
    return sorted(path.stem for path in BUILTIN_DIR.glob("*.toml"))


def load_profile(name_or_path: str | Path = "national") -> Profile:
    path = Path(name_or_path)
    if str(name_or_path) in builtin_names():
        path = BUILTIN_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise ProfileError(
            f"找不到评分规则“{name_or_path}”：可用内置规则 {', '.join(builtin_names())}，或给出 TOML 文件路径"
        )
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"评分规则文件 {path} 无法解析：{exc}") from exc
    try:
        return _build(data, hashlib.sha256(raw).hexdigest(), path.stem)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ProfileError(f"评分规则文件 {path} 有误：{exc!r}") from exc


def _dec(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"not a number: {value!r}")
    return Decimal(str(value))


def _build(data: dict, sha256: str, default_name: str) -> Profile:
    quantitative = data["quantitative"]
    if quantitative["reverse"] not in ("ratio", "linear"):
        raise ValueError("quantitative.reverse must be 'ratio' or 'linear'")
    qualitative = data["qualitative"]
    bands = {}
    for level in QUALITATIVE_LEVELS:
        low, high = (_dec(v) for v in qualitative[level])
        if not 0 <= low <= high <= 1:
            raise ValueError(f"qualitative.{level} must be [low, high] within 0..1")
        bands[level] = (low, high)
    grades = tuple(
        (str(grade["label"]), _dec(grade["min"]))
        for grade in sorted(data["grades"], key=lambda g: -float(g["min"]))
    )
    if not grades:
        raise ValueError("grades must not be empty")
    weights = data["weights"]
    return Profile(
        name=str(data.get("name", default_name)),
        title=str(data.get("title", "")),
        sha256=sha256,
        budget_weight=_dec(data["budget"]["weight"]),
        weights_total=_dec(weights["total"]),
        weights_tolerance=_dec(weights["tolerance"]),
        level1_weights={k: _dec(v) for k, v in weights.get("level1", {}).items()},
        reverse=quantitative["reverse"],
        overshoot=_dec(quantitative["overshoot"]),
        bands=bands,
        self_score_tolerance=_dec(data["self_score"]["tolerance"]),
        total_tolerance=_dec(data["self_score"]["total_tolerance"]),
        grades=grades,
    )
