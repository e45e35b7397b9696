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
"""

from __future__ import annotations

import hashlib
import json

import streamlit as st

_HTML = """<div class="citymap" tabindex="-1">
<svg class="map" role="img"><g class="world">
<g class="districts"></g><g class="points"></g><g class="rings"></g><g class="names"></g>
</g></svg>
<div class="zoom"><button type="button" data-zoom="in">+</button><button type="button"
data-zoom="out">&minus;</button><button type="button" data-zoom="home">&#8962;</button></div>
<div class="tip" hidden></div>
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
"""

# Trusted, ours: draws `data` (see map_drawing.drawing) and sends back {"ticket": id},
# {"district": code} or {"cell": [lat, lon]} as the trigger `pick`.
_JS = """
const SVG = "http://www.w3.org/2000/svg";
const NAME_PX = 14, RING_PX = 16, STEP = 1.6, MAX_K = 16, MIN_K = 0.5;
const RADIUS = {late: 7, open: 4, done: 3};

function shape(tag, attrs, parent) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  parent.appendChild(el);
  return el;
}

function create(host) {
  const svg = host.querySelector("svg"), world = host.querySelector(".world");
  const tip = host.querySelector(".tip");
  const map = {host, svg, world, tip, k: 1, tx: 0, ty: 0, sig: null, frame: null,
               tips: [], picks: [], send: null};
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
  for (const group of [districts, points, rings, names]) group.replaceChildren();
  map.tips = [];
  map.picks = [];
  const mark = (el, tip, pick) => {
    el.dataset.tip = map.tips.push(tip) - 1;
    if (pick) el.dataset.pick = map.picks.push(pick) - 1;
  };
  for (const d of data.districts)
    mark(shape("path", {d: d.d, "data-code": d.code, class: d.pick ? "pickable" : ""},
               districts), d.tip, d.pick ? {district: d.code} : null);
  for (const p of data.points)
    mark(shape("circle", {cx: p.at[0], cy: p.at[1], class: p.kind, "data-r": RADIUS[p.kind],
                          "data-id": p.id}, points), p.tip, {ticket: p.id});
  for (const c of data.cells)
    mark(shape("circle", {cx: c.at[0], cy: c.at[1], class: "cell", "data-r": c.r}, points),
         c.tip, {cell: [c.lat, c.lon]});
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
