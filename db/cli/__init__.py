"""`python -m db COMMAND`: the command line for everything that writes, in one layer.

`parser.py` declares every command and option; each command's handler (`city.py`, `feeds.py`,
`desk.py`, `notify.py`) calls domain functions with plain arguments, prints what they return and
turns their known errors into one-line messages and exit codes. The domain modules neither parse
arguments nor print. Exit codes: 0 done, 1 refused or partly done, 2 unusable input, 3 database
unreachable.
"""

from __future__ import annotations

import sys

from db.cli.parser import build_parser
from db.config import check_settings
from db.engine import (
    UNREACHABLE,
    database_refusal,
    ensure_schema,
    make_engine,
    unreachable_message,
)
from db.transactions import Contention, contention_cause, is_contention

# The commands that may make a new SQLite file; any other finds the city where it was made.
CREATORS = ("migrate", "seed")


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code."""
    args = build_parser().parse_args(argv)
    if bad_settings := check_settings():  # one line each, before anything runs
        print("\n".join(bad_settings), file=sys.stderr)
        return 2
    if refusal := database_refusal(args.database, may_create=args.command in CREATORS):
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
