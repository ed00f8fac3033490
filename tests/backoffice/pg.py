"""A real PostgreSQL 15 for the storage tests: Debian's `postgresql` package, a throwaway cluster per session.

`initdb` refuses to run as root, and the tests run as root: the cluster's directory belongs to the
`postgres` user and its programs run through `runuser -u postgres --`. It listens on a free loopback port
(and a socket in its own directory, so it never meets the system's cluster). Unless `durable`, fsync and
synchronous commits are off: a test cluster that loses its last commits at a crash loses nothing of value.
A test that crashes the server on purpose asks for a durable one, as production runs.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.fleet.mqtt_helpers import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def missing() -> str | None:
    """Why there can be no PostgreSQL here, or None."""
    if not (BIN / "initdb").exists():
        return f"no PostgreSQL 15 at {BIN}: `apt-get install postgresql` (Debian's package) to run this on it"
    if importlib.util.find_spec("psycopg") is None:
        return "no PostgreSQL driver: install psycopg[binary] 3 into the venv"
    return None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PostgresServer:
    def __init__(self, durable: bool = False):
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self.log = self.root / "postgres.log"

    def start(self) -> "PostgresServer":
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        if not self.data.exists():
            subprocess.run(_as_postgres([str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                                         "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"]),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        self.port = self.port or free_port()
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log),
                                     "-w", "-t", "60", "start"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=90)
        return self

    def stop(self, mode: str = "fast") -> None:
        """`immediate` is a crash as far as clients can tell: connections cut, no goodbye."""
        subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database; its URL."""
        from sqlalchemy import create_engine, text
        name = "t_" + uuid.uuid4().hex[:16]
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with admin.connect() as conn:
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)  # the server is still coming up; bounded by the deadline
        finally:
            admin.dispose()
        return self.url(name)

    def drop_database(self, url: str) -> None:
        from sqlalchemy import create_engine, text
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        finally:
            admin.dispose()
