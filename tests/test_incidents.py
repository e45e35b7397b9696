"""Incidents and spikes on both databases: a burst planted among the demo city's background is
one incident and a spike; the same reports spread over three days are neither; figures equal an
independent computation; the background over a month stays as quiet as docs/screens.md says."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from bench.alarms import count_alarms
from db.engine import make_engine
from db.schema import categories, districts, tickets
from demo.seed import seed
from queries.__main__ import main as queries_main
from queries.filters import Filters
from queries.incidents import clusters, incidents
from queries.rules import IncidentRule, RulesError, load_rules, parse_rules
from queries.spikes import poisson_tail, spikes
from tests.conftest import fresh_database
from tests.factory import add_ticket

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
CENTRE = (44.580, 33.463)  # Gagarinsky
OSTRYAKOVA = (44.574, 33.522)
REPORTS = 30
# What docs/screens.md states: spikes in a month of the demo city's background (measured: 0).
MONTHLY_FALSE_SPIKES = 0


def plant(engine, instants: list[datetime], seed_value: int = 7, prefix: str = "B",
          centre: tuple[float, float] = CENTRE, district: str = "gagarinsky") -> list[str]:
    """No-water reports from around one point (~150 m), open, at the given instants."""
    rng = np.random.default_rng(seed_value)
    ids = []
    for k, created in enumerate(instants):
        ids.append(add_ticket(
            engine, created, department="WATER", category="no_water", district=district,
            lat=centre[0] + rng.normal(0, 0.0012), lon=centre[1] + rng.normal(0, 0.0017),
            due=created + timedelta(hours=12), external_id=f"{prefix}-{k:03d}"))
    return ids


def burst_instants() -> list[datetime]:
    """Thirty reports in the last hour."""
    return [NOW - timedelta(minutes=59) + timedelta(seconds=118 * k) for k in range(REPORTS)]


def spread_instants() -> list[datetime]:
    """The same thirty over three days: one every 2.4 hours, give or take 20 minutes."""
    rng = np.random.default_rng(3)
    step = timedelta(days=3) / REPORTS
    return [NOW - timedelta(days=3) + step * (k + 0.5)
            + timedelta(minutes=float(rng.uniform(-20, 20))) for k in range(REPORTS)]


@dataclass(frozen=True)
class City:
    engine: Engine
    url: str
    burst: frozenset[str]  # thirty reports in the last hour, in Gagarinsky
    spread: frozenset[str]  # thirty over the last three days, in Ostryakova
    other: frozenset[str]  # five in Gagarinsky five hours ago, and eight in the last 100 min


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city(request, tmp_path_factory) -> Iterator[City]:
    """Eighty days of the demo city's background up to NOW, with the planted reports; built
    once per database for the module, which only reads it."""
    with fresh_database(request, request.param, tmp_path_factory.mktemp("incidents"),
                        "city.db") as url:
        engine = make_engine(url)
        seed(engine, 23_000, 1563, NOW, progress=False, days=80)
        burst = plant(engine, burst_instants())
        spread = plant(engine, spread_instants(), 3, "S", OSTRYAKOVA, "ostryakova")
        earlier = [NOW - timedelta(hours=5, minutes=m) for m in range(0, 50, 10)]
        other = plant(engine, earlier, 5, "D")
        other += plant(engine, [NOW - timedelta(minutes=m) for m in range(5, 100, 12)], 9, "C",
                       (44.60, 33.50), "khrustaleva")
        yield City(engine, url, frozenset(burst), frozenset(spread), frozenset(other))
        engine.dispose()


def test_a_burst_among_background_is_one_incident_and_a_spike(city):
    planted = city.burst
    f = Filters(as_of=NOW, tz="Europe/Moscow")
    with city.engine.connect() as conn:
        found = incidents(conn, f)
        jumps = spikes(conn, f)
    holding = [i for i in found if planted & set(i.tickets)]
    assert len(holding) == 1
    incident = holding[0]
    assert len(planted & set(incident.tickets)) >= 0.9 * REPORTS
    assert (incident.category, incident.district) == ("no_water", "gagarinsky")
    assert found[0] is incident  # the biggest comes first
    assert incident.first <= min(burst_instants()) and incident.last <= NOW
    assert abs(incident.lat - CENTRE[0]) < 0.001 and abs(incident.long - CENTRE[1]) < 0.001
    spike = [s for s in jumps if (s.district, s.category) == ("gagarinsky", "no_water")]
    assert len(spike) == 1 and spike[0].count >= REPORTS
    assert spike[0].since <= min(burst_instants())


def test_the_same_reports_over_three_days_are_neither(city):
    with city.engine.connect() as conn:
        for hours_back in range(0, 72, 3):
            f = Filters(as_of=NOW - timedelta(hours=hours_back), tz="Europe/Moscow")
            assert not [i for i in incidents(conn, f) if city.spread & set(i.tickets)]
            assert not [s for s in spikes(conn, f)
                        if (s.district, s.category) == ("ostryakova", "no_water")]


def test_spike_figures_equal_an_independent_computation(city):
    rule = load_rules().spikes
    with city.engine.connect() as conn:
        raw = pd.DataFrame(conn.execute(
            select(tickets.c.created_at, tickets.c.rejected_at,
                   districts.c.code.label("district"), categories.c.code.label("category"))
            .join(districts, districts.c.id == tickets.c.district_id)
            .join(categories, categories.c.id == tickets.c.category_id)).mappings().all())
        n_districts = len(conn.execute(select(districts.c.id)).all())
        # Berlin's clock changed on 25 October: whole weeks back on the wall clock shift by an hour.
        for as_of, tz in ((NOW, "Europe/Moscow"), (NOW - timedelta(minutes=40), "Europe/Moscow"),
                          (NOW, "Europe/Berlin")):
            got = {(s.district, s.category): s for s in spikes(conn, Filters(as_of=as_of, tz=tz))}
            want = _oracle_spikes(raw, as_of, tz, rule, n_districts)
            assert set(got) == set(want)
            assert ("gagarinsky", "no_water") in want
            assert (("khrustaleva", "no_water") in want) == (as_of == NOW)  # 8, then 5 of them
            for key, (count, usual, since) in want.items():
                assert got[key].count == count
                assert got[key].usual == pytest.approx(usual, rel=1e-12)
                assert got[key].since == since


def _oracle_spikes(raw: pd.DataFrame, as_of: datetime, tz: str, rule, n_districts: int) -> dict:
    """Counts per window with pandas' calendar offsets, the usual level from its definition,
    the tail by summing the distribution's head."""
    created = pd.to_datetime(raw["created_at"], utc=True)
    kept = raw[raw["rejected_at"].isna() | (pd.to_datetime(raw["rejected_at"], utc=True)
                                            > pd.Timestamp(as_of))].copy()
    kept["created"] = created[kept.index]
    end_local = pd.Timestamp(as_of).tz_convert(tz)
    first = created.min()
    frames = {}
    for w in range(rule.weeks + 1):
        end = end_local - pd.DateOffset(weeks=w)
        start = end - pd.Timedelta(hours=rule.hours)
        if w and start < first:
            continue
        inside = kept[(kept["created"] > start) & (kept["created"] <= end)]
        frames[w] = inside.groupby(["district", "category"])["created"].agg(["count", "min"])
    weeks = [w for w in frames if w]
    out = {}
    for (d, c), row in frames[0].iterrows():
        if row["count"] < rule.min_count:
            continue
        weekly = sorted(int(frames[w]["count"].get((d, c), 0)) for w in weeks)
        city = sum(int(frames[w].xs(c, level="category")["count"].sum())
                   if c in frames[w].index.get_level_values("category") else 0 for w in weeks)
        prior = city / (len(weeks) * n_districts)
        usual = max((sum(weekly[:-1]) + rule.prior_weeks * prior)
                    / (len(weekly) - 1 + rule.prior_weeks), rule.floor)
        head = math.fsum(math.exp(-usual) * usual ** k / math.factorial(k)
                         for k in range(int(row["count"])))
        if 1 - head < rule.alpha:
            out[(d, c)] = (int(row["count"]), usual, row["min"].to_pydatetime())
    return out


