"""`python -m queries summary|incidents|spikes|week …` (see queries/cli.py)."""

from __future__ import annotations

import sys

from queries import cli


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
