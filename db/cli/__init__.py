"""`python -m db COMMAND`: the command line for everything that writes, in one layer.

`parser.py` declares every command and option; each command's handler (`city.py`, `feeds.py`,
`desk.py`) calls domain functions with plain arguments, prints what they return and turns their
known errors into one-line messages and exit codes. The domain modules neither parse arguments
nor print. Exit codes: 0 done, 1 refused or partly done, 2 unusable input, 3 database unreachable.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from db.cli.parser import build_parser
from db.config import check_settings, database_url, value
from db.engine import UNREACHABLE, ensure_schema, make_engine, unreachable_message
from db.transactions import Contention, contention_cause, is_contention

# The commands that may make a new SQLite file; any other finds the city where it was made.
CREATORS = ("migrate", "seed")


def database_refusal(given: str | None, command: str) -> str | None:
    """Why the database named by --database (else DATABASE_URL, else data/) cannot be used by
    `command`, in one line; None when it can. A SQLite file is made only by `migrate` and
    `seed`, and only in a folder that exists unless it is the default one: a mistyped path is
    refused rather than made into an empty city."""
    url = given or database_url()
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except ArgumentError:
        return "--database: not a database URL (e.g. postgresql+psycopg2://user:pass@host/db)"
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    if path.exists():
        return None
    if command not in CREATORS:
        return f"no database at {path}: python -m db migrate makes one there"
    if (given or value("DATABASE_URL")) and not path.parent.is_dir():
        return (f"no folder {path.parent} for the database {path.name} (a mistyped path?); "
                "make the folder first")
    return None


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code."""
    args = build_parser().parse_args(argv)
    if bad_settings := check_settings():  # one line each, before anything runs
        print("\n".join(bad_settings), file=sys.stderr)
        return 2
    if refusal := database_refusal(args.database, args.command):
        print(refusal, file=sys.stderr)
        return 2
    try:
        if args.command != "migrate":
            ensure_schema(make_engine(args.database))
        return args.handler(args)
    except Contention as busy:
        print(f"{args.command}: {busy}; nothing was written, run it again", file=sys.stderr)
        return 1
    except UNREACHABLE as error:
        if is_contention(error):
            print(f"{args.command}: other writers held the same rows ({contention_cause(error)});"
                  " nothing was written, run it again", file=sys.stderr)
            return 1
        print(unreachable_message(error), file=sys.stderr)
        return 3
