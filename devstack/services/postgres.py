"""A project-local PostgreSQL cluster, owned and run by the `postgres` user.

`./dev up` runs one under .stack/pg; fault tests run private ones in temporary folders so that
stopping them disturbs nobody else.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

from devstack import procs
from devstack.layout import HOST, PG_DATABASE, PG_PASSWORD, PG_USER, PORTS, STACK


def _bin(tool: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise SystemExit("PostgreSQL is not installed (Debian package postgresql)")
    return str(versions[-1] / tool)


def _as_owner(argv: list[str]) -> list[str]:
    """initdb refuses to run as root: as root, run the cluster as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _chown_to_owner(path: Path) -> None:
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        shutil.chown(path, owner.pw_uid, owner.pw_gid)


@dataclass(frozen=True)
class Postgres:
    home: Path
    port: int

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.home / "sock"

    @property
    def log(self) -> Path:
        return self.home / "postgres.log"

    def url(self, database: str = PG_DATABASE) -> str:
        return f"postgresql://{PG_USER}:{PG_PASSWORD}@{HOST}:{self.port}/{database}"

    def _initdb(self) -> None:
        for folder in (self.home, self.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
            _chown_to_owner(folder)
        subprocess.run(
            _as_owner(
                [
                    _bin("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        settings = {
            "listen_addresses": f"'{HOST}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "max_connections": "300",
            "shared_buffers": "256MB",
            "log_min_messages": "warning",
            "log_timezone": "'UTC'",
            "timezone": "'UTC'",
        }
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def pid(self) -> int | None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        except (FileNotFoundError, ValueError, IndexError, PermissionError):
            return None
        return pid if procs.alive(pid) else None

    def running(self) -> bool:
        return self.pid() is not None

    def ready(self) -> bool:
        with psycopg.connect(self.url(), connect_timeout=2) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)

    def _psql(self, sql: str) -> str:
        result = subprocess.run(
            _as_owner(
                [
                    _bin("psql"),
                    "-h",
                    str(self.socket_dir),
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-tAc",
                    sql,
                ]
            ),
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip()

    def _ensure_role_and_database(self) -> None:
        if self._psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{PG_USER}'") != "1":
            self._psql(f"CREATE ROLE {PG_USER} LOGIN CREATEDB PASSWORD '{PG_PASSWORD}'")
        # Tests drop their databases WITH (FORCE), which may have to end an autovacuum worker.
        self._psql(f"GRANT pg_signal_backend TO {PG_USER}")
        if self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{PG_DATABASE}'") != "1":
            self._psql(f"CREATE DATABASE {PG_DATABASE} OWNER {PG_USER}")

    def start(self) -> bool:
        """Starts the cluster (creating it the first time). False when it was already running."""
        if self.running():
            return False
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        subprocess.run(
            _as_owner(
                [
                    _bin("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "60",
                    # The port given now wins over the one recorded when the cluster was made.
                    "-o",
                    f"-p {self.port}",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self._ensure_role_and_database()
        if not procs.wait_until(self.ready, 30):
            raise SystemExit(
                f"PostgreSQL did not answer a query on port {self.port}; see {self.log}"
            )
        return True

    def stop(self, mode: str = "fast") -> bool:
        """Stops the cluster (`fast`: roll back sessions; `immediate`: like a crash)."""
        if not self.running():
            return False
        subprocess.run(
            _as_owner([_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return True

    def describe(self) -> str:
        if not self.running():
            return "stopped"
        with psycopg.connect(self.url(), connect_timeout=2) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        version = row[0] if row else "?"
        return f"PostgreSQL {version} on {HOST}:{self.port} (data {self.data})"


LOCAL = Postgres(home=STACK / "pg", port=PORTS.postgres)
