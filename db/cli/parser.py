"""The command line's grammar: every command of `python -m db`, its options and its handler."""

from __future__ import annotations

import argparse

from access.permissions import ROLES
from db.cli import city, desk, feeds, notify, reference
from db.cli import intake as social
from db.schema import USER_ROLES

DESCRIPTION = "`python -m db COMMAND`: the command line for everything that writes."


def _add_actor_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--user", required=True,
                         help="who does it (recorded on the events); once users exist, one of "
                              "them, with their own role and department")
    command.add_argument("--role", choices=ROLES,
                         help="the user's role, while no users exist (default dispatcher)")
    command.add_argument("--department", help="a head's own department: code or name")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m db", description=DESCRIPTION)
    parser.add_argument("--database", help="SQLAlchemy URL (default: DATABASE_URL or data/)")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("migrate", help="apply every migration").set_defaults(handler=city.migrate)

    seed = commands.add_parser("seed", help="fill the database with the demo city")
    seed.add_argument("--tickets", type=int, default=None,
                      help="how many tickets (default: a year at ~2,000 a week)")
    seed.add_argument("--days", type=int, default=365, help="days of history (default 365)")
    seed.add_argument("--seed", type=int, default=1563, help="random seed (default 1563)")
    seed.add_argument("--now", help="the present, ISO-8601 with offset (default: now)")
    seed.add_argument("--reset", action="store_true", help="remove existing tickets first")
    seed.add_argument("--if-empty", action="store_true",
                      help="do nothing when the database already has tickets")
    seed.set_defaults(handler=city.seed)

    imp = commands.add_parser("import", help="load Open311 GeoReport v2 JSON or CSV")
    imp.add_argument("file", help="a .json or .csv file")
    imp.add_argument("--tz", help="zone of instants written without an offset (default: the "
                                  "mapping's, else CITY_TZ)")
    imp.add_argument("--mapping", metavar="CITY.toml",
                     help="a mapping file naming a CSV export's columns (default: the shipped "
                          "mapping its header matches)")
    imp.add_argument("--write-mapping", metavar="CITY.toml",
                     help="write a starter mapping for the file's header, and import nothing")
    imp.set_defaults(handler=feeds.import_file)

    sync = commands.add_parser("sync", help="follow a dispatch system's Open311 GeoReport v2 "
                                            "endpoint")
    sync.add_argument("url", metavar="URL", nargs="?",
                      help="the base where requests.json lives (default CITYDESK_OPEN311_URL)")
    sync.add_argument("--once", action="store_true",
                      help="one run; exit non-zero with a reason when it could not complete")
    sync.add_argument("--every", type=int, metavar="SECONDS",
                      help="seconds between runs (default CITYDESK_OPEN311_EVERY, else 60)")
    sync.add_argument("--since", metavar="ISO",
                      help="read requests made since then: a new feed's first run, or again "
                      "on a running feed (default 90 days ago)")
    sync.add_argument("--api-key", metavar="KEY", help="the server's api_key, if it wants one")
    sync.add_argument("--jurisdiction", metavar="ID", help="jurisdiction_id, for a server "
                                                           "serving several cities")
    sync.set_defaults(handler=feeds.sync)

    alerts = commands.add_parser("notify", help="alert the people who must act: tickets at "
                                                "risk or overdue, incidents, spikes, stale feeds, "
                                                "the morning's figures, the week's pack")
    alerts.add_argument("--once", action="store_true",
                        help="one pass; exit 1 when a delivery failed (later passes retry it)")
    alerts.add_argument("--every", type=int, default=60, metavar="SECONDS",
                        help="seconds between passes (default 60)")
    alerts.add_argument("--rules", metavar="FILE.toml",
                        help="who gets what (default CITYDESK_NOTIFY_RULES; see "
                             "db/data/notify_example.toml)")
    alerts.add_argument("--now", metavar="ISO",
                        help="with --once: the pass's instant (default: now); never before the "
                             "last pass's")
    alerts.set_defaults(handler=notify.run)

    move = commands.add_parser("reassign", help="reassign tickets to another department")
    move.add_argument("ids", nargs="+", metavar="ID", help="a ticket's external id")
    move.add_argument("--to", required=True, metavar="DEPT",
                      help="department: code or name (python -m db list departments)")
    move.add_argument("--reason", required=True, help="why (recorded on the events)")
    _add_actor_arguments(move)
    move.set_defaults(handler=desk.reassign)

    undo = commands.add_parser("undo", help="undo the user's own last reassignment")
    _add_actor_arguments(undo)
    undo.set_defaults(handler=desk.undo)

    intake = commands.add_parser("intake", help="route complaints found in social-network posts")
    intake.add_argument("file", nargs="?",
                        help="JSON lines: network, author, text, url, posted_at, ...")
    intake.add_argument("--from", dest="source", choices=("vk", "telegram"),
                        help="instead of a file, watch the network live (see docs/feeds.md)")
    intake.add_argument("--once", action="store_true",
                        help="with --from: one pass, then exit (non-zero if it could not finish)")
    intake.add_argument("--every", type=float, default=60,
                        help="with --from: seconds between passes (default 60)")
    intake.add_argument("--report", help="write one JSON line per message here")
    intake.add_argument("--rules", help="rules file (default db/data/intake_rules.toml)")
    intake.set_defaults(handler=social.run)

    sim = commands.add_parser("simulate", help="play the city live: tickets arrive and move")
    sim.add_argument("--speed", type=float, default=1.0,
                     help="how many times faster than real life things happen (default 1)")
    sim.add_argument("--duration", type=float, default=None,
                     help="stop after this many real seconds (default: until Ctrl-C)")
    sim.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    sim.add_argument("--incident", metavar="CATEGORY",
                     help="also play an incident: a burst of reports of this category (code or "
                          "name, e.g. \"No water\") from one spot")
    sim.add_argument("--district", metavar="NAME", help="with --incident: where (code or name)")
    sim.add_argument("--reports", type=int, default=30,
                     help="with --incident: how many reports (default 30)")
    sim.add_argument("--minutes", type=float, default=45,
                     help="with --incident: over how many minutes of the city's clock (default 45)")
    sim.set_defaults(handler=city.simulate)

    user = commands.add_parser("user", help="add a user, set a password, disable a user; "
                                            "the password is read from standard input")
    user.add_argument("action", choices=("add", "set-password", "disable"))
    user.add_argument("name", metavar="NAME")
    user.add_argument("--role", choices=USER_ROLES, default="viewer",
                      help="with add: what the user may do (default viewer)")
    user.add_argument("--department", help="with add: a head's own department (code or name)")
    user.add_argument("--email", help="with add: the e-mail single sign-on knows the user by")
    user.add_argument("--no-password", action="store_true",
                      help="with add: no password; the user signs in only through single sign-on")
    user.set_defaults(handler=desk.user)

    kiosk = commands.add_parser("kiosk", help="tokens that open the meeting screen alone")
    kiosk_actions = kiosk.add_subparsers(dest="action", required=True)
    issue = kiosk_actions.add_parser("issue", help="a new token, printed once")
    issue.add_argument("label", help="where its screen is, e.g. 'situation room'")
    issue.add_argument("--base-url", metavar="URL", default=None,
                       help="where the dashboard is served, for the printed link "
                            "(default http://localhost:$PORT, PORT defaulting to 8501)")
    kiosk_actions.add_parser("revoke", help="revoke by id or label").add_argument(
        "which", metavar="ID|LABEL")
    kiosk_actions.add_parser("list", help="every token, without secrets")
    kiosk.set_defaults(handler=desk.kiosk)

    rules = commands.add_parser("sla", help="the city's deadline rules: working hours, "
                                            "holidays, hours per category and priority")
    rule_actions = rules.add_subparsers(dest="action", required=True)
    load = rule_actions.add_parser("load", help="replace the rules with a TOML file's")
    load.add_argument("file", help="e.g. db/data/sla_demo.toml")
    load.add_argument("--recompute", action="store_true",
                      help="also recompute the due of open tickets that had no given deadline")
    rule_actions.add_parser("show", help="print the rules in force")
    rules.set_defaults(handler=desk.sla)

    places = commands.add_parser("districts", help="the city's own districts and their outlines")
    place_actions = places.add_subparsers(dest="action", required=True)
    load_places = place_actions.add_parser(
        "load", help="replace the districts with a GeoJSON file's, and place every ticket in them")
    load_places.add_argument("file", help="a GeoJSON FeatureCollection of Polygons and "
                                          "MultiPolygons")
    load_places.add_argument("--name-field", required=True, metavar="FIELD",
                             help="the property that names each district")
    load_places.add_argument("--name-ru-field", metavar="FIELD",
                             help="the property that names it in Russian, if any")
    places.set_defaults(handler=reference.load_districts)

    codes = commands.add_parser("list", help="the codes (and names) that commands accept")
    codes.add_argument("what", choices=tuple(reference.LISTS))
    codes.set_defaults(handler=reference.list_codes)
    return parser
