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
from queries.tickets import oldest_open
from queries.week import CITY, WeekFigures, WeekReview, week_figures, week_points
from ui.formatting import duration, instant, number, percent, zone_name
from ui.i18n import translate

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
        self.set_title(self.t("week.pack.title", week=review.week.label))
        self.set_creator("Citydesk")

    def t(self, key: str, **values) -> str:
        return translate(self.lang, key, **values)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"Citydesk · {self.review.week.label} · {self.page_no()}", align="R")

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
    pdf.heading(pdf.t("week.pack.title", week=review.week.label), 18)
    pdf.note(_period(review, pdf.lang) + f" ({zone_name(city_tz(), pdf.lang)})", 10)
    pdf.ln(3)
    _figure_table(pdf, review.figures[CITY], review.previous[CITY], review.usual[CITY])
    pdf.ln(3)
    top = pdf.get_y()
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_text_color(*INK)
    pdf.cell(0, 6, pdf.t("week.pack.map"), new_x="LMARGIN", new_y="NEXT")
    _map(pdf, conn, review, pdf.l_margin, top + 7, 96, 96)
    _trend(pdf, trend, review, pdf.l_margin + 104, top + 7, 78, 44)
    _rises(pdf, review, pdf.l_margin + 104, top + 58)
    pdf.set_y(max(top + 108, pdf.get_y() + 2))
    pdf.note(pdf.t("week.pack.legend"), 8)


def _map(pdf: Pack, conn: Connection, review: WeekReview, x: float, y: float, w: float,
         h: float) -> None:
    """The week's problem points over the district outlines, in an equirectangular frame."""
    points = week_points(conn, review.week)
    shapes = [json.loads(o) for o in district_list(conn)["outline"].dropna() if o]
    rings = [ring for shape in shapes for ring in _rings(shape)]
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


def _rings(shape: dict) -> Iterable[list[list[float]]]:
    """The outer rings of a GeoJSON Polygon or MultiPolygon."""
    if shape.get("type") == "Polygon":
        yield shape["coordinates"][0]
    elif shape.get("type") == "MultiPolygon":
        for polygon in shape["coordinates"]:
            yield polygon[0]


def _trend(pdf: Pack, trend: list[WeekFigures], review: WeekReview, x: float, y: float,
           w: float, h: float) -> None:
    """Received and resolved by week (bars), the last one the week under review."""
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
        pdf.set_font("DejaVu", "", 6.5)
        pdf.set_text_color(*GREY)
        pdf.set_xy(x + i * slot, y + h + 0.5)
        pdf.cell(slot, 3, review.week.shifted(i - len(trend) + 1).label[-3:], align="C")
    pdf.set_xy(x, y + h + 4)
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
    pdf.add_page()
    name = row.name_ru if pdf.lang == "ru" and row.name_ru else row.name
    pdf.heading(name, 15)
    pdf.note(pdf.t("week.pack.department_note", week=review.week.label), 9)
    pdf.ln(2)
    _figure_table(pdf, review.figures[dept], review.previous[dept], review.usual[dept])
    pdf.ln(4)
    f = Filters(as_of=review.week.end, tz=review.week.tz, departments=(row.code,))
    oldest = oldest_open(conn, f, limit=10)
    pdf.set_font("DejaVu", "B", 11)
    pdf.set_text_color(*INK)
    pdf.cell(0, 6, pdf.t("week.oldest"), new_x="LMARGIN", new_y="NEXT")
    widths = (26, 30, 48, 56, 22)
    heads = ("col.id", "col.created", "col.category", "col.address", "week.col.age")
    pdf.set_font("DejaVu", "B", 8)
    pdf.set_text_color(*GREY)
    for head, width in zip(heads, widths, strict=True):
        pdf.cell(width, 5, pdf.t(head))
    pdf.ln()
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(*INK)
    tz = city_tz()
    for ticket in oldest.to_dict("records"):
        category = ticket["category_ru"] if pdf.lang == "ru" and ticket["category_ru"] \
            else ticket["category"]
        age = (review.week.end - ticket["created_at"]).total_seconds()
        cells = (str(ticket["external_id"]), instant(ticket["created_at"], tz, pdf.lang),
                 str(category), str(ticket["address"] or ""), duration(age, pdf.lang))
        for text, width in zip(cells, widths, strict=True):
            pdf.cell(width, 5, _fit(pdf, text, width - 1))
        pdf.ln()
    if oldest.empty:
        pdf.note(pdf.t("week.oldest.none"))


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut with an ellipsis to fit `width` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
