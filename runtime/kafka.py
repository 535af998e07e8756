"""Kafka for asyncio processes: a producer whose writes can be awaited until the broker acks.

`confluent_kafka.aio.AIOProducer` batches in Python and averaged seconds per awaited delivery
(reference/tooling.md), so this wraps the plain `Producer`: a poll thread serves its delivery
callbacks and resolves one asyncio future per message on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

TOPIC_OBSERVATIONS = "payment.observations"
TOPIC_ORDER_EVENTS = "order.events"
TOPIC_OBSERVATIONS_DLQ = "payment.observations.dlq"

HEADER_MESSAGE_TYPE = "message-type"


def producer_config(bootstrap_servers: str, **overrides: Any) -> dict[str, Any]:
    """Durable by default: idempotent, acks from every in-sync replica, short linger."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 1,
        "queue.buffering.max.messages": 100_000,
        "message.timeout.ms": 30_000,
        "socket.keepalive.enable": True,
    }
    config.update(overrides)
    return config


class ProduceError(Exception):
    """The record was not acknowledged: it may or may not be in Kafka; treat it as not."""


class QueueFullError(ProduceError):
    """The producer's local queue is full: back-pressure, try later."""


class DeliveryTimeoutError(ProduceError):
    """No delivery report within the caller's deadline."""


@dataclass(frozen=True, slots=True)
class Delivered:
    topic: str
    partition: int
    offset: int


class AckingProducer:
    """One long-lived producer per process; `send()` returns once the broker acknowledged."""

    def __init__(self, config: Mapping[str, Any], poll_interval: float = 0.05) -> None:
        self._producer = Producer(dict(config))
        self._poll_interval = poll_interval
        self._stopping = threading.Event()
        # Delivery reports gathered during one poll(), handed to the event loop in one wake-up
        # (one call_soon_threadsafe per report cost a loop wake-up, a syscall, per message).
        self._reports: list[_Report] = []
        self._reports_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._serve_callbacks, name="kafka-poll", daemon=True
        )
        self._thread.start()

    def _serve_callbacks(self) -> None:
        while not self._stopping.is_set():
            self._producer.poll(self._poll_interval)
            self._hand_over()

    def _hand_over(self) -> None:
        with self._reports_lock:
            reports, self._reports = self._reports, []
        by_loop: dict[asyncio.AbstractEventLoop, list[_Report]] = {}
        for report in reports:
            by_loop.setdefault(report.loop, []).append(report)
        for loop, batch in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
                loop.call_soon_threadsafe(_settle_all, batch)

    async def send(
        self,
        topic: str,
        value: bytes,
        key: bytes | None = None,
        headers: Mapping[str, bytes] | None = None,
        timeout: float = 30.0,
    ) -> Delivered:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Delivered] = loop.create_future()

        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            report = _Report(
                loop,
                future,
                None if err is None else str(err),
                msg.topic(),
                msg.partition(),
                msg.offset(),
            )
            with self._reports_lock:
                self._reports.append(report)

        try:
            self._producer.produce(
                topic,
                value=value,
                key=key,
                headers=dict(headers) if headers else None,
                on_delivery=on_delivery,
            )
        except BufferError as error:
            raise QueueFullError(str(error)) from error
        except KafkaException as error:
            raise ProduceError(str(error)) from error
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as error:
            raise DeliveryTimeoutError(f"no delivery report within {timeout:.1f}s") from error

    def reachable(self, timeout: float = 1.0) -> bool:
        """A metadata request answers with at least one broker (blocking: call in a thread)."""
        try:
            metadata = self._producer.list_topics(timeout=timeout)
        except KafkaException:
            return False
        return bool(metadata.brokers)

    def in_flight(self) -> int:
        return len(self._producer)

    def close(self, timeout: float = 10.0) -> int:
        """Flushes what is queued (up to timeout), stops the poll thread; returns what is left."""
        deadline = time.monotonic() + timeout
        remaining = self._producer.flush(max(0.0, timeout))
        self._hand_over()
        self._stopping.set()
        self._thread.join(max(0.1, deadline - time.monotonic()))
        return remaining


@dataclass(frozen=True, slots=True)
class _Report:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Delivered]
    error: str | None
    topic: str | None
    partition: int | None
    offset: int | None


def _settle_all(reports: list[_Report]) -> None:
    for report in reports:
        future = report.future
        if future.done():
            continue
        if report.error is not None:
            future.set_exception(ProduceError(report.error))
        elif report.topic is None or report.partition is None or report.offset is None:
            future.set_exception(ProduceError("delivery report without a position"))
        else:
            future.set_result(Delivered(report.topic, report.partition, report.offset))
