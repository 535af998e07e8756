"""A project-local Redis on its own port, without persistence (Redis is derived state here)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import redis

from devstack import procs
from devstack.layout import HOST, PORTS, STACK


@dataclass(frozen=True)
class Redis:
    home: Path
    port: int

    @property
    def pid_file(self) -> Path:
        return self.home / "redis.pid"

    @property
    def log(self) -> Path:
        return self.home / "redis.log"

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if procs.alive(pid) else None

    def running(self) -> bool:
        return self.pid() is not None

    def ready(self) -> bool:
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()

    def start(self) -> bool:
        if self.running():
            return False
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.home.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                server,
                "--port",
                str(self.port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.pid_file),
                "--logfile",
                str(self.log),
                "--dir",
                str(self.home),
                "--protected-mode",
                "yes",
            ],
            check=True,
        )
        if not procs.wait_until(self.ready, 20):
            raise SystemExit(f"Redis did not answer PING on port {self.port}; see {self.log}")
        return True

    def stop(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=1)
        try:
            client.shutdown(nosave=True)
        except (redis.ConnectionError, redis.ResponseError):
            pass  # shutting down closes the connection under us
        finally:
            client.close()
        if not procs.wait_until(lambda: not procs.alive(pid), 5):
            # It did not hear us (another port, say): stop it by its pid like any process.
            return procs.stop(self.pid_file, timeout=10)
        self.pid_file.unlink(missing_ok=True)
        return True

    def describe(self) -> str:
        if not self.running():
            return "stopped"
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=1)
        try:
            version = client.info("server").get("redis_version", "?")
        finally:
            client.close()
        return f"Redis {version} on {HOST}:{self.port} (no persistence)"


LOCAL = Redis(home=STACK / "redis", port=PORTS.redis)
