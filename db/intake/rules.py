"""The intake rules file: keywords per category, what says "complaint" and what says "not one".

Staff edit `db/data/intake_rules.toml` without touching code. A keyword is one word or a phrase,
written in any form; a phrase matches when all its words stand close together, in any order.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from db.intake.obscene import ObsceneList, load_obscene
from db.intake.words import forms, lemma, words

DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_RULES = DATA / "intake_rules.toml"


@dataclass(frozen=True)
class Keyword:
    """A word or phrase as written in the rules, with the forms each of its words may take."""

    text: str
    words: tuple[frozenset[str], ...]

    @property
    def weight(self) -> int:
        """A longer phrase says more: "нет горячей воды" outweighs "нет воды"."""
        return len(self.words)


@dataclass(frozen=True)
class Group:
    """Keywords that count together, such as a category's or the signs of an advert."""

    name: str
    weight: float
    keywords: tuple[Keyword, ...]
    unless: tuple[Keyword, ...] = ()


@dataclass(frozen=True)
class Thresholds:
    duplicate_radius_m: float
    duplicate_window_hours: float
    phrase_gap: int
    min_category_score: float
    other_min_score: float
    fallback_category: str


@dataclass(frozen=True)
class Rules:
    thresholds: Thresholds
    problem: Group
    not_complaint: tuple[Group, ...]
    categories: tuple[Group, ...]
    obscene: ObsceneList


def keyword(text: str) -> Keyword:
    """A rule's keyword, its words reduced to the forms they may take."""
    found = tuple(forms(w.text) for w in words(text))
    if not found:
        raise ValueError(f"a keyword without words: {text!r}")
    return Keyword(text, found)


def _keywords(table: dict, key: str = "") -> tuple[Keyword, ...]:
    """A group's keywords; two spellings of the same words count once ("street light(s)")."""
    found: dict[tuple[str, ...], Keyword] = {}
    for lang in ("ru", "en"):
        for text in table.get(f"{key}{lang}", []):
            found.setdefault(tuple(lemma(w.text) for w in words(text)), keyword(text))
    return tuple(found.values())


def _group(name: str, table: dict) -> Group:
    return Group(name, float(table.get("weight", 1)), _keywords(table), _keywords(table, "unless_"))


def load_rules(path: Path | str | None = None) -> Rules:
    """Read and check a rules file (default: the one shipped in db/data/)."""
    path = Path(path) if path else DEFAULT_RULES
    with path.open("rb") as f:
        raw = tomllib.load(f)
    t = raw["thresholds"]
    thresholds = Thresholds(
        duplicate_radius_m=float(t["duplicate_radius_m"]),
        duplicate_window_hours=float(t["duplicate_window_hours"]),
        phrase_gap=int(t["phrase_gap"]),
        min_category_score=float(t["min_category_score"]),
        other_min_score=float(t["other_min_score"]),
        fallback_category=str(t["fallback_category"]),
    )
    obscene = load_obscene([path.parent / name for name in raw["obscene"]["lists"]])
    return Rules(
        thresholds=thresholds,
        problem=_group("problem", raw["problem"]),
        not_complaint=tuple(_group(n, g) for n, g in raw["not_complaint"].items()),
        categories=tuple(_group(code, g) for code, g in raw["categories"].items()),
        obscene=obscene,
    )
