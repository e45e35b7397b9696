"""The overview's and the department's map drawn in the page itself, as SVG: the districts'
outlines, the points or cells, the incidents' rings and the names, from `map_drawing.drawing`.

deck.gl draws with WebGL, and a browser without a graphics card (a meeting room's PC, a
virtual desktop, this project's CI) compiles its programs in software: 2.2–2.5 s of a fresh
tab's time went to that alone (docs/benchmark.md). A few thousand SVG shapes are drawn in
milliseconds. Every text goes in as text (`textContent`), never as markup.

The user drags to move the map, and zooms with its buttons or Ctrl + the wheel (the wheel alone
scrolls the page, and so does a finger on a phone: a map that caught them would trap the user);
a click or a tap (a press that did not move) on a point, cell or district is sent to the
server, which opens its card or list. A refresh redraws the shapes and keeps the user's zoom
while the frame is the same.

By keyboard the map is one stop in the Tab order (a roving tabindex, as in a listbox): Tab
lands on its most urgent point, the arrow keys go through the points (overdue first, then open,
then done), then the cells and the districts that open a list; Home and End go to the first
and last. The one in focus is ringed, its tooltip shown, and the map moved to keep it in view;
Enter or Space opens it, as a click does. A hint in the map says so while it has focus.
"""

from __future__ import annotations

import hashlib
import json

import streamlit as st

_HTML = """<div class="citymap" tabindex="-1">
<svg class="map" role="group" tabindex="-1" aria-describedby="citymap-keys"><g class="world">
<g class="districts"></g><g class="points"></g><g class="rings"></g><g class="names"></g>
<circle class="focus-ring" r="0" hidden></circle>
</g></svg>
<div class="zoom"><button type="button" data-zoom="in">+</button><button type="button"
data-zoom="out">&minus;</button><button type="button" data-zoom="home">&#8962;</button></div>
<div class="tip" hidden></div>
<div class="keys" id="citymap-keys" hidden></div>
</div>"""

_CSS = """
/* a refresh replaces the shapes: the browser must not hold the page's scroll to one of them */
.citymap { position: relative; overflow: hidden; border-radius: 0.5rem;
  background: #f7f7f4; user-select: none; overflow-anchor: none; }
.citymap svg { display: block; width: 100%; height: 100%; cursor: grab;
  touch-action: manipulation; }
.citymap svg.dragging { cursor: grabbing; }
.districts path { fill: #eeeee8; stroke: rgba(90, 90, 90, 0.67); stroke-width: 1;
  vector-effect: non-scaling-stroke; }
.districts path.pickable { cursor: pointer; }
.districts path.pickable:hover { fill: #f6e7b0; }
.points circle { stroke: #fff; stroke-width: 1; vector-effect: non-scaling-stroke;
  cursor: pointer; }
.points .late { fill: rgba(198, 40, 40, 0.94); stroke-width: 1.5; }
.points .open { fill: rgba(33, 102, 172, 0.82); }
.points .done { fill: rgba(140, 140, 140, 0.55); }
.points .cell { fill: rgba(198, 40, 40, 0.47); }
.points circle:hover { stroke: #111; stroke-width: 2; }
/* the ring drawn around the point in keyboard focus; a district in focus is tinted, outlined */
.citymap svg :focus { outline: none; }
.focus-ring { fill: none; stroke: #111; stroke-width: 3; vector-effect: non-scaling-stroke;
  pointer-events: none; }
.districts path:focus-visible { fill: #f6e7b0; stroke: #111; stroke-width: 3; }
.rings circle { fill: none; stroke: #e60000; stroke-width: 4;
  vector-effect: non-scaling-stroke; pointer-events: none; }
.rings text { fill: #960000; font-weight: 800; text-anchor: middle; pointer-events: none; }
.names text { fill: #232323; font-weight: 600; text-anchor: middle; paint-order: stroke;
  stroke: #eeeee8; stroke-linejoin: round; pointer-events: none;
  font-family: "DejaVu Sans", Arial, sans-serif; }
.zoom { position: absolute; top: 8px; right: 8px; display: flex; flex-direction: column;
  gap: 2px; }
.zoom button { width: 30px; height: 30px; border: 1px solid #bbb; border-radius: 4px;
  background: #fff; color: #222; font-size: 18px; line-height: 1; cursor: pointer; }
.zoom button:hover { background: #f0f0f0; }
.tip { position: absolute; max-width: 280px; padding: 6px 8px; border-radius: 4px;
  background: rgba(30, 30, 30, 0.92); color: #fff; font-size: 13px; line-height: 1.35;
  pointer-events: none; z-index: 2; overflow-wrap: anywhere; }
.tip .head { font-weight: 700; }
.tip .foot { font-size: 11px; opacity: 0.8; }
.keys { position: absolute; left: 8px; top: 8px; max-width: calc(100% - 62px);
  padding: 4px 8px; border-radius: 4px; background: #fff; color: #222; font-size: 13px;
  border: 1px solid #bbb; pointer-events: none; }
"""

