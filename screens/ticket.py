"""A ticket's card on its own page: `?id=EXTERNAL_ID` reproduces it, and `&as_of=INSTANT` shows
it as it was then (its status, time left and timeline up to that instant)."""

import streamlit as st

from ui import data, url, view, widgets
from ui.actor import current_actor
from ui.i18n import language_picker, t

current_actor()  # signed in, else this stops here: the screen never runs ungated
data.begin_run()
banner = st.empty()
language_picker()
ticket_id = url.get("id")
ticket_id = st.text_input(t("card.ask"), value=ticket_id).strip()
if ticket_id:
    url.put("id", ticket_id)
    card = data.guarded(data.load_card, ticket_id, view.url_as_of())
    if card is not None:
        widgets.ticket_card(card)
    elif data.outage() is None:
        st.warning(t("card.missing", id=ticket_id))
widgets.outage_banner(banner)
