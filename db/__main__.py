"""`python -m db COMMAND`: the command line for everything that writes (see db/cli/)."""

from __future__ import annotations

import sys

from db import cli


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
