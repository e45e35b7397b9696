"""The incident and spike rules, read once from their TOML file (`CITYDESK_INCIDENT_RULES`).

A bad file gives one line saying what is wrong, not a traceback deep in a page.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from db.config import incident_rules_path
from db.toml_lines import TomlFileError, at_line, line_of, read_toml


class RulesError(ValueError):
    """The rules file is missing or holds a value that cannot be used; `key` is the dotted name
    of the value (or table) at fault, so that the file's line can be named."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


# The largest value that can make sense for each setting: a file that says more is mistyped
# (1e12 metres), and would otherwise fail deep in a page's arithmetic.
LIMITS = {"metres": 50_000, "hours": 24 * 31, "min_reports": 10_000,
          "lookback_hours": 24 * 366, "weeks": 52, "min_count": 1_000_000, "alpha": 1,
          "prior_weeks": 52, "floor": 1_000_000}


@dataclass(frozen=True)
class IncidentRule:
    """Reports within `metres` and `hours` of each other are neighbours; `min_reports` make one."""

    metres: float = 500.0
    hours: float = 2.0
    min_reports: int = 5


@dataclass(frozen=True)
class SpikeRule:
    """The window (`hours`), the history (`weeks`) and the test's threshold."""

    hours: float = 3.0
    weeks: int = 6
    min_count: int = 5
    alpha: float = 1e-6
    prior_weeks: float = 1.0
    floor: float = 0.25


@dataclass(frozen=True)
class Rules:
    default: IncidentRule = IncidentRule()
    lookback_hours: float = 24.0
    categories: tuple[tuple[str, IncidentRule], ...] = ()
    spikes: SpikeRule = field(default_factory=SpikeRule)

    def for_category(self, code: str) -> IncidentRule:
        return dict(self.categories).get(code, self.default)


def _number(table: dict, key: str, where: str, whole: bool = False, low: float = 0.0):
    value = table[key]
    high = LIMITS.get(key, math.inf)
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not low < value <= high):
        raise RulesError(f"{where}.{key} must be a number above {low:g} and at most {high:g}, "
                         f"not {value!r}", f"{where}.{key}")
    if whole and value != int(value):
        raise RulesError(f"{where}.{key} must be a whole number, not {value!r}", f"{where}.{key}")
    return int(value) if whole else float(value)


def _incident_rule(table: dict, base: IncidentRule, where: str) -> IncidentRule:
    unknown = set(table) - {"metres", "hours", "min_reports"}
    if unknown:
        raise RulesError(f"{where}: unknown setting {sorted(unknown)[0]!r}",
                         f"{where}.{sorted(unknown)[0]}")
    changes = {key: _number(table, key, where, whole=key == "min_reports",
                            low=1 if key == "min_reports" else 0) for key in table}
    return replace(base, **changes)


def parse_rules(raw: dict) -> Rules:
    """Rules from the file's tables; every value is checked."""
    unknown = set(raw) - {"incidents", "spikes"}
    if unknown:
        first = sorted(unknown)[0]
        raise RulesError(f"unknown table {first!r}: an incident rules file has [incidents] and "
                         "[spikes] (is it another kind of file?)", first)
    for table in ("incidents", "spikes"):
        if not isinstance(raw.get(table, {}), dict):
            raise RulesError(f"{table} must be a table", table)
    incidents = dict(raw.get("incidents", {}))
    per_category = incidents.pop("categories", {})
    if not isinstance(per_category, dict) or not all(
            isinstance(table, dict) for table in per_category.values()):
        raise RulesError("incidents.categories must hold one table per category code",
                         "incidents.categories")
    lookback = float(_number(incidents, "lookback_hours", "incidents")) \
        if "lookback_hours" in incidents else Rules.lookback_hours
    incidents.pop("lookback_hours", None)
    default = _incident_rule(incidents, IncidentRule(), "incidents")
    categories = tuple(sorted(
        (code, _incident_rule(table, default, f"incidents.categories.{code}"))
        for code, table in per_category.items()))
    spikes = dict(raw.get("spikes", {}))
    unknown = set(spikes) - {"hours", "weeks", "min_count", "alpha", "prior_weeks", "floor"}
    if unknown:
        raise RulesError(f"spikes: unknown setting {sorted(unknown)[0]!r}",
                         f"spikes.{sorted(unknown)[0]}")
    whole = {"weeks", "min_count"}
    spike = replace(SpikeRule(), **{
        key: _number(spikes, key, "spikes", whole=key in whole,
                     low={"weeks": 1, "min_count": 1}.get(key, 0)) for key in spikes})
    if spike.alpha >= 1:
        raise RulesError(f"spikes.alpha must be below 1, not {spike.alpha!r}", "spikes.alpha")
    return Rules(default, lookback, categories, spike)


@cache
def load_rules(path: Path | None = None) -> Rules:
    """The rules in `path` (default: `CITYDESK_INCIDENT_RULES` or db/data/incidents.toml)."""
    path = path or incident_rules_path()
    try:
        text, raw = read_toml(path)
    except TomlFileError as error:
        raise RulesError(f"incident rules {path}{at_line(error.line)}: {error.reason}") from None
    try:
        return parse_rules(raw)
    except RulesError as error:
        line = line_of(text, error.key) if error.key else None
        raise RulesError(f"incident rules {path}{at_line(line)}: {error}", error.key) from None


def check_categories(rules: Rules, known: set[str], path: Path | None = None) -> None:
    """RulesError (with the line) when a per-category rule names no category of the city but
    one very like it (`gass_smell` for `gas_smell`): a misspelt code would otherwise leave the
    category on the default rule without a word. A code like none of the city's (the shipped
    file's demo codes in a city with its own categories) is left alone: it applies to nothing."""
    for code, _ in rules.categories:
        near = difflib.get_close_matches(code, sorted(known), n=1, cutoff=0.8)
        if code not in known and near:
            path = path or incident_rules_path()
            key = f"incidents.categories.{code}"
            try:
                line = line_of(Path(path).read_text(encoding="utf-8"), key)
            except OSError:
                line = None
            where = f", line {line}" if line else ""
            raise RulesError(f"incident rules {path}{where}: [{key}] names no category of the "
                             f"city; did you mean {near[0]!r}? (python -m db list categories)",
                             key)
