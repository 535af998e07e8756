"""The order worker's composition root: everything the process runs, built from its settings.

Tests build the same graph (with their own topics, database and Redis) and run it in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis

from order.store import Snapshots, redis_client
from order.worker.consumer import ObservationConsumer, consumer_config
from order.worker.database import BatchApplier, Connection
from order.worker.dead_letters import DeadLetters
from order.worker.loop import Faults, Worker
from order.worker.redis_refresh import RedisRefresher
from order.worker.relay import OutboxRelay
from order.worker.settings import WorkerSettings
from runtime.kafka import AckingProducer, producer_config
from runtime.logs import get_logger

log = get_logger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WorkerApp:
    worker: Worker
    consumer: ObservationConsumer
    relay: OutboxRelay | None
    producer: AckingProducer
    connection: Connection
    redis: Redis

    def polled_within(self, seconds: float) -> bool:
        """Whether the consumer loop polled Kafka in the last `seconds` (it is not stuck)."""
        return time.monotonic() - self.consumer.last_poll < seconds

    async def run(self, stop: asyncio.Event) -> None:
        """Runs the consumer loop and the relay until `stop` is set (or one of them fails)."""
        tasks = [asyncio.create_task(self.worker.run(stop), name="consumer")]
        if self.relay is not None:
            tasks.append(asyncio.create_task(self.relay.run(stop), name="outbox-relay"))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if task.exception() is not None:
                    log.error("worker task failed", task=task.get_name())
                    stop.set()
            await asyncio.gather(*tasks)
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)
            await self.close()

    async def close(self) -> None:
        await self.connection.close()
        await self.redis.aclose()
        left = await asyncio.to_thread(self.producer.close)
        if left:
            log.warning("producer closed with records unacknowledged", records=left)


def build(
    settings: WorkerSettings,
    faults: Faults | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> WorkerApp:
    database_url = str(settings.database_url)
    producer = AckingProducer(producer_config(settings.kafka_bootstrap_servers))
    redis = redis_client(str(settings.redis_url), settings.redis_timeout_seconds)
    connection = Connection(database_url)
    applier = BatchApplier(connection, clock)
    refresher = RedisRefresher(
        Snapshots(redis, settings.order_snapshot_ttl_seconds),
        applier.read_orders,
        rest_seconds=settings.worker_redis_retry_seconds,
    )
    consumer = ObservationConsumer(
        consumer_config(
            settings.kafka_bootstrap_servers,
            settings.kafka_consumer_group,
            settings.kafka_session_timeout_ms,
        ),
        settings.kafka_topic_observations,
        settings.worker_batch_size,
        settings.worker_poll_seconds,
    )
    worker = Worker(
        consumer,
        applier,
        refresher,
        DeadLetters(producer, settings.kafka_topic_dlq),
        settings.worker_retry_max_seconds,
        faults,
    )
    relay = None
    if settings.relay_enabled:
        relay = OutboxRelay(
            database_url,
            producer,
            settings.kafka_topic_order_events,
            settings.relay_batch_size,
            settings.relay_poll_seconds,
            settings.worker_retry_max_seconds,
        )
    return WorkerApp(worker, consumer, relay, producer, connection, redis)
