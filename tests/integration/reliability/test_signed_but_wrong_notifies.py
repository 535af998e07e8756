"""Notifies the gateway rightly accepts (correctly signed, ours) but whose content must not
pay anything, followed through the gateway, Kafka and the order worker into PostgreSQL: another
amount, an order we never made, an old notify replayed after a refund, and (for contrast) a
forged one that never gets past the gateway."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from order.domain import Anomaly, Status
from paystream.order.v1 import order_pb2
from tests.fixtures.gateway import gateway_settings, notify_fields, running_gateway, signed_body
from tests.fixtures.order import (
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
    refund_observed,
    scalar,
)

pytestmark = pytest.mark.timeout(90)
NOTIFY = "/wechatpay/v2/notify"


@pytest.fixture
async def gateway(
    kafka_bootstrap: str, order_topics: OrderTopics
) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(gateway_settings(kafka_bootstrap, order_topics.observations)) as g:
        yield g


def _kinds(database_url: str, order_id: str) -> list[str]:
    return [e.WhichOneof("kind") or "" for e in outbox_events(database_url, order_id)]


async def _processed_up_to_here(
    database_url: str, bootstrap: str, topics: OrderTopics, order_id: str
) -> None:
    """Puts a NOTPAY query result for the order behind what was sent (same key, same
    partition) and waits until the worker applied it: everything before it was handled."""
    marker = observed(order_id, NOTPAY, source=POLL)
    marker.observation_id = f"marker-{uuid.uuid4().hex}"
    produce(bootstrap, topics.observations, [marker])
    await eventually(
        lambda: (
            scalar(
                database_url,
                "SELECT count(*) FROM inbox WHERE observation_id = %s",
                marker.observation_id,
            )
            == 1
        )
    )


async def test_a_signed_notify_with_another_amount_is_an_anomaly_and_pays_nothing(
    gateway: httpx.AsyncClient, running_worker: InProcessWorker, database_url: str
) -> None:
    order_id = insert_order(database_url, "order-amount-1", total_fee=1000)
    answer = await gateway.post(NOTIFY, content=signed_body(notify_fields(order_id, 1)))
    assert answer.status_code == 200  # ours and correctly signed: the worker judges the amount

    await eventually(lambda: _kinds(database_url, order_id) == ["anomaly"])
    order = load_order(database_url, order_id)
    assert order is not None
    assert (order.status, order.anomaly, order.transaction_id) == (
        Status.PENDING,
        Anomaly.AMOUNT_MISMATCH,
        None,
    )
    (event,) = outbox_events(database_url, order_id)
    assert event.anomaly.anomaly == order_pb2.ORDER_ANOMALY_AMOUNT_MISMATCH
    assert event.anomaly.observed_total_fee == 1
    outcome = scalar(database_url, "SELECT outcome FROM inbox WHERE order_id = %s", order_id)
    assert outcome == "ANOMALY"


async def test_a_signed_notify_for_an_order_we_never_made_is_kept_as_an_anomaly_not_a_sale(
    gateway: httpx.AsyncClient, running_worker: InProcessWorker, database_url: str
) -> None:
    order_id = "order-nobody-made"
    answer = await gateway.post(NOTIFY, content=signed_body(notify_fields(order_id, 700)))
    assert answer.status_code == 200

    await eventually(lambda: _kinds(database_url, order_id) == ["anomaly"])
    (event,) = outbox_events(database_url, order_id)
    assert event.anomaly.anomaly == order_pb2.ORDER_ANOMALY_UNKNOWN_ORDER
    kept = scalar(
        database_url,
        "SELECT count(*) FROM unknown_order_observations WHERE out_trade_no = %s",
        order_id,
    )
    assert kept == 1
    # README: WeChat took money for it, so a record says where the money is; but no OrderPaid
    # event ever tells anyone to ship it.
    record = load_order(database_url, order_id)
    assert record is not None
    assert record.anomaly is Anomaly.UNKNOWN_ORDER
    assert "paid" not in _kinds(database_url, order_id)


async def test_an_old_notify_replayed_after_a_refund_changes_nothing(
    gateway: httpx.AsyncClient,
    running_worker: InProcessWorker,
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
) -> None:
    order_id = insert_order(database_url, "order-replayed-1", total_fee=1000)
    old_notify = signed_body(notify_fields(order_id, 1000))
    assert (await gateway.post(NOTIFY, content=old_notify)).status_code == 200
    await eventually(lambda: _kinds(database_url, order_id) == ["paid"])
    produce(kafka_bootstrap, order_topics.observations, [refund_observed(order_id, "r-1", 1000)])
    await eventually(lambda: _kinds(database_url, order_id) == ["paid", "refunded"])
    refunded = load_order(database_url, order_id)
    assert refunded is not None
    assert refunded.status is Status.REFUNDED

    for _ in range(3):
        assert (await gateway.post(NOTIFY, content=old_notify)).status_code == 200
    await _processed_up_to_here(database_url, kafka_bootstrap, order_topics, order_id)

    after = load_order(database_url, order_id)
    assert after is not None
    assert (after.status, after.version) == (Status.REFUNDED, refunded.version)
    assert _kinds(database_url, order_id) == ["paid", "refunded"]


async def test_a_forged_notify_never_reaches_the_order(
    gateway: httpx.AsyncClient,
    running_worker: InProcessWorker,
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
) -> None:
    order_id = insert_order(database_url, "order-forged-1", total_fee=1000)
    forged = [
        signed_body(notify_fields(order_id, 1000), key="F" * 32),
        signed_body(notify_fields(order_id, 1000, appid="wx9999999999999999")),
        signed_body(notify_fields(order_id, 1000)).replace(
            b"<total_fee><![CDATA[1000]]>", b"<total_fee><![CDATA[1001]]>"
        ),
    ]
    for body in forged:
        assert (await gateway.post(NOTIFY, content=body)).status_code in {401, 403}
    await _processed_up_to_here(database_url, kafka_bootstrap, order_topics, order_id)
    order = load_order(database_url, order_id)
    assert order is not None
    assert (order.status, order.version) == (Status.PENDING, 1)
    assert outbox_events(database_url, order_id) == []