# Trusted, ours: draws `data` (see map_drawing.drawing) and sends back {"ticket": id},
# {"district": code} or {"cell": [lat, lon]} as the trigger `pick`.
_JS = """
const SVG = "http://www.w3.org/2000/svg";
const NAME_PX = 14, RING_PX = 16, STEP = 1.6, MAX_K = 16, MIN_K = 0.5;
const RADIUS = {late: 7, open: 4, done: 3};
const URGENCY = {late: 0, open: 1, done: 2};  // the keyboard's order: overdue first
const MOVES = {ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1};

function shape(tag, attrs, parent) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  parent.appendChild(el);
  return el;
}

function create(host) {
  const svg = host.querySelector("svg"), world = host.querySelector(".world");
  const tip = host.querySelector(".tip"), keys = host.querySelector(".keys");
  const ring = host.querySelector(".focus-ring");
  const map = {host, svg, world, tip, k: 1, tx: 0, ty: 0, sig: null, frame: null,
               tips: [], picks: [], send: null, stops: [], at: 0};
  map.place = () => {
    const w = svg.clientWidth, h = svg.clientHeight;
    world.setAttribute("transform",
      `translate(${w / 2 + map.tx} ${h / 2 + map.ty}) scale(${map.k})`);
    map.label(w, h);
  };
  // The names shown: at ×1, those the server found whole and apart; zoomed in or out, each name
  // (those first) that is whole in the window and clear of the names kept and of the zoom
  // buttons (boxes in screen pixels, as the server sized them)
  map.label = (w, h) => {
    const taken = [[w - 46, 0, w, 112]];
    for (const t of map.world.querySelectorAll(".names text")) {
      const x = t.dataset.x * map.k + map.tx + w / 2, y = t.dataset.y * map.k + map.ty + h / 2;
      const box = [x - t.dataset.w / 2, y - t.dataset.h / 2, x + t.dataset.w / 2,
                   y + t.dataset.h / 2];
      const clear = box[0] >= 0 && box[1] >= 0 && box[2] <= w && box[3] <= h
        && !taken.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3]);
      const shown = map.k === 1 && map.tx === 0 && map.ty === 0
        ? t.dataset.always === "1" : clear;
      t.style.display = shown ? "" : "none";
      if (shown) taken.push(box);
    }
  };
  map.sizes = () => {
    for (const c of map.world.querySelectorAll(".points circle"))
      c.setAttribute("r", c.dataset.r / map.k);
    for (const c of map.world.querySelectorAll(".rings circle"))
      c.setAttribute("r", RING_PX / map.k);
    for (const t of map.world.querySelectorAll(".rings text")) {
      t.setAttribute("font-size", 16 / map.k);
      t.setAttribute("dy", -26 / map.k);
    }
    for (const t of map.world.querySelectorAll(".names text")) {
      t.setAttribute("font-size", NAME_PX / map.k);
      t.setAttribute("stroke-width", 3 / map.k);
    }
    map.ringAround();
  };
  // The ring round the point in keyboard focus (none for a district: its own style shows it)
  map.ringAround = () => {
    const el = map.stops[map.at];
    const on = Boolean(el) && el.tagName === "circle" && el.matches(":focus-visible");
    ring.hidden = !on;
    if (!on) return;
    ring.setAttribute("cx", el.getAttribute("cx"));
    ring.setAttribute("cy", el.getAttribute("cy"));
    ring.setAttribute("r", (Number(el.dataset.r) + 5) / map.k);
  };
  // What a stop opens, as text: how a stop is found again after the map is drawn anew
  map.pickOf = (el) => JSON.stringify(map.picks[Number(el.dataset.pick)]);
  // Focus back on the stop that opens `pick` once the card its Enter opened is closed
  // (Streamlit's dialog leaves it on the page's body, and Tab would start from the top). The
  // stop is looked up when the card closes: a rerun while it was open draws the map anew.
  // Given up if no card opens.
  map.comeBack = (pick) => {
    let opened = false;
    const card = () => document.querySelector('[data-testid="stDialog"]');
    const watch = new MutationObserver(() => {
      if (card()) { opened = true; return; }
      if (!opened) return;
      watch.disconnect();
      const at = map.stops.findIndex((el) => map.pickOf(el) === pick);
      if (at >= 0) map.aim(at);
    });
    watch.observe(document.body, {childList: true, subtree: true});
    setTimeout(() => { if (!opened) watch.disconnect(); }, 10000);
  };
  // The keyboard's stop `index`: the only one Tab reaches, then focused, in view and explained
  map.aim = (index) => {
    const el = map.stops[index];
    if (!el) return;
    for (const other of map.stops) other.setAttribute("tabindex", "-1");
    el.setAttribute("tabindex", "0");
    map.at = index;
    if (el.getRootNode().activeElement !== el) el.focus({preventScroll: true});
    const box = svg.getBoundingClientRect(), mark = el.getBoundingClientRect();
    const x = (mark.left + mark.right) / 2 - box.left, y = (mark.top + mark.bottom) / 2 - box.top;
    if (x < 24 || y < 48 || x > box.width - 48 || y > box.height - 24) {  // clear of the hint
      map.tx += box.width / 2 - x;
      map.ty += box.height / 2 - y;
      map.place();
    }
    map.ringAround();
    const spot = el.getBoundingClientRect();
    map.showTip(Number(el.dataset.tip), {clientX: spot.right, clientY: spot.bottom});
  };
  map.zoom = (factor, cx, cy) => {  // about (cx, cy), pixels from the map's middle
    const k = Math.min(MAX_K, Math.max(MIN_K, map.k * factor));
    const f = k / map.k;
    map.tx = cx - (cx - map.tx) * f;
    map.ty = cy - (cy - map.ty) * f;
    map.k = k;
    map.sizes();
    map.place();
  };
  map.home = () => { map.k = 1; map.tx = 0; map.ty = 0; map.sizes(); map.place(); };
  map.showTip = (index, event) => {
    const lines = map.tips[index];
    if (!lines) { tip.hidden = true; return; }
    tip.replaceChildren();
    lines.forEach((line, i) => {
      if (!line) return;
      const div = document.createElement("div");
      div.textContent = line;
      if (i === 0 && lines.length > 1) div.className = "head";
      if (i === lines.length - 1 && lines.length > 2) div.className = "foot";
      tip.appendChild(div);
    });
    tip.hidden = false;
    const box = host.getBoundingClientRect();
    let x = event.clientX - box.left + 14, y = event.clientY - box.top + 14;
    if (x + tip.offsetWidth > box.width - 4) x = event.clientX - box.left - tip.offsetWidth - 14;
    if (y + tip.offsetHeight > box.height - 4) y = event.clientY - box.top - tip.offsetHeight - 14;
    tip.style.left = Math.max(4, x) + "px";
    tip.style.top = Math.max(4, y) + "px";
  };

  let press = null;
  svg.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    press = {x: e.clientX, y: e.clientY, tx: map.tx, ty: map.ty, target: e.target, moved: false,
             id: e.pointerId};
  });
  svg.addEventListener("pointermove", (e) => {
    if (press && e.pointerId === press.id) {
      const dx = e.clientX - press.x, dy = e.clientY - press.y;
      if (!press.moved && Math.abs(dx) + Math.abs(dy) > 4) {
        press.moved = true;
        if (e.pointerType === "touch") return;  // a finger scrolls the page, not the map
        svg.classList.add("dragging");
        svg.setPointerCapture(e.pointerId);
        tip.hidden = true;
      }
      if (press.moved && e.pointerType !== "touch") {
        map.tx = press.tx + dx;
        map.ty = press.ty + dy;
        map.place();
        return;
      }
    }
    const index = e.target.dataset ? e.target.dataset.tip : undefined;
    if (index === undefined) tip.hidden = true; else map.showTip(Number(index), e);
  });
  const release = (e) => {
    if (!press || e.pointerId !== press.id) return;
    const was = press;
    press = null;
    svg.classList.remove("dragging");
    if (was.moved || e.type !== "pointerup") return;
    const index = was.target.dataset ? was.target.dataset.pick : undefined;
    if (index !== undefined && map.send) map.send("pick", map.picks[Number(index)]);
  };
  svg.addEventListener("pointerup", release);
  svg.addEventListener("pointercancel", release);
  svg.addEventListener("pointerleave", () => { tip.hidden = true; });
  svg.addEventListener("keydown", (e) => {
    const at = map.stops.indexOf(e.target);
    if (at < 0) return;
    const last = map.stops.length - 1;
    const to = e.key === "Home" ? 0 : e.key === "End" ? last
      : e.key in MOVES ? Math.max(0, Math.min(last, at + MOVES[e.key])) : null;
    if (to !== null) {
      e.preventDefault();
      map.aim(to);
    } else if ((e.key === "Enter" || e.key === " ") && map.send) {
      e.preventDefault();
      map.send("pick", map.picks[Number(e.target.dataset.pick)]);
      map.comeBack(map.pickOf(e.target));
    } else if (e.key === "Escape") {
      tip.hidden = true;
    }
  });
  svg.addEventListener("focusin", (e) => {
    const at = map.stops.indexOf(e.target);
    if (at < 0 || !e.target.matches(":focus-visible")) return;  // a click focuses it too
    keys.hidden = false;
    map.aim(at);
  });
  svg.addEventListener("focusout", () => { keys.hidden = true; tip.hidden = true;
                                           ring.hidden = true; });
  svg.addEventListener("wheel", (e) => {
    if (!e.ctrlKey && !e.metaKey) return;  // the page scrolls; Ctrl + the wheel zooms
    e.preventDefault();
    const box = svg.getBoundingClientRect();
    map.zoom(e.deltaY < 0 ? STEP : 1 / STEP, e.clientX - box.left - box.width / 2,
             e.clientY - box.top - box.height / 2);
  }, {passive: false});
  host.querySelector(".zoom").addEventListener("click", (e) => {
    const which = e.target.dataset.zoom;
    if (which === "home") map.home();
    else if (which) map.zoom(which === "in" ? STEP : 1 / STEP, 0, 0);
  });
  new ResizeObserver(map.place).observe(svg);
  return map;
}

function draw(map, data) {
  const frame = JSON.stringify(data.frame);
  if (frame !== map.frame) { map.frame = frame; map.k = 1; map.tx = 0; map.ty = 0; }
  const [districts, points, rings, names] = ["districts", "points", "rings", "names"].map(
    (name) => map.world.querySelector("." + name));
  const held = map.stops[map.at];  // the stop in focus, found again once drawn anew
  const kept = held && held.getRootNode().activeElement === held ? map.pickOf(held) : null;
  for (const group of [districts, points, rings, names]) group.replaceChildren();
  map.tips = [];
  map.picks = [];
  const stops = [];  // [rank, element]: what the keyboard goes through, in its order
  const mark = (el, tip, pick, rank) => {
    el.dataset.tip = map.tips.push(tip) - 1;
    if (!pick) return;
    el.dataset.pick = map.picks.push(pick) - 1;
    el.setAttribute("role", "button");
    el.setAttribute("tabindex", "-1");
    el.setAttribute("aria-label", tip.filter(Boolean).join(", "));
    stops.push([rank, el]);
  };
  for (const d of data.districts)
    mark(shape("path", {d: d.d, "data-code": d.code, class: d.pick ? "pickable" : ""},
               districts), d.tip, d.pick ? {district: d.code} : null, 4);
  for (const p of data.points)
    mark(shape("circle", {cx: p.at[0], cy: p.at[1], class: p.kind, "data-r": RADIUS[p.kind],
                          "data-id": p.id}, points), p.tip, {ticket: p.id}, URGENCY[p.kind]);
  for (const c of data.cells)  // the fullest first
    mark(shape("circle", {cx: c.at[0], cy: c.at[1], class: "cell", "data-r": c.r}, points),
         c.tip, {cell: [c.lat, c.lon]}, 4 - c.r / 100);
  for (const r of data.rings) {
    shape("circle", {cx: r.at[0], cy: r.at[1]}, rings);
    shape("text", {x: r.at[0], y: r.at[1]}, rings).textContent = String(r.n);
  }
  for (const n of data.names) {
    const text = shape("text", {x: n.at[0], y: n.at[1], "data-x": n.at[0], "data-y": n.at[1],
                                "data-w": n.box[0], "data-h": n.box[1],
                                "data-always": n.always ? "1" : "0"}, names);
    n.lines.forEach((line, i) => {
      const span = shape("tspan", {x: n.at[0], dy: i === 0
        ? `${0.35 - 0.55 * (n.lines.length - 1)}em` : "1.1em"}, text);
      span.textContent = line;
    });
  }
  stops.sort((a, b) => a[0] - b[0]);
  map.stops = stops.map(([, el]) => el);
  const again = map.stops.findIndex(
    (el) => map.pickOf(el) === kept);
  map.at = Math.max(0, again);
  if (map.stops.length) map.stops[map.at].setAttribute("tabindex", "0");
  if (again >= 0) map.stops[again].focus({preventScroll: true});  // a refresh keeps the focus
  map.host.querySelector(".keys").textContent = data.words.keys;
  map.svg.setAttribute("aria-label", data.words.label);
  for (const button of map.host.querySelectorAll(".zoom button")) {
    const word = data.words["zoom_" + button.dataset.zoom];
    button.title = word;
    button.setAttribute("aria-label", word);
  }
  map.sizes();
  map.place();
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  const host = parentElement.querySelector(".citymap");
  if (!host.citymap) host.citymap = create(host);
  const map = host.citymap;
  map.send = setTriggerValue;
  host.style.height = data.size[1] + "px";
  if (data.sig !== map.sig) { map.sig = data.sig; draw(map, data); }
}
"""

_MAP = st.components.v2.component("citydesk_city_map", html=_HTML, css=_CSS, js=_JS)


def city_map(drawing: dict, key: str) -> dict | None:
    """Draw the map (`map_drawing.drawing`) and return what the user clicked in it, once:
    {"ticket": id}, {"district": code} or {"cell": [lat, lon]}; else None."""
    sig = hashlib.blake2b(json.dumps(drawing, sort_keys=True).encode(), digest_size=8).hexdigest()
    result = _MAP(key=key, data={**drawing, "sig": sig}, on_pick_change=lambda: None,
                  height=drawing["size"][1])
    return result.pick or None
