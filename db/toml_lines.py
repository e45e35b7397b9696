"""Where a value stands in a TOML file: tomllib gives lines only for syntax errors, and a file
refused for a value must still name its line."""

from __future__ import annotations

import re
import tomllib

_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)")


def line_of(text: str, key: str) -> int | None:
    """The line where the dotted `key` (a value, or a table's header) is set, as far as a simple
    reading of `[headers]` and `name = value` lines can tell; None when not found."""
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        bare = line.split("#", 1)[0].strip()
        if bare.startswith("[") and bare.endswith("]"):
            table = bare.strip("[] ").replace(" ", "").replace('"', "")
            if table == key:
                return number
        elif "=" in bare:
            name = bare.split("=", 1)[0].strip().strip('"')
            if (f"{table}.{name}" if table else name) == key:
                return number
    return None


def decode_error(error: tomllib.TOMLDecodeError) -> tuple[str, int | None]:
    """(reason, line) of a TOML syntax error."""
    match = _AT_LINE.search(str(error))
    return _AT_LINE.sub("", str(error)), int(match.group(1)) if match else None
