"""The incident and spike rules, read once from their TOML file (`CITYDESK_INCIDENT_RULES`).

A bad file gives one line saying what is wrong, not a traceback deep in a page.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from db.config import incident_rules_path


class RulesError(ValueError):
    """The rules file is missing or holds a value that cannot be used."""


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
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= low:
        raise RulesError(f"{where}.{key} must be a number above {low:g}, not {value!r}")
    if whole and value != int(value):
        raise RulesError(f"{where}.{key} must be a whole number, not {value!r}")
    return int(value) if whole else float(value)


def _incident_rule(table: dict, base: IncidentRule, where: str) -> IncidentRule:
    unknown = set(table) - {"metres", "hours", "min_reports"}
    if unknown:
        raise RulesError(f"{where}: unknown setting {sorted(unknown)[0]!r}")
    changes = {key: _number(table, key, where, whole=key == "min_reports",
                            low=1 if key == "min_reports" else 0) for key in table}
    return replace(base, **changes)


def parse_rules(raw: dict) -> Rules:
    """Rules from the file's tables; every value is checked."""
    incidents = dict(raw.get("incidents", {}))
    per_category = incidents.pop("categories", {})
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
        raise RulesError(f"spikes: unknown setting {sorted(unknown)[0]!r}")
    whole = {"weeks", "min_count"}
    spike = replace(SpikeRule(), **{
        key: _number(spikes, key, "spikes", whole=key in whole,
                     low={"weeks": 1, "min_count": 1}.get(key, 0)) for key in spikes})
    if spike.alpha >= 1:
        raise RulesError(f"spikes.alpha must be below 1, not {spike.alpha!r}")
    return Rules(default, lookback, categories, spike)


@cache
def load_rules(path: Path | None = None) -> Rules:
    """The rules in `path` (default: `CITYDESK_INCIDENT_RULES` or db/data/incidents.toml)."""
    path = path or incident_rules_path()
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except OSError as error:
        raise RulesError(f"incident rules {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"incident rules {path}: {error}") from error
    try:
        return parse_rules(raw)
    except RulesError as error:
        raise RulesError(f"incident rules {path}: {error}") from error
