"""The weekly meeting's pack: a PDF in the interface language, with real (searchable) text and
vector charts and map, so it prints crisp at A4 and projects from a file.

Page one holds the city's headline figures beside the week before and the usual (the mean of the
four weeks before), the map of the week's problem points and eight weeks of trend; then a page
for each department that needs discussing (most overdue at the week's end first) with its figures
and its oldest open tickets. Fonts: DejaVu Sans (Debian's fonts-dejavu-core), which has Cyrillic.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import Connection

from db.config import city_tz
from queries.filters import Filters
from queries.lookups import district_list
from queries.tickets import TicketQuery, oldest_open, ticket_page
from queries.week import CITY, WeekFigures, WeekReview, week_figures, week_points
from words.formatting import duration, instant, number, percent, week_dates, week_start, zone_name
from words.language import name_in, translate

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
TREND_WEEKS = 8
HEADLINE = ("received", "resolved", "on_time_pct", "median_accept_s", "median_resolve_s",
            "open_at_end", "overdue_at_end", "passed_on")
# Whether a rise is good news, for the colour of a change.
UP_IS_GOOD = {"resolved": True, "on_time_pct": True, "received": None, "passed_on": None}
INK, GREY, RED, GREEN, BLUE = (20, 24, 33), (110, 116, 128), (196, 30, 58), (21, 128, 61), \
    (37, 99, 235)


class FontMissing(RuntimeError):
    """No font with Cyrillic is installed."""


def _font(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FontMissing(f"the PDF needs {name}: install Debian's fonts-dejavu-core")


def figure_text(name: str, value, lang: str) -> str:
    """A weekly figure as the pack and the page write it."""
    if name == "on_time_pct":
        return percent(value, lang)
    if name.startswith("median_"):
        return duration(value, lang)
    return number(value, lang, 1 if isinstance(value, float) and value != int(value) else 0)


def change_text(name: str, now, before, lang: str) -> str:
    """How much a figure moved: ±N, or ±N pp for a share; empty when either side is missing."""
    if now is None or before is None:
        return ""
    delta = now - before
    if name == "on_time_pct":
        text = number(abs(delta), lang, 1) + (" п. п." if lang == "ru" else " pp")
    elif name.startswith("median_"):
        text = duration(abs(delta), lang)
    else:
        text = number(abs(delta), lang, 1 if delta != int(delta) else 0)
    return ("+" if delta > 0 else "−" if delta < 0 else "±") + text


def tone(name: str, now, before) -> tuple[int, int, int]:
    """Green for good news, red for bad, grey when neither or unchanged."""
    if now is None or before is None or now == before:
        return GREY
    up_good = UP_IS_GOOD.get(name, False)  # open, overdue and the medians: down is good
    if up_good is None:
        return GREY
    return GREEN if (now > before) == up_good else RED


class Pack(FPDF):
    """A4 portrait with the week and the page number at the foot of each page."""

    def __init__(self, review: WeekReview, lang: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.review, self.lang = review, lang
        self.add_font("DejaVu", "", str(_font("DejaVuSans.ttf")))
        self.add_font("DejaVu", "B", str(_font("DejaVuSans-Bold.ttf")))
        self.set_auto_page_break(True, margin=16)
        self.set_margins(14, 14, 14)
        self.set_title(self.t("week.pack.title", week=week_dates(review.week, lang)))
        self.set_creator("Citydesk")

    def t(self, key: str, **values) -> str:
        return translate(self.lang, key, **values)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"Citydesk · {week_dates(self.review.week, self.lang)} · "
                        f"{self.page_no()}", align="R")

    def heading(self, text: str, size: float = 16) -> None:
        self.set_font("DejaVu", "B", size)
        self.set_text_color(*INK)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def note(self, text: str, size: float = 9) -> None:
        self.set_font("DejaVu", "", size)
        self.set_text_color(*GREY)
        self.multi_cell(0, size * 0.45, text, new_x="LMARGIN", new_y="NEXT")


def write_pack(conn: Connection, review: WeekReview, path: str | Path, lang: str) -> Path:
    """Write the meeting pack of `review` to `path`; returns the path."""
    path = Path(path)
    path.write_bytes(pack_bytes(conn, review, lang))
    return path


def pack_bytes(conn: Connection, review: WeekReview, lang: str) -> bytes:
    """The meeting pack as PDF bytes (the page's download button serves these)."""
    pdf = Pack(review, lang)
    names = {r.id: r for r in review.departments.itertuples()}
    trend = [week_figures(conn, review.week.shifted(-k))[CITY]
             for k in range(TREND_WEEKS - 1, -1, -1)]
    _first_page(pdf, review, conn, trend)
    for dept in review.discuss():
        _department_page(pdf, review, conn, dept, names[dept])
    return bytes(pdf.output())


def _period(review: WeekReview, lang: str) -> str:
    tz = city_tz()
    first = instant(review.week.start, tz, lang).split(",")[0] if lang == "en" \
        else review.week.start.astimezone(tz).strftime("%d.%m.%Y")
    last_day = review.week.end.astimezone(tz)
    last = last_day.strftime("%d.%m.%Y") if lang == "ru" else instant(last_day, tz, lang)
    return f"{first} 00:00 – {last.split(',')[0] if lang == 'en' else last} 00:00"


def _figure_table(pdf: Pack, now: WeekFigures, before: WeekFigures,
                  usual: dict[str, float | None]) -> None:
    heads = (pdf.t("week.col.figure"), pdf.t("week.col.this"), pdf.t("week.col.before"),
             pdf.t("week.col.change"), pdf.t("week.col.usual"))
    widths = (64, 30, 30, 32, 26)
    pdf.set_font("DejaVu", "B", 9)
    pdf.set_text_color(*GREY)
    for head, width in zip(heads, widths, strict=True):
        pdf.cell(width, 6, head, align="L" if width == 64 else "R")
    pdf.ln()
    for name in HEADLINE:
        value, previous = getattr(now, name), getattr(before, name)
        pdf.set_font("DejaVu", "", 10)
        pdf.set_text_color(*INK)
        pdf.cell(widths[0], 6.4, pdf.t(f"week.figure.{name}"))
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(widths[1], 6.4, figure_text(name, value, pdf.lang), align="R")
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(widths[2], 6.4, figure_text(name, previous, pdf.lang), align="R")
        pdf.set_text_color(*tone(name, value, previous))
        pdf.cell(widths[3], 6.4, change_text(name, value, previous, pdf.lang), align="R")
        pdf.set_text_color(*GREY)
        pdf.cell(widths[4], 6.4, figure_text(name, usual.get(name), pdf.lang), align="R")
        pdf.ln()


def _first_page(pdf: Pack, review: WeekReview, conn: Connection,
                trend: list[WeekFigures]) -> None:
    pdf.add_page()
    pdf.heading(pdf.t("week.pack.title", week=week_dates(review.week, pdf.lang)), 18)
    pdf.note(_period(review, pdf.lang) + f" ({zone_name(city_tz(), pdf.lang)})", 10)
    pdf.ln(3)
    _figure_table(pdf, review.figures[CITY], review.previous[CITY], review.usual[CITY])
    pdf.ln(3)
    top = pdf.get_y()
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_text_color(*INK)
    pdf.cell(0, 6, pdf.t("week.pack.map"), new_x="LMARGIN", new_y="NEXT")
    _map(pdf, conn, review, pdf.l_margin, top + 7, 96, 96)
    _trend(pdf, trend, review, pdf.l_margin + 104, top + 7, 78, 38)
    _rises(pdf, review, pdf.l_margin + 104, top + 62)
    pdf.set_y(max(top + 108, pdf.get_y() + 2))
    pdf.note(pdf.t("week.pack.legend"), 8)


def _map(pdf: Pack, conn: Connection, review: WeekReview, x: float, y: float, w: float,
         h: float) -> None:
    """The week's problem points over the district outlines, in an equirectangular frame."""
    points = week_points(conn, review.week)
    outlined = [(name_in(row, pdf.lang), json.loads(row["outline"]))
                for row in district_list(conn).to_dict("records") if row["outline"]]
    rings = [ring for _, shape in outlined for ring in _rings(shape)]
    lats = [p[1] for ring in rings for p in ring] + list(points["lat"])
    lons = [p[0] for ring in rings for p in ring] + list(points["lon"])
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, w, h)
    if not lats:
        pdf.set_xy(x, y + h / 2)
        pdf.note(pdf.t("week.pack.no_points"))
        return
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    squash = math.cos(math.radians((lat0 + lat1) / 2))
    span = max((lon1 - lon0) * squash, lat1 - lat0) or 0.01
    scale = (min(w, h) - 6) / span

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (x + w / 2 + ((lon - (lon0 + lon1) / 2) * squash) * scale,
                y + h / 2 - (lat - (lat0 + lat1) / 2) * scale)

    pdf.set_draw_color(170, 176, 186)
    pdf.set_fill_color(244, 245, 247)
    for ring in rings:
        pdf.polygon([xy(lon, lat) for lon, lat in ring], style="DF")
    for overdue in (0, 1):
        chosen = points[points["overdue"] == overdue]
        pdf.set_fill_color(*(RED if overdue else BLUE))
        radius = 0.9 if overdue else 0.45
        for lat, lon in zip(chosen["lat"], chosen["lon"], strict=True):
            cx, cy = xy(lon, lat)
            pdf.circle(cx, cy, radius, style="F")
    places = [(name, [xy(lon, lat) for lon, lat in max(_rings(shape), key=_area)])
              for name, shape in outlined if any(_rings(shape))]
    _names(pdf, places, (x, y, x + w, y + h))


