"""The consumer loop: each batch is applied, then Redis refreshed, then offsets stored.

For one batch of records (offset order per partition):
1. decode; a record that can never be applied is poison (it goes to the dead-letter topic);
2. apply the observations in one PostgreSQL transaction (`BatchApplier`); while the failure is
   transient (`failures.is_transient`: PostgreSQL down, a collision), retry the same batch with
   backoff, the consumer paused but polling; any other failure is narrowed down by bisection,
   and the record that still fails alone is poison;
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

from confluent_kafka import Message

from order.domain import Observation, Outcome
from order.store import BatchResult
from order.wire import Poison, decode
from order.worker import metrics
from order.worker.backoff import Backoff
from order.worker.consumer import ObservationConsumer
from order.worker.database import BatchApplier
from order.worker.dead_letters import DeadLetters
from order.worker.failures import TRANSIENT_KAFKA_ERRORS, is_transient
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
        items: list[Item] = [(m, _decoded(m)) for m in messages]
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
        """Applies the observations in one transaction, retrying while the failure is transient.
        Any other failure is narrowed down by bisection: each half is applied on its own, and a
        single record that still fails is poison."""
        backoff = Backoff(cap=self._retry_max)
        while True:
            positions = [i for i, (_, o) in enumerate(items) if isinstance(o, Observation)]
            observations = [o for _, o in items if isinstance(o, Observation)]
            if not observations:
                return items, BatchResult()
            try:
                return items, await self._applier.apply(observations)
            except Exception as error:  # classified by is_transient: nothing may stall the loop
                if not is_transient(error):
                    return await self._narrow(items, positions, error, stop)
                log.warning("batch not applied; retrying", error=repr(error))
                metrics.RETRIES.labels("postgres").inc()
            items = await self._wait(items, backoff.next(), stop)

    async def _narrow(
        self, items: list[Item], positions: list[int], error: Exception, stop: asyncio.Event
    ) -> tuple[list[Item], BatchResult]:
        if len(positions) == 1:
            message, _ = items[positions[0]]
            log.error(
                "record cannot be applied",
                topic=message.topic(),
                partition=message.partition(),
                offset=message.offset(),
                error=repr(error),
            )
            poisoned = list(items)
            poisoned[positions[0]] = (message, Poison(f"cannot be applied: {error!r}"))
            return poisoned, BatchResult()
        log.error("batch cannot be applied; narrowing it down", records=len(positions))
        middle = positions[len(positions) // 2]
        left, left_result = await self._apply(items[:middle], stop)
        right, right_result = await self._apply(items[middle:], stop)
        _merge(left_result, right_result)
        return left + right, left_result

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


def _decoded(message: Message) -> Observation | Poison:
    try:
        return decode(message.value(), headers_of(message))
    except Exception as error:  # one record must never stop every partition
        log.error("record cannot be decoded", offset=message.offset(), error=repr(error))
        return Poison(f"cannot be decoded: {error!r}")


def _merge(into: BatchResult, result: BatchResult) -> None:
    into.decisions += result.decisions
    into.duplicates += result.duplicates
    into.orders.update(result.orders)
    into.events += result.events
