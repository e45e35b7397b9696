"""Who the person at this screen acts as. Every action the page runs carries this actor, and the
action code checks its permission; the page only hides what the actor may not do."""

from __future__ import annotations

import streamlit as st

from db.permissions import Actor

SESSION_KEY = "actor"
# Until a user signs in, the desk's own screen acts as its duty dispatcher.
DESK = Actor(name="dispatcher", role="dispatcher")


def current_actor() -> Actor:
    return st.session_state.get(SESSION_KEY) or DESK


def may_act(actor: Actor) -> bool:
    """Whether the page should offer actions at all (the action code decides per ticket)."""
    return actor.role in ("leadership", "head", "dispatcher")
