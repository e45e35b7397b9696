"""docs/commands.md's command table and the parsers agree: every command and subcommand the parsers
know is in the table, every command in the table exists, and every option it names is one the
command's `--help` lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from db.cli.parser import build_parser as db_parser
from queries.cli import build_parser as queries_parser

COMMANDS = Path(__file__).resolve().parent.parent / "docs" / "commands.md"
ROW = re.compile(r"^\| `python -m (db|queries) ([^`]*)` \|", re.MULTILINE)
PARSERS = {"db": db_parser, "queries": queries_parser}


def help_text(program: str, words: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as done:
        PARSERS[program]().parse_args([*words, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def choices(help_out: str) -> list[str]:
    """The subcommands (or actions) a `--help` offers: its first positional's `{a,b,c}`."""
    found = re.search(r"^positional arguments:\n  \{([a-z,-]+)\}", help_out, re.MULTILINE)
    return found.group(1).split(",") if found else []


def table() -> list[tuple[str, str]]:
    """(program, the rest of the command) of each row of docs/commands.md's table."""
    return [(program, rest.replace("\\|", "|")) for program, rest in
            ROW.findall(COMMANDS.read_text(encoding="utf-8"))]


def named(program: str, rest: str, capsys) -> tuple[list[list[str]], list[str]]:
    """The (sub)commands a row names, each as its words, and the options it names."""
    words = rest.split()
    command = words[0]
    paths = [[command]]
    actions = choices(help_text(program, [command], capsys))
    if actions:
        paths = [[command, action] for action in words[1].split("|")]
    return paths, re.findall(r"--[a-z][a-z-]*", rest)


def test_the_table_has_rows_for_both_programs():
    programs = {program for program, _ in table()}
    assert programs == {"db", "queries"}


def test_every_command_and_subcommand_of_the_parsers_is_in_the_table(capsys):
    in_table = set()
    for program, rest in table():
        paths, _ = named(program, rest, capsys)
        in_table |= {(program, *path) for path in paths}
    missing = []
    for program in PARSERS:
        for command in choices(help_text(program, [], capsys)):
            actions = choices(help_text(program, [command], capsys))
            wanted = [(program, command, a) for a in actions] or [(program, command)]
            missing += [" ".join(w) for w in wanted if w not in in_table]
    assert missing == []


def test_every_command_and_option_in_the_table_exists(capsys):
    unknown = []
    for program, rest in table():
        commands = choices(help_text(program, [], capsys))
        command = rest.split()[0]
        if command not in commands:
            unknown.append(f"{program} {command}")
            continue
        paths, options = named(program, rest, capsys)
        helps = ""
        for path in paths:
            actions = choices(help_text(program, path[:1], capsys))
            if len(path) > 1 and path[1] not in actions:
                unknown.append(f"{program} {' '.join(path)}")
                continue
            helps += help_text(program, path, capsys)
        offered = set(re.findall(r"--[a-z][a-z-]*", helps))
        unknown += [f"{program} {command} {o}" for o in options if o not in offered]
    assert unknown == []

