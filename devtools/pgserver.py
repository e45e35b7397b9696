"""A throwaway PostgreSQL server on loopback, for the tests and the benchmark.

PostgreSQL refuses to run as root, so as root the data directory is handed to the `postgres`
user and the server runs as that user. The benchmark keeps its server's folder to reuse the
databases it built; the replica test starts a streaming standby of a primary.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from db import config

PG_BIN: Path = config.value("PG_BIN")


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
    settings: tuple[str, ...] = ()  # extra `-c name=value` options

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
        ) + "".join(f" -c {setting}" for setting in self.settings)
        subprocess.run(
            _as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                             str(self.directory / "server.log"), "-w", "start"]),
            check=True, capture_output=True,
        )

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


def _server_folder(directory: Path | None) -> Path:
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="citydesk-pg-"))
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    return directory


def start_server(directory: Path | None = None, settings: tuple[str, ...] = ()) -> PgServer:
    """initdb into a fresh folder under /tmp (or `directory`) and start the server on a free
    loopback port. A `directory` that already holds a cluster is started as it is, with its
    databases. initdb's trust rules also admit replication connections from loopback."""
    directory = _server_folder(directory)
    if not (directory / "data" / "PG_VERSION").exists():
        subprocess.run(
            _as_server_user([str(PG_BIN / "initdb"), "-D", str(directory / "data"), "-U",
                             "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]),
            check=True, capture_output=True,
        )
    server = PgServer(directory, _free_port(), settings)
    server.start()
    return server


def start_standby(primary: PgServer) -> PgServer:
    """A hot standby of `primary` on its own loopback port, streaming from it (pg_basebackup -R
    writes the connection to the primary and standby.signal)."""
    directory = _server_folder(None)
    subprocess.run(
        _as_server_user([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p",
                         str(primary.port), "-U", "postgres", "-D", str(directory / "data"),
                         "-R", "-X", "stream", "-c", "fast"]),
        check=True, capture_output=True,
    )
    standby = PgServer(directory, _free_port(), primary.settings)
    standby.start()
    return standby
