"""A throwaway PostgreSQL server on loopback, for the tests and the benchmark.

PostgreSQL refuses to run as root, so as root the data directory is handed to the `postgres`
user and the server runs as that user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class PgServer:
    """A running server; `url(db)` names a database on it."""

    directory: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-m",
                             mode, "-w", "stop"]),
            check=False, capture_output=True,
        )

    def start(self) -> None:
        data = self.directory / "data"
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200 -c shared_buffers=256MB"
        )
        subprocess.run(
            _as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                             str(self.directory / "server.log"), "-w", "start"]),
            check=True, capture_output=True,
        )

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


def start_server() -> PgServer:
    """initdb into a fresh folder under /tmp and start the server on a free loopback port."""
    directory = Path(tempfile.mkdtemp(prefix="citydesk-pg-"))
    os.chmod(directory, 0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    subprocess.run(
        _as_server_user([str(PG_BIN / "initdb"), "-D", str(directory / "data"), "-U", "postgres",
                         "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]),
        check=True, capture_output=True,
    )
    server = PgServer(directory, _free_port())
    server.start()
    return server
