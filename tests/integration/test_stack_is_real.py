"""The local stack is made of the real servers, and the fixtures isolate tests from each other."""

from __future__ import annotations

import uuid

import psycopg
import redis.asyncio as aioredis
from confluent_kafka import Consumer, Producer, TopicPartition
from psycopg_pool import AsyncConnectionPool

from tests.conftest import TopicFactory


def test_idempotent_acks_all_message_is_consumed_by_a_group_with_a_committed_offset(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    topic = kafka_topics("roundtrip", partitions=1)
    producer = Producer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "enable.idempotence": True,
            "acks": "all",
        }
    )
    reports: list[tuple[str | None, int]] = []

    def on_delivery(err: object, msg: object) -> None:
        reports.append((None if err is None else str(err), msg.offset()))  # type: ignore[attr-defined]

    value = uuid.uuid4().bytes
    producer.produce(
        topic,
        key=b"order-1",
        value=value,
        on_delivery=on_delivery,
        headers={"message-type": b"test"},
    )
    assert producer.flush(30) == 0
    assert reports == [(None, 0)]

    group = kafka_topics.group("roundtrip-group")
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    try:
        consumer.subscribe([topic])
        message = None
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                break
        assert message is not None
        assert message.error() is None
        assert (message.key(), message.value()) == (b"order-1", value)
        assert message.headers() == [("message-type", b"test")]
        consumer.commit(message=message, asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        assert committed[0].offset == 1
    finally:
        consumer.close()


async def test_postgres_round_trip_through_the_pool_on_a_migrated_database(
    database_url: str,
) -> None:
    async with AsyncConnectionPool(database_url, min_size=1, max_size=2, open=False) as pool:
        async with pool.connection() as conn:
            await conn.execute(
                "INSERT INTO orders (id, total_fee, expire_at) VALUES (%s, %s, now())",
                ("order-roundtrip-1", 100),
            )
        async with pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT total_fee, status, version FROM orders WHERE id = %s",
                ("order-roundtrip-1",),
            )
            assert await cursor.fetchone() == (100, "PENDING", 1)


def test_each_test_gets_an_empty_database_of_its_own(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        count = conn.execute("SELECT count(*) FROM orders").fetchone()
        name = conn.execute("SELECT current_database()").fetchone()
    assert count == (0,)
    assert name is not None
    assert str(name[0]).startswith("test_")


async def test_redis_round_trip(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert await client.dbsize() == 0
        await client.set("order:roundtrip", "PENDING")
        await client.zadd("orders:pending", {"roundtrip": 1.5})
        assert await client.get("order:roundtrip") == b"PENDING"
        assert await client.zrangebyscore("orders:pending", 0, 2) == [b"roundtrip"]
    finally:
        await client.aclose()
