"""The tables. Nothing is ever deleted: closed tickets stay, every change is a ticket event."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from db.types import UTCDateTime

STATUSES = ("new", "in_progress", "resolved", "closed", "rejected")
OPEN_STATUSES = ("new", "in_progress")
EVENT_KINDS = (
    "created",
    "assigned",
    "accepted",
    "resolved",
    "reopened",
    "closed",
    "rejected",
    "reassigned",
    "note",
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """A CHECK that `column` holds one of `values`, named after the column: each list of allowed
    words is written once, as a constant, and the schema reads it from there."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


# SQLite only auto-numbers a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _reference_table(name: str, *extra: Column) -> Table:
    """A small lookup table: a stable code, an English name, and a Russian one."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("code", String(64), nullable=False, unique=True),
        Column("name", String(200), nullable=False),
        Column("name_ru", String(200)),
        *extra,
    )


departments = _reference_table("departments")

categories = _reference_table(
    "categories",
    Column("department_id", Integer, ForeignKey("departments.id"), nullable=False),
    Column("sla_hours", Float, nullable=False, server_default=text("24")),
)

districts = _reference_table(
    "districts",
    Column("lat", Float),
    Column("lon", Float),
    Column("outline", Text),  # a GeoJSON Polygon or MultiPolygon geometry
)

# Where the districts' outlines came from (db/districts.py, migration 0017): one row once the city
# loaded its own districts file; from then on every writer places a ticket by its point.
district_map = Table(
    "district_map",
    metadata,
    Column("id", Integer, primary_key=True),  # one row
    Column("source", String(300), nullable=False),  # the file it came from
    Column("districts", Integer, nullable=False),
    Column("loaded_at", UTCDateTime, nullable=False),
)

channels = _reference_table(
    "channels",
    Column("kind", String(16), nullable=False, server_default=text("'other'")),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    Column("category_id", Integer, ForeignKey("categories.id"), nullable=False),
    Column("department_id", Integer, ForeignKey("departments.id"), nullable=False),
    Column("district_id", Integer, ForeignKey("districts.id")),
    Column("status", String(16), nullable=False),
    Column("priority", SmallInteger, nullable=False, server_default=text("2")),
    Column("description", Text),
    Column("address", String(300)),
    Column("lat", Float),
    Column("lon", Float),
    Column("location_approx", Boolean, nullable=False, server_default=text("false")),
    Column("photo_urls", Text),  # a JSON array of links
    Column("source_url", String(500)),  # the post a social-network ticket came from
    Column("created_at", UTCDateTime, nullable=False),
    Column("accepted_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("rejected_at", UTCDateTime),
    # When the ticket left open work (resolved, rejected or closed): NULL while it is open.
    Column("ended_at", UTCDateTime),
    Column("due_at", UTCDateTime, nullable=False),
    # How due_at was decided (desk/sla.py): "calendar" or "working" hours of the rule in
    # due_hours, or "given" by the source (then --recompute leaves it alone). Migration 0014.
    Column("due_basis", String(16), nullable=False, server_default=text("'calendar'")),
    Column("due_hours", Float),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("reopen_count", SmallInteger, nullable=False, server_default=text("0")),
    # The agency an import or sync last read for this ticket: it moves the ticket only when the
    # source's own word changes, never back over a reassignment made at the desk (issue 18).
    Column("source_department", String(200)),
    one_of("status", STATUSES),
    CheckConstraint("priority BETWEEN 1 AND 3", name="priority"),
)

# Open work is a small, hot part of a large table: partial indexes keep it cheap to read.
_OPEN = text("ended_at IS NULL")
_open_only = {"postgresql_where": _OPEN, "sqlite_where": _OPEN}
Index("ix_tickets_open_due", tickets.c.due_at, **_open_only)
Index("ix_tickets_open_department_due", tickets.c.department_id, tickets.c.due_at, **_open_only)
Index("ix_tickets_created_at", tickets.c.created_at)
# Resolved with its deadline and creation: on-time shares and median times are index-only
# scans (migrations 0003 and 0007).
Index("ix_tickets_resolved_due_created", tickets.c.resolved_at, tickets.c.due_at,
      tickets.c.created_at)
Index("ix_tickets_ended_at", tickets.c.ended_at)
Index("ix_tickets_accepted_created", tickets.c.accepted_at, tickets.c.created_at)
Index("ix_tickets_department_created", tickets.c.department_id, tickets.c.created_at)
# A department's 7-day windows (on time, median times) from its own entries (migration 0006).
Index("ix_tickets_department_resolved_due", tickets.c.department_id, tickets.c.resolved_at,
      tickets.c.due_at)
Index("ix_tickets_department_accepted", tickets.c.department_id, tickets.c.accepted_at)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("ticket_id", BigId, ForeignKey("tickets.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100)),
    Column("from_department_id", Integer, ForeignKey("departments.id")),
    Column("to_department_id", Integer, ForeignKey("departments.id")),
    Column("note", Text),
    one_of("kind", EVENT_KINDS),
)
Index("ix_ticket_events_ticket_at", ticket_events.c.ticket_id, ticket_events.c.at)
Index("ix_ticket_events_at", ticket_events.c.at)

# A rollup for the map of every ticket: how many lie in each 0.002° cell, per department and
# district (0: none). Triggers on tickets keep it current in the same transaction as each change
# (migration 0005); on SQLite a migration that rebuilds `tickets` in batch mode drops them, so it
# must create them again.
MAP_CELL_DEG = 0.002

map_cells = Table(
    "map_cells",
    metadata,
    Column("cell_row", BigInteger, primary_key=True),
    Column("cell_col", BigInteger, primary_key=True),
    Column("department_id", Integer, primary_key=True),
    Column("district_id", Integer, primary_key=True),
    Column("tickets", Integer, nullable=False),
)

# ------------------------------------------------------------------------------------------------
# Intake from social networks (feeds/intake/): every message read, and what was decided about it.
# A rejected message is kept with its reason; a duplicate points at the ticket it was attached to.

REPORT_DECISIONS = ("ticket", "duplicate", "rejected", "ignored")

ticket_reports = Table(
    "ticket_reports",
    metadata,
    Column("id", BigId, primary_key=True),
    # A hash of the post's link (or of its content when it has none): one row per message.
    Column("message_key", String(64), nullable=False, unique=True),
    Column("line", Integer),  # its line in the file it was first read from
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    Column("author", String(200)),
    Column("url", String(500)),
    Column("text", Text, nullable=False),
    Column("posted_at", UTCDateTime, nullable=False),
    Column("address", String(300)),
    Column("lat", Float),
    Column("lon", Float),
    Column("decision", String(16), nullable=False),
    Column("reason", Text),
    Column("category_id", Integer, ForeignKey("categories.id")),
    Column("ticket_id", BigId, ForeignKey("tickets.id")),
    Column("received_at", UTCDateTime, nullable=False),
    one_of("decision", REPORT_DECISIONS),
)
Index("ix_ticket_reports_ticket_id", ticket_reports.c.ticket_id)
Index("ix_ticket_reports_decision_posted", ticket_reports.c.decision, ticket_reports.c.posted_at)

# ------------------------------------------------------------------------------------------------
# Sign-in (access/users.py, access/kiosk.py): who may open the dashboard, and the meeting
# room's screen.
# Only hashes are stored: an argon2 hash of each password, a SHA-256 of each kiosk token.

USER_ROLES = ("leadership", "head", "dispatcher", "viewer")

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("email", String(254), unique=True),  # lower case; how single sign-on finds the user
    Column("role", String(16), nullable=False),
    Column("department_id", Integer, ForeignKey("departments.id")),  # a head's own department
    Column("password_hash", String(200)),  # NULL: signs in through single sign-on only
    Column("disabled", Boolean, nullable=False, server_default=text("false")),
    Column("failed_count", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", UTCDateTime),
    Column("last_failed_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    one_of("role", USER_ROLES),
    CheckConstraint("(role = 'head') = (department_id IS NOT NULL)", name="head_department"),
)

kiosk_tokens = Table(
    "kiosk_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

# A built-in sign-in that outlives a reload: the browser keeps a random token in a cookie, the
# database its SHA-256. It ends on signing out, after the idle time, or with a new password.
sign_in_sessions = Table(
    "sign_in_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),  # the last run that used it: idle expiry
    Column("ended_at", UTCDateTime),
)
Index("ix_sign_in_sessions_user_live", sign_in_sessions.c.user_id, sign_in_sessions.c.ended_at)

# Failed sign-ins under names that are no user's, counted as a user's are (issue 18): an unknown
# name then meets the same waits and the same lock, so the answers tell no name from another.
# Only the SHA-256 of the folded name is kept; rows go once their lock and back-off are over.
sign_in_throttle = Table(
    "sign_in_throttle",
    metadata,
    Column("name_hash", String(64), primary_key=True),
    Column("failed_count", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", UTCDateTime),
    Column("last_failed_at", UTCDateTime),
)
Index("ix_sign_in_throttle_last_failed", sign_in_throttle.c.last_failed_at)

# The audit page reads one kind of event, newest first.
Index("ix_ticket_events_kind_at", ticket_events.c.kind, ticket_events.c.at)

# Undo looks up one user's last reassignment: newest first within (actor, kind).
Index("ix_ticket_events_actor_kind_at", ticket_events.c.actor, ticket_events.c.kind,
      ticket_events.c.at, ticket_events.c.id)

# ------------------------------------------------------------------------------------------------
# Feeds (feeds/health.py): each source that brings tickets or messages in by itself (an Open311
# dispatch system, a VK or Telegram connector) keeps its cursor and its health here, so a restart
# resumes where it stopped and the pages can say when a feed went stale.
feeds = Table(
    "feeds",
    metadata,
    Column("name", String(200), primary_key=True),  # e.g. "open311 https://…", "vk", "telegram"
    Column("kind", String(32), nullable=False),  # open311, vk, telegram
    Column("every_seconds", Integer, nullable=False, server_default=text("60")),
    Column("cursor", Text),  # the feed's own JSON: a watermark, offsets per chat…
    Column("last_attempt_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_data_at", UTCDateTime),  # the newest source instant written (for the lag)
    Column("last_error", Text),  # one line, never a token
    Column("last_error_at", UTCDateTime),
    Column("failing", Boolean, nullable=False, server_default=text("false")),  # latest run failed
    Column("counts", Text),  # JSON: totals by outcome since the feed began
)

# The tickets each feed wrote (feeds/sync.py): the ones still open are read again from their source
# at every run, so a ticket closed upstream is closed here however old it is.
feed_tickets = Table(
    "feed_tickets",
    metadata,
    Column("feed", String(200), ForeignKey("feeds.name"), primary_key=True),
    Column("ticket_id", BigId, ForeignKey("tickets.id"), primary_key=True),
)

# ------------------------------------------------------------------------------------------------
# SLA rules (desk/sla.py, migration 0014): the city's working calendar and its deadline rules, as
# the last `python -m db sla load FILE.toml` stored them; replaced whole by each load.
sla_calendar = Table(
    "sla_calendar",
    metadata,
    Column("id", Integer, primary_key=True),  # one row
    Column("spec", Text, nullable=False),  # JSON: weekly hours, holidays, short and working days
    Column("source", String(300), nullable=False),  # the file it came from
    Column("loaded_at", UTCDateTime, nullable=False),
)

SLA_CLOCKS = ("working", "calendar")

sla_rules = Table(
    "sla_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("category_id", Integer, ForeignKey("categories.id"), nullable=False),
    Column("priority", SmallInteger),  # NULL: every priority of the category
    Column("hours", Float, nullable=False),
    Column("clock", String(16), nullable=False),
    one_of("clock", SLA_CLOCKS),
)

# ------------------------------------------------------------------------------------------------
# Alerts (reports/notifier.py, migration 0018): every message the notifier owes a recipient, one
# row per (kind, key, recipient, channel). The row is written before anything is sent (its unique
# key is what makes "once" hold across restarts and between two notifiers), claimed for a short
# lease while one notifier delivers it, then marked sent, or retried with backoff, or failed.
# Never a token or a password: an error is stored only after redaction.
ALERT_KINDS = ("at_risk", "overdue", "incident", "spike", "feed", "morning", "week")
ALERT_CHANNELS = ("email", "telegram")
ALERT_STATES = ("pending", "sent", "failed")

notifications = Table(
    "notifications",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("key", String(300), nullable=False),  # what it is about: a ticket, an incident, a day
    Column("recipient", String(100), nullable=False),  # the rules file's name
    Column("channel", String(16), nullable=False),
    Column("address", String(200), nullable=False),  # the mailbox or the chat
    Column("department", String(32)),  # the department it concerns (code); NULL: the city
    Column("body", Text, nullable=False),  # its text (a digest's line) in the recipient's language
    Column("payload", Text),  # JSON a delivery rebuilds from (the week of a pack)
    Column("created_at", UTCDateTime, nullable=False),
    Column("not_before", UTCDateTime, nullable=False),  # quiet hours hold it until then
    Column("state", String(16), nullable=False, server_default=text("'pending'")),
    Column("claimed_by", String(64)),  # the pass delivering it now
    Column("claimed_until", UTCDateTime),  # its lease: past it, another pass may take it
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UTCDateTime),  # after a failure: the backoff's next try
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),  # one line, redacted
    UniqueConstraint("kind", "key", "recipient", "channel"),
    one_of("kind", ALERT_KINDS),
    one_of("channel", ALERT_CHANNELS),
    one_of("state", ALERT_STATES),
    Index("ix_notifications_state_not_before", "state", "not_before"),
    Index("ix_notifications_created_at", "created_at"),
)