def test_incidents_equal_an_independent_computation(city):
    f = Filters(as_of=NOW, tz="Europe/Moscow")
    rules = load_rules()
    with city.engine.connect() as conn:
        got = {frozenset(i.tickets) for i in incidents(conn, f)}
        raw = pd.DataFrame(conn.execute(
            select(tickets.c.external_id, tickets.c.created_at, tickets.c.ended_at,
                   tickets.c.lat, tickets.c.lon, categories.c.code.label("category"))
            .join(categories, categories.c.id == tickets.c.category_id)
            .order_by(tickets.c.created_at, tickets.c.id)).mappings().all())
    assert got == _oracle_incidents(raw, rules)
    assert len(got) >= 3  # the burst, the five of five hours ago, the eight in Khrustaleva


def _oracle_incidents(raw: pd.DataFrame, rules) -> set[frozenset]:
    """Every pair compared, distances on the sphere (haversine)."""
    created = pd.to_datetime(raw["created_at"], utc=True)
    ended = pd.to_datetime(raw["ended_at"], utc=True)
    now = pd.Timestamp(NOW)
    rows = raw[(created > now - pd.Timedelta(hours=rules.lookback_hours)) & (created <= now)
               & (ended.isna() | (ended > now)) & raw["lat"].notna()]
    out = set()
    for code, part in rows.groupby("category"):
        rule = rules.for_category(code)
        part = part.reset_index(drop=True)
        lat, lon = np.radians(part["lat"].to_numpy()), np.radians(part["lon"].to_numpy())
        a = (np.sin((lat[:, None] - lat[None, :]) / 2) ** 2 + np.cos(lat[:, None])
             * np.cos(lat[None, :]) * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2)
        metres = 2 * 6_371_000 * np.arcsin(np.sqrt(a))
        t = pd.to_datetime(part["created_at"], utc=True).astype("int64").to_numpy() / 1e9
        near = (metres <= rule.metres) & (np.abs(t[:, None] - t[None, :]) <= rule.hours * 3600)
        np.fill_diagonal(near, False)
        dense = near.sum(axis=1) >= rule.min_reports - 1
        # components of dense points; each other point joins the earliest-started one it touches
        label = {}
        for i in range(len(part)):
            if dense[i] and i not in label:
                label[i], stack = i, [i]
                while stack:
                    for j in np.flatnonzero(near[stack.pop()] & dense):
                        if j not in label:
                            label[j] = i
                            stack.append(j)
        groups: dict[int, set] = {}
        for i in range(len(part)):
            touching = [label[j] for j in np.flatnonzero(near[i]) if j in label]
            home = label.get(i, min(touching) if touching else None)
            if home is not None:
                groups.setdefault(home, set()).add(part["external_id"][i])
        out |= {frozenset(g) for g in groups.values() if len(g) >= rule.min_reports}
    return out