def _names(pdf: Pack, places: list[tuple[str, list[tuple[float, float]]]],
           frame: tuple[float, float, float, float]) -> None:
    """Each district's name at the centre of its outline (in mm on the page), the largest
    district first, on a light backing over the points; a name that would touch one already
    written or leave the map is left out, as on the screen's maps."""
    pdf.set_font("DejaVu", "B", 6)
    taken: list[tuple[float, float, float, float]] = []
    for name, ring in sorted(places, key=lambda place: -_area(place[1])):
        cx, cy = _centre(ring)
        half_w, half_h = pdf.get_string_width(name) / 2 + 0.6, 1.4
        box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        inside = frame[0] < box[0] and box[2] < frame[2] and frame[1] < box[1] and box[3] < frame[3]
        if not inside or any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3]
                             for o in taken):
            continue
        taken.append(box)
        with pdf.local_context(fill_opacity=0.75):
            pdf.set_fill_color(255, 255, 255)
            pdf.rect(box[0], box[1], 2 * half_w, 2 * half_h, style="F")
        pdf.set_text_color(*INK)
        pdf.set_xy(box[0], box[1])
        pdf.cell(2 * half_w, 2 * half_h, name, align="C")


def _area(ring) -> float:
    """A ring's area (shoelace), in the square of its coordinates' unit."""
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1],
                                                                       strict=True))) / 2


