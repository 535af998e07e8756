"""Private PostgreSQL, Redis and Kafka servers on free loopback ports, each in its own folder
under .stack/private/ (the postgres user must reach it, which rules out pytest's private tmp
folders): fault tests and fault runs stop them without disturbing anyone, and they are removed
afterwards."""

from __future__ import annotations

import shutil
import signal
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack.layout import STACK, TOPICS
from devstack.ports import free_port
from devstack.services.kafka import Kafka
from devstack.services.postgres import Postgres
from devstack.services.redis import Redis

PRIVATE = STACK / "private"


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


@contextmanager
def private_kafka() -> Iterator[Kafka]:
    with private_home("kafka") as home:
        server = Kafka(home=home, port=free_port(), controller_port=free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop(sig=signal.SIGKILL)  # its data is thrown away: no need for a clean stop


@contextmanager
def private_postgres() -> Iterator[Postgres]:
    with private_home("pg") as home:
        server = Postgres(home=home, port=free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop(mode="immediate")


@contextmanager
def private_redis() -> Iterator[Redis]:
    with private_home("redis") as home:
        server = Redis(home=home, port=free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop()
