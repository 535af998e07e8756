"""The worker under faults: killed between its commit and its offset store, PostgreSQL crashing
mid-stream, Redis going away. Nothing is lost, nothing is applied twice.

PostgreSQL and Redis faults use private servers (tests/private_stack.py): stopping them
disturbs no other test."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import redis as redis_sync

from devstack.private import private_postgres, private_redis
from order import migrate
from order.domain import Status
from order.store import snapshot_key
from order.worker import WorkerSettings
from paystream.events.v1 import events_pb2
from tests.fixtures.order import (
    InProcessWorker,
    OrderTopics,
    committed_offsets,
    eventually,
    insert_orders,
    load_order,
    make_worker_settings,
    observed,
    produce,
    read_topic,
    scalar,
)

ROOT = Path(__file__).resolve().parents[3]


def _worker_env(settings: WorkerSettings, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "KAFKA_TOPIC_OBSERVATIONS": settings.kafka_topic_observations,
        "KAFKA_TOPIC_ORDER_EVENTS": settings.kafka_topic_order_events,
        "KAFKA_TOPIC_DLQ": settings.kafka_topic_dlq,
        "KAFKA_CONSUMER_GROUP": settings.kafka_consumer_group,
        "KAFKA_SESSION_TIMEOUT_MS": "6000",
        "WORKER_POLL_SECONDS": "0.1",
        "WORKER_METRICS_PORT": "0",
        "RELAY_POLL_SECONDS": "0.2",
    }
    env.update(extra)
    return env


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "order.worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_a_worker_killed_after_its_commit_replays_without_changing_anything(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    worker_settings: WorkerSettings,
    tmp_path: Path,
) -> None:
    (order_id,) = insert_orders(database_url, 1, total_fee=1000)
    produce(kafka_bootstrap, order_topics.observations, [observed(order_id, total_fee=1000)])
    log = tmp_path / "worker.log"

    killed = _start_worker(
        _worker_env(worker_settings, WORKER_TEST_KILL_AFTER_COMMIT="1", RELAY_ENABLED="0"), log
    )
    assert await asyncio.to_thread(killed.wait, 60) == -signal.SIGKILL, log.read_text()
    order = load_order(database_url, order_id)
    assert order is not None
    assert (order.status, order.version) == (Status.PAID, 2)
    redis = redis_sync.Redis.from_url(redis_url)
    assert not redis.exists(snapshot_key(order_id))  # killed before the Redis refresh
    offsets = await committed_offsets(
        kafka_bootstrap, order_topics.observations, order_topics.group, partitions=3
    )
    assert all(offset < 0 for offset in offsets)  # ... and before the offset store

    replay = _start_worker(_worker_env(worker_settings), log)
    try:
        await eventually(lambda: redis.hget(snapshot_key(order_id), "version") == b"2", 40)

        async def one_offset_committed() -> bool:
            offsets = await committed_offsets(
                kafka_bootstrap, order_topics.observations, order_topics.group
            )
            return sum(o for o in offsets if o > 0) == 1

        await eventually(one_offset_committed, 20, 0.5)
    finally:
        replay.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(replay.wait, 30) == 0, log.read_text()

    order = load_order(database_url, order_id)
    assert order is not None
    assert (order.status, order.version) == (Status.PAID, 2)
    assert scalar(database_url, "SELECT count(*) FROM inbox") == 1
    assert scalar(database_url, "SELECT count(*) FROM outbox") == 1
    records = await read_topic(kafka_bootstrap, order_topics.events, expect=1)
    assert [events_pb2.OrderEvent.FromString(r.value).order_id for r in records] == [order_id]


async def test_postgres_crashing_mid_stream_loses_and_doubles_nothing(
    redis_url: str, kafka_bootstrap: str, order_topics: OrderTopics
) -> None:
    with private_postgres() as server:
        url = server.url()
        await asyncio.to_thread(migrate.apply, url)
        ids = insert_orders(url, 120, total_fee=100)
        settings = make_worker_settings(url, redis_url, kafka_bootstrap, order_topics)
        first, second = ids[:60], ids[60:]
        async with InProcessWorker(settings):
            produce(
                kafka_bootstrap,
                order_topics.observations,
                [observed(i, total_fee=100) for i in first],
            )
            await eventually(lambda: load_order(url, first[-1]).status is Status.PAID)  # type: ignore[union-attr]
            assert await asyncio.to_thread(server.stop, "immediate")
            produce(
                kafka_bootstrap,
                order_topics.observations,
                [observed(i, total_fee=100) for i in second + first],
            )
            await asyncio.sleep(1.5)  # the worker retries against a dead server meanwhile
            assert await asyncio.to_thread(server.start)
            await eventually(
                lambda: scalar(url, "SELECT count(*) FROM orders WHERE status = 'PAID'") == 120,
                40,
                0.2,
            )
            await eventually(
                lambda: scalar(url, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0,
                20,
                0.2,
            )
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT min(version), max(version) FROM orders").fetchone() == (
                2,
                2,
            )
            assert conn.execute("SELECT count(*) FROM inbox").fetchone() == (120,)
            assert conn.execute(
                "SELECT count(*), count(DISTINCT order_id) FROM outbox"
            ).fetchone() == (120, 120)
            outbox_ids = {row[0] for row in conn.execute("SELECT event_id FROM outbox")}
    published = await read_topic(kafka_bootstrap, order_topics.events, expect=120, timeout=30)
    assert {events_pb2.OrderEvent.FromString(r.value).event_id for r in published} == outbox_ids


async def test_redis_going_away_leaves_postgres_right_and_redis_is_repaired_when_it_returns(
    database_url: str, kafka_bootstrap: str, order_topics: OrderTopics
) -> None:
    with private_redis() as server:
        redis = redis_sync.Redis.from_url(server.url(), socket_timeout=2)
        first, during, after = insert_orders(database_url, 3, total_fee=100)
        settings = make_worker_settings(database_url, server.url(), kafka_bootstrap, order_topics)
        async with InProcessWorker(settings):
            produce(kafka_bootstrap, order_topics.observations, [observed(first, total_fee=100)])
            await eventually(lambda: redis.hget(snapshot_key(first), "status") == b"PAID")

            assert await asyncio.to_thread(server.stop)
            produce(kafka_bootstrap, order_topics.observations, [observed(during, total_fee=100)])
            await eventually(lambda: load_order(database_url, during).status is Status.PAID)  # type: ignore[union-attr]
            await asyncio.sleep(0.5)

            assert await asyncio.to_thread(server.start)  # empty: Redis keeps nothing on disk
            await eventually(lambda: redis.hget(snapshot_key(during), "status") == b"PAID")
            produce(kafka_bootstrap, order_topics.observations, [observed(after, total_fee=100)])
            await eventually(lambda: redis.hget(snapshot_key(after), "status") == b"PAID")
        redis.close()
    assert scalar(database_url, "SELECT count(*) FROM orders WHERE status = 'PAID'") == 3
    assert scalar(database_url, "SELECT max(version) FROM orders") == 2