def _centre(ring: list[tuple[float, float]]) -> tuple[float, float]:
    """A ring's centroid (its vertices' mean when it has no area)."""
    pairs = list(zip(ring, ring[1:] + ring[:1], strict=True))
    cross = [x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairs]
    twice = sum(cross)
    if abs(twice) < 1e-9:
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    return (sum((x0 + x1) * c for ((x0, _), (x1, _)), c in zip(pairs, cross, strict=True))
            / (3 * twice),
            sum((y0 + y1) * c for ((_, y0), (_, y1)), c in zip(pairs, cross, strict=True))
            / (3 * twice))


def _rings(shape: dict) -> Iterable[list[list[float]]]:
    """The outer rings of a GeoJSON Polygon or MultiPolygon."""
    if shape.get("type") == "Polygon":
        yield shape["coordinates"][0]
    elif shape.get("type") == "MultiPolygon":
        for polygon in shape["coordinates"]:
            yield polygon[0]


def _trend(pdf: Pack, trend: list[WeekFigures], review: WeekReview, x: float, y: float,
           w: float, h: float) -> None:
    """Received and resolved by week (bars), the last one the week under review; under each
    week its two figures, in the bars' colours, so the chart is read without a ruler."""
    pdf.set_xy(x, y - 7)
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_text_color(*INK)
    pdf.cell(w, 6, pdf.t("week.pack.trend", n=len(trend)))
    top = max([1] + [max(f.received, f.resolved) for f in trend])
    slot = w / len(trend)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(*GREY)
    pdf.line(x, y + h, x + w, y + h)
    for i, f in enumerate(trend):
        for j, (value, colour) in enumerate(((f.received, BLUE), (f.resolved, GREEN))):
            bar = h * value / top
            pdf.set_fill_color(*colour)
            pdf.rect(x + i * slot + 1 + j * (slot - 2) / 2, y + h - bar, (slot - 2) / 2, bar,
                     style="F")
        last = i == len(trend) - 1
        pdf.set_font("DejaVu", "B" if last else "", 6.5)
        pdf.set_text_color(*(INK if last else GREY))
        pdf.set_xy(x + i * slot, y + h + 0.5)
        pdf.cell(slot, 3, week_start(review.week.shifted(i - len(trend) + 1), pdf.lang),
                 align="C")
        for row, (value, colour) in enumerate(((f.received, BLUE), (f.resolved, GREEN))):
            pdf.set_text_color(*colour)
            pdf.set_xy(x + i * slot, y + h + 3.7 + row * 3)
            pdf.cell(slot, 3, _fit(pdf, number(value, pdf.lang), slot), align="C")
    pdf.set_xy(x, y + h + 10.5)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(*BLUE)
    pdf.cell(w / 2, 4, "■ " + pdf.t("week.figure.received"))
    pdf.set_text_color(*GREEN)
    pdf.cell(w / 2, 4, "■ " + pdf.t("week.figure.resolved"))


