"""Parts of a page drawn once the browser is ready for them: when it has painted what it has, or
when the user reaches them.

The map's and the charts' libraries (deck.gl and plotly, about 3 MB of script each) held a
fresh tab's first figures back (docs/benchmark.md). A watcher is a one-pixel element
with a few lines of script that tells the server when its moment has come, which then draws
what waited:
- `painted`: the browser has drawn every element it was sent (no placeholder left) and shown
  a frame since, or 3 s have passed;
- `reached`: the watcher is within the window (the browser's IntersectionObserver); the
  section is then drawn at once for the rest of the session.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.i18n import t

# Runs in the page (trusted, ours). It tells the server once, as `data.when` asks.
_JS = """
export default function (component) {
  const { parentElement, setStateValue, data } = component;
  const watcher = parentElement.querySelector("div") || parentElement;
  let done = false;
  const tell = () => { if (!done) { done = true; setStateValue("ready", true); } };
  if (data.when === "reached") {
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) { seen.disconnect(); tell(); }
    });
    seen.observe(watcher);
    return () => seen.disconnect();
  }
  const started = performance.now();
  const check = () => {
    if (done) return;
    const waiting = document.querySelector('[data-testid="stSkeleton"]');
    if (!waiting || performance.now() - started > 3000) {
      requestAnimationFrame(() => requestAnimationFrame(tell));
    } else {
      setTimeout(check, 50);
    }
  };
  check();
  return () => { done = true; };
}
"""
_WATCHER = st.components.v2.component(
    "citydesk_watcher", html='<div style="height: 1px"></div>', js=_JS, isolate_styles=False)


def flag(name: str) -> str:
    """The session's note that the user has reached section `name`."""
    return f"_reached_{name}"


def _watch(key: str, when: str) -> bool:
    state = _WATCHER(key=key, data={"when": when}, default={"ready": False},
                     on_ready_change=lambda: None, height=1)
    return bool(state.ready)


def reached(name: str) -> bool:
    """Whether the user has reached section `name` in this session; until they have, this
    places the watcher here and says False."""
    if st.session_state.get(flag(name)):
        return True
    if _watch(f"reached_{name}", "reached"):
        st.session_state[flag(name)] = True
        return True
    return False


def hold(name: str, *slots: DeltaGenerator, height: int) -> bool:
    """Whether section `name` (drawn in `slots`) must wait for the user to reach it: if so,
    each slot keeps its `height` in pixels (the page does not move when it comes) and says
    what it waits for."""
    if reached(name):
        return False
    for place, slot in enumerate(slots):
        slot.container(height=height, border=False, key=f"waiting-{name}-{place}").caption(
            t("lazy.drawing"))
    return True


def when_painted(name: str) -> None:
    """Place a watcher that reruns this part of the page once the browser has painted it."""
    _watch(f"painted_{name}", "painted")


def in_browser() -> bool:
    """Whether a browser runs this session (a test's AppTest has none: nothing to wait for)."""
    return bool(st.context.headers.get("User-Agent"))
