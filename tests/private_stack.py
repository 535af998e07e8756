"""Private servers for fault tests: stopping them disturbs no other test.

Each starts in its own folder under .stack/private/ (the PostgreSQL user must be able to reach it,
which rules out pytest's private tmp folders) on free ports, and is removed afterwards.
"""

from __future__ import annotations

import shutil
import signal
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.layout import STACK
from devstack.services.kafka import Kafka
from devstack.services.postgres import Postgres
from devstack.services.redis import Redis

PRIVATE = STACK / "private"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _private_home(kind: str) -> Iterator[Path]:
    home = PRIVATE / f"{kind}-{uuid.uuid4().hex[:8]}"
    home.mkdir(parents=True)
    home.chmod(0o755)
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def private_kafka() -> Iterator[Kafka]:
    with _private_home("kafka") as home:
        server = Kafka(home=home, port=free_port(), controller_port=free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop(sig=signal.SIGKILL)  # its data is thrown away: no need for a clean stop


@contextmanager
def private_postgres() -> Iterator[Postgres]:
    with _private_home("pg") as home:
        server = Postgres(home=home, port=free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop(mode="immediate")


@contextmanager
def private_redis() -> Iterator[Redis]:
    with _private_home("redis") as home:
        server = Redis(home=home, port=free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop()
