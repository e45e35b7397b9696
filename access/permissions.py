"""Who may do what. Checked where an action runs, so a hidden button is never the only guard."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("leadership", "head", "dispatcher", "viewer", "wall")


@dataclass(frozen=True)
class Actor:
    """The user an action is done by: every write carries one.

    `department` is the code of a head's own department (only heads have one).
    """

    name: str
    role: str
    department: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("an actor needs a name")
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; one of {', '.join(ROLES)}")
        if (self.role == "head") != (self.department is not None):
            raise ValueError("a department head, and only a head, has a department")


def may_reassign(actor: Actor, ticket_department: str) -> str | None:
    """None when `actor` may reassign a ticket now in `ticket_department` (a code), else why not.

    Leadership and dispatchers may reassign any ticket, a head only those in their own department,
    viewers and the wall nothing. Whether the ticket is open is the action's rule, not a role's.
    """
    if actor.role in ("leadership", "dispatcher"):
        return None
    if actor.role == "head":
        return None if ticket_department == actor.department else "other_department"
    return "role"
