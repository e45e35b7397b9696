"""Under the channel breakdown: how fast each social network's posts became accepted work."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from queries.filters import Filters
from ui import data
from ui.i18n import name_of, t
from words.formatting import duration, number, percent


def social_response(f: Filters, lang: str) -> None:
    """Per network with tickets in the last 7 days: how many, the median time from the post to
    acceptance, and the share accepted within 24 hours (the seed's target)."""
    frame = data.guarded(data.load_social_response, f)
    if frame is None:
        return
    shown = frame[frame["received_7d"] > 0]
    if shown.empty:
        return
    records = shown.to_dict("records")
    st.table(pd.DataFrame({
        t("social.network"): [name_of(r, lang) for r in records],
        t("social.received"): [number(r["received_7d"], lang) for r in records],
        t("social.median"): [duration(r["median_accept_s"], lang) for r in records],
        t("social.within"): [percent(r["accepted_24h_pct"], lang) for r in records],
    }).set_index(t("social.network")))
    st.caption(t("social.note"))
