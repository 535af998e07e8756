"""The consumer loop: each batch is applied, then Redis refreshed, then offsets stored.

For one batch of records (offset order per partition):
1. decode; a record that can never be applied is poison (it goes to the dead-letter topic);
2. apply the observations in one PostgreSQL transaction (`BatchApplier`); while PostgreSQL is
   down, retry the same batch with backoff, the consumer paused but polling; a database error
   that is not transient is narrowed down by applying the records one by one, and the record
   that still fails is poison;
3. send the poison records to the dead-letter topic and wait for the broker's acks;
4. refresh Redis (bounded: Redis is derived and never blocks progress);
5. store the offsets.
A crash anywhere before 5 replays the batch; the inbox turns the replay into a no-op, and the
replay still refreshes Redis. On SIGTERM the batch in hand is finished (unless it is waiting for
a dependency: then it is left for the replay) and the offsets are committed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
from confluent_kafka import Message

from order.domain import Observation, Outcome
from order.store import BatchResult
from order.wire import Poison, decode
from order.worker import metrics
from order.worker.backoff import Backoff
from order.worker.consumer import ObservationConsumer
from order.worker.database import BatchApplier
from order.worker.dead_letters import DeadLetters
from order.worker.failures import TRANSIENT_DATABASE_ERRORS, TRANSIENT_KAFKA_ERRORS
from order.worker.records import headers_of
from order.worker.redis_refresh import RedisRefresher
from runtime.logs import get_logger

log = get_logger(__name__)

Item = tuple[Message, Observation | Poison]


class AbandonedError(Exception):
    """The batch was given up (shutdown while retrying, or its partitions were taken away)."""


@dataclass(frozen=True)
class Faults:
    """Test-only fault injection points, wired by the composition root."""

    after_commit: Callable[[BatchResult], None] | None = None


class Worker:
    def __init__(
        self,
        consumer: ObservationConsumer,
        applier: BatchApplier,
        refresher: RedisRefresher,
        dead_letters: DeadLetters,
        retry_max_seconds: float,
        faults: Faults | None = None,
    ) -> None:
        self._consumer = consumer
        self._applier = applier
        self._refresher = refresher
        self._dead_letters = dead_letters
        self._retry_max = retry_max_seconds
        self._faults = faults or Faults()

    async def run(self, stop: asyncio.Event) -> None:
        """Consumes until `stop` is set, then commits the stored offsets and leaves the group."""
        self._consumer.subscribe()
        try:
            while not stop.is_set():
                messages = await self._consumer.next_batch()
                if messages:
                    await self.handle(messages, stop)
                else:
                    await self._refresher.repair_some()
        finally:
            await asyncio.to_thread(self._consumer.close)

    async def handle(self, messages: Sequence[Message], stop: asyncio.Event) -> None:
        started = time.perf_counter()
        metrics.BATCH_SIZE.observe(len(messages))
        items: list[Item] = [(m, decode(m.value(), headers_of(m))) for m in messages]
        try:
            items, result = await self._apply(items, stop)
            if self._faults.after_commit is not None:
                self._faults.after_commit(result)
            items = await self._send_poison(items, stop)
        except AbandonedError as why:
            log.warning("batch left for replay", reason=str(why), records=len(messages))
            return
        await self._refresher.refresh(result.orders.values())
        self._consumer.store(m for m, _ in items)
        self._count(result)
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)

    # --- 2. apply ---------------------------------------------------------------------------

    async def _apply(
        self, items: list[Item], stop: asyncio.Event
    ) -> tuple[list[Item], BatchResult]:
        backoff = Backoff(cap=self._retry_max)
        while True:
            observations = [o for _, o in items if isinstance(o, Observation)]
            try:
                return items, await self._applier.apply(observations)
            except TRANSIENT_DATABASE_ERRORS as error:
                log.warning("batch not applied; retrying", error=repr(error))
                metrics.RETRIES.labels("postgres").inc()
            except psycopg.Error as error:
                log.error("batch cannot be applied; narrowing it down", error=repr(error))
                return await self._apply_one_by_one(items, stop)
            items = await self._wait(items, backoff.next(), stop)

    async def _apply_one_by_one(
        self, items: list[Item], stop: asyncio.Event
    ) -> tuple[list[Item], BatchResult]:
        merged = BatchResult()
        done: list[Item] = []
        for message, decoded in items:
            if isinstance(decoded, Poison):
                done.append((message, decoded))
                continue
            backoff = Backoff(cap=self._retry_max)
            while True:
                try:
                    result = await self._applier.apply([decoded])
                except TRANSIENT_DATABASE_ERRORS as error:
                    log.warning("record not applied; retrying", error=repr(error))
                    metrics.RETRIES.labels("postgres").inc()
                    await self._wait([(message, decoded)], backoff.next(), stop)
                    continue
                except psycopg.Error as error:
                    done.append((message, Poison(f"cannot be applied: {error!r}")))
                    break
                _merge(merged, result)
                done.append((message, decoded))
                break
        return done, merged

    # --- 3. dead letters --------------------------------------------------------------------

    async def _send_poison(self, items: list[Item], stop: asyncio.Event) -> list[Item]:
        backoff = Backoff(cap=self._retry_max)
        sent: set[int] = set()
        while True:
            try:
                for index, (message, decoded) in enumerate(items):
                    if isinstance(decoded, Poison) and index not in sent:
                        await self._dead_letters.send(message, decoded.reason)
                        sent.add(index)
                return items
            except TRANSIENT_KAFKA_ERRORS as error:
                log.warning("dead letter not acknowledged; retrying", error=repr(error))
                metrics.RETRIES.labels("dead-letter").inc()
            before = len(items)
            items = await self._wait(items, backoff.next(), stop)
            if len(items) != before:
                raise AbandonedError("partitions revoked while sending dead letters")

    # --- waiting for a dependency -----------------------------------------------------------

    async def _wait(self, items: list[Item], seconds: float, stop: asyncio.Event) -> list[Item]:
        """Pauses the consumer and keeps it polling for `seconds`; returns the items whose
        partitions are still ours. Raises AbandonedError on shutdown or when none are left."""
        if stop.is_set():
            raise AbandonedError("shutting down")
        self._consumer.pause()
        try:
            await self._consumer.keep_alive(seconds)
            kept = {id(m) for m in self._consumer.drop_revoked([m for m, _ in items])}
        finally:
            self._consumer.resume()
        items = [(m, d) for m, d in items if id(m) in kept]
        if not items:
            raise AbandonedError("partitions revoked")
        if stop.is_set():
            raise AbandonedError("shutting down")
        return items

    @staticmethod
    def _count(result: BatchResult) -> None:
        outcomes: dict[Outcome, int] = {}
        for observation, decision in result.decisions:
            outcomes[decision.outcome] = outcomes.get(decision.outcome, 0) + 1
            if decision.outcome in (Outcome.ANOMALY, Outcome.UNKNOWN_ORDER):
                log.warning(
                    "anomaly",
                    order_id=observation.order_id,
                    observation_id=observation.observation_id,
                    outcome=decision.outcome.value,
                    events=[type(e).__name__ for e in decision.events],
                )
        for outcome, count in outcomes.items():
            metrics.OBSERVATIONS.labels(outcome.value).inc(count)
        if result.duplicates:
            metrics.OBSERVATIONS.labels("DUPLICATE").inc(result.duplicates)


def _merge(into: BatchResult, result: BatchResult) -> None:
    into.decisions += result.decisions
    into.duplicates += result.duplicates
    into.orders.update(result.orders)
    into.events += result.events
