"""The outbox relay publishes every event once, in order per order, with its stable id, and only
one relay publishes at a time."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from order.domain import Observation, RefundObservation, RefundStatus, Source, TradeState
from order.worker.database import BatchApplier, Connection
from order.worker.relay import OutboxRelay
from paystream.events.v1 import events_pb2
from runtime.kafka import AckingProducer, producer_config
from runtime.observations import MESSAGE_TYPE_ORDER_EVENT
from tests.fixtures.order import (
    OrderTopics,
    Record,
    eventually,
    insert_orders,
    read_topic,
    scalar,
)


def _trade(order_id: str, state: TradeState, n: int, fee: int = 1000) -> Observation:
    return Observation(
        observation_id=f"{order_id}-{n}",
        order_id=order_id,
        source=Source.POLL,
        trade_state=state,
        transaction_id=f"4200{order_id}" if state is TradeState.SUCCESS else "",
        total_fee=fee if state is TradeState.SUCCESS else 0,
        success_time=datetime.now(UTC),
    )


def _refund(order_id: str, n: int, fee: int) -> Observation:
    return Observation(
        observation_id=f"{order_id}-{n}",
        order_id=order_id,
        source=Source.NOTIFY,
        trade_state=TradeState.REFUND,
        refund=RefundObservation(f"R{order_id}-{n}", "", RefundStatus.SUCCESS, fee, None),
    )


def _life_of(order_id: str, closed_first: bool) -> list[Observation]:
    """Paid, refunded partially, refunded in full; closed first adds closed and an anomaly."""
    start = [_trade(order_id, TradeState.CLOSED, 0)] if closed_first else []
    return [
        *start,
        _trade(order_id, TradeState.SUCCESS, 1),
        _refund(order_id, 2, 400),
        _refund(order_id, 3, 600),
    ]


@dataclass
class RunningRelay:
    relay: OutboxRelay
    stop: asyncio.Event

    @property
    def leading(self) -> bool:
        return self.relay.leading.is_set()


@contextlib.asynccontextmanager
async def _relay(database_url: str, bootstrap: str, topic: str) -> AsyncIterator[RunningRelay]:
    producer = AckingProducer(producer_config(bootstrap))
    relay = OutboxRelay(database_url, producer, topic, batch_size=7, poll_seconds=0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield RunningRelay(relay, stop)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await asyncio.to_thread(producer.close)


def _events_by_order(records: list[Record]) -> dict[str, list[events_pb2.OrderEvent]]:
    by_order: dict[str, list[events_pb2.OrderEvent]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        event = events_pb2.OrderEvent.FromString(record.value)
        assert record.key == event.order_id.encode()
        assert record.headers["message-type"] == MESSAGE_TYPE_ORDER_EVENT
        by_order[event.order_id].append(event)
    return by_order


def _outbox(database_url: str) -> dict[str, list[tuple[str, int]]]:
    by_order: dict[str, list[tuple[str, int]]] = defaultdict(list)
    with psycopg.connect(database_url) as conn:
        for order_id, event_id, version in conn.execute(
            "SELECT order_id, event_id, order_version FROM outbox ORDER BY id"
        ):
            by_order[order_id].append((event_id, version))
    return by_order


async def test_each_event_is_published_once_in_order_per_order_with_its_stable_id(
    database_url: str, kafka_bootstrap: str, order_topics: OrderTopics
) -> None:
    ids = insert_orders(database_url, 6, total_fee=1000)
    connection = Connection(database_url)
    applier = BatchApplier(connection, lambda: datetime.now(UTC))
    for index, order_id in enumerate(ids):
        await applier.apply(_life_of(order_id, closed_first=index % 2 == 0))
    await connection.close()
    expected = _outbox(database_url)
    total = sum(len(e) for e in expected.values())
    assert total == 3 * 5 + 3 * 3  # closed, paid, anomaly, refunded, refunded

    async with _relay(database_url, kafka_bootstrap, order_topics.events):
        await eventually(
            lambda: (
                scalar(database_url, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            )
        )
    published = _events_by_order(
        await read_topic(kafka_bootstrap, order_topics.events, expect=total)
    )
    assert {
        order_id: [(e.event_id, e.order_version) for e in events]
        for order_id, events in published.items()
    } == expected


async def test_two_relays_never_publish_at_the_same_time_and_hand_over_cleanly(
    database_url: str, kafka_bootstrap: str, order_topics: OrderTopics
) -> None:
    ids = insert_orders(database_url, 40, total_fee=1000)
    connection = Connection(database_url)
    applier = BatchApplier(connection, lambda: datetime.now(UTC))
    leaders_seen: list[int] = []

    async with (
        _relay(database_url, kafka_bootstrap, order_topics.events) as first,
        _relay(database_url, kafka_bootstrap, order_topics.events) as second,
    ):
        await eventually(lambda: first.leading or second.leading)
        for step, order_id in enumerate(ids):
            for observation in _life_of(order_id, closed_first=False):
                await applier.apply([observation])
                leaders_seen.append(int(first.leading) + int(second.leading))
            if step == len(ids) // 2:
                leader, standby = (first, second) if first.leading else (second, first)
                leader.stop.set()
                await eventually(standby.relay.leading.is_set, 10)
        await eventually(
            lambda: (
                scalar(database_url, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            )
        )
    await connection.close()

    assert max(leaders_seen) == 1
    expected = _outbox(database_url)
    published = _events_by_order(
        await read_topic(kafka_bootstrap, order_topics.events, expect=len(ids) * 3)
    )
    assert {
        order_id: [(e.event_id, e.order_version) for e in events]
        for order_id, events in published.items()
    } == expected
