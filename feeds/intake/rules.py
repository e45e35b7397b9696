"""The intake rules file: keywords per category, what says "complaint" and what says "not one".

Staff edit `db/data/intake_rules.toml` without touching code. A keyword is one word or a phrase,
written in any form; a phrase matches when all its words stand close together, in any order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from db.config import ROOT
from db.toml_lines import TomlFileError, at_line, line_of, read_toml
from feeds.intake.obscene import ObsceneList, load_obscene
from feeds.intake.words import forms, lemma, words

DATA = ROOT / "db" / "data"
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


def _group(name: str, table: dict, where: str) -> Group:
    if not isinstance(table, dict):
        raise RulesFileError(f"[{where}] must be a table", where)
    for key, value in table.items():
        if key == "weight":
            _number(table, key, where, 0, 1000)
        elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise RulesFileError(f"{where}.{key} must be a list of words or phrases",
                                 f"{where}.{key}")
    try:
        return Group(name, float(table.get("weight", 1)), _keywords(table),
                     _keywords(table, "unless_"))
    except ValueError as error:
        raise RulesFileError(f"{where}: {error}", where) from None


class RulesFileError(ValueError):
    """The rules file cannot be used: one line, with the line of the file where it can tell."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


# Each threshold: (kind, lowest allowed (exclusive for floats), highest).
THRESHOLDS = {
    "duplicate_radius_m": (float, 0, 50_000),
    "duplicate_window_hours": (float, 0, 24 * 366),
    "phrase_gap": (int, -1, 50),
    "min_category_score": (float, 0, 1000),
    "other_min_score": (float, 0, 1000),
}
TABLES = ("thresholds", "obscene", "problem", "not_complaint", "categories")


def _number(table: dict, key: str, where: str, low: float, high: float) -> float:
    value = table[key]
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not low < value <= high):
        raise RulesFileError(f"{where}.{key} must be a number above {low:g} and at most "
                             f"{high:g}, not {value!r}", f"{where}.{key}")
    return value


def load_rules(path: Path | str | None = None) -> Rules:
    """Read and check a rules file (default: the one shipped in db/data/); RulesFileError says
    in one line (with the file's line where it can) why it cannot be used."""
    path = Path(path) if path else DEFAULT_RULES
    try:
        text, raw = read_toml(path)
    except TomlFileError as error:
        raise RulesFileError(f"rules {path}{at_line(error.line)}: {error.reason}") from None
    try:
        return _rules(raw, path)
    except RulesFileError as error:
        line = line_of(text, error.key) if error.key else None
        raise RulesFileError(f"rules {path}{at_line(line)}: {error}") from None


def _rules(raw: dict, path: Path) -> Rules:
    missing = [name for name in TABLES if not isinstance(raw.get(name), dict)]
    if missing:
        raise RulesFileError(f"no [{missing[0]}] table: not an intake rules file (see "
                             f"{DEFAULT_RULES.name} for the form)", missing[0])
    t = raw["thresholds"]
    for key in (*THRESHOLDS, "fallback_category"):
        if key not in t:
            raise RulesFileError(f"[thresholds] lacks {key}", "thresholds")
    unknown = set(t) - {*THRESHOLDS, "fallback_category"}
    if unknown:
        first = sorted(unknown)[0]
        raise RulesFileError(f"thresholds: unknown setting {first!r}", f"thresholds.{first}")
    checked = {key: _number(t, key, "thresholds", low, high)
               for key, (_, low, high) in THRESHOLDS.items()}
    if checked["phrase_gap"] != int(checked["phrase_gap"]):
        raise RulesFileError("thresholds.phrase_gap must be a whole number",
                             "thresholds.phrase_gap")
    if not isinstance(t["fallback_category"], str) or not t["fallback_category"].strip():
        raise RulesFileError("thresholds.fallback_category must be a category's code",
                             "thresholds.fallback_category")
    thresholds = Thresholds(
        duplicate_radius_m=float(checked["duplicate_radius_m"]),
        duplicate_window_hours=float(checked["duplicate_window_hours"]),
        phrase_gap=int(checked["phrase_gap"]),
        min_category_score=float(checked["min_category_score"]),
        other_min_score=float(checked["other_min_score"]),
        fallback_category=t["fallback_category"].strip(),
    )
    lists = raw["obscene"].get("lists")
    if not (isinstance(lists, list) and all(isinstance(n, str) for n in lists)):
        raise RulesFileError("obscene.lists must be a list of file names", "obscene.lists")
    for name in lists:
        if not (path.parent / name).is_file():
            raise RulesFileError(f"obscene.lists names {name!r}, which is not a file beside "
                                 "the rules", "obscene.lists")
    obscene = load_obscene([path.parent / name for name in lists])
    return Rules(
        thresholds=thresholds,
        problem=_group("problem", raw["problem"], "problem"),
        not_complaint=tuple(_group(n, g, f"not_complaint.{n}")
                            for n, g in raw["not_complaint"].items()),
        categories=tuple(_group(code, g, f"categories.{code}")
                         for code, g in raw["categories"].items()),
        obscene=obscene,
    )
