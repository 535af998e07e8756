"""Fault tests stop and start their own servers; what was acknowledged survives a restart."""

from __future__ import annotations

import signal

import psycopg
from confluent_kafka import Consumer, Producer

from devstack.private import private_kafka, private_postgres


def test_acknowledged_kafka_records_survive_a_broker_crash_and_restart() -> None:
    with private_kafka() as broker:
        broker.ensure_topics({"survive": 1})
        producer = Producer(
            {"bootstrap.servers": broker.bootstrap, "enable.idempotence": True, "acks": "all"}
        )
        for n in range(10):
            producer.produce("survive", key=b"k", value=str(n).encode())
        assert producer.flush(30) == 0

        assert broker.stop(sig=signal.SIGKILL)
        assert not broker.running()
        assert broker.start()

        consumer = Consumer(
            {
                "bootstrap.servers": broker.bootstrap,
                "group.id": "g",
                "auto.offset.reset": "earliest",
            }
        )
        try:
            consumer.subscribe(["survive"])
            values: list[bytes] = []
            for _ in range(60):
                message = consumer.poll(1.0)
                if message is not None and message.error() is None:
                    values.append(message.value() or b"")
                if len(values) == 10:
                    break
        finally:
            consumer.close()
        assert values == [str(n).encode() for n in range(10)]


def test_committed_rows_survive_a_postgres_crash_and_restart() -> None:
    with private_postgres() as server:
        with psycopg.connect(server.url()) as conn:
            conn.execute("CREATE TABLE t (n int)")
            conn.execute("INSERT INTO t VALUES (1), (2)")
        assert server.stop(mode="immediate")
        assert server.start()
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("SELECT sum(n) FROM t").fetchone() == (3,)
