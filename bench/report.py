"""One table of everything measured, one column per database, with the issue's targets checked
where they apply (PostgreSQL at 1,000,000 tickets and more)."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.measure import BOTH, FIGURES, OURS, READ, Result
from bench.timing import Timing

MB = 2**20


@dataclass(frozen=True)
class Cell:
    text: str
    ok: bool | None = None  # None: no target at this size

    def render(self) -> str:
        return self.text if self.ok is None else f"{self.text} {'✓' if self.ok else '✗'}"


def _at_scale(result: Result) -> bool:
    return result.db.kind == "postgresql" and result.db.size >= 1_000_000


def _ms(t: Timing | None, result: Result, limit: Callable[[Result], float | None]) -> Cell:
    if t is None:
        return Cell("–")
    bound = limit(result) if _at_scale(result) else None
    return Cell(f"{t.median_ms:,.1f} / {t.p95_ms:,.1f}", None if bound is None
                else t.p95_ms < bound)


def _query_limit(result: Result) -> float:
    return 200.0 if result.db.size >= 10_000_000 else 50.0


def _size(n: int) -> str:
    return f"{n / MB:.2f} MB" if n >= MB else f"{n / 1024:.0f} KB"


def rows(results: list[Result]) -> list[tuple[str, str, list[Cell]]]:
    """(what, target, one cell per database); a row with no cells is a section heading."""
    out: list[tuple[str, str, list[Cell]]] = []

    def section(title: str) -> None:
        out.append((f"**{title}**", "", []))

    first = results[0]
    section("Queries, ms: median / p95 of each call")
    for name in first.queries:
        out.append((name, "p95 < 50 (1M), < 200 (10M)",
                    [_ms(r.queries.get(name), r, _query_limit) for r in results]))
    section("Writes and the command line, ms")
    for name in first.writes:
        out.append((name, "", [_ms(r.writes.get(name), r, lambda _r: None) for r in results]))
    section("Pages, server-side render (AppTest), ms")
    for page in first.pages["pages"]:
        for kind, target, limit in (("first", "< 1,500", 1500.0), ("warm", "< 300", 300.0)):
            bound = limit if page == "overview" else None
            out.append((f"{page}: {'first render' if kind == 'first' else 'warm rerun'}",
                        target if bound else "",
                        [_ms(Timing(**r.pages["pages"][page][kind]), r, lambda _r, b=bound: b)
                         for r in results]))
        out.append((f"{page}: SQL statements, first / warm", "",
                    [Cell(f"{r.pages['pages'][page]['first_statements']} / "
                          f"{r.pages['pages'][page]['warm_statements']}") for r in results]))
    section("The map: what the browser receives (Russian labels)")
    for name in first.payload:
        out.append((f"map payload, {name}", "< 2 MB",
                    [Cell(_size(r.payload[name]), r.payload[name] < 2 * MB) for r in results]))
    sessions = first.pages["sessions"]["count"]
    section(f"{sessions} sessions in one refresh interval (one server process)")
    out.append(("SQL statements: first session / all others", "flat",
                [Cell(f"{r.pages['sessions']['first_statements']} / "
                      f"{r.pages['sessions']['other_statements']}",
                      r.pages["sessions"]["other_statements"] == 0) for r in results]))
    out.append(("server memory (RSS) before → after, MB", "< 1,024",
                [Cell(f"{r.pages['sessions']['rss_before_mb']:,.0f} → "
                      f"{r.pages['sessions']['rss_mb']:,.0f}",
                      r.pages["sessions"]["peak_rss_mb"] < 1024) for r in results]))
    section("The usual way beside ours: the counters, the workload and 30 days of flow")
    for name in (OURS, READ, FIGURES, BOTH):
        out.append((name, "", [_ms(r.pandas.get(name), r, lambda _r: None) for r in results]))
    out.append(("ours ÷ pandas (read + figures), medians", "",
                [Cell(_ratio(r, BOTH)) for r in results]))
    out.append(("ours ÷ pandas (frame already in memory)", "",
                [Cell(_ratio(r, FIGURES)) for r in results]))
    out.append(("the DataFrame's memory", "",
                [Cell("–" if r.frame_mb is None else f"{r.frame_mb:,.0f} MB") for r in results]))
    out.append(("same figures both ways", "",
                [Cell("–") if r.same_figures is None
                 else Cell("yes" if r.same_figures else "NO", r.same_figures) for r in results]))
    return out


def _ratio(result: Result, theirs: str) -> str:
    if theirs not in result.pandas:
        return "–"
    return f"{result.pandas[OURS].median_ms / result.pandas[theirs].median_ms:.4f}"


def markdown(results: list[Result], runs: int) -> str:
    """The table with the machine it ran on, as Markdown."""
    header = ["measured", "target", *(r.db.label for r in results)]
    lines = [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
    for what, target, cells in rows(results):
        lines.append(f"| {what} | {target} | "
                     + " | ".join(c.render() for c in cells or [Cell("")] * len(results)) + " |")
    return "\n".join([machine(results, runs), "", *lines, ""])


def machine(results: list[Result], runs: int) -> str:
    with open("/proc/cpuinfo") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info
                    if line.startswith("model name")), platform.processor())
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(sorted({r.server for r in results}))
    return (f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores ({cpu}) · "
            f"{memory:.0f} GiB memory · {versions} · Python {platform.python_version()} · "
            f"{runs} runs per figure.")
