"""A TOML file read for a command, and where its values stand: tomllib gives lines only for
syntax errors, and a file refused for a value must still name its line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

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


class TomlFileError(Exception):
    """A file that cannot be read as TOML: the reason, and the line when there is one."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def read_toml(path: Path | str) -> tuple[str, dict]:
    """The file's text and its TOML; TomlFileError when it is missing, unreadable, not UTF-8
    or not TOML."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except OSError as error:
        raise TomlFileError(error.strerror or str(error)) from None
    except UnicodeDecodeError:
        raise TomlFileError("not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        reason, line = decode_error(error)
        raise TomlFileError(f"not TOML ({reason})", line) from None


def at_line(line: int | None) -> str:
    """", line N" to follow a file's name in a message, or nothing when the line is unknown."""
    return f", line {line}" if line else ""
