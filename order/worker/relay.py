"""The outbox relay: publishes order events to `order.events` in outbox order.

Only one relay publishes at a time, across every worker replica: the one holding a PostgreSQL
advisory lock on its own connection (the others stand by and try again every poll interval; the
lock goes with the connection if its holder dies). The leader reads unpublished rows in id order,
produces them keyed by order id on an idempotent producer (so per partition they land in order),
and marks a row published only after the broker acknowledged it and every row before it. It wakes
on the NOTIFY that the worker's transactions send, with polling as the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib

from psycopg import AsyncConnection

from order.store import OUTBOX_CHANNEL
from order.worker import metrics
from order.worker.backoff import Backoff
from order.worker.failures import DATABASE_ERRORS, TRANSIENT_KAFKA_ERRORS, is_transient
from runtime.kafka import HEADER_MESSAGE_TYPE, AckingProducer
from runtime.logs import get_logger
from runtime.observations import MESSAGE_TYPE_ORDER_EVENT

log = get_logger(__name__)

# pg_advisory_lock key of "the outbox relay" (any constant; shared by every replica).
RELAY_LOCK_KEY = 0x0D5E_0E7E_4E1A_0001
SEND_TIMEOUT_SECONDS = 30.0

UNPUBLISHED = """
    SELECT id, order_id, payload FROM outbox
    WHERE published_at IS NULL ORDER BY id LIMIT %s
"""
MARK_PUBLISHED = "UPDATE outbox SET published_at = now() WHERE id = ANY(%s)"


class OutboxRelay:
    def __init__(
        self,
        database_url: str,
        producer: AckingProducer,
        topic: str,
        batch_size: int,
        poll_seconds: float,
        retry_max_seconds: float = 5.0,
    ) -> None:
        self._database_url = database_url
        self._producer = producer
        self._topic = topic
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._retry_max = retry_max_seconds
        self.leading = asyncio.Event()
        """Set while this relay holds the lock (for tests and the metric)."""

    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff(cap=self._retry_max)
        while not stop.is_set():
            try:
                conn = await AsyncConnection.connect(
                    self._database_url, autocommit=True, connect_timeout=5
                )
                async with conn:
                    await self._lead(conn, stop)
                backoff.reset()
            except DATABASE_ERRORS as error:
                if not is_transient(error):
                    raise
                log.warning("outbox relay interrupted; retrying", error=repr(error))
                await _sleep(backoff.next(), stop)
            finally:
                self._step_down()

    async def _lead(self, conn: AsyncConnection, stop: asyncio.Event) -> None:
        while not stop.is_set():
            cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", (RELAY_LOCK_KEY,))
            row = await cursor.fetchone()
            if row is not None and row[0]:
                break
            await _sleep(self._poll_seconds, stop)
        else:
            return
        self.leading.set()
        metrics.RELAY_LEADER.set(1)
        log.info("outbox relay leads")
        await conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
        backoff = Backoff(cap=self._retry_max)
        while not stop.is_set():
            try:
                published = await self.publish_batch(conn)
            except TRANSIENT_KAFKA_ERRORS as error:
                log.warning("order events not acknowledged; retrying", error=repr(error))
                await _sleep(backoff.next(), stop)
                continue
            backoff.reset()
            if published < self._batch_size:
                await self._wait_for_news(conn)

    async def publish_batch(self, conn: AsyncConnection) -> int:
        """Publishes the next unpublished rows in id order; returns how many it published."""
        cursor = await conn.execute(UNPUBLISHED, (self._batch_size,))
        rows = await cursor.fetchall()
        if not rows:
            return 0
        sends = [
            self._producer.send(
                self._topic,
                value=payload,
                key=order_id.encode(),
                headers={HEADER_MESSAGE_TYPE: MESSAGE_TYPE_ORDER_EVENT},
                timeout=SEND_TIMEOUT_SECONDS,
            )
            for _, order_id, payload in rows
        ]
        results = await asyncio.gather(*sends, return_exceptions=True)
        acked: list[int] = []
        for (row_id, _, _), result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                break
            acked.append(row_id)
        if acked:
            await conn.execute(MARK_PUBLISHED, (acked,))
            metrics.OUTBOX_PUBLISHED.inc(len(acked))
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            raise failure
        return len(acked)

    async def _wait_for_news(self, conn: AsyncConnection) -> None:
        async for _ in conn.notifies(timeout=self._poll_seconds, stop_after=1):
            break

    def _step_down(self) -> None:
        if self.leading.is_set():
            log.info("outbox relay stands down")
        self.leading.clear()
        metrics.RELAY_LEADER.set(0)


async def _sleep(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
