"""CSV exports a spreadsheet opens as the office's own: in Russian, UTF-8 with a BOM (or Excel
shows Cyrillic as garbage), ";" between fields and "," before decimals (Russian Excel's list
and decimal separators); in English "," and "."; headers and values in the interface language,
instants in the city's time, durations also as hours in a column of numbers. And never as
formulas: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (`=HYPERLINK(…)`, `@SUM(…)`, DDE), so, as
OWASP's "CSV Injection" advises, it gets a leading apostrophe and every text field is quoted;
numbers stay numbers.

Every function here is plain (a frame and a language in, text or bytes out): a download button
builds its file after the click, outside the script run, where a Streamlit call would only log
"missing ScriptRunContext".
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine

from db.schema import OPEN_STATUSES
from queries import alerts, audit_log, tickets
from queries.filters import Filters
from ui import sla as sla_ui
from ui.history import event_kind, event_note
from ui.i18n import name_of
from words.formatting import hours, instant, zone_name
from words.language import translate

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: object) -> object:
    """A text cell as a spreadsheet shows it but cannot run it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _inert(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.rename(columns=lambda c: inert_cell(str(c)))
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(inert_cell)
    return safe


def local_time(value, tz: ZoneInfo, lang: str) -> str:
    """An instant in the city's time, as a spreadsheet in that language reads a date and time."""
    if value is None or pd.isna(value):
        return ""
    local = value.astimezone(tz)
    return local.strftime("%d.%m.%Y %H:%M:%S" if lang == "ru" else "%Y-%m-%d %H:%M:%S")


def csv_bytes(frame: pd.DataFrame, lang: str) -> bytes:
    """The frame as a CSV file for a spreadsheet in that language (see the module's doc)."""
    separators = {"sep": ";", "decimal": ","} if lang == "ru" else {}
    text = _inert(frame).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC, **separators)
    return text.encode("utf-8-sig")


def csv_text(frame: pd.DataFrame) -> str:
    """The frame as English CSV text, every text cell made inert."""
    return csv_bytes(frame, "en").decode("utf-8-sig")


def file_name(what: str, as_of: datetime, tz: ZoneInfo) -> str:
    """citydesk-overdue-20261120-1405.csv: the instant in the city's time, where the user is."""
    return f"citydesk-{what}-{as_of.astimezone(tz):%Y%m%d-%H%M}.csv"


# The columns of the two ticket tables, in the order the screen shows them.
TABLE_COLUMNS = ("id", "created", "status", "time_left", "due", "category", "department",
                 "district", "channel", "address")
QUEUE_COLUMNS = ("time_left", "due", "id", "status", "category", "district", "address",
                 "created", "priority")
HEADERS = {"id": "col.id", "created": "col.created", "status": "col.status",
           "time_left": "col.time_left", "due": "col.due", "category": "col.category",
           "department": "col.department", "district": "col.district",
           "channel": "col.channel", "address": "col.address", "priority": "col.priority"}


def shown_columns(frame: pd.DataFrame, lang: str, tz: ZoneInfo, columns: tuple[str, ...],
                  as_of: datetime | None = None) -> pd.DataFrame:
    """A ticket table's columns as the screen shows them (the same texts in the CSV): its time
    left and due by the one deadline rule (`ui.sla`, docs/figures.md)."""
    records = frame.to_dict("records")
    build = {
        "id": lambda: frame["external_id"],
        "created": lambda: [instant(v, tz, lang) for v in frame["created_at"]],
        "status": lambda: [translate(lang, f"status.{s}") for s in frame["status"]],
        "time_left": lambda: sla_ui.left_column(frame, lang, tz, as_of),
        "due": lambda: sla_ui.due_column(frame, lang, tz, as_of),
        "category": lambda: [name_of(r, lang, "category") for r in records],
        "department": lambda: [name_of(r, lang, "department") for r in records],
        "district": lambda: [name_of(r, lang, "district") for r in records],
        "channel": lambda: [name_of(r, lang, "channel") for r in records],
        "address": lambda: frame["address"].fillna(""),
        "priority": lambda: [translate(lang, f"priority.{p}") for p in frame["priority"]],
    }
    return pd.DataFrame({translate(lang, HEADERS[c]): list(build[c]()) for c in columns},
                        index=range(len(frame)))


