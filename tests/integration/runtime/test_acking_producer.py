"""AckingProducer answers only once the broker acknowledged, and fails fast without one."""

from __future__ import annotations

import asyncio

import pytest
from confluent_kafka import Consumer

from devstack.ports import free_port
from runtime.kafka import AckingProducer, DeliveryTimeoutError, ProduceError, producer_config
from tests.conftest import TopicFactory


async def test_send_returns_the_acknowledged_position(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    topic = kafka_topics("acks", partitions=1)
    producer = AckingProducer(producer_config(kafka_bootstrap))
    try:
        sent = await asyncio.gather(
            *[
                producer.send(
                    topic, value=f"v{n}".encode(), key=b"k", headers={"message-type": b"t"}
                )
                for n in range(50)
            ]
        )
        assert sorted(d.offset for d in sent) == list(range(50))
        assert {d.partition for d in sent} == {0}
        assert await asyncio.to_thread(producer.reachable)
    finally:
        assert producer.close() == 0

    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": kafka_topics.group("g"),
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe([topic])
        seen = []
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                seen.append(message.value())
            if len(seen) == 50:
                break
    finally:
        consumer.close()
    assert seen == [f"v{n}".encode() for n in range(50)]


async def test_unreachable_broker_fails_within_the_deadline() -> None:
    dead = f"127.0.0.1:{free_port()}"
    producer = AckingProducer(producer_config(dead, **{"message.timeout.ms": 1500}))
    try:
        with pytest.raises(ProduceError):
            await producer.send("nowhere", value=b"v", timeout=0.5)
        with pytest.raises(DeliveryTimeoutError):
            await producer.send("nowhere", value=b"v", timeout=0.2)
        assert not await asyncio.to_thread(producer.reachable, 0.5)
    finally:
        producer.close(timeout=2)
