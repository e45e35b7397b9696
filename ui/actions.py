"""The reassignment dialog and the words for what an action did or why it was refused."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from db.actions import ActionResult, Refusal, reassign, undo_last
from db.config import city_tz
from db.permissions import Actor
from ui import auth, data, widgets
from ui.format import instant
from ui.i18n import current_language, name_of, t

RESULT_KEY = "_action_result"
PENDING_KEY = "_reassign_pending"  # the selected tickets, as seen, while the dialog is open
QUEUE_KEY = "queue"


def _dept_name(code: str | None, departments: pd.DataFrame) -> str:
    rows = departments[departments["code"] == code]
    return name_of(rows.iloc[0].to_dict()) if len(rows) else (code or "—")


def refusal_text(refusal: Refusal, departments: pd.DataFrame) -> str:
    """One refusal in the user's language, with what changed when the ticket was stale."""
    d = dict(refusal.detail)
    code = refusal.code
    if code == "forbidden" and d.get("why") == "role":
        code = "forbidden_role"
    if "department" in d:
        d["department"] = _dept_name(d["department"], departments)
    if "status" in d:
        d["status"] = t(f"status.{d['status']}").lower()
    text = t(f"refusal.{code}", ticket=refusal.ticket or "", **{k: v for k, v in d.items()
                                                               if k not in ("ticket", "events")})
    lang, tz = current_language(), city_tz()
    changes = [t("refusal.what_changed", when=instant(e["at"], tz, lang, True),
                 what=t(f"event.{e['kind']}").lower(), who=e.get("actor") or "—")
               for e in d.get("events", ())]
    return text + ("".join(f"\n  - {c}" for c in changes) if changes else "")


def show_result(departments: pd.DataFrame) -> None:
    """What the last action did, once, at the top of the page after it reran."""
    outcome = st.session_state.pop(RESULT_KEY, None)
    if outcome is None:
        return
    kind, result, target = outcome
    if result.ok:
        key = "action.undone" if kind == "undo" else "action.done"
        st.success(t(key, n=len(result.applied), dept=_dept_name(target, departments)),
                   icon=":material/check_circle:")
    else:
        st.error(t("action.refused") + "\n" + "\n".join(
            f"- {refusal_text(r, departments)}" for r in result.refusals), icon=":material/block:")


def _finish(kind: str, result: ActionResult, target: str | None) -> None:
    st.session_state[RESULT_KEY] = (kind, result, target)
    st.session_state.pop(PENDING_KEY, None)
    widgets.clear_selection(QUEUE_KEY)
    data.clear_after_write()
    st.rerun(scope="app")


def open_reassign(selected: pd.DataFrame) -> None:
    """Ask for the dialog on the next full run: the page draws it outside its self-refreshing
    part, so a refresh neither closes it nor changes the tickets it is about."""
    st.session_state[PENDING_KEY] = selected
    st.rerun(scope="app")


def pending_dialog(departments: pd.DataFrame, actor: Actor) -> None:
    """Draw the reassignment dialog while one is open."""
    selected = st.session_state.get(PENDING_KEY)
    if selected is not None:
        reassign_dialog(selected, departments, actor)


def _dismissed() -> None:
    st.session_state.pop(PENDING_KEY, None)


def reassign_dialog(selected: pd.DataFrame, departments: pd.DataFrame, actor: Actor) -> None:
    """Confirm a reassignment of the selected tickets: target and reason, then all or nothing."""
    st.dialog(t("action.reassign_title"), width="large", on_dismiss=_dismissed)(
        _reassign_form)(selected, departments, actor)


def _reassign_form(selected: pd.DataFrame, departments: pd.DataFrame, actor: Actor) -> None:
    st.write(t("action.tickets", ids=", ".join(selected["external_id"])))
    here = set(selected["department_code"])
    options = {row["code"]: name_of(row) for row in departments.to_dict("records")
               if row["code"] not in here or len(here) > 1}
    target = st.selectbox(t("action.to"), list(options), format_func=options.get, index=None,
                          key="reassign_to")
    reason = st.text_area(t("action.reason"), key="reassign_reason", max_chars=500)
    st.caption(t("action.sla_note"))
    left, right = st.columns(2)
    if left.button(t("action.confirm"), type="primary", disabled=not target or not reason.strip(),
                   key="reassign_confirm"):
        seen = dict(zip(selected["external_id"], selected["version"].astype(int), strict=True))
        result = reassign(data.engine(), list(seen), target, reason, actor, seen_versions=seen,
                          **_signed_in())
        _finish("reassign", result, target)
    if right.button(t("action.cancel"), key="reassign_cancel"):
        _dismissed()
        st.rerun(scope="app")


def _signed_in() -> dict:
    """Who the page says is signed in, for the action to check again as it writes: dialogs and
    fragments run without passing the sign-in gate."""
    return {"user_id": st.session_state.get(auth.USER_ID),
            "session_token": st.session_state.get(auth.TOKEN)}


def undo(actor: Actor) -> None:
    result = undo_last(data.engine(), actor, **_signed_in())
    _finish("undo", result, None)
