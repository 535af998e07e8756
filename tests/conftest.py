"""Fixtures for the real services: PostgreSQL, Redis and Kafka, from the environment.

`./dev test` starts the local stack and exports DATABASE_URL, REDIS_URL and
KAFKA_BOOTSTRAP_SERVERS; with PAYSTREAM_STACK=containers they come from containers started by
testcontainers instead (tests/fixtures/containers.py). Each test gets its own database (a copy
of a migrated template), its own Redis database number (flushed), and its own Kafka topics and
consumer groups.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from confluent_kafka.admin import AdminClient, NewTopic

from order import migrate

SERVICES = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")

# Tests configure each process explicitly; a developer's `eval "$(./dev env)"` (WeChat Pay
# credentials, ports, topics...) must not leak into them. Only the service addresses stay.
APP_SETTING_PREFIXES = (
    "WECHATPAY_",
    "PAYMENT_",
    "ORDER_",
    "GATEWAY_",
    "SANDBOX_",
    "RECONCILE_",
    "WORKER_",
    "RELAY_",
    "KAFKA_TOPIC_",
    "KAFKA_CONSUMER_",
    "SHUTDOWN_",
    "PUSHGATEWAY_",
    "PAYSTREAM_ENV",
    "LOG_LEVEL",
    "GRPC_TLS_",
    "GRPC_AUTHZ",
    "GRPC_REFLECTION",
)
for _name in [n for n in os.environ if n.startswith(APP_SETTING_PREFIXES)]:
    del os.environ[_name]

# Fixture plugins by area (one module each under tests/fixtures/).
pytest_plugins: list[str] = [
    "tests.fixtures.containers",  # PAYSTREAM_STACK=containers: sets the services' addresses
    "tests.fixtures.sandbox",  # before the plugins that import it
    "tests.fixtures.order",
    "tests.fixtures.payment",
    "tests.fixtures.grpc_tls",
]


def service_url(name: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    pytest.fail(
        f'{name} is not set: start the local stack with `./dev up` and `eval "$(./dev env)"`, '
        "run with PAYSTREAM_STACK=containers (the services as containers, "
        "tests/fixtures/containers.py), or run the suite with `./dev test`."
    )


# --- PostgreSQL ---------------------------------------------------------------------------------


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _migrations_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(migrate.MIGRATIONS.glob("*")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def template_database() -> str:
    """A database with every migration applied, copied for each test (created once per change)."""
    base_url = service_url("DATABASE_URL")
    name = f"paystream_template_{_migrations_digest()}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            lock_key = int(hashlib.sha256(name.encode()).hexdigest()[:15], 16)
            conn.execute("SELECT pg_advisory_lock(%s)", (lock_key,))
            try:
                if (
                    conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                    is None
                ):
                    building = f"{name}_building"
                    conn.execute(f'DROP DATABASE IF EXISTS "{building}"')
                    conn.execute(f'CREATE DATABASE "{building}"')
                    migrate.apply(_with_database(base_url, building))
                    conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key,))
    return name


@pytest.fixture
def database_url(template_database: str) -> Iterator[str]:
    """The URL of a fresh, migrated database that only this test uses."""
    base_url = service_url("DATABASE_URL")
    name = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield _with_database(base_url, name)
    _drop_database(base_url, name)


def _drop_database(base_url: str, name: str, attempts: int = 5) -> None:
    """Drops a test's database; a session PostgreSQL will not end yet (an autovacuum worker,
    a connection closing) gets a moment and another try."""
    for attempt in range(attempts):
        try:
            with psycopg.connect(base_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


# --- Redis --------------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database number of this test's own (one per xdist worker), flushed before use."""
    base = urlsplit(service_url("REDIS_URL"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    db = 1 + int(worker or 0) % 15
    url = urlunsplit(base._replace(path=f"/{db}"))
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
        yield url
        client.flushdb()
    finally:
        client.close()


# --- Kafka --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return service_url("KAFKA_BOOTSTRAP_SERVERS")


class TopicFactory:
    """Makes uniquely named topics for one test and deletes them afterwards."""

    def __init__(self, bootstrap: str) -> None:
        self._admin = AdminClient({"bootstrap.servers": bootstrap})
        self._prefix = f"test-{uuid.uuid4().hex[:10]}"
        self.created: list[str] = []

    def __call__(self, logical_name: str, partitions: int = 3) -> str:
        name = f"{self._prefix}.{logical_name}"
        futures = self._admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1)],
            operation_timeout=30,
        )
        futures[name].result()
        self.created.append(name)
        return name

    def group(self, logical_name: str) -> str:
        return f"{self._prefix}.{logical_name}"

    def delete_all(self) -> None:
        if self.created:
            for future in self._admin.delete_topics(self.created, operation_timeout=30).values():
                future.result()


@pytest.fixture
def kafka_topics(kafka_bootstrap: str) -> Iterator[TopicFactory]:
    factory = TopicFactory(kafka_bootstrap)
    yield factory
    factory.delete_all()


ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks each test with its level (unit, integration, e2e) from the folder it lives in."""
    for item in items:
        level = Path(str(item.fspath)).relative_to(ROOT / "tests").parts[0]
        if level in {"unit", "integration", "e2e"}:
            item.add_marker(getattr(pytest.mark, level))
