"""Private PostgreSQL, Redis and Kafka for one fault run, on free loopback ports, in their own
folder under .stack/private/: stopping them disturbs no other test and no developer stack."""

from __future__ import annotations

import shutil
import signal
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack.layout import HOST, STACK, TOPICS
from devstack.services.kafka import Kafka
from devstack.services.postgres import Postgres
from devstack.services.redis import Redis

PRIVATE = STACK / "private"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def free_port_pair() -> int:
    """A free port whose successor is free too (the sandbox listens on port and port + 1)."""
    for _ in range(100):
        port = free_port()
        if port >= 65535:
            continue
        try:
            with socket.socket() as sock:
                sock.bind((HOST, port + 1))
        except OSError:
            continue
        return port
    raise OSError("no two consecutive free ports found")


@dataclass(frozen=True)
class PrivateServers:
    home: Path
    postgres: Postgres
    redis: Redis
    kafka: Kafka

    @property
    def database_url(self) -> str:
        return self.postgres.url()

    @property
    def redis_url(self) -> str:
        return self.redis.url()


@contextmanager
def private_home(kind: str) -> Iterator[Path]:
    """A fresh folder the postgres user can reach, removed afterwards."""
    home = PRIVATE / f"{kind}-{uuid.uuid4().hex[:8]}"
    home.mkdir(parents=True)
    for folder in (PRIVATE, home):
        folder.chmod(0o755)
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def private_servers(home: Path) -> Iterator[PrivateServers]:
    """Starts the three servers at once, creates the topics and applies the migrations."""
    from order import migrate

    servers = PrivateServers(
        home,
        Postgres(home=home / "pg", port=free_port()),
        Redis(home=home / "redis", port=free_port()),
        Kafka(home=home / "kafka", port=free_port(), controller_port=free_port()),
    )
    for folder in (servers.postgres.home, servers.redis.home, servers.kafka.home):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            started = [
                pool.submit(server.start)
                for server in (servers.postgres, servers.redis, servers.kafka)
            ]
            for future in started:
                future.result()
        servers.kafka.ensure_topics(TOPICS)
        migrate.apply(servers.database_url)
        yield servers
    finally:
        servers.kafka.stop(sig=signal.SIGKILL)  # the data is thrown away: no clean stop needed
        servers.redis.stop()
        servers.postgres.stop(mode="immediate")
