"""The reassignment dialog, the undo button, the ticket card's dialog, and the words for what an
action did or why it was refused: said in a toast, where the user is, whatever they scrolled."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.permissions import Actor
from db.config import city_tz
from desk.actions import ActionResult, Refusal, reassign, undo_last
from ui import auth, data, view, widgets
from ui.i18n import current_language, name_of, russian_key, t
from words.formatting import instant, number

RESULT_KEY = "_action_result"
ERROR_KEY = "_action_error"  # a refusal's details, shown by the queue until the next action
PENDING_KEY = "_reassign_pending"  # the selected tickets, as seen, while the dialog is open
CARD_KEY = "_card_pending"  # the ticket whose card is open in a dialog
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
    """What the last action did, once, after the page reran: a toast, in view wherever the
    user is; a refusal's details also stay above the queue (`show_inline_error`)."""
    outcome = st.session_state.pop(RESULT_KEY, None)
    if outcome is None:
        return
    kind, result, target = outcome
    if result.ok:
        key = "action.undone" if kind == "undo" else "action.done"
        st.toast(t(key, n=len(result.applied), dept=_dept_name(target, departments)),
                 icon=":material/check_circle:")
        st.session_state.pop(ERROR_KEY, None)
    else:
        details = "\n".join(f"- {refusal_text(r, departments)}" for r in result.refusals)
        st.toast(t("action.refused") + "\n" + details, icon=":material/block:")
        st.session_state[ERROR_KEY] = t("action.refused") + "\n" + details


def show_inline_error() -> None:
    """The last refusal's details beside the queue, until the user closes them."""
    text = st.session_state.get(ERROR_KEY)
    if text:
        st.error(text, icon=":material/block:")
        if st.button(t("action.dismiss"), key="dismiss_error", type="tertiary"):
            st.session_state.pop(ERROR_KEY, None)
            st.rerun(scope="fragment")


def _finish(kind: str, result: ActionResult, target: str | None) -> None:
    st.session_state[RESULT_KEY] = (kind, result, target)
    st.session_state.pop(PENDING_KEY, None)
    if result.ok:
        widgets.clear_selection(QUEUE_KEY)
    data.clear_after_write()
    st.rerun(scope="app")


def open_reassign(selected: pd.DataFrame) -> None:
    """Ask for the dialog on the next full run: the page draws it outside its self-refreshing
    parts, so a refresh neither closes it nor changes the tickets it is about."""
    st.session_state[PENDING_KEY] = selected
    st.session_state.pop(CARD_KEY, None)
    st.rerun(scope="app")


def open_card(external_id: str) -> None:
    """Open a ticket's card in a dialog, on the next full run (as `open_reassign`)."""
    st.session_state[CARD_KEY] = external_id
    st.rerun(scope="app")


def pending_dialog(departments: pd.DataFrame, actor: Actor) -> None:
    """Draw the reassignment dialog or a card's dialog while one is open."""
    selected = st.session_state.get(PENDING_KEY)
    if selected is not None:
        st.dialog(t("action.reassign_title"), width="large", on_dismiss=_dismissed)(
            _reassign_form)(selected, departments, actor)
    elif st.session_state.get(CARD_KEY):
        st.dialog(t("section.card", id=st.session_state[CARD_KEY]), width="large",
                  on_dismiss=_card_closed)(_card)(st.session_state[CARD_KEY])


def _dismissed() -> None:
    st.session_state.pop(PENDING_KEY, None)


def _card_closed() -> None:
    st.session_state.pop(CARD_KEY, None)


def _card(external_id: str) -> None:
    card = data.guarded(data.load_card, external_id, view.url_as_of())
    if card is not None:
        widgets.ticket_card(card, heading=False)


def sorted_departments(departments: pd.DataFrame, lang: str) -> dict[str, str]:
    """Code → name in the language, in that language's alphabetical order."""
    names = {row["code"]: name_of(row, lang) for row in departments.to_dict("records")}
    key = russian_key if lang == "ru" else str.casefold
    return dict(sorted(names.items(), key=lambda item: (key(item[1]), item[0])))


def _suggest(code: str) -> None:
    st.session_state["reassign_to"] = code


def _reassign_form(selected: pd.DataFrame, departments: pd.DataFrame, actor: Actor) -> None:
    lang = current_language()
    records = selected.to_dict("records")
    st.markdown(t("action.selected", n=number(len(selected), lang)))
    listed = st.container(height=min(40 + 28 * len(selected), 200), border=True)
    listed.markdown("\n".join(
        f"- **{r['external_id']}** · {name_of(r, lang, 'category')} · {r['address'] or '—'}"
        for r in records))
    here = set(selected["department_code"])
    options = {code: name for code, name in sorted_departments(departments, lang).items()
               if code not in here or len(here) > 1}
    usual = data.guarded(data.load_usual_targets, tuple(sorted(set(selected["category_code"]))),
                         data.live_now())
    if usual is not None:
        usual = usual[usual["department_code"].isin(options)]
    if usual is not None and not usual.empty:
        moves = usual.groupby("department_code", sort=False)["moves"].sum()
        moves = moves.sort_values(ascending=False, kind="stable")
        st.caption(t("action.usual_help"))
        buttons = st.columns(min(len(moves), 4))
        for column, (code, n) in zip(buttons, list(moves.items())[:4], strict=False):
            column.button(t("action.usual", dept=options[code], n=number(n, lang)),
                          key=f"usual_{code}", on_click=_suggest, args=(code,),
                          icon=":material/north_east:", width="stretch")
    target = st.selectbox(t("action.to"), list(options), format_func=options.get, index=None,
                          key="reassign_to", placeholder=t("action.choose"))
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


def undo_button(slot, actor: Actor, departments: pd.DataFrame) -> None:
    """Undo, saying what it will undo ("Undo: 2 moved to Storm Drains"), or disabled when the
    user has nothing to undo."""
    pending = data.guarded(data.load_undoable, actor)
    if pending is None:
        label, help_ = t("action.nothing_to_undo"), t("action.nothing_to_undo_help")
    else:
        label = t("action.undo_what", n=pending.tickets,
                  dept=_dept_name(pending.to_department, departments))
        help_ = t("action.undo_help", when=instant(pending.at, city_tz(), current_language()))
    if slot.button(label, icon=":material/undo:", disabled=pending is None, help=help_,
                   key="undo", width="stretch"):
        _finish("undo", undo_last(data.engine(), actor, **_signed_in()), None)
