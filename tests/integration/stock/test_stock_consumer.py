"""The reference stock service on the real broker and PostgreSQL, fed by the real worker's events:
the demo's scenarios and the paid-after-close cases end with the right stock, a redelivered and
reshuffled stream leaves it the same, and a crash between commit and offset store changes
nothing."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import pytest
from confluent_kafka import Consumer, Message, Producer

from examples.stock import store
from examples.stock.consumer import HEADER_MESSAGE_TYPE, ORDER_EVENT, StockConsumer, consumer_config
from order.wire import closed_report
from paystream.events.v1 import events_pb2
from tests.conftest import TopicFactory
from tests.fixtures.order import (
    POLL,
    InProcessWorker,
    OrderTopics,
    Record,
    eventually,
    insert_order,
    observed,
    produce,
    read_topic,
    refund_observed,
)

START = {"tea": 10, "cup": 1}


@dataclass
class Shop:
    """What the shop does around paystream: reserve when it creates an order."""

    conn: psycopg.Connection

    def order(self, database_url: str, lines: dict[str, int], total_fee: int = 100) -> str:
        order_id = insert_order(database_url, total_fee=total_fee)
        store.reserve(self.conn, order_id, lines)
        return order_id


@pytest.fixture
def stock_db(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        store.create_schema(conn)
        store.put_items(conn, START)
        yield conn


class RunningStock:
    """The stock consumer in a thread, on a connection of its own (as its own process has)."""

    def __init__(self, database_url: str, bootstrap: str, topic: str, group: str) -> None:
        self.stop = threading.Event()
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.consumer = StockConsumer(Consumer(consumer_config(bootstrap, group)), self.conn, topic)
        self.thread = threading.Thread(target=self.consumer.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> RunningStock:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)
        self.conn.close()


def _reservation(conn: psycopg.Connection, order_id: str) -> set[str]:
    rows = conn.execute(
        "SELECT state FROM stock_reservations WHERE order_id = %s", (order_id,)
    ).fetchall()
    return {state for (state,) in rows}


def _processed(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM stock_processed_events").fetchone()
    return int(row[0]) if row else 0


def _snapshot(conn: psycopg.Connection) -> tuple[dict[str, store.Item], dict[str, str]]:
    rows = conn.execute("SELECT order_id, state FROM stock_reservations").fetchall()
    return store.items(conn), dict(rows)


async def test_scenarios_end_with_the_right_stock_and_a_redelivered_reshuffled_stream_too(
    database_url: str,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    order_topics: OrderTopics,
    running_worker: InProcessWorker,
    stock_db: psycopg.Connection,
) -> None:
    shop = Shop(stock_db)
    happy = shop.order(database_url, {"tea": 2})
    lost_notify = shop.order(database_url, {"tea": 1})
    timed_out = shop.order(database_url, {"tea": 3})
    storm = shop.order(database_url, {"tea": 1})
    late_in_stock = shop.order(database_url, {"tea": 1})
    late_sold_out = shop.order(database_url, {"cup": 1})
    refunded = shop.order(database_url, {"tea": 1})
    now = datetime.now(UTC)

    with RunningStock(
        database_url, kafka_bootstrap, order_topics.events, kafka_topics.group("stock")
    ):
        produce(
            kafka_bootstrap,
            order_topics.observations,
            [
                observed(happy, total_fee=100),
                observed(lost_notify, total_fee=100, source=POLL),
                closed_report(timed_out, now, source=POLL),
                *[observed(storm, total_fee=100)] * 16,
                closed_report(late_in_stock, now, source=POLL),
                observed(late_in_stock, total_fee=100),
                closed_report(late_sold_out, now, source=POLL),
                observed(refunded, total_fee=100),
                refund_observed(refunded, "R1", 100),
            ],
        )
        await eventually(lambda: _reservation(stock_db, late_sold_out) == {"RELEASED"}, 30)
        # the cup is sold to someone else before WeChat reports the late payment
        sold_meanwhile = shop.order(database_url, {"cup": 1})
        produce(
            kafka_bootstrap, order_topics.observations, [observed(late_sold_out, total_fee=100)]
        )
        await eventually(lambda: _reservation(stock_db, late_sold_out) == {"REFUND_NEEDED"}, 30)
        await eventually(lambda: _reservation(stock_db, refunded) == {"COMMITTED"}, 30)

    expected_states = {
        happy: "COMMITTED",
        lost_notify: "COMMITTED",
        timed_out: "RELEASED",
        storm: "COMMITTED",
        late_in_stock: "COMMITTED",
        late_sold_out: "REFUND_NEEDED",
        refunded: "COMMITTED",
        sold_meanwhile: "RESERVED",
    }
    items, states = _snapshot(stock_db)
    assert states == expected_states
    paid_tea = 2 + 1 + 1 + 1 + 1
    assert items["tea"] == store.Item("tea", START["tea"] - paid_tea, 0)
    assert items["cup"] == store.Item("cup", START["cup"], 1)  # held for sold_meanwhile

    # The same events again from the same reservations: once in order, then each delivered
    # twice (a copy anywhere after its original, as a relay replaying an unacknowledged batch
    # does) and interleaved across orders at random. The stock must end the same every time.
    published = await read_topic(kafka_bootstrap, order_topics.events, expect=_processed(stock_db))
    assert len({r.value for r in published}) == len(published)
    lines = _lines(stock_db)
    outcomes = []
    for seed in (None, 1, 2, 3):
        _reset(stock_db, lines)
        replay = kafka_topics(f"order.events.replay-{seed}", partitions=3)
        stream = published if seed is None else _redelivered(published, random.Random(seed))
        assert len(stream) == (1 if seed is None else 2) * len(published)
        _produce_records(kafka_bootstrap, replay, stream)
        with RunningStock(
            database_url, kafka_bootstrap, replay, kafka_topics.group(f"stock-replay-{seed}")
        ):
            await eventually(lambda: _processed(stock_db) == len(published), 30)
            await asyncio.sleep(1.0)  # the copies behind the last original, too
        outcomes.append(_snapshot(stock_db))
    assert outcomes[1:] == [outcomes[0]] * 3


def _lines(conn: psycopg.Connection) -> dict[str, dict[str, int]]:
    lines: dict[str, dict[str, int]] = {}
    rows = conn.execute(
        "SELECT order_id, sku, quantity FROM stock_reservations ORDER BY order_id, sku"
    ).fetchall()
    for order_id, sku, quantity in rows:
        lines.setdefault(order_id, {})[sku] = quantity
    return lines


def _reset(conn: psycopg.Connection, lines: dict[str, dict[str, int]]) -> None:
    """The starting stock and the orders' reservations again, as before the first event."""
    with conn.transaction():
        conn.execute("DELETE FROM stock_processed_events")
        conn.execute("DELETE FROM stock_reservations")
        conn.execute("UPDATE stock_items SET reserved = 0")
    store.put_items(conn, START)
    for order_id, order_lines in lines.items():
        with contextlib.suppress(store.OutOfStockError):
            store.reserve(conn, order_id, order_lines)


