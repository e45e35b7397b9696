"""The audit log, for leadership: who moved which ticket, when and why; filterable, exportable."""

from datetime import datetime

import pandas as pd
import streamlit as st

from db.config import city_tz
from db.schema import EVENT_KINDS
from queries.audit_log import AuditFilters
from ui import data, export, widgets
from ui.actor import leadership_only
from ui.history import event_kind, event_note
from ui.i18n import current_language, language_picker, name_of, t
from words.formatting import actor_label, instant, number

PAGE_SIZE = 50


leadership_only("audit.forbidden")

lang = current_language()
tz = city_tz()
data.begin_run()
banner = st.empty()
language_picker()
reference = data.guarded(data.load_reference)
if reference is None:
    widgets.outage_banner(banner)
    st.stop()
names = {row["code"]: name_of(row, lang) for row in reference["departments"].to_dict("records")}


def department_name(code) -> str:
    return names.get(code, code) if isinstance(code, str) else ""


st.title(t("nav.audit"))
st.caption(t("audit.help"))
top = st.columns([3, 2, 2, 2, 2])
kinds = top[0].multiselect(t("audit.kinds"), EVENT_KINDS, default=["reassigned"],
                           format_func=lambda k: t(f"event.{k}"), key="audit_kinds")
actors = data.guarded(data.load_audit_actors, tuple(kinds)) or []
who = top[1].selectbox(t("audit.actor"), actors, index=None, placeholder=t("audit.anyone"),
                       key="audit_actor")
department = top[2].selectbox(t("audit.department"), list(names), format_func=names.get,
                              index=None, placeholder=t("audit.any_department"),
                              key="audit_department")
since, until = widgets.day_range(widgets.day_field(top[3], t("audit.since"), "audit_since"),
                                 widgets.day_field(top[4], t("audit.until"), "audit_until"), tz)
f = AuditFilters(
    kinds=tuple(kinds), actor=who, department=department, since=since, until=until)
result = widgets.paged(data.load_audit_page, f, "audit_page", PAGE_SIZE)
if result is not None:
    frame, total = result
    if frame.empty:
        st.info(t("audit.empty"))
    else:
        st.caption(t("audit.count", shown=number(len(frame), lang), total=number(total, lang)))
        st.dataframe(pd.DataFrame({
            t("ev.when"): [instant(v, tz, lang, True) for v in frame["at"]],
            t("ev.who"): [actor_label(a, lang) for a in frame["actor"]],
            t("ev.what"): [event_kind(k, n, lang)
                           for k, n in zip(frame["kind"], frame["note"], strict=True)],
            t("col.id"): frame["ticket"],
            t("ev.from"): [department_name(c) for c in frame["from_department"]],
            t("ev.to"): [department_name(c) for c in frame["to_department"]],
            t("audit.why"): [event_note(n, lang) for n in frame["note"]],
        }), hide_index=True, width="stretch")
        st.download_button(t("table.export"), mime="text/csv", on_click="ignore",
                           data=export.audit_csv(data.read_engine(), f, lang, tz, department_name),
                           file_name=export.file_name("audit", datetime.now(tz), tz),
                           icon=":material/download:", key="audit_export")
widgets.outage_banner(banner)
