"""The consumer of `order.events`: each event is applied in its own transaction (deduplicated by
`event_id` there), and only then is its offset stored; a crash in between replays the event,
which the dedup turns into nothing."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from confluent_kafka import Consumer, Message
from google.protobuf.message import DecodeError

from examples.stock import store
from paystream.events.v1 import events_pb2

log = logging.getLogger("stock")

HEADER_MESSAGE_TYPE = "message-type"
ORDER_EVENT = b"paystream.events.v1.OrderEvent"


def consumer_config(bootstrap: str, group: str) -> dict[str, Any]:
    return {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",  # a new group starts from the oldest retained event
        "enable.auto.offset.store": False,  # an offset is stored only after its commit
        "enable.auto.commit": True,  # stored offsets are committed in the background and on close
        "session.timeout.ms": 10000,
    }


class StockConsumer:
    def __init__(
        self,
        consumer: Consumer,
        conn: psycopg.Connection,
        topic: str,
        after_commit: Callable[[Message], None] | None = None,
    ) -> None:
        self._consumer = consumer
        self._conn = conn
        self._topic = topic
        self._after_commit = after_commit

    def run(self, stop: threading.Event) -> None:
        """Consumes until `stop` is set. A database failure ends the run (the process restarts,
        and the events whose offsets were not stored are replayed)."""
        self._consumer.subscribe([self._topic])
        try:
            while not stop.is_set():
                message = self._consumer.poll(0.2)
                if message is None:
                    continue
                if message.error() is not None:
                    log.warning("kafka: %s", message.error())
                    continue
                self.handle(message)
        finally:
            self._consumer.close()

    def handle(self, message: Message) -> store.Outcome | None:
        event = _order_event(message)
        outcome = None
        if event is not None:
            where = store.Where(
                message.topic() or "", message.partition() or 0, message.offset() or 0
            )
            outcome = store.apply(self._conn, event, where)
            log.info("%s %s: %s", event.event_id, event.WhichOneof("kind"), outcome.value)
            if self._after_commit is not None:
                self._after_commit(message)
        self._consumer.store_offsets(message)
        return outcome


def _order_event(message: Message) -> events_pb2.OrderEvent | None:
    """The event in the record; None (logged) for a record that is not an OrderEvent."""
    headers = dict(message.headers() or [])
    if headers.get(HEADER_MESSAGE_TYPE) != ORDER_EVENT:
        log.warning("skipped a record that is not an OrderEvent at offset %s", message.offset())
        return None
    try:
        event = events_pb2.OrderEvent.FromString(message.value() or b"")
    except DecodeError:
        log.error("skipped an undecodable OrderEvent at offset %s", message.offset())
        return None
    if not event.event_id or not event.order_id:
        log.error("skipped an OrderEvent without event_id or order_id at %s", message.offset())
        return None
    return event
