"""The worker turns observations on Kafka into order state, exactly once in effect."""

from __future__ import annotations

import asyncio

import redis as redis_sync

from order.domain import Anomaly, Status
from order.store import PENDING_KEY, snapshot_key
from order.worker import WorkerSettings
from paystream.events.v1 import events_pb2
from paystream.order.v1 import order_pb2
from paystream.payment.v1 import types_pb2
from runtime.observations import MESSAGE_TYPE_ORDER_EVENT
from tests.fixtures.order import (
    CLOSED,
    NOTPAY,
    POLL,
    InProcessWorker,
    OrderTopics,
    eventually,
    insert_order,
    load_order,
    observed,
    outbox_events,
    produce,
    read_topic,
    refund_observed,
    scalar,
)


async def test_paid_notify_makes_the_order_paid_with_one_event_published(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    running_worker: InProcessWorker,
) -> None:
    order_id = insert_order(database_url, total_fee=1000)
    redis = redis_sync.Redis.from_url(redis_url)
    redis.zadd(PENDING_KEY, {order_id: 1.0})
    produce(kafka_bootstrap, order_topics.observations, [observed(order_id, total_fee=1000)])

    await eventually(lambda: load_order(database_url, order_id).status is Status.PAID)  # type: ignore[union-attr]
    order = load_order(database_url, order_id)
    assert order is not None
    assert order.version == 2
    assert order.transaction_id == f"4200{order_id}"
    assert order.paid_time is not None

    await eventually(lambda: redis.hget(snapshot_key(order_id), "status") == b"PAID")
    assert redis.hget(snapshot_key(order_id), "version") == b"2"
    assert redis.zscore(PENDING_KEY, order_id) is None

    records = await read_topic(kafka_bootstrap, order_topics.events, expect=1)
    assert len(records) == 1
    assert records[0].key == order_id.encode()
    assert records[0].headers["message-type"] == MESSAGE_TYPE_ORDER_EVENT
    event = events_pb2.OrderEvent.FromString(records[0].value)
    assert event.WhichOneof("kind") == "paid"
    assert event.order_version == 2
    assert event.paid.total_fee == 1000
    assert [e.event_id for e in outbox_events(database_url, order_id)] == [event.event_id]
    await eventually(
        lambda: scalar(database_url, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    )


async def test_notpay_after_paid_is_ignored_as_stale(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    running_worker: InProcessWorker,
) -> None:
    order_id = insert_order(database_url, total_fee=500)
    produce(
        kafka_bootstrap,
        order_topics.observations,
        [
            observed(order_id, total_fee=500),
            observed(order_id, NOTPAY, source=POLL),
            observed(order_id, CLOSED, source=POLL),
        ],
    )
    await eventually(
        lambda: (
            scalar(database_url, "SELECT count(*) FROM inbox WHERE order_id = %s", order_id) == 3
        )
    )
    order = load_order(database_url, order_id)
    assert order is not None
    assert (order.status, order.version) == (Status.PAID, 2)
    outcomes = scalar(
        database_url,
        "SELECT array_agg(outcome ORDER BY trade_state) FROM inbox WHERE order_id = %s",
        order_id,
    )
    assert outcomes == ["STALE", "STALE", "APPLIED"]  # CLOSED, NOTPAY, SUCCESS
    assert [e.WhichOneof("kind") for e in outbox_events(database_url, order_id)] == ["paid"]


async def test_closed_then_paid_ends_paid_after_close_with_an_anomaly_event(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    running_worker: InProcessWorker,
) -> None:
    order_id = insert_order(database_url, total_fee=700)
    produce(
        kafka_bootstrap,
        order_topics.observations,
        [observed(order_id, CLOSED, source=POLL), observed(order_id, total_fee=700)],
    )
    await eventually(lambda: load_order(database_url, order_id).status is Status.PAID)  # type: ignore[union-attr]
    order = load_order(database_url, order_id)
    assert order is not None
    assert (order.anomaly, order.version) == (Anomaly.PAID_AFTER_CLOSE, 3)
    events = outbox_events(database_url, order_id)
    assert [e.WhichOneof("kind") for e in events] == ["closed", "paid", "anomaly"]
    assert events[0].closed.reason == "timeout"
    assert events[1].paid.after_close
    assert events[2].anomaly.anomaly == order_pb2.ORDER_ANOMALY_PAID_AFTER_CLOSE
    assert [e.order_version for e in events] == [2, 3, 3]


async def test_amount_mismatch_keeps_the_order_pending_with_the_anomaly(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    running_worker: InProcessWorker,
) -> None:
    order_id = insert_order(database_url, total_fee=1000)
    produce(kafka_bootstrap, order_topics.observations, [observed(order_id, total_fee=900)])
    await eventually(lambda: load_order(database_url, order_id).anomaly is not None)  # type: ignore[union-attr]
    order = load_order(database_url, order_id)
    assert order is not None
    assert (order.status, order.anomaly) == (Status.PENDING, Anomaly.AMOUNT_MISMATCH)
    assert order.transaction_id is None
    events = outbox_events(database_url, order_id)
    assert [e.WhichOneof("kind") for e in events] == ["anomaly"]
    assert events[0].anomaly.observed_total_fee == 900
    assert "900 fen" in events[0].anomaly.detail


async def test_twenty_copies_on_the_topic_change_the_order_once(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    worker_settings: WorkerSettings,
) -> None:
    """Twenty copies of one notify, consumed by two workers of one group at once (the same
    observation in twenty concurrent transactions: test_exactly_once.py)."""
    order_id = insert_order(database_url, total_fee=300)
    produce(kafka_bootstrap, order_topics.observations, [observed(order_id, total_fee=300)] * 20)
    async with InProcessWorker(worker_settings), InProcessWorker(worker_settings):
        await eventually(lambda: load_order(database_url, order_id).status is Status.PAID)  # type: ignore[union-attr]
        await asyncio.sleep(0.5)
    order = load_order(database_url, order_id)
    assert order is not None
    assert order.version == 2
    assert len(outbox_events(database_url, order_id)) == 1
    assert scalar(database_url, "SELECT count(*) FROM inbox") == 1


async def test_an_observation_for_an_unknown_order_is_recorded_with_an_anomaly_event(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    running_worker: InProcessWorker,
) -> None:
    produce(
        kafka_bootstrap,
        order_topics.observations,
        [observed("never-created-1", total_fee=800), observed("never-created-2", NOTPAY)],
    )
    await eventually(
        lambda: scalar(database_url, "SELECT count(*) FROM unknown_order_observations") == 2
    )
    paid = load_order(database_url, "never-created-1")
    assert paid is not None
    assert (paid.status, paid.anomaly, paid.total_fee) == (
        Status.PAID,
        Anomaly.UNKNOWN_ORDER,
        800,
    )
    assert load_order(database_url, "never-created-2") is None
    for order_id in ("never-created-1", "never-created-2"):
        (event,) = outbox_events(database_url, order_id)
        assert event.anomaly.anomaly == order_pb2.ORDER_ANOMALY_UNKNOWN_ORDER
    assert scalar(database_url, "SELECT count(*) FROM inbox WHERE outcome = 'UNKNOWN_ORDER'") == 2


async def test_refunds_add_up_to_partially_then_fully_refunded_once_each(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    running_worker: InProcessWorker,
) -> None:
    order_id = insert_order(database_url, total_fee=1000)
    produce(
        kafka_bootstrap,
        order_topics.observations,
        [
            observed(order_id, total_fee=1000),
            refund_observed(order_id, "R1", 300, status=types_pb2.REFUND_STATUS_PROCESSING),
            refund_observed(order_id, "R1", 300),
            refund_observed(order_id, "R1", 300),
            refund_observed(order_id, "R1", 300, status=types_pb2.REFUND_STATUS_PROCESSING),
            refund_observed(order_id, "R2", 700),
        ],
    )
    await eventually(lambda: load_order(database_url, order_id).status is Status.REFUNDED)  # type: ignore[union-attr]
    order = load_order(database_url, order_id)
    assert order is not None
    assert (order.refunded_fee, order.version) == (1000, 4)
    events = outbox_events(database_url, order_id)
    assert [e.WhichOneof("kind") for e in events] == ["paid", "refunded", "refunded"]
    assert [(e.refunded.refund_fee, e.refunded.full) for e in events[1:]] == [
        (300, False),
        (700, True),
    ]
    assert (
        scalar(database_url, "SELECT string_agg(status, ',' ORDER BY out_refund_no) FROM refunds")
        == "SUCCESS,SUCCESS"
    )
