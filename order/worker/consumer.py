"""The worker's Kafka consumer, built for "offsets only after the effect".

- Batches: one `poll` waits for the first record, then `consume(..., timeout=0)` takes what is
  already fetched (low latency when quiet, large batches under load); records keep their offset
  order within each partition.
- Offsets are stored (`enable.auto.offset.store=false`) only for batches that took effect; the
  auto-commit then commits what was stored, and `close()` commits the rest.
- While a batch is retried, every assigned partition is paused and the consumer keeps polling,
  so it stays in its group (no max.poll.interval kick-out) without receiving records.
- Rebalances: records of a partition taken away while they were held are "given back": if the
  partition is assigned again the consumer seeks back to them; if not, its new owner starts from
  the committed offset, which is never past them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from order.worker import metrics
from order.worker.records import PartitionKey, partition_of
from runtime.logs import get_logger

log = get_logger(__name__)

LAG_EVERY_SECONDS = 5.0
# While a batch waits for a dependency, Kafka is polled at least this often (and the
# liveness heartbeat moves with it).
KEEP_ALIVE_POLL_SECONDS = 1.0


def consumer_config(
    bootstrap_servers: str, group: str, session_timeout_ms: int, **overrides: Any
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers,
        "group.id": group,
        "enable.auto.commit": True,
        "auto.commit.interval.ms": 1000,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": session_timeout_ms,
        "heartbeat.interval.ms": max(500, session_timeout_ms // 5),
        "queued.max.messages.kbytes": 16_384,
        "socket.keepalive.enable": True,
        "error_cb": _log_kafka_error,
        "logger": logging.getLogger("librdkafka"),
    }
    config.update(overrides)
    return config


def _log_kafka_error(error: KafkaError) -> None:
    log.warning("kafka error", error=str(error), fatal=error.fatal())


class ObservationConsumer:
    def __init__(
        self, config: dict[str, Any], topic: str, batch_size: int, poll_seconds: float
    ) -> None:
        self._consumer = Consumer(config)
        self._topic = topic
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._revoked: set[PartitionKey] = set()
        self._paused = False
        self._lag_at = 0.0
        self.last_poll = time.monotonic()
        """When Kafka was last polled: a loop that stops polling is stuck (the liveness probe)."""

    def subscribe(self) -> None:
        self._consumer.subscribe(
            [self._topic],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_revoke,
        )

    # --- rebalance callbacks (run inside poll/consume, on the polling thread) ---------------

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        consumer.assign(partitions)
        if self._paused:
            consumer.pause(partitions)
        log.info("partitions assigned", partitions=[p.partition for p in partitions])

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._revoked.update((p.topic, p.partition) for p in partitions)
        log.info("partitions revoked", partitions=[p.partition for p in partitions])

    # --- records ---------------------------------------------------------------------------

    async def next_batch(self) -> list[Message]:
        """The next records in offset order per partition (empty when none came in time)."""
        messages = await asyncio.to_thread(self._poll_batch)
        return self.drop_revoked(messages)

    def _poll_batch(self) -> list[Message]:
        first = self._consumer.poll(self._poll_seconds)
        self.last_poll = time.monotonic()
        if first is None:
            return []
        batch = [first]
        if self._batch_size > 1:
            batch += self._consumer.consume(self._batch_size - 1, 0)
        return [m for m in batch if self._is_record(m)]

    @staticmethod
    def _is_record(message: Message) -> bool:
        error = message.error()
        if error is None:
            return True
        log.warning("consumer error", error=str(error))
        return False

    def drop_revoked(self, messages: Sequence[Message]) -> list[Message]:
        """`messages` without those of partitions revoked since they were fetched (given back)."""
        revoked, self._revoked = self._revoked, set()
        if not revoked:
            return list(messages)
        kept = [m for m in messages if partition_of(m) not in revoked]
        self._give_back([m for m in messages if partition_of(m) in revoked])
        return kept

    def _give_back(self, messages: Iterable[Message]) -> None:
        first: dict[PartitionKey, int] = {}
        for message in messages:
            key = partition_of(message)
            first[key] = min(first.get(key, message.offset() or 0), message.offset() or 0)
        assigned = {(p.topic, p.partition) for p in self._consumer.assignment()}
        for (topic, partition), offset in first.items():
            if (topic, partition) in assigned:
                try:
                    self._consumer.seek(TopicPartition(topic, partition, offset))
                except KafkaException as error:
                    log.warning("seek failed", partition=partition, error=str(error))

    # --- pausing while a batch is retried ---------------------------------------------------

    def pause(self) -> None:
        self._paused = True
        self._consumer.pause(self._consumer.assignment())

    def resume(self) -> None:
        self._paused = False
        self._consumer.resume(self._consumer.assignment())

    async def keep_alive(self, seconds: float) -> None:
        """Polls for `seconds` without taking records, serving rebalances meanwhile."""
        await asyncio.to_thread(self._keep_alive, seconds)

    def _keep_alive(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            message = self._consumer.poll(min(left, KEEP_ALIVE_POLL_SECONDS))
            self.last_poll = time.monotonic()
            if message is not None and message.error() is None:
                # From a partition assigned a moment ago and not paused yet: rewind it.
                self._give_back([message])
                self._consumer.pause([TopicPartition(*partition_of(message))])

    # --- offsets ----------------------------------------------------------------------------

    def store(self, messages: Iterable[Message]) -> None:
        """Stores the offsets after `messages` (they took effect) for partitions still ours."""
        following: dict[PartitionKey, int] = {}
        for message in messages:
            key = partition_of(message)
            following[key] = max(following.get(key, 0), (message.offset() or 0) + 1)
        assigned = {(p.topic, p.partition) for p in self._consumer.assignment()}
        offsets = [
            TopicPartition(topic, partition, offset)
            for (topic, partition), offset in following.items()
            if (topic, partition) in assigned
        ]
        if offsets:
            self._consumer.store_offsets(offsets=offsets)
        self._measure_lag()

    def _measure_lag(self) -> None:
        now = time.monotonic()
        if now < self._lag_at:
            return
        self._lag_at = now + LAG_EVERY_SECONDS
        lag = 0
        try:
            for position in self._consumer.position(self._consumer.assignment()):
                _, high = self._consumer.get_watermark_offsets(position, cached=True)
                if position.offset >= 0 and high >= 0:
                    lag += max(0, high - position.offset)
        except KafkaException:
            return
        metrics.LAG.set(lag)

    def close(self) -> None:
        """Commits the stored offsets and leaves the group."""
        try:
            self._consumer.commit(asynchronous=False)
        except KafkaException as error:
            log.info("nothing to commit at close", detail=str(error))
        self._consumer.close()
