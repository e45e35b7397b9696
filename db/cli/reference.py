"""The city's reference data: `districts load` (its own outlines) and `list` (every code)."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import select

from db import districts as city_districts
from db.engine import make_engine
from db.schema import categories, channels, departments, districts

LISTS = {"departments": departments, "categories": categories, "districts": districts,
         "channels": channels}


def load_districts(args: argparse.Namespace) -> int:
    """Exit 0 when loaded, 2 for a file that cannot be used (nothing changed)."""
    try:
        found = city_districts.read_file(args.file, args.name_field, args.name_ru_field)
    except city_districts.DistrictFileError as error:
        print(f"districts load: {error}; nothing was changed", file=sys.stderr)
        return 2
    report = city_districts.load(make_engine(args.database), found, args.file, progress=True)
    print(report.summary())
    return 0


def list_codes(args: argparse.Namespace) -> int:
    """Print each row's code and names, one a line (tab-separated), in code order."""
    table = LISTS[args.what]
    with make_engine(args.database).connect() as conn:
        rows = conn.execute(select(table.c.code, table.c.name, table.c.name_ru)
                            .order_by(table.c.code)).all()
    if not rows:
        print(f"no {args.what} yet", file=sys.stderr)
    try:
        for code, name, name_ru in rows:
            print("\t".join([code, name, name_ru or ""]).rstrip("\t"))
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        sys.stdout = None  # nothing more to flush at exit
    return 0
