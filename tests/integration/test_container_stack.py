"""PAYSTREAM_STACK=containers starts the real servers at the versions the local stack runs, and
removes its containers itself (Ryuk is disabled)."""

from __future__ import annotations

import psycopg
import pytest
import redis
from confluent_kafka.admin import AdminClient
from docker.errors import NotFound

from devstack.layout import TOPICS
from tests.fixtures.containers import ContainerStack

pytestmark = pytest.mark.timeout(180)


def test_the_container_stack_runs_postgres_15_redis_7_kafka_4_1_and_cleans_up() -> None:
    stack = ContainerStack()
    try:
        stack.start()
        with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        assert row is not None
        assert row[0].startswith("15.")
        client = redis.Redis.from_url(stack.env["REDIS_URL"])
        assert str(client.info("server")["redis_version"]).startswith("7.")
        client.close()
        admin = AdminClient({"bootstrap.servers": stack.env["KAFKA_BOOTSTRAP_SERVERS"]})
        metadata = admin.list_topics(timeout=10)
        assert set(TOPICS) <= set(metadata.topics)
        assert [b.host for b in metadata.brokers.values()] == ["127.0.0.1"]
        versions = admin.describe_cluster(request_timeout=10).result()
        assert len(versions.nodes) == 1
    finally:
        stack.stop()
    for container in stack.containers:
        with pytest.raises(NotFound):
            container.get_wrapped_container().reload()