def _rises(pdf: Pack, review: WeekReview, x: float, y: float) -> None:
    pdf.set_xy(x, y)
    for key, found in (("week.rises.categories", review.categories),
                       ("week.rises.districts", review.districts)):
        pdf.set_x(x)
        pdf.set_font("DejaVu", "B", 10)
        pdf.set_text_color(*INK)
        pdf.cell(0, 5.5, pdf.t(key), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8.5)
        if not found:
            pdf.set_x(x)
            pdf.set_text_color(*GREY)
            pdf.cell(0, 4.5, pdf.t("week.rises.none"), new_x="LMARGIN", new_y="NEXT")
        for r in found:
            pdf.set_x(x)
            pdf.set_text_color(*INK)
            name = (r.name_ru if pdf.lang == "ru" and r.name_ru else r.name)[:34]
            pdf.cell(54, 4.5, name)
            pdf.set_text_color(*RED)
            pdf.cell(24, 4.5, pdf.t("week.rises.row", count=r.count,
                                    usual=number(r.usual, pdf.lang, 1)), align="R",
                     new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)


def _department_page(pdf: Pack, review: WeekReview, conn: Connection, dept: int, row) -> None:
    """Its figures, then what to discuss: the tickets overdue at the week's end (most overdue
    first, each with its due and age), then the oldest still open, overdue ones in red."""
    pdf.add_page()
    pdf.heading(name_in(row._asdict(), pdf.lang), 15)
    pdf.note(pdf.t("week.pack.department_note", week=week_dates(review.week, pdf.lang)), 9)
    pdf.ln(2)
    _figure_table(pdf, review.figures[dept], review.previous[dept], review.usual[dept])
    f = Filters(as_of=review.week.end, tz=review.week.tz, departments=(row.code,))
    overdue, total = ticket_page(conn, f, TicketQuery(subset="overdue", sort="due",
                                                      descending=False, page_size=OVERDUE_ROWS))
    pdf.ln(4)
    _section(pdf, pdf.t("week.pack.overdue", n=number(total, pdf.lang)))
    _ticket_rows(pdf, review, overdue, OVERDUE_COLUMNS)
    if total > len(overdue):
        pdf.note(pdf.t("week.pack.more", n=number(total - len(overdue), pdf.lang)), 8)
    if overdue.empty:
        pdf.note(pdf.t("week.pack.overdue_none"))
    pdf.ln(4)
    _section(pdf, pdf.t("week.oldest"))
    room = (pdf.h - pdf.b_margin - pdf.get_y() - 5) // ROW  # the rest of the page, less the heads
    oldest = oldest_open(conn, f, limit=int(max(3, min(room, OLDEST_ROWS))))
    _ticket_rows(pdf, review, oldest, OLDEST_COLUMNS)
    if oldest.empty:
        pdf.note(pdf.t("week.oldest.none"))


# A department page's two lists: their columns (catalog key, width in mm) and their most rows:
# the overdue ones first, then the oldest as many as fill the rest of the page, never a second.
ROW = 5  # mm
OVERDUE_ROWS, OLDEST_ROWS = 18, 30
OVERDUE_COLUMNS = (("col.id", 24), ("col.category", 38), ("col.address", 42), ("col.due", 27),
                   ("week.col.overdue_by", 28), ("week.col.age", 23))
OLDEST_COLUMNS = (("col.id", 24), ("col.created", 27), ("col.category", 40), ("col.address", 38),
                  ("col.due", 27), ("week.col.age", 26))


def _section(pdf: Pack, title: str) -> None:
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_text_color(*INK)
    pdf.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")


def _ticket_rows(pdf: Pack, review: WeekReview, rows, columns: tuple) -> None:
    """A list of tickets as of the week's end; a ticket overdue then has its due and how long
    it was overdue in red."""
    if rows.empty:
        return
    pdf.set_font("DejaVu", "B", 8)
    pdf.set_text_color(*GREY)
    for key, width in columns:
        pdf.cell(width, ROW, _fit(pdf, pdf.t(key), width - 1))
    pdf.ln()
    pdf.set_font("DejaVu", "", 8)
    tz, end = city_tz(), review.week.end
    for ticket in rows.to_dict("records"):
        late = ticket["due_at"] is not None and ticket["due_at"] < end
        cells = {
            "col.id": str(ticket["external_id"]),
            "col.created": instant(ticket["created_at"], tz, pdf.lang),
            "col.category": name_in(ticket, pdf.lang, "category"),
            "col.address": str(ticket["address"] or ""),
            "col.due": instant(ticket["due_at"], tz, pdf.lang),
            "week.col.overdue_by": duration((end - ticket["due_at"]).total_seconds(), pdf.lang)
            if late else "",
            "week.col.age": duration((end - ticket["created_at"]).total_seconds(), pdf.lang),
        }
        for key, width in columns:
            red = late and key in ("col.due", "week.col.overdue_by")
            pdf.set_text_color(*(RED if red else INK))
            pdf.cell(width, ROW, _fit(pdf, cells[key], width - 1))
        pdf.ln()


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut with an ellipsis to fit `width` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
