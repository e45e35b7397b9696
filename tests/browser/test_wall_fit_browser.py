"""The meeting screen fits every screen from 1366×768 to 3840×2160 in both languages, in
Chromium, with an incident and a spike playing: on every panel (`?panel=week` too) nothing
scrolls or is cut (no box's content taller or wider than the box, nothing past the window's
edge), no word is broken across lines, the type grows with the screen, the alarm rows stand
above every rotating panel, and a Russian wall holds no Latin word at all (no English, no zone,
no ISO week). Rotating, the header never leaves and one panel is on the screen at a time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

import pytest

from access import kiosk
from db.engine import make_engine
from tests.browser.conftest import Server, shoot, wait_idle
from tests.incident_city import incident_city
from words.catalog import CATALOG

MAP_CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'
SIZES = [(1366, 768), (1920, 1080), (3840, 2160)]
BOXES = (".wall-top, .wall-head, .wall-body, .tiles, .tile, .rows, .row, .chart, .plot, "
         ".map-legend, .alarms, .alarm, .week-tiles, [data-testid='stDeckGlJsonChart']")
PANELS = ["1", "2", "3", "4", "week"]
ROTATION_SECONDS = 5
# Every box of the wall whose content overflows it, or that reaches past the window.
OVERFLOWS = """sel => {
  const out = [];
  for (const e of document.querySelectorAll(sel)) {
    const r = e.getBoundingClientRect();
    const name = (e.className || e.dataset.testid) + ' ' + e.innerText.slice(0, 30);
    if (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
      out.push(`${name}: content ${e.scrollWidth}×${e.scrollHeight}`
               + ` in ${e.clientWidth}×${e.clientHeight}`);
    if (r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5)
      out.push(`${name}: ends at ${r.right}×${r.bottom}, past the window`);
  }
  const doc = document.scrollingElement;
  if (doc.scrollHeight > innerHeight || doc.scrollWidth > innerWidth)
    out.push(`the page scrolls: ${doc.scrollWidth}×${doc.scrollHeight}`);
  return out;
}"""
# Every word of the wall's text drawn on more than one line (broken inside).
BROKEN_WORDS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest('.wall')) continue;
    for (const m of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                               .map(r => Math.round(r.top)));
      if (lines.size > 1) out.push(m[0]);
    }
  }
  return out;
}"""
FONT_SIZES = """sel => [...document.querySelectorAll(sel)].map(
  e => parseFloat(getComputedStyle(e).fontSize))"""


def english_words() -> set[str]:
    """The words of the English interface (three letters or more) that are not Russian too."""
    words = set()
    for entry in CATALOG.values():
        text = re.sub(r"\{[^}]*\}", "", entry["en"])  # not the placeholders' names
        words |= {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}
        words -= {w.lower() for w in re.findall(r"[A-Za-z]{3,}", entry["ru"])}
    return words


@pytest.fixture(scope="module")
def wall_city(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    """A city with an incident and a spike playing, its wall rotating every five seconds."""
    url = f"sqlite:///{tmp_path_factory.mktemp('wallfit') / 'citydesk.db'}"
    incident_city(url)
    engine = make_engine(url)
    _, token = kiosk.issue(engine, "fit test")
    engine.dispose()
    running = Server({"DATABASE_URL": url, "CITY_TZ": "Europe/Moscow",
                      "CITYDESK_WALL_SECONDS": str(ROTATION_SECONDS)})
    yield running, token
    running.stop()


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_panel_fits_the_screen(wall_city, browser, size, lang):
    server, token = wall_city
    context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                  locale="en-US")
    page = context.new_page()
    scale = min(size[0], size[1] * 16 / 9) / 1920
    try:
        for panel in PANELS:
            page.goto(f"{server.url}/?view=wall&panel={panel}&lang={lang}&kiosk={token}")
            wait_idle(page)
            page.locator(".wall-body").first.wait_for(timeout=90_000)
            if panel != "week":  # the alarm rows, red and orange, above every rotating panel
                assert page.locator(".alarm.incident").first.is_visible(), panel
                assert page.locator(".alarm.spike").first.is_visible(), panel
            if panel == "1":
                page.locator(MAP_CANVAS).first.wait_for(timeout=90_000)
            where = (size, lang, panel)
            shoot(page, f"wall-fit-{size[0]}x{size[1]}-{lang}-{panel}")
            assert page.evaluate(OVERFLOWS, BOXES) == [], where
            assert page.evaluate(BROKEN_WORDS) == [], where
            figures = page.evaluate(FONT_SIZES, ".tile .value, .row .num, .row .name, .row .time")
            labels = page.evaluate(FONT_SIZES, ".tile .label, .row.head, .wall-asof")
            assert figures and min(figures) >= 39 * scale, (where, figures)
            assert labels and min(labels) >= 28 * scale, (where, labels)
            if panel == "2":
                shown = page.locator(".rows.depts .row:not(.head)").count()
                assert shown == page.locator("[data-dept]").count() <= 10
            if lang == "ru":
                text = page.locator('[data-testid="stMain"]').inner_text()
                english = {w for w in re.findall(r"[A-Za-z]{3,}", text)} - {"Citydesk"}
                assert not {w.lower() for w in english} & english_words(), (where, english)
                latin = set(re.findall(r"[A-Za-z]+", text)) - {"Citydesk"}
                assert not latin, (where, latin)  # nor a zone's name nor an ISO week
            assert page.locator('[data-testid="stDeckGlJsonChart"] button').count() == 0 or \
                page.locator('[data-testid="stDeckGlJsonChart"] button').first.is_hidden()
    finally:
        context.close()


# Sampled in the page every 50 ms: the header's text, the panels' boxes on the screen and how
# tall the page is; until three panel changes were seen (or the time is up).
SAMPLE = """async ([every, changes, limit]) => {
  const out = [];
  const start = performance.now();
  let seen = 0, last = null;
  while (performance.now() - start < limit && seen < changes) {
    const title = document.querySelector('.wall-title');
    const asof = document.querySelector('.wall-asof');
    const visible = e => e && e.checkVisibility() && e.getBoundingClientRect().height > 0;
    const sample = {
      at: Math.round(performance.now() - start),
      title: visible(title) ? title.firstChild.textContent : null,
      asof: visible(asof) ? asof.innerText : null,
      date: visible(document.querySelector('.wall-date')),
      panels: [...document.querySelectorAll('.wall-body')].filter(visible).length,
      tall: document.scrollingElement.scrollHeight,
    };
    if (last !== null && sample.title && sample.title !== last) seen += 1;
    if (sample.title) last = sample.title;
    out.push(sample);
    await new Promise(r => setTimeout(r, every));
  }
  return out;
}"""


def test_rotation_keeps_the_header_and_one_panel(wall_city, browser):
    server, token = wall_city
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    page = context.new_page()
    try:
        page.goto(f"{server.url}/?view=wall&lang=ru&kiosk={token}")
        wait_idle(page)
        page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(timeout=90_000)
        samples = page.evaluate(SAMPLE, [50, 3, 60_000])
    finally:
        context.close()
    titles = [s["title"] for s in samples]
    changes = sum(1 for a, b in pairwise(titles) if a and b and a != b)
    assert changes >= 3, titles[-5:]
    assert len(samples) >= 3 * ROTATION_SECONDS * 1000 / 100  # sampled often enough
    missing = [s for s in samples if not (s["title"] and s["asof"] and s["date"])]
    assert missing == [], missing[:5]
    not_one = [s for s in samples if s["panels"] != 1]
    assert not_one == [], not_one[:5]
    too_tall = [s for s in samples if s["tall"] > 1080]
    assert too_tall == [], too_tall[:5]
