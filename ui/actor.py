"""Who the person at this screen acts as. Every action the page runs carries this actor, and the
action code checks its permission; the page only hides what the actor may not do."""

from __future__ import annotations

import streamlit as st

from access.permissions import Actor

SESSION_KEY = "actor"


def current_actor() -> Actor:
    """The signed-in actor (put there by the sign-in gate, ui/auth.py). A page run without one
    never draws data: it stops here."""
    actor = st.session_state.get(SESSION_KEY)
    if actor is None:
        from ui.i18n import t

        st.warning(t("auth.required"), icon=":material/lock:")
        st.stop()
    return actor


def may_act(actor: Actor) -> bool:
    """Whether the page should offer actions at all (the action code decides per ticket)."""
    return actor.role in ("leadership", "head", "dispatcher")


def leadership_only(refusal: str) -> None:
    """A page for leadership: anyone else who reaches it by a link reads `refusal` (a catalog
    key) and nothing more. The menu offers such a page to no one else."""
    if current_actor().role != "leadership":
        from ui.i18n import t

        st.error(t(refusal), icon=":material/block:")
        st.stop()
