"""The ticket lifecycle as pure functions: what a ticket's instants say about its state.

new → in_progress (accepted) → resolved (done, awaiting the resident) → closed (confirmed).
A rejected ticket (obscene, not a city matter) leaves open work at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.schema import OPEN_STATUSES

OPEN = OPEN_STATUSES


@dataclass(frozen=True)
class Instants:
    created: datetime
    accepted: datetime | None = None
    resolved: datetime | None = None
    closed: datetime | None = None
    rejected: datetime | None = None


def status_at(t: Instants, at: datetime | None = None) -> str:
    """The status the instants give at `at` (default: the latest, i.e. the stored status)."""

    def reached(instant: datetime | None) -> bool:
        return instant is not None and (at is None or instant <= at)

    if reached(t.rejected):
        return "rejected"
    if reached(t.closed):
        return "closed"
    if reached(t.resolved):
        return "resolved"
    if reached(t.accepted):
        return "in_progress"
    return "new"


def ended_at(t: Instants) -> datetime | None:
    """When the ticket left open work: the first of resolved, closed and rejected."""
    ends = [i for i in (t.resolved, t.closed, t.rejected) if i is not None]
    return min(ends) if ends else None


def latest(t: Instants) -> datetime:
    """The last instant the ticket changed at."""
    return max(i for i in (t.created, t.accepted, t.resolved, t.closed, t.rejected) if i)