def ticket_frame(frame: pd.DataFrame, lang: str, tz: ZoneInfo,
                 columns: tuple[str, ...] = TABLE_COLUMNS,
                 as_of: datetime | None = None) -> pd.DataFrame:
    """Tickets as the export lists them: the screen's columns in the screen's order, then what
    the screen leaves out: the other columns, the time left in hours (working hours where the
    deadline counts them; negative: overdue), the instants in full, and the text."""
    def tr(key: str, **values) -> str:
        return translate(lang, key, **values)

    zone = zone_name(tz, lang)
    out = shown_columns(frame, lang, tz, columns + tuple(c for c in HEADERS if c not in columns),
                        as_of)
    is_open = [s in OPEN_STATUSES for s in frame["status"]]
    left = (frame["left_s"] if "left_s" in frame else frame["time_left_s"]).astype("float64")
    out[tr("export.hours_left")] = [hours(s) if o else None
                                    for s, o in zip(left, is_open, strict=True)]
    for column, key in (("created_at", "field.created_at"), ("due_at", "field.due_at"),
                        ("accepted_at", "field.accepted_at"),
                        ("resolved_at", "field.resolved_at")):
        out[tr("export.at", what=tr(key), zone=zone)] = [local_time(v, tz, lang)
                                                         for v in frame[column]]
    out[tr("col.description")] = frame["description"].fillna("").to_numpy()
    return out


def tickets_csv(engine: Engine, f: Filters, q: tickets.TicketQuery, lang: str,
                tz: ZoneInfo) -> Callable[[], bytes]:
    """A download button's `data`: every ticket behind the table, in the table's order and
    columns, read when the user clicks."""
    def build() -> bytes:
        with engine.connect() as conn:
            rows = tickets.ticket_rows(conn, f, q)
        return csv_bytes(ticket_frame(rows, lang, tz, TABLE_COLUMNS, f.as_of), lang)
    return build


def queue_csv(engine: Engine, f: Filters, search: str, lang: str,
              tz: ZoneInfo) -> Callable[[], bytes]:
    """A download button's `data`: the department's queue as on screen, read on the click."""
    def build() -> bytes:
        with engine.connect() as conn:
            rows = tickets.queue(conn, f, search)
        return csv_bytes(ticket_frame(rows, lang, tz, QUEUE_COLUMNS, f.as_of), lang)
    return build


def audit_csv(engine: Engine, f: audit_log.AuditFilters, lang: str, tz: ZoneInfo,
              department_name: Callable[[str | None], str]) -> Callable[[], bytes]:
    """A download button's `data`: the audit events behind the filters, read on the click."""
    def build() -> bytes:
        with engine.connect() as conn:
            rows = audit_log.audit_rows(conn, f)
        zone = zone_name(tz, lang)
        out = pd.DataFrame({
            translate(lang, "export.at", what=translate(lang, "ev.when"), zone=zone):
                [local_time(v, tz, lang) for v in rows["at"]],
            translate(lang, "ev.who"): rows["actor"].fillna(""),
            translate(lang, "ev.what"): [event_kind(k, n, lang)
                                         for k, n in zip(rows["kind"], rows["note"], strict=True)],
            translate(lang, "col.id"): rows["ticket"],
            translate(lang, "ev.from"): [department_name(c) for c in rows["from_department"]],
            translate(lang, "ev.to"): [department_name(c) for c in rows["to_department"]],
            translate(lang, "audit.why"): [event_note(n, lang) for n in rows["note"]],
        })
        return csv_bytes(out, lang)
    return build


def alert_table(rows: pd.DataFrame, lang: str, tz: ZoneInfo, for_csv: bool = False) -> pd.DataFrame:
    """The alerts as the Alerts page and its export list them, in the language."""
    def tr(key: str, **values) -> str:
        return translate(lang, key, **values)

    def when(column: str) -> str:
        return tr("export.at", what=tr(column), zone=zone_name(tz, lang)) if for_csv else tr(column)

    return pd.DataFrame({
        when("alerts.col.created"): [local_time(v, tz, lang) for v in rows["created_at"]],
        tr("alerts.col.kind"): [tr(f"alerts.kind.{k}") for k in rows["kind"]],
        tr("alerts.col.recipient"): rows["recipient"],
        tr("alerts.col.channel"): [tr(f"alerts.channel.{c}") for c in rows["channel"]],
        tr("alerts.col.state"): [tr(f"alerts.state.{s}") for s in rows["state"]],
        when("alerts.col.sent"): [local_time(v, tz, lang) if v is not None and not pd.isna(v)
                                  else "" for v in rows["sent_at"]],
        tr("alerts.col.attempts"): rows["attempts"].astype(int),
        tr("alerts.col.text"): rows["body"],
        tr("alerts.col.error"): rows["last_error"].fillna(""),
    })


def alerts_csv(engine: Engine, f: alerts.AlertFilters, lang: str,
               tz: ZoneInfo) -> Callable[[], bytes]:
    """A download button's `data`: the alerts behind the filters, read on the click."""
    def build() -> bytes:
        with engine.connect() as conn:
            rows = alerts.alert_rows(conn, f)
        return csv_bytes(alert_table(rows, lang, tz, for_csv=True), lang)
    return build
