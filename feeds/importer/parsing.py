"""Parsing an export: a file becomes (position, record) pairs, or (position, reason) for a
record that cannot be read at all; the position is the 1-based record index in JSON and the
line number in CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from feeds import import_profiles
from feeds.import_profiles import Profile, profile_for

REQUIRED_COLUMNS = ("service_request_id", "service_name", "requested_datetime")
CSV_FIELD_LIMIT = 16 * 1024 * 1024  # csv's own limit (131,072) refused whole files
csv.field_size_limit(CSV_FIELD_LIMIT)


class ImportFileError(Exception):
    """The file as a whole cannot be read; nothing of it is imported."""


Parsed = tuple[int, dict[str, Any] | str]


@dataclass(frozen=True)
class Source:
    """The records of one file, and what a position in it means ("record" or "line")."""

    unit: str
    records: Iterator[Parsed]
    total: int
    tz: tzinfo | None = None  # the mapping's zone for instants without an offset, if it has one


def read_records(path: Path, mapping: Profile | None = None) -> Source:
    """Open a JSON array or a CSV file (by suffix, else by its first character); a CSV file is
    read through `mapping`, else through the shipped mapping its header matches, if any."""
    try:
        if _is_json(path):
            if mapping is not None:
                raise ImportFileError("a mapping file applies to a CSV export, not to JSON")
            return _read_json(path)
        return _read_csv(path, mapping)
    except UnicodeDecodeError:
        raise ImportFileError("not UTF-8 text") from None
    except OSError as exc:
        raise ImportFileError(exc.strerror or str(exc)) from None
    except csv.Error as exc:
        raise ImportFileError(f"unreadable CSV: {exc}") from None


def _is_json(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".json", ".csv"):
        return suffix == ".json"
    with path.open(encoding="utf-8-sig") as f:
        return f.read(1024).lstrip()[:1] in ("[", "{")


def _read_json(path: Path) -> Source:
    with path.open(encoding="utf-8-sig") as f:
        text = f.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:  # one record nested too deeply: read the others one by one
        items = _array_items(text)
        if items is None:
            raise ImportFileError("the JSON is nested too deeply") from None
        records = [(i, _one_record(item)) for i, item in enumerate(items, 1)]
        return Source("record", iter(records), len(records))
    if not isinstance(data, list):
        raise ImportFileError("the JSON is not an array of service requests")
    records: list[Parsed] = [
        (i, item if isinstance(item, dict) else "not a JSON object")
        for i, item in enumerate(data, 1)
    ]
    return Source("record", iter(records), len(records))


def _one_record(text: str) -> dict[str, Any] | str:
    try:
        item = json.loads(text)
    except RecursionError:
        return "nested too deeply"
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg})"
    return item if isinstance(item, dict) else "not a JSON object"


def _array_items(text: str) -> list[str] | None:
    """The texts of a JSON array's elements, found without parsing them (so without recursion);
    None when the text is not one array."""
    start = len(text) - len(text.lstrip())
    if text[start:start + 1] != "[":
        return None
    items, depth, in_string, escaped, begin = [], 0, False, False, start + 1
    for i in range(start + 1, len(text)):
        c = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            if depth == 0:
                last = text[begin:i]
                if last.strip() or items:
                    items.append(last)
                return items if not text[i + 1:].strip() else None
            depth -= 1
        elif c == "," and depth == 0:
            items.append(text[begin:i])
            begin = i + 1
    return None


def csv_header(path: Path) -> list[str]:
    """The columns of a CSV file's header."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f), None)
    if header is None:
        raise ImportFileError("the CSV file is empty")
    return [name.strip() for name in header]


def _read_csv(path: Path, mapping: Profile | None) -> Source:
    """Check the header and count the records now, so that a bad file fails before any write."""
    given = csv_header(path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        total = sum(1 for row in csv.reader(f) if row) - 1
    profile = mapping or profile_for(given)
    columns = import_profiles.header(given, profile) if profile else given
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if "status" not in columns and "status_detail" not in columns:
        missing.append("status")
    if missing and mapping is not None:
        raise ImportFileError(f"under the mapping {mapping.name!r} the CSV header has no column "
                              f"for {', '.join(missing)} (its columns: {', '.join(given)})")
    if missing:
        raise ImportFileError(
            f"the CSV header lacks {', '.join(missing)} and no mapping file names its columns "
            f"({', '.join(given)}): write one with --write-mapping CITY.toml, fill it in, and "
            "import with --mapping CITY.toml")
    return Source("line", _csv_records(path, columns, profile), total,
                  profile.time_zone if profile else None)


def _csv_records(path: Path, columns: list[str], profile: Profile | None) -> Iterator[Parsed]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        next(rows)
        start = rows.line_num + 1
        for row in rows:
            if len(row) == len(columns):
                record = dict(zip(columns, row, strict=True))
                yield start, import_profiles.refine(record, profile) if profile else record
            elif row:
                yield start, f"{len(row)} fields where the header has {len(columns)}"
            start = rows.line_num + 1