def _redelivered(records: list[Record], rng: random.Random) -> list[Record]:
    by_order: dict[bytes | None, list[Record]] = {}
    for record in records:
        by_order.setdefault(record.key, []).append(record)
    streams: list[list[Record]] = []
    for events in by_order.values():
        stream = list(events)
        for event in events:
            after = stream.index(event) + 1
            stream.insert(rng.randint(after, len(stream)), event)
        streams.append(stream)
    merged: list[Record] = []
    while streams:
        stream = rng.choice(streams)
        merged.append(stream.pop(0))
        if not stream:
            streams.remove(stream)
    return merged


def _produce_records(bootstrap: str, topic: str, records: list[Record]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for record in records:
        producer.produce(
            topic, key=record.key, value=record.value, headers=list(record.headers.items())
        )
    assert producer.flush(30) == 0


class CrashError(Exception):
    pass


def test_a_crash_between_the_commit_and_the_offset_store_changes_nothing(
    database_url: str,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    stock_db: psycopg.Connection,
) -> None:
    order_id = insert_order(database_url)
    store.reserve(stock_db, order_id, {"tea": 4})
    topic = kafka_topics("order.events", partitions=1)
    paid = events_pb2.OrderEvent(
        event_id=f"{order_id}.paid", order_id=order_id, order_version=2, paid=events_pb2.OrderPaid()
    )
    _produce_records(
        kafka_bootstrap,
        topic,
        [
            Record(
                order_id.encode(),
                paid.SerializeToString(),
                {HEADER_MESSAGE_TYPE: ORDER_EVENT},
                0,
                0,
            )
        ],
    )
    group = kafka_topics.group("stock")

    def crash(message: Message) -> None:
        raise CrashError(f"died after committing offset {message.offset()}")

    crashing = StockConsumer(
        Consumer(consumer_config(kafka_bootstrap, group)), stock_db, topic, crash
    )
    with pytest.raises(CrashError):
        crashing.run(threading.Event())
    after_crash = store.items(stock_db)
    assert after_crash["tea"] == store.Item("tea", START["tea"] - 4, 0)

    outcomes: list[store.Outcome | None] = []
    restarted = Consumer(consumer_config(kafka_bootstrap, group))
    restarted.subscribe([topic])
    replayed = StockConsumer(restarted, stock_db, topic)
    try:
        deadline = 30.0
        while not outcomes and deadline > 0:
            message = restarted.poll(0.5)
            deadline -= 0.5
            if message is not None and message.error() is None:
                outcomes.append(replayed.handle(message))
    finally:
        restarted.close()
    assert outcomes == [store.Outcome.DUPLICATE]
    assert store.items(stock_db) == after_crash
    assert _processed(stock_db) == 1


def test_an_event_type_newer_than_the_consumer_is_recorded_and_skipped(
    database_url: str, stock_db: psycopg.Connection
) -> None:
    order_id = insert_order(database_url)
    store.reserve(stock_db, order_id, {"tea": 1})
    before = store.items(stock_db)
    unknown = events_pb2.OrderEvent(event_id=f"{order_id}.future", order_id=order_id)
    where = store.Where("order.events", 0, 7)
    assert store.apply(stock_db, unknown, where) is store.Outcome.UNKNOWN_KIND
    assert store.apply(stock_db, unknown, where) is store.Outcome.DUPLICATE
    assert store.items(stock_db) == before
    assert _reservation(stock_db, order_id) == {"RESERVED"}


def test_a_reservation_is_all_or_nothing_and_idempotent(
    database_url: str, stock_db: psycopg.Connection
) -> None:
    order_id = insert_order(database_url)
    with pytest.raises(store.OutOfStockError):
        store.reserve(stock_db, order_id, {"tea": 1, "cup": 2})
    assert store.items(stock_db) == {
        "cup": store.Item("cup", 1, 0),
        "tea": store.Item("tea", 10, 0),
    }
    store.reserve(stock_db, order_id, {"tea": 3, "cup": 1})
    store.reserve(stock_db, order_id, {"tea": 3, "cup": 1})
    assert store.items(stock_db) == {
        "cup": store.Item("cup", 1, 1),
        "tea": store.Item("tea", 10, 3),
    }
