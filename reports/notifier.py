"""`python -m db notify`: the desk tells the people who must act, once.

A pass at an instant `now` does three things:
1. finds what each recipient must hear of (`detect`): tickets of their department at risk or
   newly overdue, new incidents and spikes, feeds gone stale or recovered, the morning's figures
   at their hour, the week's pack before the meeting;
2. records each message in `notifications` under its unique key, held past the recipient's
   quiet hours (`desk.outbox.record`: a message recorded before is not recorded again, whichever
   notifier recorded it);
3. claims what is due and delivers it (`desk.outbox.claim`), one digest per recipient and kind for
   tickets, one message for anything else; a failure is retried with backoff by later passes.
The notifier is itself a feed (kind `notify`): each pass records its success, or its failures in
one redacted line, where the pages show feed health.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError
from tqdm import tqdm

from desk import outbox
from feeds import health as feeds
from queries.alerts import category_departments, department_names, tickets_in
from queries.counters import counters
from queries.feeds import feed_health
from queries.filters import Filters
from queries.incidents import incidents
from queries.spikes import spikes
from queries.week import last_full_week, parse_week, review
from reports import alert_text
from reports.alert_rules import AlertRules, AlertRulesError, Recipient
from reports.delivery import Attachment, DeliveryError, Redactor, send_email, send_telegram
from words.formatting import instant, number, week_dates
from words.language import translate

NAME = KIND = "notify"  # the notifier's own row among the feeds
DIGESTS = ("at_risk", "overdue")  # one message per pass lists all of a recipient's tickets
ON_TIME = timedelta(hours=1)  # the morning's message is sent within this of its hour, else never
WEEK_ON_TIME = timedelta(hours=2)  # and the week's pack
OVERLAP = timedelta(minutes=10)  # "became overdue since the last pass" looks back this much more


class PastInstant(ValueError):
    """A pass was asked for an instant before the last one: nothing is sent from a past view."""


@dataclass
class PassReport:
    recorded: int = 0
    delivered: int = 0  # messages (a digest counts once)
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.recorded} recorded, {self.delivered} delivered, {self.failed} failed"
                + (f" ({self.errors[0]})" if self.errors else ""))


Sender = Callable[[Row, str, str, Attachment | None], None]


class Notifier:
    """The passes of one notifier over `engine` with `rules` (see the module's text)."""

    def __init__(self, engine: Engine, rules: AlertRules, every: int, tz: ZoneInfo,
                 at_risk: timedelta, progress: bool = False) -> None:
        self.engine, self.rules, self.every, self.tz = engine, rules, every, tz
        self.at_risk, self.progress = at_risk, progress
        self.redact = Redactor(tuple(s for s in (
            rules.telegram_token, rules.smtp.password if rules.smtp else None) if s))
        with engine.connect() as conn:
            self.departments = self._resolve(department_names(conn))
            self.category_department = category_departments(conn)

    def _resolve(self, known) -> dict[str, tuple[str, str, str]]:
        """recipient name → (code, name, Russian name) of their department; AlertRulesError
        naming the recipient whose department the database does not know."""
        out = {}
        for r in self.rules.recipients:
            if r.department is None:
                continue
            wanted = r.department.strip().casefold()
            match = [row for row in known.itertuples() if wanted in (
                row.code.casefold(), row.name.casefold(), (row.name_ru or "").casefold())]
            if not match:
                raise AlertRulesError(f"recipient {r.name!r}: no department {r.department!r}")
            row = match[0]
            out[r.name] = (row.code, row.name, row.name_ru or row.name)
        return out

    # -- one pass -------------------------------------------------------------------------------
    def run(self, now: datetime, replay: bool = True) -> PassReport:
        """One pass at `now`. A `replay` (an instant given, not the clock's) for an instant
        before the last pass's raises PastInstant; the clock's own passes only keep the latest
        instant (two notifiers' clocks may differ by a little)."""
        self._ensure_feed()
        with self.engine.connect() as conn:
            state = feeds.cursor(conn, NAME) or {}
        last = datetime.fromisoformat(state["last"]) if state.get("last") else None
        if replay and last is not None and now < last:
            raise PastInstant(f"the notifier last ran for {last.isoformat()}; it never runs for "
                              "an earlier instant (nothing is sent from a past view)")
        report = PassReport()
        with self.engine.begin() as conn:
            rows = sorted(self.detect(conn, now, last), key=lambda r: (
                r["kind"], r["key"], r["recipient"], r["channel"]))
            report.recorded = outbox.record(conn, rows)
        token = uuid.uuid4().hex
        with self.engine.begin() as conn:
            held = outbox.claim(conn, token, now)
        self._deliver(held, token, now, report)
        cursor = {"first": state.get("first") or now.isoformat(),
                  "last": max(now, last or now).isoformat()}
        with self.engine.begin() as conn:
            feeds.advance(conn, NAME, now, cursor, counts={
                "sent": report.delivered, "retried": report.failed}, success=not report.errors)
            if report.errors:
                feeds.fail(conn, NAME, now, f"{report.failed} not delivered, retried later: "
                                            + "; ".join(report.errors[:3]))
        return report

    def _ensure_feed(self) -> None:
        try:
            with self.engine.begin() as conn:
                feeds.ensure(conn, NAME, KIND, self.every)
        except IntegrityError:  # another notifier made the row at the same moment
            pass

    # -- what to say ----------------------------------------------------------------------------
    def detect(self, conn: Connection, now: datetime, last: datetime | None) -> list[dict]:
        """Every message each recipient is owed at `now` (recorded ones included: `record`
        skips them)."""
        f = Filters(as_of=now, tz=self.tz.key, at_risk=self.at_risk)
        overdue_after = (last or now - timedelta(seconds=self.every)) - OVERLAP
        shared: dict[str, object] = {}

        def once(name: str, compute: Callable[[], object]):
            if name not in shared:
                shared[name] = compute()
            return shared[name]

        rows: list[dict] = []
        for r in self.rules.recipients:
            dept = self.departments.get(r.name)
            scope_f = f.with_(departments=(dept[0],)) if dept else f
            not_before = self._after_quiet(r, now)

            def add(kind: str, key: str, body: str, payload: dict, department: str | None,
                    r: Recipient = r, not_before: datetime = not_before) -> None:
                for channel, address in r.channels():
                    rows.append(dict(kind=kind, key=key, recipient=r.name, channel=channel,
                                     address=address, department=department, body=body,
                                     payload={**payload, "lang": r.lang}, created_at=now,
                                     not_before=not_before))

            scope = (dept[2] if r.lang == "ru" else dept[1]) if dept else translate(
                r.lang, "alert.city")
            for kind in DIGESTS:
                if kind not in r.gets:
                    continue
                page = ("department", {"dept": dept[0], "subset": kind}) if dept else (
                    "overview", {"subset": kind})
                payload = {"scope": scope,
                           "list": alert_text.link(self.rules.base_url, page[0], **page[1])}
                found = tickets_in(conn, scope_f, kind,
                                   overdue_after if kind == "overdue" else None)
                for ticket in found.to_dict("records"):
                    add(kind, ticket["id"], alert_text.ticket_line(
                        kind, ticket, now, r.lang, self.tz, self.rules.base_url),
                        {**payload, "due": ticket["due"].isoformat(),
                         "category": alert_text.named(ticket, r.lang, "category_name")},
                        ticket["department"])
            if "incident" in r.gets:
                for inc, key in once("incidents", lambda: self._incidents(conn, f)):
                    owner = self.category_department.get(inc.category)
                    if dept and owner != dept[0]:
                        continue
                    category = (inc.category_name_ru if r.lang == "ru" else None) \
                        or inc.category_name
                    district = ((inc.district_name_ru if r.lang == "ru" else None)
                                or inc.district_name or translate(r.lang, "alert.no_district"))
                    add("incident", key, translate(
                        r.lang, "alert.incident.body", reports=number(inc.size, r.lang),
                        category=category, district=district,
                        first=instant(inc.first, self.tz, r.lang),
                        link=alert_text.link(self.rules.base_url, "overview",
                                             category=inc.category, district=inc.district or "")),
                        {"title": alert_text.title("incident", r.lang, category=category,
                                                   district=district),
                         "tickets": list(inc.tickets)}, owner)
            if "spike" in r.gets:
                for spike in once("spikes", lambda: spikes(conn, f)):
                    owner = self.category_department.get(spike.category)
                    if dept and owner != dept[0]:
                        continue
                    category = (spike.category_name_ru if r.lang == "ru" else None) \
                        or spike.category_name
                    district = (spike.district_name_ru if r.lang == "ru" else None) \
                        or spike.district_name
                    day = spike.since.astimezone(self.tz).date().isoformat()
                    add("spike", f"{spike.district}:{spike.category}:{day}", translate(
                        r.lang, "alert.spike.body", count=number(spike.count, r.lang),
                        category=category, district=district,
                        since=instant(spike.since, self.tz, r.lang),
                        usual=number(spike.usual, r.lang, 1),
                        link=alert_text.link(self.rules.base_url, "overview",
                                             category=spike.category, district=spike.district,
                                             period="today")),
                        {"title": alert_text.title("spike", r.lang, category=category,
                                                   district=district)}, owner)
            if "feed" in r.gets:
                self._feeds(conn, now, r, add, once)
            if "morning" in r.gets:
                self._morning(conn, now, r, scope_f, scope, dept, add)
            if "week" in r.gets:
                self._week(now, r, add)
        return rows

    def _incidents(self, conn: Connection, f: Filters) -> list[tuple]:
        """Each open incident with its key: the key of an incident recorded in the last two days
        that shares a report with it (the same incident, grown or with its first report closed),
        else its category and first report."""
        known = outbox.recent_payloads(conn, "incident", f.as_of - timedelta(days=2))
        out = []
        for inc in incidents(conn, f):
            mine = set(inc.tickets)
            key = next((k for k, p in sorted(known.items()) if k.startswith(f"{inc.category}:")
                        and mine & set(p.get("tickets", ()))), f"{inc.category}:{inc.tickets[0]}")
            out.append((inc, key))
        return out

    def _feeds(self, conn, now, r: Recipient, add, once) -> None:
        """A feed gone stale (keyed by its last success), and its recovery from that."""
        health = [h for h in once("feeds", lambda: feed_health(conn, now)) if h.name != NAME]
        stale_seen = once("stale_keys", lambda: outbox.keys(conn, "feed"))
        home = alert_text.link(self.rules.base_url, "overview")
        for h in health:
            title = alert_text.title("feed", r.lang, name=h.name)
            if h.stale:
                since = h.last_success_at.isoformat() if h.last_success_at else "never"
                body = (translate(r.lang, "alert.feed.stale", name=h.name, link=home,
                                  when=instant(h.last_success_at, self.tz, r.lang))
                        if h.last_success_at else
                        translate(r.lang, "alert.feed.stale_never", name=h.name, link=home))
                add("feed", f"{h.name}|stale|{since}", body, {"title": title}, None)
                continue
            for key in stale_seen:
                name, what, since = key.rsplit("|", 2)
                if name == h.name and what == "stale":
                    add("feed", f"{h.name}|recovered|{since}", translate(
                        r.lang, "alert.feed.recovered", name=h.name, link=home,
                        when=instant(h.last_success_at, self.tz, r.lang)),
                        {"title": title}, None)

    def _morning(self, conn, now, r: Recipient, f: Filters, scope: str, dept, add) -> None:
        local = now.astimezone(self.tz)
        due = datetime.combine(local.date(), self.rules.morning, tzinfo=self.tz)
        if not due <= now < due + ON_TIME:
            return
        c = counters(conn, f)
        lang = r.lang
        page = ("department", {"dept": dept[0]}) if dept else ("overview", {})
        add("morning", local.date().isoformat(), translate(
            lang, "alert.morning.body", scope=scope[:1].upper() + scope[1:],
            when=instant(now, self.tz, lang), open=number(c.open, lang),
            overdue=number(c.overdue, lang), at_risk=number(c.at_risk, lang),
            received=number(c.received_today, lang), resolved=number(c.resolved_today, lang),
            on_time=alert_text.percent_or_dash(c.on_time_pct_7d, lang),
            link=alert_text.link(self.rules.base_url, page[0], **page[1])),
            {"title": alert_text.title("morning", lang, scope=scope)}, dept[0] if dept else None)

    def _week(self, now, r: Recipient, add) -> None:
        local = now.astimezone(self.tz)
        if local.weekday() != self.rules.week_day:
            return
        due = datetime.combine(local.date(), self.rules.week_time, tzinfo=self.tz)
        if not due <= now < due + WEEK_ON_TIME:
            return
        week = last_full_week(now, self.tz.key)
        add("week", week.label, translate(
            r.lang, "alert.week.body", week=week_dates(week, r.lang),
            link=alert_text.link(self.rules.base_url, "week", week=week.label)),
            {"title": alert_text.title("week", r.lang, week=week_dates(week, r.lang)),
             "week": week.label},
            None)

    def _after_quiet(self, r: Recipient, now: datetime) -> datetime:
        """`now`, or the end of the recipient's quiet hours when `now` falls within them."""
        if r.quiet is None:
            return now
        start, end = r.quiet
        local = now.astimezone(self.tz)
        clock = local.time()
        inside = start <= clock < end if start < end else (clock >= start or clock < end)
        if not inside:
            return now
        day = local.date() if (start < end or clock < end) else local.date() + timedelta(days=1)
        return _local(day, end, self.tz)

    # -- delivering -----------------------------------------------------------------------------
    def _deliver(self, held: list[Row], token: str, now: datetime, report: PassReport) -> None:
        groups: dict[tuple, list[Row]] = defaultdict(list)
        for row in held:
            one = row.kind in DIGESTS
            groups[(row.recipient, row.channel, row.address, row.kind,
                    None if one else row.id)].append(row)
        packs: dict[tuple[str, str], bytes] = {}
        people = {r.name: r for r in self.rules.recipients}
        for (name, channel, address, kind, _), rows in tqdm(
                groups.items(), desc="notify", unit="messages", disable=not self.progress,
                file=sys.stderr):
            ids = [row.id for row in rows]
            if name in people and (until := self._after_quiet(people[name], now)) > now:
                with self.engine.begin() as conn:  # a retry or a rules change met quiet hours
                    outbox.hold(conn, ids, token, until)
                continue
            try:
                subject, text, attachment = self._compose(kind, rows, packs, now)
                if channel == "email":
                    if self.rules.smtp is None:
                        raise DeliveryError("no [smtp] in the rules file")
                    send_email(self.rules.smtp, address, translate(
                        _lang_of(rows[0]), "alert.subject", title=subject), text,
                        f"<alert-{ids[0]}-{len(ids)}@citydesk>", attachment, self.redact)
                else:
                    if not self.rules.telegram_token:
                        raise DeliveryError("no bot token (CITYDESK_NOTIFY_TELEGRAM_TOKEN)")
                    send_telegram(self.rules.telegram_api_url, self.rules.telegram_token,
                                  address, text, attachment, self.redact)
            except (RuntimeError, ValueError, OSError) as error:  # DeliveryError among them;
                # a pack that cannot be drawn fails its message alone, not the pass
                line = self.redact(str(error))
                with self.engine.begin() as conn:
                    outbox.failed(conn, ids, token, now, line)
                report.failed += 1
                report.errors.append(line)
                continue
            with self.engine.begin() as conn:
                outbox.delivered(conn, ids, token, now)
            report.delivered += 1

    def _compose(self, kind: str, rows: list[Row], packs: dict,
                 now: datetime) -> tuple[str, str, Attachment | None]:
        """(title, text, attachment) of one message from its rows. A digest's lines are written
        again at `now`, so a digest held through quiet hours says the time left when it is sent."""
        payload = json.loads(rows[0].payload or "{}")
        lang = _lang_of(rows[0])
        if kind in DIGESTS:
            lines = []
            for row in rows:
                mine = json.loads(row.payload or "{}")
                lines.append(alert_text.ticket_line(
                    kind, {"id": row.key, "due": datetime.fromisoformat(mine["due"]),
                           "category_name": mine["category"]}, now, lang, self.tz,
                    self.rules.base_url) if "due" in mine else row.body)
            title, text = alert_text.digest(kind, lines, lang, payload.get("scope", ""),
                                            payload.get("list", ""))
            return title, text, None
        attachment = None
        if kind == "week":
            label = payload["week"]
            if (label, lang) not in packs:
                from reports.week_pack import pack_bytes  # fpdf2 only when a pack is sent
                with self.engine.connect() as conn:
                    packs[(label, lang)] = pack_bytes(
                        conn, review(conn, parse_week(label, self.tz.key)), lang)
            attachment = Attachment(translate(lang, "alert.week.file", week=label),
                                    packs[(label, lang)])
        return payload.get("title", kind), rows[0].body, attachment


def _lang_of(row: Row) -> str:
    """The language a message was written in (kept in its payload; English before)."""
    payload = json.loads(row.payload or "{}")
    return payload.get("lang", "en")


def _local(day, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)