def test_a_month_of_background_raises_no_more_spikes_than_the_readme_says(city):
    """The month before anything was planted (the spread starts three days before NOW)."""
    with city.engine.connect() as conn:
        alarms = count_alarms(conn, NOW - timedelta(days=3, hours=1), 30, "Europe/Moscow")
    assert alarms.hours == 720
    assert alarms.spikes <= MONTHLY_FALSE_SPIKES


def test_incidents_command_gives_json(city, capsys):
    assert queries_main(["--database", city.url, "incidents", "--json",
                         "--as-of", NOW.isoformat()]) == 0
    items = json.loads(capsys.readouterr().out)
    assert {"category", "district", "first", "last", "lat", "long", "tickets"} <= set(items[0])
    assert len(set(items[0]["tickets"]) & city.burst) >= 27
    assert queries_main(["--database", city.url, "spikes", "--json",
                         "--as-of", NOW.isoformat()]) == 0
    items = json.loads(capsys.readouterr().out)
    assert {"district", "category", "count", "usual", "since"} <= set(items[0])
    assert queries_main(["--database", city.url, "spikes", "--as-of", "yesterday"]) == 2


def test_dense_reports_link_but_a_trickle_does_not_chain():
    rule = IncidentRule(metres=500, hours=2, min_reports=5)
    # five reports within 100 m and 40 minutes: one incident
    assert clusters([0, 50, 100, 20, 80], [0, 30, 60, 90, 10],
                    [0, 600, 1200, 1800, 2400], rule) == [[0, 1, 2, 3, 4]]
    # twenty reports at one spot, one every 90 minutes: each has two neighbours, none is dense
    assert clusters([0] * 20, [0] * 20, [5400 * k for k in range(20)], rule) == []
    # the same five, one of them 600 m off: four are not enough
    assert clusters([0, 50, 100, 20, 680], [0, 30, 60, 90, 10],
                    [0, 600, 1200, 1800, 2400], rule) == []


def test_poisson_tail_is_exact_in_the_far_tail():
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2.0), rel=1e-12)
    head = sum(math.exp(-0.25) * 0.25 ** k / math.factorial(k) for k in range(5))
    assert poisson_tail(5, 0.25) == pytest.approx(1 - head, rel=1e-9)
    assert 0 < poisson_tail(30, 0.25) < 1e-45


def test_rules_refuse_bad_values_with_one_line(tmp_path):
    assert parse_rules({"incidents": {"categories": {"gas_smell": {"min_reports": 3}}}}) \
        .for_category("gas_smell").min_reports == 3
    for raw, message in (({"incidents": {"metres": -1}}, "incidents.metres"),
                         ({"spikes": {"weeks": 1}}, "spikes.weeks"),
                         ({"spikes": {"alpha": 2}}, "spikes.alpha"),
                         ({"incidents": {"categories": {"x": {"radius": 3}}}}, "radius")):
        with pytest.raises(RulesError, match=message):
            parse_rules(raw)
    bad = tmp_path / "rules.toml"
    bad.write_text("[incidents\n")
    with pytest.raises(RulesError, match="incident rules"):
        load_rules(bad)
